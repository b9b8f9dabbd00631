/**
 * Sign-in and accounts against the real API and PostgreSQL: the magic-link flow, sessions and
 * their cookie, the Origin check, personal access tokens, and revocation.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateWithAppRole } from '../../../test/support/app-role.ts';
import { startTestApi } from '../../../test/support/api.ts';
import { startPostgres, type TestPostgres } from '../../../test/support/servers.ts';
import pino from 'pino';
import { buildApiServer, type ApiDependencies } from '../../src/api/server.ts';
import { registerAuth } from '../../src/api/v1/auth/index.ts';
import { requireUser } from '../../src/api/v1/context.ts';
import { loadApiConfig } from '../../src/config/api.ts';
import { createToken, requestLink, signIn, tokenFromLink } from '../support/auth.ts';

const APP_URL = 'http://app.slipway.test';
const ORIGIN = APP_URL;

let server: TestPostgres;
let databaseUrl: string;
/** The api's own login, as in production. */
let apiDatabaseUrl: string;
let db: pg.Pool;
let api: Awaited<ReturnType<typeof startTestApi>>;

beforeAll(async () => {
  server = await startPostgres();
  databaseUrl = await server.createDatabase('auth');
  apiDatabaseUrl = await migrateWithAppRole(databaseUrl);
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // The servers stop at the end of the file; an idle connection dropped then is not a failure.
  db.on('error', () => undefined);
  api = await startTestApi({ DATABASE_URL: apiDatabaseUrl, APP_URL });
});
afterAll(async () => {
  await api?.stop();
  await db?.end();
  await server?.destroy();
});

type Json = { status: number; headers: Headers; body: any };
async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Json> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${api.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('magic-link sign-in', () => {
  it('signs a new user in: link, verify, cookie, /me, sign out', async () => {
    const requested = await call('POST', '/api/v1/auth/magic-link', { body: { email: '  Ada.Lovelace@Example.COM ' }, headers: { 'x-forwarded-for': '203.0.113.1' } });
    expect(requested.status).toBe(202);
    expect(requested.body.sent).toBe(true);
    const link = new URL(requested.body.link);
    expect(`${link.origin}${link.pathname}`).toBe(`${APP_URL}/auth/verify`);
    const token = link.searchParams.get('token')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Only the hash is stored, for the normalized address, expiring in 15 minutes.
    const stored = await db.query(`SELECT email, token_hash, extract(epoch FROM expires_at - created_at) AS ttl, requested_ip FROM magic_links WHERE email = 'ada.lovelace@example.com'`);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0].token_hash).not.toContain(token);
    expect(stored.rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(stored.rows[0].ttl)).toBe(900);
    expect(stored.rows[0].requested_ip).toBe('203.0.113.1');

    const verified = await call('POST', '/api/v1/auth/verify', { body: { token } });
    expect(verified.status).toBe(200);
    expect(verified.body.user).toEqual({ id: expect.any(String), email: 'ada.lovelace@example.com', name: '' });
    const setCookie = verified.headers.getSetCookie();
    expect(setCookie).toHaveLength(1);
    const attrs = setCookie[0]!.split('; ');
    expect(attrs[0]).toMatch(/^slipway_session=[A-Za-z0-9_-]{43}$/);
    expect(attrs).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=2592000']));
    // http app URL: no Secure (the browser would never send it back); no COOKIE_DOMAIN: host-only.
    expect(attrs).not.toContain('Secure');
    expect(attrs.some((a) => a.startsWith('Domain='))).toBe(false);
    const cookie = attrs[0]!;

    const me = await call('GET', '/api/v1/me', { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: verified.body.user, workspaces: [] });

    const session = await db.query(`SELECT extract(epoch FROM expires_at - created_at) AS ttl FROM sessions WHERE user_id = $1`, [me.body.user.id]);
    expect(Number(session.rows[0].ttl)).toBe(30 * 24 * 3600);

    const out = await call('POST', '/api/v1/auth/signout', { headers: { cookie, origin: ORIGIN } });
    expect(out.status).toBe(204);
    const cleared = out.headers.getSetCookie()[0]!;
    expect(cleared).toMatch(/^slipway_session=;/);
    expect(cleared).toContain('Max-Age=0');
    expect((await call('GET', '/api/v1/me', { headers: { cookie } })).status).toBe(401);
    const revoked = await db.query(`SELECT revoked_at FROM sessions WHERE user_id = $1`, [me.body.user.id]);
    expect(revoked.rows[0].revoked_at).not.toBeNull();
  });

  it('the test helper signs in and creates a token', async () => {
    const { cookie, user } = await signIn(api.url, 'helper@example.com');
    expect(user.email).toBe('helper@example.com');
    const token = await createToken(api.url, cookie, ORIGIN);
    expect(token).toMatch(/^pat_[A-Za-z0-9_-]{43}$/);
    const me = await call('GET', '/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
    expect(me.body.user.id).toBe(user.id);
  });
});

async function linkToken(email: string): Promise<string> {
  return tokenFromLink(await requestLink(api.url, email));
}

describe('magic links', () => {
  it('work once', async () => {
    const token = await linkToken('once@example.com');
    expect((await call('POST', '/api/v1/auth/verify', { body: { token } })).status).toBe(200);
    const again = await call('POST', '/api/v1/auth/verify', { body: { token } });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invalid_link');
    expect(again.body.error.message).toContain('already been used');
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it('expire after 15 minutes', async () => {
    const token = await linkToken('late@example.com');
    await db.query(`UPDATE magic_links SET expires_at = now() - interval '1 second' WHERE email = 'late@example.com'`);
    const late = await call('POST', '/api/v1/auth/verify', { body: { token } });
    expect(late.status).toBe(400);
    expect(late.body.error.message).toContain('expired');
    const users = await db.query(`SELECT 1 FROM users WHERE email = 'late@example.com'`);
    expect(users.rowCount).toBe(0);
  });

  it('are consumed exactly once under concurrent verifies', async () => {
    const token = await linkToken('race@example.com');
    const results = await Promise.all(Array.from({ length: 8 }, () => call('POST', '/api/v1/auth/verify', { body: { token } })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
    const sessions = await db.query(`SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'race@example.com'`);
    expect(sessions.rows[0].n).toBe(1);
  });

  it('refuse unknown and malformed tokens with a clear 400', async () => {
    const unknown = await call('POST', '/api/v1/auth/verify', { body: { token: 'A'.repeat(43) } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'invalid_link', message: expect.stringContaining('not valid') });
    const missing = await call('POST', '/api/v1/auth/verify', { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.issues[0].path).toBe('token');
    const wrongType = await call('POST', '/api/v1/auth/verify', { body: { token: 42 } });
    expect(wrongType.status).toBe(400);
  });

  it('validate the address and name the field', async () => {
    for (const email of ['not-an-email', '', 'a@', `${'x'.repeat(320)}@example.com`]) {
      const res = await call('POST', '/api/v1/auth/magic-link', { body: { email } });
      expect(res.status, email).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.issues[0].path).toBe('email');
    }
    expect((await call('POST', '/api/v1/auth/magic-link', { body: {} })).status).toBe(400);
    expect((await call('POST', '/api/v1/auth/magic-link', { body: ['a@example.com'] })).status).toBe(400);
  });

  it('sign an existing user in to the same account, whatever the case of the address', async () => {
    const first = await signIn(api.url, 'same@example.com');
    const second = await signIn(api.url, ' SAME@example.com');
    expect(second.user.id).toBe(first.user.id);
    expect(second.cookie).not.toBe(first.cookie);
  });
});

describe('sessions', () => {
  it('an expired or revoked session is 401, and only its own session ends on sign-out', async () => {
    const a = await signIn(api.url, 'sessions@example.com');
    const b = await signIn(api.url, 'sessions@example.com');
    expect((await call('GET', '/api/v1/me', { headers: { cookie: a.cookie } })).status).toBe(200);
    expect((await call('POST', '/api/v1/auth/signout', { headers: { cookie: a.cookie, origin: ORIGIN } })).status).toBe(204);
    expect((await call('GET', '/api/v1/me', { headers: { cookie: a.cookie } })).status).toBe(401);
    expect((await call('GET', '/api/v1/me', { headers: { cookie: b.cookie } })).status).toBe(200);

    await db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND revoked_at IS NULL`, [b.user.id]);
    const expired = await call('GET', '/api/v1/me', { headers: { cookie: b.cookie } });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('unauthenticated');
  });

  it('garbage cookies are simply not signed in', async () => {
    for (const cookie of ['slipway_session=', 'slipway_session=abc', `slipway_session=${'A'.repeat(43)}`, 'other=1; slipway_session="x"', '=;;=', 'slipway_session']) {
      expect((await call('GET', '/api/v1/me', { headers: { cookie } })).status, cookie).toBe(401);
    }
  });

  it('updates last_seen_at at most once a minute', async () => {
    const { cookie, user } = await signIn(api.url, 'seen@example.com');
    await db.query(`UPDATE sessions SET last_seen_at = now() - interval '5 minutes' WHERE user_id = $1`, [user.id]);
    await call('GET', '/api/v1/me', { headers: { cookie } });
    const first = (await db.query(`SELECT last_seen_at FROM sessions WHERE user_id = $1`, [user.id])).rows[0].last_seen_at as Date;
    expect(Date.now() - first.getTime()).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 20));
    await call('GET', '/api/v1/me', { headers: { cookie } });
    const second = (await db.query(`SELECT last_seen_at FROM sessions WHERE user_id = $1`, [user.id])).rows[0].last_seen_at as Date;
    expect(second.getTime()).toBe(first.getTime());
  });
});

describe('the Origin check on cookie-authenticated writes', () => {
  let cookie: string;
  beforeAll(async () => {
    ({ cookie } = await signIn(api.url, 'origin@example.com'));
  });

  it('refuses a write without Origin or Referer, or from another origin', async () => {
    const none = await call('PATCH', '/api/v1/me', { body: { name: 'Mallory' }, headers: { cookie } });
    expect(none.status).toBe(403);
    expect(none.body.error.code).toBe('origin_not_allowed');
    for (const origin of ['http://evil.example', 'null', `${APP_URL}.evil.example`, 'https://app.slipway.test']) {
      const res = await call('PATCH', '/api/v1/me', { body: { name: 'Mallory' }, headers: { cookie, origin } });
      expect(res.status, origin).toBe(403);
      expect(res.body.error.code).toBe('origin_not_allowed');
    }
    const foreignReferer = await call('POST', '/api/v1/tokens', { body: { name: 'x' }, headers: { cookie, referer: 'http://evil.example/page' } });
    expect(foreignReferer.status).toBe(403);
    const del = await call('DELETE', `/api/v1/tokens/00000000-0000-0000-0000-000000000000`, { headers: { cookie } });
    expect(del.status).toBe(403);
    const me = await call('GET', '/api/v1/me', { headers: { cookie } });
    expect(me.body.user.name).toBe('');
  });

  it('accepts the allowed Origin, or a Referer from it; reads need neither', async () => {
    expect((await call('GET', '/api/v1/me', { headers: { cookie } })).status).toBe(200);
    const byOrigin = await call('PATCH', '/api/v1/me', { body: { name: '  Ada  ' }, headers: { cookie, origin: ORIGIN } });
    expect(byOrigin.status).toBe(200);
    expect(byOrigin.body.user.name).toBe('Ada');
    const byReferer = await call('PATCH', '/api/v1/me', { body: { name: 'Ada L.' }, headers: { cookie, referer: `${APP_URL}/settings?tab=profile` } });
    expect(byReferer.status).toBe(200);
    expect(byReferer.body.user.name).toBe('Ada L.');
  });

  it('needs no Origin with a token, and refuses sign-in requests sent from a foreign page', async () => {
    const token = await createToken(api.url, cookie, ORIGIN);
    const res = await call('PATCH', '/api/v1/me', { body: { name: 'Via token' }, headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const foreign = await call('POST', '/api/v1/auth/magic-link', { body: { email: 'victim@example.com' }, headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('origin_not_allowed');
    const sameOrigin = await call('POST', '/api/v1/auth/magic-link', { body: { email: 'friend@example.com' }, headers: { origin: ORIGIN } });
    expect(sameOrigin.status).toBe(202);
  });
});

describe('/me', () => {
  it('lists the workspaces with the role, and validates the name', async () => {
    const { cookie, user } = await signIn(api.url, 'member@example.com');
    const ws = await db.query(`INSERT INTO workspaces (slug, name, issue_key) VALUES ('me-eng', 'Engineering', 'ENG'), ('me-ops', 'Ops', 'OPS') RETURNING id, slug`);
    await db.query(`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $3, 'owner'), ($2, $3, 'member')`, [ws.rows[0].id, ws.rows[1].id, user.id]);
    const me = await call('GET', '/api/v1/me', { headers: { cookie } });
    expect(me.body.workspaces).toEqual([
      { id: ws.rows[0].id, slug: 'me-eng', name: 'Engineering', issueKey: 'ENG', role: 'owner' },
      { id: ws.rows[1].id, slug: 'me-ops', name: 'Ops', issueKey: 'OPS', role: 'member' },
    ]);
    for (const body of [{ name: 'x'.repeat(201) }, { name: 7 }, {}, { name: 'ok', email: 'other@example.com' }, { name: 'x\u0000y' }]) {
      const res = await call('PATCH', '/api/v1/me', { body, headers: { cookie, origin: ORIGIN } });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await call('GET', '/api/v1/me')).status).toBe(401);
    expect((await call('PATCH', '/api/v1/me', { body: { name: 'x' } })).status).toBe(401);
  });
});

describe('personal access tokens', () => {
  it('create (shown once), list, use, revoke', async () => {
    const { cookie, user } = await signIn(api.url, 'tokens@example.com');
    const created = await call('POST', '/api/v1/tokens', { body: { name: ' CI deploys ' }, headers: { cookie, origin: ORIGIN } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^pat_[A-Za-z0-9_-]{43}$/);
    expect(created.body.record).toEqual({ id: expect.any(String), name: 'CI deploys', createdAt: expect.any(String), lastUsedAt: null });
    const token = created.body.token as string;
    // PostgreSQL text cannot hold NUL: a validation error naming the field, not a 500.
    const nul = await call('POST', '/api/v1/tokens', { body: { name: 'x\u0000y' }, headers: { cookie, origin: ORIGIN } });
    expect(nul.status).toBe(400);
    expect(JSON.stringify(nul.body.error)).toContain('must not contain NUL characters');
    expect(JSON.stringify(nul.body.error)).toContain('name');

    const stored = await db.query(`SELECT token_hash FROM personal_access_tokens WHERE id = $1`, [created.body.record.id]);
    expect(stored.rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored.rows)).not.toContain(token.slice(4));

    const auth = { authorization: `Bearer ${token}` };
    const me = await call('GET', '/api/v1/me', { headers: auth });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(user.id);

    const listed = await call('GET', '/api/v1/tokens', { headers: { cookie } });
    expect(listed.body.tokens).toHaveLength(1);
    expect(listed.body.tokens[0]).toEqual({ ...created.body.record, lastUsedAt: expect.any(String) });
    expect(JSON.stringify(listed.body)).not.toContain(token.slice(4));

    // last_used_at moves at most once a minute.
    const used = async () => (await db.query(`SELECT last_used_at FROM personal_access_tokens WHERE id = $1`, [created.body.record.id])).rows[0].last_used_at as Date;
    const firstUse = await used();
    await call('GET', '/api/v1/me', { headers: auth });
    expect((await used()).getTime()).toBe(firstUse.getTime());
    await db.query(`UPDATE personal_access_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [created.body.record.id]);
    await call('GET', '/api/v1/me', { headers: auth });
    expect(Date.now() - (await used()).getTime()).toBeLessThan(10_000);

    // Another user cannot see or revoke it.
    const other = await signIn(api.url, 'other-tokens@example.com');
    expect((await call('GET', '/api/v1/tokens', { headers: { cookie: other.cookie } })).body.tokens).toEqual([]);
    const foreign = await call('DELETE', `/api/v1/tokens/${created.body.record.id}`, { headers: { cookie: other.cookie, origin: ORIGIN } });
    expect(foreign.status).toBe(404);
    expect((await call('GET', '/api/v1/me', { headers: auth })).status).toBe(200);

    // Malformed ids are 404, never 500.
    for (const id of ['nope', '1', "'; DROP TABLE users; --", '00000000-0000-0000-0000-00000000000g', 'x'.repeat(150)]) {
      const res = await call('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`, { headers: { cookie, origin: ORIGIN } });
      expect(res.status, id).toBe(404);
    }

    const revoked = await call('DELETE', `/api/v1/tokens/${created.body.record.id}`, { headers: { cookie, origin: ORIGIN } });
    expect(revoked.status).toBe(204);
    const after = await call('GET', '/api/v1/me', { headers: auth });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthenticated');
    expect((await call('GET', '/api/v1/tokens', { headers: { cookie } })).body.tokens).toEqual([]);
    expect((await call('DELETE', `/api/v1/tokens/${created.body.record.id}`, { headers: { cookie, origin: ORIGIN } })).status).toBe(404);
  });

  it('a bad bearer is 401 even where a session cookie would do, and only under /api/v1', async () => {
    const { cookie } = await signIn(api.url, 'bearer@example.com');
    for (const authorization of ['Bearer pat_nope', `Bearer pat_${'A'.repeat(43)}`, 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a b', `bearer ${'x'.repeat(5000)}`]) {
      const res = await call('GET', '/api/v1/me', { headers: { authorization, cookie } });
      expect(res.status, authorization.slice(0, 40)).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
    }
    // The health routes are outside /api/v1: a token there is not this hook's business.
    expect((await call('GET', '/api/health', { headers: { authorization: 'Bearer pat_nope' } })).status).toBe(200);
  });

  it('validates the name, needs a user, and a token may list tokens', async () => {
    const { cookie } = await signIn(api.url, 'names@example.com');
    for (const body of [{}, { name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }, { name: 5 }]) {
      const res = await call('POST', '/api/v1/tokens', { body, headers: { cookie, origin: ORIGIN } });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.issues[0].path).toBe('name');
    }
    expect((await call('POST', '/api/v1/tokens', { body: { name: 'x' } })).status).toBe(401);
    expect((await call('GET', '/api/v1/tokens')).status).toBe(401);
    expect((await call('DELETE', '/api/v1/tokens/00000000-0000-0000-0000-000000000000')).status).toBe(401);
    const token = await createToken(api.url, cookie, ORIGIN, 'cli');
    const listed = await call('GET', '/api/v1/tokens', { headers: { authorization: `Bearer ${token}` } });
    expect(listed.body.tokens.map((t: { name: string }) => t.name)).toEqual(['cli']);
  });
});


describe('the authentication hook', () => {
  it('serves routes registered later, in encapsulated plugins too', async () => {
    const config = loadApiConfig({ SLIPWAY_ENV: 'test', DATABASE_URL: databaseUrl, APP_URL });
    const log = pino({ level: 'silent' });
    const deps: ApiDependencies = { config, pool: db, log, migrations: [], lifecycle: { draining: false } };
    const app = await buildApiServer(deps, async (instance) => {
      await registerAuth(instance, deps);
      await instance.register(
        async (child) => {
          child.get('/probe', async (request) => ({ id: requireUser(request).id, via: request.user!.via }));
          child.post('/probe', async (request) => ({ id: requireUser(request).id }));
        },
        { prefix: '/api/v1/later' },
      );
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { cookie, user } = await signIn(url, 'hooked@example.com');
      const token = await createToken(url, cookie, ORIGIN);
      const get = async (headers: Record<string, string>) => {
        const res = await fetch(`${url}/api/v1/later/probe`, { headers });
        return { status: res.status, body: (await res.json()) as any };
      };
      expect(await get({ cookie })).toEqual({ status: 200, body: { id: user.id, via: 'session' } });
      expect(await get({ authorization: `Bearer ${token}` })).toEqual({ status: 200, body: { id: user.id, via: 'token' } });
      expect((await get({})).status).toBe(401);
      const post = await fetch(`${url}/api/v1/later/probe`, { method: 'POST', headers: { cookie } });
      expect(post.status).toBe(403);
      const allowed = await fetch(`${url}/api/v1/later/probe`, { method: 'POST', headers: { cookie, origin: ORIGIN } });
      expect(allowed.status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
