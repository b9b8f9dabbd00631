/**
 * The recent-latency summary against exact quantiles of the same durations (sorted), its
 * sliding window on a clock the test moves, and what prom-client's registry writes from it.
 */
import { Registry, type Metric } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CEILING_SECONDS, FLOOR_SECONDS, RecentLatency, RELATIVE_ACCURACY } from '../src/api/recent-latency.ts';

const PERCENTILES = [0.5, 0.9, 0.95, 0.99, 0.999];

function tracker(now: () => number = () => 0) {
  return new RecentLatency({ name: 'test_recent_seconds', help: 'Test latencies.', percentiles: PERCENTILES, maxAgeSeconds: 300, ageBuckets: 5, now });
}

/** The duration at rank ⌊q·(n-1)⌋ of the sorted list: what the sketch promises to be near. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** A deterministic generator, so a failure can be replayed (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('recent latency quantiles', () => {
  it.each([
    ['log-normal around 5 ms', (r: () => number) => 0.005 * Math.exp(0.8 * Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r()))],
    ['uniform 1 to 50 ms', (r: () => number) => 0.001 + 0.049 * r()],
    ['mostly fast with a slow tail', (r: () => number) => (r() < 0.97 ? 0.002 + 0.001 * r() : 0.5 + 2 * r())],
  ])('are within the relative accuracy of the exact quantile: %s', (_name, draw) => {
    const r = random(42);
    const recent = tracker();
    const durations: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const seconds = draw(r);
      durations.push(seconds);
      recent.observe('GET', '/x', seconds);
    }
    durations.sort((a, b) => a - b);
    const got = recent.quantiles('GET', '/x');
    for (const q of PERCENTILES) {
      const exact = exactQuantile(durations, q);
      expect(Math.abs(got.get(q)! - exact) / exact, `q=${q}: ${got.get(q)} against ${exact}`).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-12);
    }
  });

  it('one observation is every quantile; durations outside the range are held at its ends', () => {
    const recent = tracker();
    recent.observe('GET', '/one', 0.0123);
    for (const q of PERCENTILES) expect(Math.abs(recent.quantiles('GET', '/one').get(q)! - 0.0123) / 0.0123).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    recent.observe('GET', '/fast', 0);
    recent.observe('GET', '/fast', -1);
    expect(recent.quantiles('GET', '/fast').get(0.99)).toBe(FLOOR_SECONDS);
    recent.observe('GET', '/slow', 10 * CEILING_SECONDS);
    expect(recent.quantiles('GET', '/slow').get(0.5)).toBeGreaterThan(CEILING_SECONDS * (1 - RELATIVE_ACCURACY));
    recent.observe('GET', '/nan', Number.NaN);
    recent.observe('GET', '/nan', Number.POSITIVE_INFINITY);
    expect(recent.quantiles('GET', '/nan').get(0.5)).toBeNull();
  });

  it('keeps routes apart', () => {
    const recent = tracker();
    for (let i = 0; i < 100; i++) recent.observe('GET', '/a', 0.001);
    for (let i = 0; i < 100; i++) recent.observe('GET', '/b', 0.1);
    recent.observe('POST', '/a', 1);
    expect(recent.quantiles('GET', '/a').get(0.99)).toBeLessThan(0.0011);
    expect(recent.quantiles('GET', '/b').get(0.5)).toBeGreaterThan(0.099);
    expect(recent.quantiles('POST', '/a').get(0.5)).toBeGreaterThan(0.99);
    expect([...recent.entries()].map((e) => `${e.method} ${e.route}`).sort()).toEqual(['GET /a', 'GET /b', 'POST /a']);
  });

  it('forgets what is older than the window, one age bucket (a minute) at a time', () => {
    let now = 1_000_000_000_000;
    const recent = tracker(() => now);
    // Minute 0: slow requests; then fast ones each minute after.
    for (let i = 0; i < 100; i++) recent.observe('GET', '/x', 2);
    expect(recent.quantiles('GET', '/x').get(0.5)).toBeGreaterThan(1.9);
    for (let minute = 1; minute <= 4; minute++) {
      now += 60_000;
      for (let i = 0; i < 10; i++) recent.observe('GET', '/x', 0.001);
    }
    // Four minutes on, the slow minute is still in the window and is most of it.
    expect(recent.quantiles('GET', '/x').get(0.5)).toBeGreaterThan(1.9);
    // Five minutes on, it has gone; the fast minutes remain.
    now += 60_000;
    expect(recent.quantiles('GET', '/x').get(0.99)).toBeLessThan(0.0011);
    // A window is reused for a later minute only after it is cleared.
    for (let i = 0; i < 10; i++) recent.observe('GET', '/x', 0.001);
    expect(recent.quantiles('GET', '/x').get(0.99)).toBeLessThan(0.0011);
    // Long idle: nothing left in the window; count and sum are since start.
    now += 3_600_000;
    expect(recent.quantiles('GET', '/x').get(0.5)).toBeNull();
  });

  it('is written by prom-client as a summary: quantile lines, then _sum and _count since start', async () => {
    let now = 0;
    const recent = tracker(() => now);
    const registry = new Registry();
    registry.registerMetric(recent as unknown as Metric);
    recent.observe('GET', '/api/v1/me', 0.004);
    recent.observe('GET', '/api/v1/me', 0.006);
    const text = await registry.metrics();
    expect(text).toContain('# HELP test_recent_seconds Test latencies.\n# TYPE test_recent_seconds summary\n');
    const quantile = (q: number) => Number(new RegExp(`^test_recent_seconds\\{quantile="${q}",method="GET",route="/api/v1/me"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(Math.abs(quantile(0.5) - 0.004) / 0.004).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    expect(Math.abs(quantile(0.99) - 0.004) / 0.004).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    expect(text).toMatch(/^test_recent_seconds_sum\{method="GET",route="\/api\/v1\/me"\} 0\.01$/m);
    expect(text).toMatch(/^test_recent_seconds_count\{method="GET",route="\/api\/v1\/me"\} 2$/m);
    // Once the window is empty the quantiles are NaN (as Prometheus clients write them); the count stays.
    now += 3_600_000;
    const later = await registry.metrics();
    expect(later).toMatch(/^test_recent_seconds\{quantile="0.5",method="GET",route="\/api\/v1\/me"\} Nan$/m);
    expect(later).toMatch(/^test_recent_seconds_count\{method="GET",route="\/api\/v1\/me"\} 2$/m);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('route=');
  });

  it('refuses a window it cannot keep', () => {
    expect(() => new RecentLatency({ name: 'bad', help: 'x', percentiles: [0.5], maxAgeSeconds: 300, ageBuckets: 0 })).toThrow(/ageBuckets must be a whole number/);
    expect(() => new RecentLatency({ name: 'bad', help: 'x', percentiles: [0.5], maxAgeSeconds: 0, ageBuckets: 5 })).toThrow(/maxAgeSeconds must be > 0/);
    expect(() => new RecentLatency({ name: 'bad', help: 'x', percentiles: [0.5, 99], maxAgeSeconds: 300, ageBuckets: 5 })).toThrow(/percentiles must lie between 0 and 1 \(got 99\)/);
  });
});
