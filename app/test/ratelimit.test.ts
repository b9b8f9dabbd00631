/**
 * The rate limiter on its own (in memory with a fake clock, and on a real Redis, including
 * concurrent hits and a Redis outage) and as the sign-in endpoint applies it: per email, per
 * client address, shared across API replicas through Redis.
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../test/support/app.ts';
import { startTestApi } from '../../test/support/api.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../../test/support/servers.ts';
import { MemoryRateLimiter, RedisRateLimiter, createRateLimiter } from '../src/ratelimit/index.ts';
import { createRedis, REDIS_COMMAND_TIMEOUT_MS } from '../src/redis/client.ts';

const rule = { limit: 3, windowSeconds: 60 };

describe('in memory', () => {
  it('allows `limit` hits per window, then says how long to wait', async () => {
    let now = 1_000_000;
    const limiter = new MemoryRateLimiter(() => now);
    const hits = [];
    for (let i = 0; i < 4; i++) hits.push(await limiter.hit('k', rule));
    expect(hits.map((h) => h.allowed)).toEqual([true, true, true, false]);
    expect(hits.map((h) => h.remaining)).toEqual([2, 1, 0, 0]);
    expect(hits[3]!.retryAfterSeconds).toBe(60);
    now += 30_500;
    expect((await limiter.hit('k', rule)).retryAfterSeconds).toBe(30);
    // Another key has its own window.
    expect((await limiter.hit('other', rule)).allowed).toBe(true);
    now += 30_000;
    const fresh = await limiter.hit('k', rule);
    expect(fresh).toMatchObject({ allowed: true, count: 1, remaining: 2 });
  });

  it('stays bounded: expired windows are swept and the key count is capped', async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(() => now, 100);
    for (let i = 0; i < 500; i++) await limiter.hit(`key-${i}`, rule);
    expect((limiter as unknown as { windows: Map<string, unknown> }).windows.size).toBeLessThanOrEqual(100);
    now += 120_000;
    await limiter.hit('late', rule);
    expect((limiter as unknown as { windows: Map<string, unknown> }).windows.size).toBe(1);
  });

  it('is what createRateLimiter gives without Redis', () => {
    expect(createRateLimiter().backend).toBe('memory');
  });
});

describe('on Redis', () => {
  let redis: TestRedis;
  let clients: Redis[] = [];
  const client = () => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    clients = [];
    await redis?.stop();
  });

  const ready = (c: Redis) => (c.status === 'ready' ? Promise.resolve() : new Promise((resolve) => c.once('ready', resolve)));

  it('counts atomically across clients and sets the window expiry', async () => {
    const [a, b] = [client(), client()];
    await Promise.all([ready(a), ready(b)]);
    const one = new RedisRateLimiter(a, { prefix: 'test:rl:' });
    const two = new RedisRateLimiter(b, { prefix: 'test:rl:' });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).hit('shared', { limit: 10, windowSeconds: 60 })));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const ttl = await a.pttl('test:rl:shared');
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(results.find((r) => !r.allowed)!.retryAfterSeconds).toBe(60);
    expect(one.backend).toBe('redis');
  });

  it('a window ends when its key expires', async () => {
    const c = client();
    await ready(c);
    const limiter = new RedisRateLimiter(c, { prefix: 'test:rl:' });
    const short = { limit: 1, windowSeconds: 1 };
    expect((await limiter.hit('short', short)).allowed).toBe(true);
    expect((await limiter.hit('short', short)).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await limiter.hit('short', short)).allowed).toBe(true);
  });

  it('falls back to counting in memory while Redis is down, and says so once', async () => {
    const c = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    c.on('error', () => undefined);
    clients.push(c);
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const limiter = new RedisRateLimiter(c, { log });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.hit('down', rule));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(limiter.backend).toBe('memory');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('rate limiter cannot reach redis');
  });

  it('falls back to memory within the command timeout when Redis hangs with its connection open', async () => {
    const hung = await startRedis();
    const c = createRedis({ options: { host: '127.0.0.1', port: hung.port }, target: `127.0.0.1:${hung.port}` }, pino({ level: 'silent' }));
    try {
      await ready(c);
      const limiter = new RedisRateLimiter(c, { prefix: 'test:rl:' });
      expect((await limiter.hit('hung', rule)).allowed).toBe(true);
      expect(limiter.backend).toBe('redis');
      hung.pause();
      const started = performance.now();
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await limiter.hit('hung', rule));
      // Each hit waited at most the command timeout, then counted in this process.
      expect(performance.now() - started).toBeLessThan(3 * REDIS_COMMAND_TIMEOUT_MS + 1500);
      expect(limiter.backend).toBe('memory');
      expect(results.map((r) => r.allowed)).toEqual([true, true, true]);
      hung.resume();
      // Redis again. The three timed-out hits were sent before the hang was noticed, so Redis
      // ran them once it woke: they count there too (over-counting, the safe side for a limit).
      expect((await limiter.hit('hung', rule)).count).toBe(5);
      expect(limiter.backend).toBe('redis');
    } finally {
      c.disconnect();
      await hung.stop();
    }
  });
});

describe('sign-in requests', () => {
  let server: TestPostgres;
  let redis: TestRedis;
  let databaseUrl: string;
  const running: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    [server, redis] = await Promise.all([startPostgres(), startRedis()]);
    databaseUrl = await server.createDatabase('ratelimit');
    await migrate(databaseUrl);
  });
  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await Promise.all([server?.destroy(), redis?.stop()]);
  });

  async function start(env: Record<string, string> = {}) {
    const api = await startTestApi({ DATABASE_URL: databaseUrl, ...env });
    running.push(api);
    return api;
  }
  const ask = (url: string, email: string, ip: string) =>
    fetch(`${url}/api/v1/auth/magic-link`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ email }) });

  it('in process: 5 per email per 15 minutes, whichever address asks; 429 with Retry-After', async () => {
    const api = await start();
    for (let i = 0; i < 5; i++) expect((await ask(api.url, 'Flood@Example.com', `198.51.100.${i + 1}`)).status).toBe(202);
    const limited = await ask(api.url, 'flood@example.com ', '198.51.100.99');
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    const body = (await limited.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toContain('this email');
    // Other addresses are unaffected.
    expect((await ask(api.url, 'calm@example.com', '198.51.100.99')).status).toBe(202);
  });

  it('in process: 30 per client address (request.ip, through trusted proxies)', async () => {
    const api = await start();
    const ip = '203.0.113.50';
    for (let i = 0; i < 30; i++) expect((await ask(api.url, `ip-${i}@example.com`, ip)).status, `request ${i}`).toBe(202);
    const limited = await ask(api.url, 'ip-last@example.com', ip);
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { message: string } }).error.message).toContain('this address');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await ask(api.url, 'ip-last@example.com', '203.0.113.51')).status).toBe(202);
    // X-Forwarded-For is only believed from a trusted proxy: with none trusted, the socket
    // address counts, so a client cannot dodge the limit by inventing addresses.
    const strict = await start({ TRUSTED_PROXY_CIDRS: '10.255.255.0/24' });
    const statuses = [];
    for (let i = 0; i < 31; i++) statuses.push((await ask(strict.url, `spoof-${i}@example.com`, `192.0.2.${i + 1}`)).status);
    expect(statuses.slice(0, 30).every((s) => s === 202)).toBe(true);
    expect(statuses[30]).toBe(429);
  });

  it('with Redis: one limit across API replicas', async () => {
    const [a, b] = [await start({ REDIS_URL: redis.url }), await start({ REDIS_URL: redis.url })];
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await ask(i % 2 ? a.url : b.url, 'replicas@example.com', `198.18.0.${i + 1}`)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    const peek = new Redis(redis.url);
    try {
      const keys = await peek.keys('slipway:ratelimit:signin:*');
      expect(keys.length).toBeGreaterThan(0);
      // Addresses are not stored in clear in Redis.
      expect(keys.join(' ')).not.toContain('replicas@example.com');
      for (const key of keys) expect(await peek.pttl(key)).toBeGreaterThan(0);
    } finally {
      peek.disconnect();
    }
  });
});
