/**
 * `npm run bench`: measures the API on this machine against real PostgreSQL and Redis started
 * on loopback. Prints requests per second and latency percentiles per scenario; nothing is
 * asserted (timings belong here, not in unit tests). Bounded: each scenario runs for a fixed
 * number of requests.
 */
import { Agent, request } from 'undici';
import { migrate } from '../test/support/app.ts';
import { startTestApi } from '../test/support/api.ts';
import { startPostgres, startRedis } from '../test/support/servers.ts';

interface Result {
  scenario: string;
  requests: number;
  concurrency: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 100) / 100;
}

async function measure(scenario: string, url: string, total: number, concurrency: number, init: { headers?: Record<string, string> } = {}): Promise<Result> {
  const dispatcher = new Agent({ connections: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  // Warm up the connections and the JIT.
  await Promise.all(Array.from({ length: concurrency }, () => request(url, { dispatcher, ...init }).then((r) => r.body.text())));
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const t = performance.now();
        const res = await request(url, { dispatcher, ...init });
        await res.body.text();
        latencies.push(performance.now() - t);
        if (res.statusCode >= 400) errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.close();
  latencies.sort((a, b) => a - b);
  return { scenario, requests: total, concurrency, rps: Math.round(total / seconds), p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95), p99Ms: percentile(latencies, 0.99), errors };
}

const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
const databaseUrl = await postgres.createDatabase('bench');
await migrate(databaseUrl);
const api = await startTestApi({ DATABASE_URL: databaseUrl, REDIS_URL: redis.url, DATABASE_MAX_CONNS: '10' });
const results: Result[] = [];
try {
  results.push(await measure('GET /api/health (no dependencies)', `${api.url}/api/health`, 20_000, 32));
  results.push(await measure('GET /api/readyz (db + redis + migrations)', `${api.url}/api/readyz`, 5_000, 16));
  results.push(await measure('GET /api/version (one query)', `${api.url}/api/version`, 10_000, 32));
} finally {
  await api.stop();
  await Promise.all([postgres.destroy(), redis.stop()]);
}
console.table(results);
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results)}\n`);
