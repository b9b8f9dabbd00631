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
import { createToken, signIn } from '../app/test/support/auth.ts';

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

interface RequestInit {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** A fresh body per request (e.g. a different title each time). */
  readonly body?: () => string;
}

async function measure(scenario: string, url: string, total: number, concurrency: number, init: RequestInit = {}): Promise<Result> {
  const dispatcher = new Agent({ connections: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  // Warm up the connections and the JIT.
  const send = () => request(url, { dispatcher, method: init.method ?? 'GET', headers: init.headers, body: init.body?.() });
  await Promise.all(Array.from({ length: concurrency }, () => send().then((r) => r.body.text())));
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const t = performance.now();
        const res = await send();
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

  // The product: a signed-in user with a token, one workspace.
  const origin = 'http://localhost:7015';
  const { cookie } = await signIn(api.url, 'bench@example.com', { origin });
  const token = await createToken(api.url, cookie, origin);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${api.url}/api/v1/workspaces`, { method: 'POST', headers, body: JSON.stringify({ name: 'Bench', slug: 'bench', issueKey: 'BEN' }) });
  if (created.status !== 201) throw new Error(`could not create the bench workspace: ${created.status} ${await created.text()}`);
  let n = 0;
  const issues = `${api.url}/api/v1/workspaces/bench/issues`;
  results.push(await measure('POST issue (numbered under a row lock, event logged)', issues, 2_000, 16, { method: 'POST', headers, body: () => JSON.stringify({ title: `Bench issue ${++n}` }) }));
  results.push(await measure('GET issues, first page of 50', `${issues}?limit=50`, 3_000, 16, { headers }));
  results.push(await measure('GET issues, title search', `${issues}?q=issue%2019&limit=50`, 3_000, 16, { headers }));
} finally {
  await api.stop();
  await Promise.all([postgres.destroy(), redis.stop()]);
}
console.table(results);
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results)}\n`);
