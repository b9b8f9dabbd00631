/**
 * A stand-in for the deployed app on loopback, healthy by default, with switches that break it
 * the ways the smoke gate must catch. HTTPS and a plain-HTTP redirect listener are optional.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeAppBehaviour {
  readyStatus: 200 | 503;
  /** Readiness answers 503 this many times first, then healthy (a starting service). */
  readyFailuresFirst: number;
  /** Readiness stops answering at all after this many answers (a dependency that hangs). */
  readyAnswers: number;
  release: string;
  metricsToken: string;
  /** Metrics answer 200 to anyone. */
  metricsOpen: boolean;
  token: string;
  workspaces: string[];
  /** The event stream sends nothing. */
  silentEvents: boolean;
  /** The web page's content type. */
  webContentType: string;
  /** The HTTP listener answers 200 instead of redirecting. */
  noRedirect: boolean;
  /** GET / answers 502 this many times first (targets still registering). */
  badGatewayFirst: number;
  /** The event stream starts with a heartbeat comment instead of an event. */
  heartbeatFirst: boolean;
  /** The event stream answers 200 text/event-stream and ends at once (a broken handler). */
  eventsEndAtOnce: boolean;
}

export const HEALTHY: FakeAppBehaviour = {
  readyStatus: 200,
  readyFailuresFirst: 0,
  readyAnswers: Number.POSITIVE_INFINITY,
  release: 'r-new',
  metricsToken: 'metrics-secret-0123456789abcdef0123456789',
  metricsOpen: false,
  token: 'pat_smoke_0123456789',
  workspaces: ['eng'],
  silentEvents: false,
  webContentType: 'text/html; charset=utf-8',
  noRedirect: false,
  badGatewayFirst: 0,
  heartbeatFirst: false,
  eventsEndAtOnce: false,
};

export interface FakeApp {
  readonly baseUrl: URL;
  readonly httpPort?: number;
  readonly behaviour: FakeAppBehaviour;
  readonly requests: string[];
  close(): Promise<void>;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function handler(b: FakeAppBehaviour, requests: string[]) {
  let readyCalls = 0;
  let webCalls = 0;
  const sockets = new Set<http.ServerResponse>();
  const fn = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    const auth = req.headers.authorization ?? '';
    if (url.pathname === '/' && ++webCalls <= b.badGatewayFirst) {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>502 Bad Gateway</html>');
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': b.webContentType });
      res.end('<!doctype html><title>Slipway</title>');
    } else if (url.pathname === '/api/health') {
      json(res, 200, { status: 'ok' });
    } else if (url.pathname === '/api/readyz') {
      readyCalls += 1;
      if (readyCalls > b.readyAnswers) return;
      const failing = b.readyStatus === 503 || readyCalls <= b.readyFailuresFirst;
      json(res, failing ? 503 : 200, {
        status: failing ? 'unavailable' : 'ok',
        checks: {
          db: failing ? { ok: false, reason: 'connection refused' } : { ok: true, latencyMs: 1 },
          migrations: { ok: true },
          redis: { ok: true },
        },
      });
    } else if (url.pathname === '/api/version') {
      json(res, 200, { release: b.release, commit: 'abc123', migration: { latest: '0003_x', applied: '0003_x' } });
    } else if (url.pathname === '/api/metrics') {
      const ok = b.metricsOpen || auth === `Bearer ${b.metricsToken}`;
      if (!ok) return json(res, 401, { error: { code: 'unauthenticated', message: 'metrics token required' } });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total{method="GET",route="/api/v1/workspaces",status="200"} 3\n');
    } else if (url.pathname === '/api/v1/workspaces') {
      if (auth !== `Bearer ${b.token}`) return json(res, 401, { error: { code: 'unauthenticated', message: 'no' } });
      json(res, 200, { workspaces: b.workspaces.map((slug) => ({ id: slug, slug, name: slug, issueKey: 'ENG', role: 'owner' })) });
    } else if (/^\/api\/v1\/workspaces\/[^/]+\/events$/.test(url.pathname)) {
      if (auth !== `Bearer ${b.token}`) return json(res, 401, { error: { code: 'unauthenticated', message: 'no' } });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      sockets.add(res);
      res.on('close', () => sockets.delete(res));
      if (b.eventsEndAtOnce) res.end();
      else if (b.heartbeatFirst) res.write(': heartbeat\n\n');
      else if (!b.silentEvents) res.write('event: ready\ndata: {}\n\n');
    } else {
      json(res, 404, { error: { code: 'not_found', message: 'no route' } });
    }
  };
  return { fn, sockets };
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function startFakeApp(
  overrides: Partial<FakeAppBehaviour> = {},
  tls?: { key: string; cert: string },
): Promise<FakeApp> {
  const behaviour: FakeAppBehaviour = { ...HEALTHY, ...overrides };
  const requests: string[] = [];
  const { fn } = handler(behaviour, requests);
  const main = tls ? https.createServer({ key: tls.key, cert: tls.cert }, fn) : http.createServer(fn);
  const port = await listen(main);
  let plain: http.Server | undefined;
  let httpPort: number | undefined;
  if (tls) {
    plain = http.createServer((req, res) => {
      requests.push(`HTTP ${req.method} ${req.url}`);
      if (behaviour.noRedirect) return fn(req, res);
      res.writeHead(301, { location: `https://127.0.0.1:${port}${req.url}` });
      res.end();
    });
    httpPort = await listen(plain);
  }
  return {
    baseUrl: new URL(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`),
    httpPort,
    behaviour,
    requests,
    close: async () => {
      await closeServer(main);
      if (plain) await closeServer(plain);
    },
  };
}
