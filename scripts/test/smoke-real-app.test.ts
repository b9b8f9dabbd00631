/**
 * The smoke gate against the real app: migrate, api and web from source on real PostgreSQL and
 * Redis on loopback, signed in the way an operator does outside production (magic link shown
 * in the answer, session cookie, personal access token).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../test/support/app.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../../test/support/servers.ts';
import { runSmoke, type SmokeOptions } from '../lib/smoke.ts';
import { realClock } from '../lib/wait.ts';
import { postJson as post, signInWithToken } from './support/sign-in.ts';

const RELEASE = 'smoke-release-1';
const METRICS_TOKEN = randomBytes(32).toString('hex');

let pg: TestPostgres;
let redis: TestRedis;
let app: RunningApp;
let token: string;

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  app = await startApp({
    databaseUrl: await pg.createDatabase('smoke'),
    redisUrl: redis.url,
    env: { SLIPWAY_RELEASE: RELEASE, SLIPWAY_COMMIT: 'abc1234', METRICS_TOKEN },
  });
  ({ token } = await signInWithToken(app.webUrl));
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await Promise.all([redis?.stop(), pg?.destroy()]);
});

const gate = (o: Partial<SmokeOptions> = {}) =>
  runSmoke({ baseUrl: new URL(app.webUrl), metricsToken: METRICS_TOKEN, token, expectRelease: RELEASE, timeoutMs: 15_000, ...o }, { clock: realClock });

describe('smoke gate against the real app', () => {
  it('passes through the web server, skipping the event stream while the token sees no workspace', async () => {
    const report = await gate();
    expect(report.failed).toEqual([]);
    expect(report.version?.release).toBe(RELEASE);
    expect(report.checks.find((c) => c.name.startsWith('ready'))?.detail).toBe('200, db, migrations, redis ok');
    expect(report.checks.find((c) => c.name.startsWith('api: event stream'))).toMatchObject({ status: 'skip' });
  });

  it('opens the event stream of the first workspace once there is one', async () => {
    const created = await post(`${app.webUrl}/api/v1/workspaces`, { name: 'Engineering', slug: 'eng', issueKey: 'ENG' }, { authorization: `Bearer ${token}` });
    expect(created.status).toBe(201);
    const report = await gate();
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.name.startsWith('api: event stream'))).toMatchObject({ status: 'pass', detail: 'workspace eng: first event "ready"' });
  });

  it('catches a wrong release and a wrong metrics token on the real app', async () => {
    const report = await gate({ expectRelease: 'some-other-release', metricsToken: 'wrong-token' });
    expect(report.ok).toBe(false);
    expect(report.failed).toEqual([
      `version: /api/version (release is "${RELEASE}", expected "some-other-release")`,
      'metrics: 200 Prometheus text with the token (/api/metrics with the token answered 401, expected 200)',
    ]);
  });
});
