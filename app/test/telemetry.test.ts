/**
 * Per-request telemetry on a real server: one access log line per counted request, carrying
 * the request id the client sees, the route template and the status; none for health checks;
 * requests refused before their handler (401) or matching no route are logged and counted
 * too, and the in-flight gauge comes back to zero after them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../test/support/app.ts';
import { startPostgres, type TestPostgres } from '../../test/support/servers.ts';
import { startApiWithLogs, type LoggedApi } from './support/auth.ts';

let server: TestPostgres;
let api: LoggedApi;

beforeAll(async () => {
  server = await startPostgres();
  const databaseUrl = await server.createDatabase('telemetry');
  await migrate(databaseUrl);
  api = await startApiWithLogs({ DATABASE_URL: databaseUrl });
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await server?.destroy();
});

const accessLines = () => api.logs().filter((line) => line.msg === 'request');

describe('the access log', () => {
  it('writes one line per request with its id, route template, status and duration', async () => {
    const res = await fetch(`${api.url}/api/v1/workspaces/some-team/issues/7?token=secret-value`, { headers: { 'x-request-id': 'trace-abc.1' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBe('trace-abc.1');
    const lines = accessLines().filter((line) => line.reqId === 'trace-abc.1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'api',
      method: 'GET',
      route: '/api/v1/workspaces/:slug/issues/:ref',
      status: 401,
      url: '/api/v1/workspaces/some-team/issues/7?token=%5Bredacted%5D',
    });
    expect(typeof lines[0]!.durationMs).toBe('number');
    expect(lines[0]!.ip).toBe('127.0.0.1');
  });

  it('gives every request its own generated id when the client sends none', async () => {
    const [a, b] = await Promise.all([fetch(`${api.url}/api/version`), fetch(`${api.url}/api/version`)]);
    const ids = [a.headers.get('x-request-id'), b.headers.get('x-request-id')];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ids[0]).not.toBe(ids[1]);
    for (const id of ids) expect(accessLines().filter((line) => line.reqId === id && line.route === '/api/version')).toHaveLength(1);
  });

  it('logs an unmatched path as "unmatched", and nothing for health checks', async () => {
    const missing = await fetch(`${api.url}/api/no/such/path`);
    expect(missing.status).toBe(404);
    const health = await fetch(`${api.url}/api/health`);
    const ready = await fetch(`${api.url}/api/readyz`);
    expect([health.status, ready.status]).toEqual([200, 200]);
    const unmatched = accessLines().filter((line) => line.reqId === missing.headers.get('x-request-id'));
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]).toMatchObject({ route: 'unmatched', status: 404 });
    for (const id of [health.headers.get('x-request-id'), ready.headers.get('x-request-id')]) {
      expect(id).toBeTruthy();
      expect(api.logs().filter((line) => line.reqId === id)).toEqual([]);
    }
  });
});

describe('request metrics', () => {
  it('count refused and unmatched requests by template and bring the in-flight gauge back to zero', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${api.url}/api/v1/me`)).status).toBe(401);
    expect((await fetch(`${api.url}/api/v1/me`, { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    const text = await (await fetch(`${api.url}/api/metrics`)).text();
    expect(text).toContain('slipway_http_requests_total{method="GET",route="/api/v1/me",status="401"} 4');
    expect(text).toMatch(/^slipway_http_requests_in_flight 0$/m);
  });
});
