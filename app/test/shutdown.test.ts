/**
 * Graceful shutdown, the same for the API and the web server: on SIGTERM readiness turns 503 at
 * once, the server keeps serving through the hold period, then stops accepting, finishes what
 * is in flight within the drain period (and cuts what is still open after it), and exits 0.
 */
import { createServer, type ServerResponse } from 'node:http';
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

describe('web server shutdown', () => {
  it('readiness off, hold, bounded drain, close, exit 0', async () => {
    // The API behind the web server: /api/quick answers after 2.5 s, /api/stuck never does.
    const stuck: ServerResponse[] = [];
    const api = createServer((req, res) => {
      if (req.url === '/api/stuck') return void stuck.push(res);
      setTimeout(() => res.end(JSON.stringify({ url: req.url })), req.url === '/api/quick' ? 2500 : 0);
    });
    const apiPort = await freePort();
    await new Promise<void>((resolve) => api.listen(apiPort, '127.0.0.1', resolve));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const web = runCommand(['web'], {
      HOST: '127.0.0.1',
      WEB_PORT: String(port),
      WEB_API_UPSTREAM_URL: `http://127.0.0.1:${apiPort}`,
      SLIPWAY_SHUTDOWN_HOLD_SECONDS: '2',
      SLIPWAY_SHUTDOWN_DRAIN_SECONDS: '3',
      LOG_LEVEL: 'info',
    });
    try {
      await waitForHttp(`${url}/health`, 20_000, web);
      const stuckRequest = fetch(`${url}/api/stuck`).then(
        (res) => `HTTP ${res.status}`,
        () => 'cut',
      );
      while (stuck.length === 0) await new Promise((r) => setTimeout(r, 20));
      web.child.kill('SIGTERM');

      // Readiness off at once.
      let health = await fetch(`${url}/health`);
      for (let i = 0; i < 20 && health.status === 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        health = await fetch(`${url}/health`);
      }
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'draining' });

      // Hold: still serving new requests, and one that outlasts the hold is finished in the drain.
      const held = await fetch(`${url}/api/version`);
      expect(held.status).toBe(200);
      expect(await held.json()).toEqual({ url: '/api/version' });
      const spanning = fetch(`${url}/api/quick`).then((res) => res.status);

      // Exit 0 with the stuck request cut at the end of the drain, not waited for.
      expect(await web.exited).toBe(0);
      expect(await spanning).toBe(200);
      expect(await stuckRequest).toBe('cut');
      expect(stuck[0]!.writableEnded).toBe(false);
      expect(web.output()).toContain('requests still open after the drain period; closing anyway');
      expect(web.output()).toContain('shutdown complete');
      // Closed: nothing listens any more.
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      await web.stop('SIGKILL');
      for (const res of stuck) res.destroy();
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
