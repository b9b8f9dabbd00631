/**
 * The API's runtime behaviour on real PostgreSQL and Redis: readiness follows the database,
 * metrics are gated and labelled by route template, and bad input never becomes a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../test/support/app.ts';
import { startTestApi } from '../../test/support/api.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../../test/support/servers.ts';

let server: TestPostgres;
let redis: TestRedis;
let databaseUrl: string;

beforeAll(async () => {
  [server, redis] = await Promise.all([startPostgres(), startRedis({ password: 'redis-test-password' })]);
  databaseUrl = await server.createDatabase('runtime');
  await migrate(databaseUrl);
});
afterAll(async () => {
  await Promise.all([server?.destroy(), redis?.stop()]);
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });

describe('readiness', () => {
  it('is 200 with every check ok, including Redis with AUTH', async () => {
    const api = await startTestApi({ DATABASE_URL: databaseUrl, REDIS_URL: redis.url });
    try {
      const { status, body } = await json(await fetch(`${api.url}/api/readyz`));
      expect(status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.checks.db.ok).toBe(true);
      expect(body.checks.migrations).toEqual({ ok: true });
      expect(body.checks.redis.ok).toBe(true);
      // The same answer without the prefix, and under /healthz.
      expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${api.url}/api/healthz`)).status).toBe(200);
    } finally {
      await api.stop();
    }
  });

  it('omits the redis check without REDIS_URL', async () => {
    const api = await startTestApi({ DATABASE_URL: databaseUrl });
    try {
      const { body } = await json(await fetch(`${api.url}/api/readyz`));
      expect(Object.keys(body.checks).sort()).toEqual(['db', 'migrations']);
    } finally {
      await api.stop();
    }
  });

  it('is 503 naming pending migrations on an unmigrated database', async () => {
    const empty = await server.createDatabase('unmigrated');
    const api = await startTestApi({ DATABASE_URL: empty });
    try {
      const { status, body } = await json(await fetch(`${api.url}/api/readyz`));
      expect(status).toBe(503);
      expect(body.checks.db.ok).toBe(true);
      expect(body.checks.migrations.ok).toBe(false);
      expect(body.checks.migrations.reason).toMatch(/^\d+ pending: 0001_initial_schema\.sql.*; run "migrate up"$/);
    } finally {
      await api.stop();
    }
  });

  it('is 503 naming redis when Redis is down', async () => {
    const lonely = await startRedis();
    const api = await startTestApi({ DATABASE_URL: databaseUrl, REDIS_URL: lonely.url });
    try {
      await lonely.stop();
      const { status, body } = await json(await fetch(`${api.url}/api/readyz`));
      expect(status).toBe(503);
      expect(body.checks.redis.ok).toBe(false);
      expect(body.checks.redis.reason).toMatch(/^redis unreachable: /);
      expect(body.checks.db.ok).toBe(true);
    } finally {
      await api.stop();
    }
  });

  it('turns 503 within 3 s when PostgreSQL stops, and 200 again when it returns, without a restart', async () => {
    const own = await startPostgres();
    const url = await own.createDatabase('outage');
    await migrate(url);
    const api = await startTestApi({ DATABASE_URL: url });
    try {
      expect((await fetch(`${api.url}/api/readyz`)).status).toBe(200);
      await own.stop();
      const started = Date.now();
      const { status, body } = await json(await fetch(`${api.url}/api/readyz`));
      expect(Date.now() - started).toBeLessThan(3000);
      expect(status).toBe(503);
      expect(body.checks.db).toMatchObject({ ok: false, reason: expect.stringMatching(/^database unreachable: /) });
      // Liveness does not depend on the database.
      expect((await fetch(`${api.url}/api/health`)).status).toBe(200);
      // A request that needs the database is a retryable 503, not a 500.
      const needsDb = await fetch(`${api.url}/api/v1/me`, { headers: { authorization: `Bearer pat_${'x'.repeat(43)}` } });
      expect(needsDb.status).toBe(503);
      expect(needsDb.headers.get('retry-after')).toBe('5');
      expect(((await needsDb.json()) as any).error.code).toBe('database_unavailable');
      await own.start();
      let back = 0;
      for (let i = 0; i < 50 && back !== 200; i++) {
        back = (await fetch(`${api.url}/api/readyz`)).status;
        if (back !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(back).toBe(200);
    } finally {
      await api.stop();
      await own.destroy();
    }
  });

  it('reports release, commit and migrations on /api/version', async () => {
    const api = await startTestApi({ DATABASE_URL: databaseUrl, SLIPWAY_RELEASE: 'r-2026.11.23', SLIPWAY_COMMIT: 'abc1234' });
    try {
      const { body } = await json(await fetch(`${api.url}/api/version`));
      expect(body).toEqual({ release: 'r-2026.11.23', commit: 'abc1234', migration: { latest: expect.stringMatching(/^\d{4}_/), applied: body.migration.latest } });
    } finally {
      await api.stop();
    }
  });
});

describe('metrics', () => {
  const token = 'Zt4Kp8Wq1Ls6Nv3Hx9Rb2Fm7Jc0Yg5Ud';

  it('with a token configured: 401 without or with a wrong one, 200 with Bearer or X-Metrics-Token', async () => {
    const api = await startTestApi({ DATABASE_URL: databaseUrl, METRICS_TOKEN: token });
    try {
      const none = await json(await fetch(`${api.url}/api/metrics`));
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('unauthenticated');
      expect((await fetch(`${api.url}/api/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${api.url}/api/metrics/red`, { headers: { 'x-metrics-token': 'wrong' } })).status).toBe(401);
      const bearer = await fetch(`${api.url}/api/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(bearer.status).toBe(200);
      expect(bearer.headers.get('content-type')).toMatch(/^text\/plain/);
      expect((await fetch(`${api.url}/api/metrics`, { headers: { 'x-metrics-token': token } })).status).toBe(200);
    } finally {
      await api.stop();
    }
  });

  it('without a token: 404 in production, open in development', async () => {
    const strong = {
      SESSION_SECRET: 'q8Jr2vN0c1LxWz7PfHk3TsYb9MdGe5AuRj6Ci4Vo',
      CREDENTIALS_ENCRYPTION_KEY: '5f0c2a9e8b7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c',
    };
    const { loadApiConfig } = await import('../src/config/api.ts');
    // Production requires the token at start; the handler still hides metrics if it is absent.
    expect(() => loadApiConfig({ DATABASE_URL: databaseUrl, SLIPWAY_ENV: 'production', ...strong })).toThrow(/METRICS_TOKEN: required in production/);
    const { buildApiServer } = await import('../src/api/server.ts');
    const pino = (await import('pino')).default;
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    pool.on('error', () => undefined);
    const base = loadApiConfig({ DATABASE_URL: databaseUrl, ...strong });
    const app = await buildApiServer({ config: { ...base, environment: 'production' }, pool, log: pino({ level: 'silent' }), migrations: [], lifecycle: { draining: false } });
    try {
      expect((await app.inject({ url: '/api/metrics' })).statusCode).toBe(404);
      expect((await app.inject({ url: '/api/metrics/red' })).statusCode).toBe(404);
    } finally {
      await app.close();
      await pool.end();
    }
    const dev = await startTestApi({ DATABASE_URL: databaseUrl });
    try {
      expect((await fetch(`${dev.url}/api/metrics`)).status).toBe(200);
    } finally {
      await dev.stop();
    }
  });

  it('labels requests by route template, never the raw path, and leaves out health and metrics', async () => {
    const api = await startTestApi({ DATABASE_URL: databaseUrl, REDIS_URL: redis.url });
    try {
      await fetch(`${api.url}/api/version`);
      await fetch(`${api.url}/api/version`);
      await fetch(`${api.url}/api/no/such/thing-12345`);
      await fetch(`${api.url}/api/readyz`);
      await fetch(`${api.url}/api/health`);
      const text = await (await fetch(`${api.url}/api/metrics`)).text();
      expect(text).toContain('slipway_http_requests_total{method="GET",route="/api/version",status="200"} 2');
      expect(text).toContain('slipway_http_requests_total{method="GET",route="unmatched",status="404"} 1');
      expect(text).not.toContain('thing-12345');
      expect(text).not.toMatch(/route="\/api\/(readyz|health|metrics)"/);
      expect(text).toMatch(/slipway_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/version",status="200"\}/);
      expect(text).toMatch(/^slipway_http_requests_in_flight \d+$/m);
      expect(text).toMatch(/^slipway_db_pool_connections\{state="total"\} \d+$/m);
      expect(text).toMatch(/^slipway_redis_connected 1$/m);
      expect(text).toMatch(/^slipway_process_cpu_seconds_total /m);
      const red = await json(await fetch(`${api.url}/api/metrics/red`));
      const version = red.body.routes.find((r: any) => r.route === '/api/version');
      expect(version).toMatchObject({ method: 'GET', count: 2, errors5xx: 0 });
      expect(version.p50Ms).toBeGreaterThan(0);
      expect(version.p99Ms).toBeGreaterThanOrEqual(version.p50Ms);
    } finally {
      await api.stop();
    }
  });
});

describe('bad input', () => {
  let api: Awaited<ReturnType<typeof startTestApi>>;
  beforeAll(async () => {
    api = await startTestApi({ DATABASE_URL: databaseUrl, BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(async () => api?.stop());

  it('an unknown route is a 404 JSON error naming it', async () => {
    const { status, body } = await json(await fetch(`${api.url}/api/v9/nothing?x=1`));
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'not_found', message: 'No route for GET /api/v9/nothing' } });
  });

  it('malformed JSON is a 400 invalid_json', async () => {
    const { status, body } = await json(await fetch(`${api.url}/api/v1/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' }));
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_json');
  });

  it('an oversized body is a 413 payload_too_large', async () => {
    const { status, body } = await json(
      await fetch(`${api.url}/api/v1/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(5000) }) }),
    );
    expect(status).toBe(413);
    expect(body.error.code).toBe('payload_too_large');
  });

  it('a body that is not JSON is refused with the content type to use', async () => {
    const { status, body } = await json(await fetch(`${api.url}/api/v1/workspaces`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<x/>' }));
    expect(status).toBe(415);
    expect(body.error.message).toBe('Send JSON with Content-Type: application/json');
  });

  it('a JSON body sent as text/plain (fetch without a Content-Type) gets the 415 naming the type to use', async () => {
    const { status, body } = await json(await fetch(`${api.url}/api/v1/workspaces`, { method: 'POST', body: JSON.stringify({ name: 'Eng', slug: 'eng' }) }));
    expect(status).toBe(415);
    expect(body.error).toEqual({ code: 'unsupported_media_type', message: 'Send JSON with Content-Type: application/json' });
  });

  it('bytes that are not UTF-8 are refused, not stored as replacement characters', async () => {
    const bytes = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const { status, body } = await json(await fetch(`${api.url}/api/v1/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes }));
    expect(status).toBe(400);
    expect(body.error).toEqual({ code: 'invalid_json', message: 'The body is not valid UTF-8; send the JSON encoded as UTF-8' });
  });

  it('says where JSON breaks, and that a __proto__ key is refused on purpose', async () => {
    const post = (text: string) => fetch(`${api.url}/api/v1/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: text }).then(json);
    const broken = await post('{"name": "Eng",}');
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toMatch(/^The body is not valid JSON: .*position 15/);
    const poisoned = await post('{"name": "Eng", "__proto__": {"admin": true}}');
    expect(poisoned.status).toBe(400);
    expect(poisoned.body.error.message).toBe('The body has a "__proto__" or "constructor": {"prototype": …} key, which is refused; rename that field');
  });

  it('a broken percent-encoding is a 400, not a 500', async () => {
    const res = await fetch(`${api.url}/api/v1/workspaces/%E0%A4%A`);
    expect(res.status).toBeLessThan(500);
    expect((await res.json()).error.code).toBeTypeOf('string');
  });

  it('echoes a well-formed X-Request-Id and makes one up otherwise', async () => {
    const given = await fetch(`${api.url}/api/health`, { headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const made = await fetch(`${api.url}/api/health`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('requests the HTTP parser rejects', () => {
  it('answer 400 in the JSON error shape', async () => {
    const api = await startTestApi({ DATABASE_URL: databaseUrl });
    try {
      const { connect } = await import('node:net');
      const port = Number(new URL(api.url).port);
      const raw = await new Promise<string>((resolve, reject) => {
        let data = '';
        const socket = connect(port, '127.0.0.1', () => socket.write('GET /api/has space HTTP/1.1\r\nHost: x\r\n\r\n'));
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
      expect(body.error.code).toBe('bad_request');
      expect(body.error.message).toMatch(/^The HTTP request could not be parsed: /);
    } finally {
      await api.stop();
    }
  });
});
