/**
 * Property-based: malformed (and some well-formed) params, query strings, bodies and headers
 * thrown at every /api/v1 route never produce a 5xx, and every 4xx carries the JSON error
 * shape. Requests go out with node:http so paths and headers reach the server as generated.
 * Attachments talk to a real S3-compatible server. A failure prints its seed; FUZZ_SEED=<seed>
 * replays the same run (without the time limit, so it reaches the failing case on any machine).
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type TestS3 } from '../support/s3.ts';
import { addMember, client, createIssue, createUser, createWorkspace, startCustomApi, startServers, type Servers, type TestUser } from './workspaces-harness.ts';

let servers: Servers;
let s3: TestS3;
let api: Awaited<ReturnType<typeof startCustomApi>>;
let owner: TestUser;
let member: TestUser;
const known = { commentId: '', attachmentId: '', invitationId: '', otherCommentId: '' };

beforeAll(async () => {
  s3 = await startS3('fuzz-bucket');
  servers = await startServers({ prefix: 'fuzz' });
  api = await startCustomApi(servers, {}, s3.env);
  [owner, member] = await Promise.all(['owner@example.com', 'member@example.com'].map((e) => createUser(api.url, e)));
  const asOwner = client(api.url, owner);
  await createWorkspace(asOwner, 'fuzz', 'FZ');
  await addMember(api.url, asOwner, 'fuzz', member);
  await createWorkspace(client(api.url, member), 'other', 'OT');
  for (let i = 0; i < 3; i++) await createIssue(asOwner, 'fuzz', { title: `Fuzz ${i}` });
  known.commentId = (await asOwner('POST', '/api/v1/workspaces/fuzz/issues/1/comments', { body: 'c' })).body.comment.id;
  known.attachmentId = (await asOwner('POST', '/api/v1/workspaces/fuzz/issues/1/attachments', { filename: 'a.txt', contentType: 'text/plain', sizeBytes: 3 })).body.attachment.id;
  known.invitationId = (await asOwner('POST', '/api/v1/workspaces/fuzz/invitations', { email: 'x@example.com' })).body.invitation.id;
  const other = await createIssue(client(api.url, member), 'other', { title: 'Other' });
  known.otherCommentId = (await client(api.url, member)('POST', `/api/v1/workspaces/other/issues/${other.number}/comments`, { body: 'o' })).body.comment.id;
});
afterAll(async () => {
  await api?.stop();
  await servers?.stop();
  await s3?.stop();
});

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Got {
  status: number;
  contentType: string;
  body: string;
}

/** Sends one request; resolves undefined when the request could not even be sent (client-side refusal). */
function send(sent: Sent): Promise<Got | undefined> {
  // A request line with spaces, controls or raw non-ASCII is not HTTP: the parser rejects it
  // before any route (real clients percent-encode), so it says nothing about the routes.
  if (!/^[\x21-\x7e]+$/.test(sent.path)) return Promise.resolve(undefined);
  const url = new URL(api.url);
  return new Promise((resolve) => {
    let req: ReturnType<typeof request>;
    try {
      req = request({ host: url.hostname, port: url.port, method: sent.method, path: sent.path, headers: sent.headers, agent: false }, (res) => {
        const contentType = String(res.headers['content-type'] ?? '');
        if (contentType.startsWith('text/event-stream')) {
          // A stream that opened: that is an answer; do not wait for it to end.
          res.destroy();
          req.destroy();
          resolve({ status: res.statusCode ?? 0, contentType, body: '' });
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType, body }));
        res.on('error', () => resolve(undefined));
      });
    } catch {
      resolve(undefined);
      return;
    }
    req.on('error', () => resolve(undefined));
    req.setTimeout(5000, () => req.destroy());
    if (sent.body !== undefined) req.write(sent.body);
    req.end();
  });
}

const garbage = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '0', '-1', '1.5', '1e3', 'null', 'undefined', 'NaN', '__proto__', 'constructor', '..', '%', '%00', '%zz', '%E0%A4%A'),
  fc.constantFrom('9'.repeat(25), 'FZ-0', 'FZ-99999999999999999', 'fz-1', 'OT-1', 'x'.repeat(300), '00000000-0000-0000-0000-000000000000'),
  fc.uuid(),
  fc.integer().map(String),
);

/** A value for a path parameter: a real one (so deep code paths run) or garbage. */
function paramValue(name: string): fc.Arbitrary<string> {
  const real: Record<string, string[]> = {
    slug: ['fuzz', 'fuzz', 'other', 'nope'],
    ref: ['1', 'FZ-2', '3', 'OT-1'],
    userId: [owner.id, member.id],
    id: [known.commentId, known.attachmentId, known.invitationId, known.otherCommentId],
  };
  const options = real[name] ?? [];
  return fc.oneof(
    { weight: 3, arbitrary: options.length ? fc.constantFrom(...options) : garbage },
    { weight: 2, arbitrary: garbage.map((g) => encodeURIComponent(g)) },
    { weight: 1, arbitrary: garbage },
  );
}

const QUERY_KEYS = ['status', 'assignee', 'q', 'limit', 'cursor', 'lastEventId', 'x', '__proto__', 'status[]'];
const queryString = () =>
  fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })),
      fc.oneof(fc.constantFrom('open', 'closed,in_progress', 'me', 'none', '10', '0', '101', 'eyJuIjoxfQ', member.id), garbage),
      fc.boolean(),
    ),
    { maxLength: 5 },
  )
  .map((pairs) =>
    pairs.length === 0 ? '' : `?${pairs.map(([k, v, raw]) => (raw ? `${k}=${v}` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}`,
  );

const FIELDS = ['title', 'description', 'status', 'priority', 'assigneeId', 'body', 'name', 'slug', 'issueKey', 'email', 'role', 'filename', 'contentType', 'sizeBytes', 'token'];
const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('open', 'closed', 'urgent', 'admin', 'owner', 'a@example.com', 'text/plain', 'x\u0000y', '\ud800', 'FZ', 'new-space'),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER, 5_368_709_121),
);
const bodyValue = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), jsonish, { maxKeys: 5 }).map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('{', '{"title":', '[]', 'null', '""', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '\u0000') },
);

/** Mostly valid credentials, so requests get past authentication to the validators and handlers. */
const authHeader = () =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant<Record<string, string>>({ authorization: `Bearer ${owner.token}` }) },
    { weight: 3, arbitrary: fc.constant<Record<string, string>>({ authorization: `Bearer ${member.token}` }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<Record<string, string>>(
        {},
        { authorization: 'Bearer pat_' + 'A'.repeat(43) },
        { authorization: 'Bearer' },
        { authorization: 'Basic dXNlcjpwYXNz' },
        { cookie: 'slipway_session=garbage; other=1' },
        { cookie: `slipway_session=${'x'.repeat(43)}`, origin: 'http://evil.example' },
      ),
    },
  );

const extraHeaders = fc.record(
  {
    'last-event-id': fc.oneof(fc.constantFrom('1', '0', '-5', '99999999999999999999', 'abc'), fc.string({ maxLength: 10 })),
    origin: fc.constantFrom('http://app.slipway.test', 'null', 'http://evil.example', 'not a url'),
    'x-request-id': fc.string({ maxLength: 20 }),
    accept: fc.constantFrom('text/event-stream', 'application/json', '*/*', ''),
  },
  { requiredKeys: [] },
);

const contentTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', undefined);

/** Header values node:http refuses to send are dropped: they could not reach a server anyway. */
const sendable = (headers: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined && /^[\t\x20-\x7e\x80-\xff]*$/.test(v))) as Record<string, string>;

describe('fuzzing every /api/v1 route', () => {
  it('never answers 5xx, and every 4xx is a JSON error', async () => {
    const routes = api.routes.filter((r) => r.url.startsWith('/api/v1'));
    expect(routes.length).toBeGreaterThanOrEqual(25);
    const request = fc
      .record({
        route: fc.constantFrom(...routes),
        methodOverride: fc.option(fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS'), { freq: 8 }),
        query: queryString(),
        body: fc.option(bodyValue, { freq: 4 }),
        contentType: contentTypes,
        auth: authHeader(),
        extra: extraHeaders,
        seed: fc.integer(),
      })
      .chain((r) => {
        const names = [...r.route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
        return fc.tuple(fc.constant(r), fc.tuple(...names.map((n) => paramValue(n))));
      })
      .map(([r, values]): Sent => {
        let i = 0;
        const path = r.route.url.replace(/:(\w+)/g, () => values[i++]!) + r.query;
        const method = r.methodOverride ?? r.route.method;
        const headers = sendable({ ...r.auth, ...r.extra, ...(r.body !== null ? { 'content-type': r.contentType } : {}) });
        // A well-formed message: node:http would send a GET body with neither length nor chunking.
        if (r.body !== null) headers['content-length'] = String(Buffer.byteLength(r.body));
        return { method, path, headers, body: r.body ?? undefined };
      });

    let answered = 0;
    const statuses = new Map<number, number>();
    const replaying = process.env.FUZZ_SEED !== undefined;
    const seed = replaying ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
    const run = fc.assert(
      fc.asyncProperty(request, async (sent) => {
        const got = await send(sent);
        if (!got) return; // the client could not send it (e.g. a character not allowed in a path)
        answered++;
        statuses.set(got.status, (statuses.get(got.status) ?? 0) + 1);
        expect(got.status, `${sent.method} ${sent.path} → ${got.status} ${got.body.slice(0, 300)}`).toBeLessThan(500);
        if (got.status >= 400 && sent.method !== 'HEAD') {
          expect(got.contentType).toContain('application/json');
          const parsed = JSON.parse(got.body) as { error?: { code?: unknown; message?: unknown } };
          expect(typeof parsed.error?.code, `${sent.method} ${sent.path} → ${got.status} ${got.body.slice(0, 300)}`).toBe('string');
          expect(typeof parsed.error?.message).toBe('string');
        }
      }),
      // A replay runs every case: a slower machine must still reach the one that failed.
      { numRuns: Number(process.env.FUZZ_RUNS ?? 800), seed, ...(replaying ? {} : { interruptAfterTimeLimit: 12_000 }) },
    );
    await run.catch((error: Error) => {
      throw new Error(`fuzzing failed with seed ${seed}; replay it with FUZZ_SEED=${seed} npx vitest run app/test/v1/fuzz.test.ts\n${error.message}`, { cause: error });
    });
    if (process.env.FUZZ_VERBOSE) console.log(answered, [...statuses].sort());
    expect(answered).toBeGreaterThan(100);
    // The run reached the handlers, not only the validators.
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
  });
});
