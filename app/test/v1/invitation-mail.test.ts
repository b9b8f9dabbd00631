/**
 * Invitations tell the invitee: through the configured email provider (a real SMTP server
 * here), as a link in the answer in development without a provider (to local clients only,
 * like sign-in links), and under the same mail limits as sign-in.
 */
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/servers.ts';
import { productionSecrets, startApiWithLogs, type LoggedApi } from '../support/auth.ts';
import { APP_URL, client, createUser, createWorkspace, startServers, type Call, type Servers, type TestUser } from './workspaces-harness.ts';

let servers: Servers;
let dev: LoggedApi;
let owner: TestUser;
const running: Array<{ stop(): Promise<void> }> = [];
let workspaces = 0;

async function startApi(env: Record<string, string> = {}): Promise<LoggedApi> {
  const api = await startApiWithLogs({ APP_URL, DATABASE_URL: servers.databaseUrl, ...env });
  running.push(api);
  return api;
}

/** A workspace of its own per test, so one test's invitations never meet another's. */
async function workspace(): Promise<string> {
  const slug = `team-${workspaces++}`;
  await createWorkspace(client(dev.url, owner), slug, `TM${workspaces}`, `Team ${workspaces}`);
  return slug;
}

const invite = (call: Call, slug: string, email: string, headers: Record<string, string> = {}) =>
  call('POST', `/api/v1/workspaces/${slug}/invitations`, { email, role: 'member' }, headers);

async function startSmtp(options: { refuse?: boolean } = {}) {
  const received: Array<{ to: string[]; raw: string }> = [];
  const port = await freePort();
  const smtp = new SMTPServer({
    authOptional: true,
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (!options.refuse) return callback();
      return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve));
  running.push({ stop: () => new Promise<void>((resolve) => smtp.close(() => resolve())) });
  const env = { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), SMTP_TLS_INSECURE: 'true', SENDER_EMAIL: 'Slipway <team@tracker.example.org>' };
  return { received, env };
}

const decoded = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

beforeAll(async () => {
  servers = await startServers({ prefix: 'invite' });
  dev = await startApi();
  owner = await createUser(dev.url, 'owner@example.com');
  await fetch(`${dev.url}/api/v1/me`, { method: 'PATCH', headers: { cookie: owner.cookie, origin: APP_URL, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Olive Owner' }) });
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  await servers?.stop();
});

describe('with an email provider', () => {
  it('emails the invitee who invited them, to which workspace, and where to sign in', async () => {
    const smtp = await startSmtp();
    const api = await startApi(smtp.env);
    const slug = await workspace();
    const res = await invite(client(api.url, owner), slug, 'Grace@Example.com');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ invitation: expect.objectContaining({ email: 'grace@example.com', role: 'member' }), emailed: true });
    expect(smtp.received.map((m) => m.to)).toEqual([['grace@example.com']]);
    const body = decoded(smtp.received[0]!.raw);
    expect(body).toMatch(/^Subject: Olive Owner invited you to Team \d+ on Slipway/m);
    expect(body).toContain('Olive Owner (owner@example.com) invited you to the workspace');
    expect(body).toContain(`${APP_URL}/signin?email=grace%40example.com`);
    expect(body).not.toMatch(/token=/);
  });

  it('a provider that refuses the mail answers 502 and keeps no invitation, so the admin can retry', async () => {
    const smtp = await startSmtp({ refuse: true });
    const api = await startApi(smtp.env);
    const slug = await workspace();
    const res = await invite(client(api.url, owner), slug, 'bounce@example.com');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('email_provider_failed');
    const open = await servers.db.query(`SELECT 1 FROM workspace_invitations WHERE email = 'bounce@example.com'`);
    expect(open.rowCount).toBe(0);
    expect(api.logs().find((l) => l.msg === 'email provider failed to send an invitation')).toMatchObject({ provider: 'smtp', domain: 'example.com' });
  });
});

describe('without an email provider', () => {
  it('development: the link comes back to a local client and goes to the log, and holds no credential', async () => {
    const slug = await workspace();
    const res = await invite(client(dev.url, owner), slug, 'dev-invitee@example.com');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ emailed: false, link: `${APP_URL}/signin?email=dev-invitee%40example.com` });
    const line = dev.logs().find((l) => l.msg === 'no email provider configured: invitation link returned in the response (development only)');
    expect(line).toMatchObject({ link: res.body.link, domain: 'example.com' });
    const invitationLines = dev.logText().split('\n').filter((l) => l.includes('dev-invitee'));
    expect(invitationLines).toHaveLength(1);
    expect(invitationLines[0]).not.toMatch(/token/i);
  });

  it('development: a client on another machine gets no link', async () => {
    const slug = await workspace();
    // Through a trusted proxy (loopback), request.ip is the remote client's address.
    const res = await invite(client(dev.url, owner), slug, 'remote-invitee@example.com', { 'x-forwarded-for': '203.0.113.7' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ invitation: expect.objectContaining({ email: 'remote-invitee@example.com' }), emailed: false });
  });

  it('production: records the invitation, says it was not emailed, and shows no link', async () => {
    const prod = await startApi({ SLIPWAY_ENV: 'production', APP_URL: 'https://tracker.example.org', CORS_ALLOWED_ORIGINS: APP_URL, ...productionSecrets() });
    const slug = await workspace();
    const res = await invite(client(prod.url, owner), slug, 'prod-invitee@example.com');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ invitation: expect.objectContaining({ email: 'prod-invitee@example.com' }), emailed: false });
  });
});

describe('limits', () => {
  it('an address gets at most 5 emails per 15 minutes, sign-in links and invitations together', async () => {
    const smtp = await startSmtp();
    const api = await startApi(smtp.env);
    const ask = (ip: string) =>
      fetch(`${api.url}/api/v1/auth/magic-link`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ email: 'popular@example.com' }) });
    for (let i = 0; i < 4; i++) expect((await ask(`198.51.100.${i + 1}`)).status).toBe(202);
    const [first, second] = [await workspace(), await workspace()];
    const call = client(api.url, owner);
    expect((await invite(call, first, 'popular@example.com')).status).toBe(201);
    const limited = await invite(call, second, 'popular@example.com');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', message: expect.stringContaining('to this address') });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await ask('198.51.100.99')).status).toBe(429);
    // Nothing was recorded for the refused invitation.
    const recorded = await servers.db.query(`SELECT count(*)::int AS n FROM workspace_invitations WHERE email = 'popular@example.com'`);
    expect(recorded.rows[0].n).toBe(1);
    expect(smtp.received.filter((m) => m.to.includes('popular@example.com'))).toHaveLength(5);
  });

  it('a client sends at most 30 emails per 15 minutes, invitations included', async () => {
    const api = await startApi({ EMAIL_PROVIDER: 'log' });
    const slug = await workspace();
    const call = client(api.url, owner);
    const headers = { 'x-forwarded-for': '203.0.113.90' };
    for (let i = 0; i < 30; i++) expect((await invite(call, slug, `bulk-${i}@example.com`, headers)).status, `invitation ${i}`).toBe(201);
    const limited = await invite(call, slug, 'bulk-last@example.com', headers);
    expect(limited.status).toBe(429);
    expect(limited.body.error.message).toContain('from this address');
  });
});
