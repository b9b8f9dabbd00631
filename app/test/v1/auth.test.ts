/**
 * Sign-in and accounts against the real API and PostgreSQL: the magic-link flow, sessions and
 * their cookie, the Origin check, personal access tokens, and revocation.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../test/support/app.ts';
import { startTestApi } from '../../../test/support/api.ts';
import { startPostgres, type TestPostgres } from '../../../test/support/servers.ts';
import { createToken, requestLink, signIn, tokenFromLink } from '../support/auth.ts';

const APP_URL = 'http://app.slipway.test';
const ORIGIN = APP_URL;

let server: TestPostgres;
let databaseUrl: string;
let db: pg.Pool;
let api: Awaited<ReturnType<typeof startTestApi>>;

beforeAll(async () => {
  server = await startPostgres();
  databaseUrl = await server.createDatabase('auth');
  await migrate(databaseUrl);
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  api = await startTestApi({ DATABASE_URL: databaseUrl, APP_URL });
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
