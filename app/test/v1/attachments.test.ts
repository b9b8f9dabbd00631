/**
 * Attachments against a real S3-compatible server (s3rver on loopback, path-style): the
 * presigned PUT stores exactly the declared bytes, the presigned GET returns them under the
 * original name; the URLs' signed parameters bind content type, length and expiry. Without
 * S3_BUCKET the routes answer 503 saying attachments are not configured.
 */
import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/api/errors.ts';
import { AttachmentStorage, contentDisposition, sanitizeFilename } from '../../src/storage/attachments.ts';
import { blackHole, freePort } from '../../../test/support/servers.ts';
import { addMember, client, createIssue, createUser, createWorkspace, startServers, startTestApi, type Api, type Call, type Servers, type TestUser } from './workspaces-harness.ts';

interface S3rverInstance {
  run(): Promise<unknown>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

/** SigV4 for a presigned URL, computed independently of the SDK (S3: UNSIGNED-PAYLOAD, no path normalization). */
function presignedSignature(method: string, url: URL, headers: Record<string, string>, secret = 'S3RVER'): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature').map(([k, v]) => [encode(k), encode(v)] as const);
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signed = url.searchParams.get('X-Amz-SignedHeaders')!.split(';');
  const canonical = [
    method,
    url.pathname,
    params.map(([k, v]) => `${k}=${v}`).join('&'),
    signed.map((h) => `${h}:${(headers[h] ?? '').trim()}\n`).join(''),
    signed.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const date = url.searchParams.get('X-Amz-Date')!;
  const [, day, region, service] = url.searchParams.get('X-Amz-Credential')!.split('/');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day!), region!), service!), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

const BUCKET = 'slipway-attachments';
let s3: S3rverInstance;
let s3Dir: string;
let s3Url: string;
let servers: Servers;
let api: Api;
let owner: TestUser;
let member: TestUser;
let asOwner: Call;
let asMember: Call;

beforeAll(async () => {
  // s3rver's fixed credentials; signing never looks anywhere else for them.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const port = await freePort();
  s3Dir = mkdtempSync(join(tmpdir(), 'slipway-s3-'));
  s3 = new S3rver({ address: '127.0.0.1', port, silent: true, directory: s3Dir, configureBuckets: [{ name: BUCKET }] });
  await s3.run();
  s3Url = `http://127.0.0.1:${port}`;
  servers = await startServers({ prefix: 'attach' });
  api = await startTestApi(servers, {
    S3_BUCKET: BUCKET,
    AWS_REGION: 'eu-west-1',
    S3_ENDPOINT: s3Url,
    ATTACHMENT_URL_TTL_SECONDS: '120',
    ATTACHMENT_MAX_BYTES: '1048576',
  });
  [owner, member] = await Promise.all(['owner@example.com', 'member@example.com'].map((e) => createUser(api.url, e)));
  asOwner = client(api.url, owner);
  asMember = client(api.url, member);
  await createWorkspace(asOwner, 'eng', 'ENG');
  await addMember(api.url, asOwner, 'eng', member);
});
afterAll(async () => {
  await api?.stop();
  await servers?.stop();
  await s3?.close();
  if (s3Dir) rmSync(s3Dir, { recursive: true, force: true });
});

describe('attachments', () => {
  it('round-trips a file through presigned PUT and GET URLs', async () => {
    const issue = await createIssue(asOwner, 'eng', { title: 'Has a screenshot' });
    const content = Buffer.from('\x89PNG fake image bytes ✓');
    const created = await asMember('POST', `/api/v1/workspaces/eng/issues/${issue.key}/attachments`, {
      filename: '../Screen Shot 2026-11-23 at 10.00.00 “final”.png',
      contentType: 'image/png',
      sizeBytes: content.length,
    });
    expect(created.status).toBe(201);
    const { attachment, upload } = created.body;
    expect(attachment).toMatchObject({
      issueId: issue.id,
      filename: '../Screen Shot 2026-11-23 at 10.00.00 “final”.png',
      contentType: 'image/png',
      sizeBytes: content.length,
      uploaderId: member.id,
    });
    expect(upload.method).toBe('PUT');
    expect(upload.headers).toEqual({ 'content-type': 'image/png' });

    // The object key is scoped by workspace and issue, with a random segment and a safe name.
    const url = new URL(upload.url);
    expect(url.origin).toBe(s3Url);
    const workspaceId = (await asOwner('GET', '/api/v1/workspaces/eng')).body.workspace.id;
    const key = decodeURIComponent(url.pathname.slice(`/${BUCKET}/`.length));
    expect(url.pathname.startsWith(`/${BUCKET}/`)).toBe(true); // path-style for S3_ENDPOINT
    expect(key).toMatch(new RegExp(`^workspaces/${workspaceId}/issues/${issue.id}/[0-9a-f-]{36}/Screen_Shot_2026-11-23_at_10.00.00_final_.png$`));
    const stored = await servers.db.query('SELECT object_key FROM attachments WHERE id = $1', [attachment.id]);
    expect(stored.rows[0].object_key).toBe(key);

    // What the signature binds: method-specific expiry, content type and exact length.
    const q = url.searchParams;
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Expires')).toBe('120');
    expect(q.get('X-Amz-SignedHeaders')!.split(';')).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));
    expect(q.get('X-Amz-Credential')).toMatch(/^S3RVER\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(q.has('x-amz-checksum-crc32')).toBe(false); // no checksum of an empty body

    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: content });
    expect(put.status, await put.clone().text()).toBe(200);

    const list = await asOwner('GET', `/api/v1/workspaces/eng/issues/${issue.number}/attachments`);
    expect(list.body.attachments).toEqual([attachment]);

    const download = await asOwner('GET', `/api/v1/workspaces/eng/attachments/${attachment.id}/download`);
    expect(download.status).toBe(200);
    const expiresIn = Date.parse(download.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(100_000);
    expect(expiresIn).toBeLessThanOrEqual(120_000);
    const getUrl = new URL(download.body.url);
    expect(getUrl.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(getUrl.searchParams.get('response-content-disposition')).toBe(contentDisposition(attachment.filename));
    const got = await fetch(download.body.url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(content);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('content-disposition')).toContain('attachment; filename="../Screen Shot 2026-11-23 at 10.00.00 _final_.png"');
  });

  it('deletes an attachment and its object: uploader or admin only', async () => {
    const issue = await createIssue(asOwner, 'eng', { title: 'Has a log' });
    const content = Buffer.from('log line\n');
    const created = await asMember('POST', `/api/v1/workspaces/eng/issues/${issue.number}/attachments`, { filename: 'app.log', contentType: 'text/plain', sizeBytes: content.length });
    const { attachment, upload } = created.body;
    expect((await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: content })).status).toBe(200);
    const download = (await asOwner('GET', `/api/v1/workspaces/eng/attachments/${attachment.id}/download`)).body.url;
    expect((await fetch(download)).status).toBe(200);

    // A third member who did not attach it and is not an admin may not delete it.
    const other = await createUser(api.url, 'other.member@example.com');
    await addMember(api.url, asOwner, 'eng', other, 'member');
    const refused = await client(api.url, other)('DELETE', `/api/v1/workspaces/eng/attachments/${attachment.id}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe('Only the person who attached the file or a workspace admin can delete it');

    expect((await asMember('DELETE', `/api/v1/workspaces/eng/attachments/${attachment.id}`)).status).toBe(204);
    expect((await asMember('DELETE', `/api/v1/workspaces/eng/attachments/${attachment.id}`)).status).toBe(404);
    expect((await asOwner('GET', `/api/v1/workspaces/eng/issues/${issue.number}/attachments`)).body.attachments).toEqual([]);
    // The object is gone from the store too, not only the record.
    expect((await fetch(download)).status).toBe(404);
  });

  it('refuses files over ATTACHMENT_MAX_BYTES with 413 and a clear message, and bad input with 400', async () => {
    const issue = await createIssue(asOwner, 'eng', { title: 'Big' });
    const path = `/api/v1/workspaces/eng/issues/${issue.number}/attachments`;
    const big = await asOwner('POST', path, { filename: 'movie.mp4', contentType: 'video/mp4', sizeBytes: 5_000_000 });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    expect(big.body.error.message).toBe('The file is 4.8 MiB; attachments may be at most 1 MiB (ATTACHMENT_MAX_BYTES)');
    expect(big.body.error.issues[0].path).toBe('sizeBytes');
    const bad = await asOwner('POST', path, { filename: '', contentType: 'not a type', sizeBytes: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['contentType', 'filename', 'sizeBytes']);
    expect((await asOwner('POST', path, { filename: 'a.txt', contentType: 'text/plain', sizeBytes: 1.5 })).status).toBe(400);
    const withCharset = await asOwner('POST', path, { filename: 'a.txt', contentType: 'Text/Plain; charset=UTF-8', sizeBytes: 1 });
    expect(withCharset.status).toBe(201);
    expect(withCharset.body.upload.headers).toEqual({ 'content-type': 'text/plain; charset=utf-8' });
    expect((await asOwner('POST', path, { filename: 'a\nb.txt', contentType: 'text/plain', sizeBytes: 1 })).status).toBe(400);
    expect((await asOwner('GET', `/api/v1/workspaces/eng/attachments/${issue.id}/download`)).status).toBe(404);
    expect((await asOwner('POST', '/api/v1/workspaces/eng/issues/999/attachments', { filename: 'a.txt', contentType: 'text/plain', sizeBytes: 1 })).status).toBe(404);
  });

  it('signs the declared length and type: a recomputed SigV4 signature matches only those', async () => {
    const issue = await createIssue(asOwner, 'eng', { title: 'Size bound' });
    const created = await asOwner('POST', `/api/v1/workspaces/eng/issues/${issue.number}/attachments`, { filename: 'a.txt', contentType: 'text/plain', sizeBytes: 5 });
    const url = new URL(created.body.upload.url);
    const host = url.host;
    expect(presignedSignature('PUT', url, { host, 'content-length': '5', 'content-type': 'text/plain' })).toBe(url.searchParams.get('X-Amz-Signature'));
    expect(presignedSignature('PUT', url, { host, 'content-length': '6', 'content-type': 'text/plain' })).not.toBe(url.searchParams.get('X-Amz-Signature'));
    expect(presignedSignature('PUT', url, { host, 'content-length': '5', 'content-type': 'text/html' })).not.toBe(url.searchParams.get('X-Amz-Signature'));
    const download = await asOwner('GET', `/api/v1/workspaces/eng/attachments/${created.body.attachment.id}/download`);
    const getUrl = new URL(download.body.url);
    expect(presignedSignature('GET', getUrl, { host })).toBe(getUrl.searchParams.get('X-Amz-Signature'));
  });

  it('sanitizes object key names', () => {
    expect(sanitizeFilename('report.pdf')).toBe('report.pdf');
    expect(sanitizeFilename('C:\\Users\\me\\évaluation 1.docx')).toBe('evaluation_1.docx');
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('.htaccess')).toBe('htaccess');
    expect(sanitizeFilename('日本語')).toBe('file');
    expect(sanitizeFilename('x'.repeat(300)).length).toBeLessThanOrEqual(120);
  });

  it('answers 503 not_configured, without naming server settings, when storage is not set up', async () => {
    const bare = await startTestApi(servers);
    try {
      const as = client(bare.url, owner);
      const issue = await createIssue(as, 'eng', { title: 'No storage' });
      const res = await as('POST', `/api/v1/workspaces/eng/issues/${issue.number}/attachments`, { filename: 'a.txt', contentType: 'text/plain', sizeBytes: 3 });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('not_configured');
      expect(res.body.error.message).toBe('Attachments are not configured on this server.');
      const list = await as('GET', '/api/v1/workspaces/eng/issues/1/attachments');
      expect(list.status).toBe(200);
      const id = list.body.attachments[0].id;
      expect((await as('GET', `/api/v1/workspaces/eng/attachments/${id}/download`)).status).toBe(503);
      // Non-members still see nothing at all.
      const stranger = await createUser(bare.url, 'stranger@example.com');
      expect((await client(bare.url, stranger)('GET', `/api/v1/workspaces/eng/attachments/${id}/download`)).status).toBe(404);
    } finally {
      await bare.stop();
    }
  });
});

describe('a store that stops answering', () => {
  it('fails a delete within the time limit, retries included, with 503 storage_unavailable', async () => {
    const hole = await blackHole();
    try {
      const storage = new AttachmentStorage({ bucket: BUCKET, region: 'eu-west-1', endpoint: hole.url, urlTtlSeconds: 60, maxBytes: 1, timeoutMs: 400 });
      const failed = (await storage.deleteObject('workspaces/w/issues/i/u/a.txt').catch((error: unknown) => error)) as HttpError;
      expect(failed).toBeInstanceOf(HttpError);
      expect([failed.statusCode, failed.code, failed.message]).toEqual([503, 'storage_unavailable', 'Attachment storage did not delete the file (no answer within 0.4 s); nothing was changed, try again']);
      // It did reach the store: the time limit ended it, not a refused connection.
      expect(hole.connections()).toBeGreaterThanOrEqual(1);
    } finally {
      await hole.close();
    }
  });

  it('keeps the record and frees the database connection the delete held (a pool of one)', async () => {
    const hole = await blackHole();
    const stuck = await startTestApi(
      servers,
      { S3_BUCKET: BUCKET, AWS_REGION: 'eu-west-1', S3_ENDPOINT: hole.url, DATABASE_MAX_CONNS: '1' },
      (config) => ({ ...config, attachments: { ...config.attachments, timeoutMs: 500 } }),
    );
    try {
      const as = client(stuck.url, owner);
      const issue = await createIssue(as, 'eng', { title: 'Attached while the store hangs' });
      const created = await as('POST', `/api/v1/workspaces/eng/issues/${issue.number}/attachments`, { filename: 'trace.txt', contentType: 'text/plain', sizeBytes: 5 });
      expect(created.status).toBe(201);
      const deleted = await as('DELETE', `/api/v1/workspaces/eng/attachments/${created.body.attachment.id}`);
      expect(deleted.status).toBe(503);
      expect(deleted.body.error.code).toBe('storage_unavailable');
      expect(hole.connections()).toBeGreaterThanOrEqual(1);
      // The only connection is back in the pool, and the record is still there to delete later.
      const list = await as('GET', `/api/v1/workspaces/eng/issues/${issue.number}/attachments`);
      expect(list.status).toBe(200);
      expect(list.body.attachments.map((a: { id: string }) => a.id)).toEqual([created.body.attachment.id]);
    } finally {
      await stuck.stop();
      await hole.close();
    }
  });
});
