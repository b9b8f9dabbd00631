/**
 * Sign-in end to end on the app as it runs in production: `migrate`, `api` and `web` as
 * separate processes on PostgreSQL and Redis, the browser's requests going through the web
 * server's /api proxy.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../../test/support/app.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../../../test/support/servers.ts';
import { createToken, signIn } from '../support/auth.ts';

let postgres: TestPostgres;
let redis: TestRedis;
let app: RunningApp;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  app = await startApp({ databaseUrl: await postgres.createDatabase('authapp'), redisUrl: redis.url });
});
afterAll(async () => {
  await app?.stop();
  await Promise.all([postgres?.destroy(), redis?.stop()]);
});

it('signs in through the web proxy, writes with the session and the page origin, then with a token', async () => {
  const origin = app.webUrl;
  const { cookie, user } = await signIn(app.webUrl, 'proxy@example.com', { origin });
  expect(user.email).toBe('proxy@example.com');

  const me = await fetch(`${app.webUrl}/api/v1/me`, { headers: { cookie } });
  expect(me.status).toBe(200);
  const renamed = await fetch(`${app.webUrl}/api/v1/me`, { method: 'PATCH', headers: { cookie, origin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Proxy' }) });
  expect(renamed.status).toBe(200);
  const forged = await fetch(`${app.webUrl}/api/v1/me`, { method: 'PATCH', headers: { cookie, origin: 'http://evil.example', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Forged' }) });
  expect(forged.status).toBe(403);

  // The CLI talks to the API directly with a token and no Origin.
  const token = await createToken(app.webUrl, cookie, origin, 'cli');
  const viaToken = await fetch(`${app.apiUrl}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(((await viaToken.json()) as { user: { name: string } }).user.name).toBe('Proxy');

  const out = await fetch(`${app.webUrl}/api/v1/auth/signout`, { method: 'POST', headers: { cookie, origin } });
  expect(out.status).toBe(204);
  expect((await fetch(`${app.webUrl}/api/v1/me`, { headers: { cookie } })).status).toBe(401);
  // Signing out ends the browser session, not the tokens.
  expect((await fetch(`${app.apiUrl}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  // Nothing secret reached the logs.
  expect(app.api.output()).not.toContain(token);
  expect(app.api.output()).not.toContain(cookie.split('=')[1]!);
});
