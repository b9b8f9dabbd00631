/**
 * Signup controls (ALLOW_SIGNUP, ALLOWED_EMAIL_DOMAINS, ALLOWED_EMAILS), invitations accepted
 * on sign-in, the production answer to refused addresses, and cookie attributes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateWithAppRole } from '../../../test/support/app-role.ts';
import { startTestApi } from '../../../test/support/api.ts';
import { startPostgres, type TestPostgres } from '../../../test/support/servers.ts';
import { productionSecrets, requestLink, signIn, startApiWithLogs, tokenFromLink } from '../support/auth.ts';

let server: TestPostgres;
let databaseUrl: string;
/** The api's own login, as in production. */
let apiDatabaseUrl: string;
let db: pg.Pool;
const running: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  server = await startPostgres();
  databaseUrl = await server.createDatabase('signup');
  apiDatabaseUrl = await migrateWithAppRole(databaseUrl);
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // The servers stop at the end of the file; an idle connection dropped then is not a failure.
  db.on('error', () => undefined);
});
afterAll(async () => {
  await Promise.all(running.map((a) => a.stop()));
  await db?.end();
  await server?.destroy();
});

async function start(env: Record<string, string>) {
  const api = await startTestApi({ DATABASE_URL: apiDatabaseUrl, ...env });
  running.push(api);
  return api;
}

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

let workspaceCounter = 0;
async function invite(email: string, role: 'admin' | 'member'): Promise<string> {
  const n = workspaceCounter++;
  const ws = await db.query(`INSERT INTO workspaces (slug, name, issue_key) VALUES ($1, $2, $3) RETURNING id`, [`invited-${n}`, `Invited ${n}`, `INV${n}`]);
  await db.query(`INSERT INTO workspace_invitations (workspace_id, email, role) VALUES ($1, $2, $3)`, [ws.rows[0].id, email, role]);
  return ws.rows[0].id;
}

describe('ALLOW_SIGNUP=false', () => {
  let url: string;
  beforeAll(async () => {
    url = (await start({ ALLOW_SIGNUP: 'false' })).url;
  });

  it('refuses a new address (development: said plainly, since the link would be shown anyway)', async () => {
    const res = await post(url, '/api/v1/auth/magic-link', { email: 'stranger@example.com' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('signup_not_allowed');
    expect(res.body.error.message).toContain('invite');
    expect((await db.query(`SELECT 1 FROM magic_links WHERE email = 'stranger@example.com'`)).rowCount).toBe(0);
  });

  it('lets an existing user sign in', async () => {
    await db.query(`INSERT INTO users (email, name) VALUES ('existing@example.com', 'Existing')`);
    const { user } = await signIn(url, 'Existing@Example.com');
    expect(user).toMatchObject({ email: 'existing@example.com', name: 'Existing' });
  });

  it('lets an invited person sign up, and accepts every pending invitation with its role', async () => {
    const first = await invite('invitee@example.com', 'admin');
    const second = await invite('invitee@example.com', 'member');
    const { cookie, user } = await signIn(url, 'invitee@example.com');
    const me = await (await fetch(`${url}/api/v1/me`, { headers: { cookie } })).json();
    expect(me.user.id).toBe(user.id);
    const roles = Object.fromEntries(me.workspaces.map((w: { id: string; role: string }) => [w.id, w.role]));
    expect(roles).toEqual({ [first]: 'admin', [second]: 'member' });
    const open = await db.query(`SELECT count(*)::int AS n FROM workspace_invitations WHERE email = 'invitee@example.com' AND accepted_at IS NULL`);
    expect(open.rows[0].n).toBe(0);
  });

  it('an existing user joins on the next sign-in, keeping a role they already have', async () => {
    const { user } = await signIn(url, 'existing@example.com');
    const ws = await invite('existing@example.com', 'member');
    const owned = await invite('existing@example.com', 'admin');
    await db.query(`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'owner')`, [owned, user.id]);
    const { cookie } = await signIn(url, 'existing@example.com');
    const me = await (await fetch(`${url}/api/v1/me`, { headers: { cookie } })).json();
    const roles = Object.fromEntries(me.workspaces.map((w: { id: string; role: string }) => [w.id, w.role]));
    expect(roles[ws]).toBe('member');
    expect(roles[owned]).toBe('owner');
  });
});

describe('allowlists', () => {
  let url: string;
  beforeAll(async () => {
    url = (await start({ ALLOWED_EMAIL_DOMAINS: 'corp.example, @Partner.example', ALLOWED_EMAILS: 'Guest@Elsewhere.example' })).url;
  });

  it('admit listed domains and addresses only (exact domain, any case)', async () => {
    for (const email of ['a@corp.example', 'B@CORP.EXAMPLE', 'c@partner.example', 'guest@elsewhere.example']) {
      expect((await post(url, '/api/v1/auth/magic-link', { email })).status, email).toBe(202);
    }
    for (const email of ['x@elsewhere.example', 'y@sub.corp.example', 'z@corp.example.evil', 'corp.example@evil.example']) {
      const res = await post(url, '/api/v1/auth/magic-link', { email });
      expect(res.status, email).toBe(403);
      expect(res.body.error.code).toBe('signup_not_allowed');
    }
  });

  it('bind invited people too, but never lock out an existing user', async () => {
    await invite('invited@elsewhere.example', 'member');
    expect((await post(url, '/api/v1/auth/magic-link', { email: 'invited@elsewhere.example' })).status).toBe(403);
    await db.query(`INSERT INTO users (email) VALUES ('veteran@elsewhere.example')`);
    expect((await signIn(url, 'veteran@elsewhere.example')).user.email).toBe('veteran@elsewhere.example');
  });

  it('with ALLOW_SIGNUP=false admit an invited person only when listed', async () => {
    const closed = await start({ ALLOW_SIGNUP: 'false', ALLOWED_EMAIL_DOMAINS: 'corp.example' });
    await invite('new-hire@corp.example', 'member');
    expect((await signIn(closed.url, 'new-hire@corp.example')).user.email).toBe('new-hire@corp.example');
    expect((await post(closed.url, '/api/v1/auth/magic-link', { email: 'uninvited@corp.example' })).status).toBe(403);
  });
});

describe('signup controls at verify time', () => {
  it('a link sent while sign-up was open no longer creates an account once it closed', async () => {
    const open = await start({});
    const closed = await start({ ALLOW_SIGNUP: 'false' });
    const token = tokenFromLink(await requestLink(open.url, 'too-late@example.com'));
    const res = await post(closed.url, '/api/v1/auth/verify', { token });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('signup_not_allowed');
    expect(res.headers.getSetCookie()).toEqual([]);
    expect((await db.query(`SELECT 1 FROM users WHERE email = 'too-late@example.com'`)).rowCount).toBe(0);
    // The link is spent either way.
    expect((await post(open.url, '/api/v1/auth/verify', { token })).status).toBe(400);
  });
});

describe('production: refused addresses look like everyone else', () => {
  it('answers 202 {sent:true} and mails a note instead of a link; no link in the answer', async () => {
    const api = await startApiWithLogs({ DATABASE_URL: apiDatabaseUrl, SLIPWAY_ENV: 'production', ALLOW_SIGNUP: 'false', EMAIL_PROVIDER: 'log', APP_URL: 'https://slipway.example.org', ...productionSecrets() });
    running.push(api);
    await db.query(`INSERT INTO users (email) VALUES ('prod-user@example.com')`);
    const allowed = await post(api.url, '/api/v1/auth/magic-link', { email: 'prod-user@example.com' });
    const refused = await post(api.url, '/api/v1/auth/magic-link', { email: 'prod-stranger@example.com' });
    expect(allowed.status).toBe(202);
    expect(refused.status).toBe(202);
    expect(refused.body).toEqual(allowed.body);
    expect(allowed.body).toEqual({ sent: true });

    const mails = api.logs().filter((l) => l.msg === 'email not sent (EMAIL_PROVIDER=log)') as Array<{ email: { to: string; subject: string; text: string } }>;
    const toUser = mails.find((m) => m.email.to === 'prod-user@example.com')!;
    expect(toUser.email.text).toContain('https://slipway.example.org/auth/verify?token=');
    const toStranger = mails.find((m) => m.email.to === 'prod-stranger@example.com')!;
    expect(toStranger.email.text).not.toContain('/auth/verify');
    expect(toStranger.email.text).toContain('invite');
    expect((await db.query(`SELECT 1 FROM magic_links WHERE email = 'prod-stranger@example.com'`)).rowCount).toBe(0);
  });
});

describe('cookie attributes', () => {
  it('https app URL: Secure; COOKIE_DOMAIN: Domain; the same on sign-out', async () => {
    const api = await start({ APP_URL: 'https://tracker.slipway.test', COOKIE_DOMAIN: 'slipway.test' });
    const token = tokenFromLink(await requestLink(api.url, 'secure@example.com'));
    const res = await post(api.url, '/api/v1/auth/verify', { token });
    const attrs = res.headers.getSetCookie()[0]!.split('; ');
    expect(attrs).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/', 'Secure', 'Domain=slipway.test', 'Max-Age=2592000']));
    const cookie = attrs[0]!;
    const out = await post(api.url, '/api/v1/auth/signout', {}, { cookie, origin: 'https://tracker.slipway.test' });
    expect(out.status).toBe(204);
    const cleared = out.headers.getSetCookie()[0]!.split('; ');
    expect(cleared).toEqual(expect.arrayContaining(['slipway_session=', 'Max-Age=0', 'Secure', 'Domain=slipway.test', 'HttpOnly', 'Path=/']));
  });

  it('CORS_ALLOWED_ORIGINS replaces the app URL as the allowed origin', async () => {
    const api = await start({ APP_URL: 'http://app.slipway.test', CORS_ALLOWED_ORIGINS: 'http://ui.slipway.test,http://admin.slipway.test/' });
    const { cookie } = await signIn(api.url, 'cors@example.com');
    const patch = (origin: string) =>
      fetch(`${api.url}/api/v1/me`, { method: 'PATCH', headers: { cookie, origin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'C' }) });
    expect((await patch('http://ui.slipway.test')).status).toBe(200);
    expect((await patch('http://admin.slipway.test')).status).toBe(200);
    expect((await patch('http://app.slipway.test')).status).toBe(403);
  });
});
