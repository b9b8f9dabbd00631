/**
 * Graceful shutdown: on SIGTERM readiness turns 503 at once, the API keeps serving through the
 * hold period, then finishes what is in flight and exits 0. No request in flight may fail.
 */
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, runCommand, waitForHttp } from '../../test/support/app.ts';
import { startTestApi } from '../../test/support/api.ts';
import { freePort, startPostgres, type TestPostgres } from '../../test/support/servers.ts';

let server: TestPostgres;
let databaseUrl: string;

beforeAll(async () => {
  server = await startPostgres();
  databaseUrl = await server.createDatabase('shutdown');
  await migrate(databaseUrl);
});
afterAll(async () => server?.destroy());

describe('graceful shutdown', () => {
  it('SIGTERM during a burst of requests fails none of them, and the process exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const api = runCommand(['api'], { DATABASE_URL: databaseUrl, HOST: '127.0.0.1', API_PORT: String(port), SLIPWAY_SHUTDOWN_HOLD_SECONDS: '2', LOG_LEVEL: 'info' });
    await waitForHttp(`${url}/api/health`, 20_000, api);
    const dispatcher = new Agent({ connections: 16 });
    const results: number[] = [];
    const failures: string[] = [];
    let sending = true;
    // Sixteen clients keep requests in flight on keep-alive connections, as a load balancer would.
    const clients = Array.from({ length: 16 }, async () => {
      while (sending) {
        try {
          const res = await request(`${url}/api/version`, { dispatcher });
          results.push(res.statusCode);
          await res.body.text();
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const before = results.length;
    api.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    // Readiness is 503 at once, while everything else is still served.
    const ready = await request(`${url}/api/readyz`, { dispatcher });
    expect(ready.statusCode).toBe(503);
    expect(await ready.body.json()).toMatchObject({ status: 'draining' });
    await new Promise((r) => setTimeout(r, 700));
    sending = false; // the load balancer has deregistered the target by now
    await Promise.all(clients);
    await dispatcher.close();
    expect(failures).toEqual([]);
    expect(results.length).toBeGreaterThan(before);
    expect(new Set(results)).toEqual(new Set([200]));
    expect(await api.exited).toBe(0);
    expect(api.output()).toContain('shutdown complete');
  });

  it('requests still in flight when the hold ends are finished before the pool closes', async () => {
    let started = 0;
    const api = await startTestApi(
      { DATABASE_URL: databaseUrl, SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0' },
      {
        extraRoutes: (app) => {
          app.get('/api/test/slow', async () => {
            started++;
            await new Promise((r) => setTimeout(r, 800));
            return { done: true };
          });
        },
      },
    );
    const slow = Array.from({ length: 10 }, () => fetch(`${api.url}/api/test/slow`).then((r) => r.status));
    while (started < 10) await new Promise((r) => setTimeout(r, 10));
    const stopped = api.shutdown('SIGTERM');
    expect(await Promise.all(slow)).toEqual(Array(10).fill(200));
    await stopped;
    await expect(fetch(`${api.url}/api/health`)).rejects.toThrow();
  });
});
