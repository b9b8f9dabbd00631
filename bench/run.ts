/**
 * `npm run bench [-- --json FILE] [--bundle dist/slipway.mjs] [--seconds 8] [--large 1000000] [--node-flags '…']`:
 * measures the built API against its physical anchors, side by side in one run, so machine
 * noise cancels in the ratios: PostgreSQL and Redis started on loopback, pgbench running the
 * very statement the API runs, a bare node:http server, data seeded with SQL, and load from
 * wrk in its own process. Every step is bounded in time; nothing leaves loopback. Timings are
 * reported, never asserted (unit tests assert correctness).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildBundle, bundleBytes } from '../app/build.ts';
import { NODE_FLAGS } from '../app/node-flags.ts';
import { productionSecrets } from '../app/test/support/auth.ts';
import { TOKEN_SQL, withCompanion } from '../app/src/api/v1/auth/credentials.ts';
import { hashToken } from '../app/src/api/v1/context.ts';
import { pageWithCredential } from '../app/src/api/v1/workspaces/issue-queries.ts';
import { freePort, startPostgres, startRedis } from '../test/support/servers.ts';
import { measureColdStart } from './cold-start.ts';
import { inTurns, mergeSlices } from './interleave.ts';
import { pgbench, type PgbenchResult } from './pgbench.ts';
import { NODE_FLOOR, printReport, targetsOf, type Figure } from './report.ts';
import { COMMON_TERM, RARE_TERM, seedUser, seedWorkspace, type BenchUser } from './seed.ts';
import { wrk, type WrkResult } from './wrk.ts';

const CONNECTIONS = 16;
/** Each anchor and the API it is read against run in this many alternating slices (interleave.ts). */
const SLICES = 4;
const secrets = productionSecrets();

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
}

/** A bad option stops the run before anything starts, with what to give instead (no stack trace). */
function refuse(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const seconds = Number(option('seconds', '8'));
if (!Number.isInteger(seconds) || seconds < 1) refuse(`--seconds: "${option('seconds', '8')}" is not a whole number of seconds of at least 1 (pgbench and wrk take whole seconds)`);
/** One slice of an in-turns measurement, in whole seconds (pgbench's -T takes no fractions). */
const sliceSeconds = Math.max(1, Math.round(seconds / SLICES));
const small = Number(option('small', '10000'));
const large = Number(option('large', '1000000'));
const jsonFile = process.argv.includes('--json') ? option('json', 'bench/last-run.json') : undefined;
// The api runs with the image's node flags (app/Dockerfile); `--node-flags ''` measures without them.
const nodeFlags = option('node-flags', NODE_FLAGS.join(' ')).split(/\s+/).filter(Boolean);
for (const flag of nodeFlags) {
  if (!flag.startsWith('--')) refuse(`--node-flags: "${flag}" is not a node option; give options such as '--no-memory-reducer', separated by spaces, or '' for none`);
}

async function bundlePath(): Promise<string> {
  const given = option('bundle', '');
  if (given) return given;
  const outdir = mkdtempSync(join(tmpdir(), 'slipway-bench-dist-'));
  await buildBundle(outdir);
  return join(outdir, 'slipway.mjs');
}

function productionEnv(databaseUrl: string, redisUrl: string, port: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    SLIPWAY_ENV: 'production',
    HOST: '127.0.0.1',
    API_PORT: String(port),
    APP_URL: 'http://localhost:7015',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'info',
    ...secrets,
    SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0',
  };
}

async function waitFor(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function run(bundle: string, args: string[], env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [bundle, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (c: Buffer) => (errors += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}: ${errors}`);
}

const figures: Figure[] = [];
const record = (scenario: string, result: WrkResult | PgbenchResult, note = '') => {
  const figure: Figure = 'tps' in result ? { scenario, rps: result.tps, p50Ms: null, p90Ms: null, p99Ms: null, errors: 0, note } : { scenario, ...result, note };
  figures.push(figure);
  process.stderr.write(`  ${scenario}: ${figure.rps}/s${figure.p50Ms === null ? '' : `, p50 ${figure.p50Ms} ms`}${figure.errors ? `, ${figure.errors} errors` : ''}\n`);
};

async function warmUp(url: string, headers: Record<string, string>, extra: Partial<Parameters<typeof wrk>[0]> = {}): Promise<void> {
  await wrk({ url, seconds: Math.min(2, seconds), connections: extra.connections ?? CONNECTIONS, headers, ...extra }); // JIT, pools, caches
}

async function load(scenario: string, url: string, headers: Record<string, string>, extra: Partial<Parameters<typeof wrk>[0]> = {}): Promise<void> {
  await warmUp(url, headers, extra);
  record(scenario, await wrk({ url, seconds, connections: CONNECTIONS, headers, ...extra }));
}

interface Side {
  readonly scenario: string;
  readonly warmUp?: () => Promise<void>;
  readonly slice: () => Promise<WrkResult | PgbenchResult>;
}

/** A scenario of wrk against `url`, for loadInTurns. */
const wrkSide = (scenario: string, url: string, headers: Record<string, string>): Side => ({
  scenario,
  warmUp: () => warmUp(url, headers),
  slice: () => wrk({ url, seconds: sliceSeconds, connections: CONNECTIONS, headers }),
});

/** Scenarios read against each other: each warmed up, then about `seconds` each, in SLICES alternating slices. */
async function loadInTurns(sides: readonly Side[]): Promise<void> {
  for (const side of sides) await side.warmUp?.();
  const slices = await inTurns(SLICES, sides.map((side) => side.slice));
  sides.forEach(({ scenario }, i) => record(scenario, mergeSlices(slices[i]!)));
}

async function main(): Promise<void> {
  const bundle = await bundlePath();
  process.stderr.write(`load average before the run: ${loadavg().map((n) => n.toFixed(1)).join(' ')} (other work on this machine skews every figure)\n`);
  // The entry and every chunk next to it (the api loads only some of them).
  const bytes = bundleBytes(dirname(bundle));
  process.stderr.write(`bench: ${bundle} and its chunks (${(bytes / 1_048_576).toFixed(1)} MiB), ${seconds} s per scenario, ${CONNECTIONS} connections, node ${nodeFlags.join(' ') || '(no flags)'}\n`);
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const children: ChildProcess[] = [];
  try {
    const databaseUrl = await postgres.createDatabase('bench');
    await run(bundle, ['migrate', 'up'], { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl });
    const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    // The server stops at the end (or on a failure) while the pool may still hold a connection.
    db.on('error', () => undefined);
    const user: BenchUser = await seedUser(db);
    const auth = { authorization: `Bearer ${user.token}` };

    const coldStart = await measureColdStart(bundle, (port) => productionEnv(databaseUrl, redis.url, port), nodeFlags);
    process.stderr.write(`  cold start to readyz 200: ${coldStart.medianMs} ms (runs: ${coldStart.runsMs.join(', ')}); bare node:http ${coldStart.bareMedianMs} ms\n`);

    const apiPort = await freePort();
    const api = spawn(process.execPath, [...nodeFlags, bundle, 'api'], { env: productionEnv(databaseUrl, redis.url, apiPort), stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitFor(`${apiUrl}/api/readyz`, api);

    const barePort = await freePort();
    const bare = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./bare-http.ts', import.meta.url)), String(barePort)], { stdio: 'ignore' });
    children.push(bare);
    await waitFor(`http://127.0.0.1:${barePort}/`, bare);
    await loadInTurns([wrkSide('health: bare node:http', `http://127.0.0.1:${barePort}/`, {}), wrkSide('health: GET /api/health', `${apiUrl}/api/health`, {})]);
    await stop(bare);

    // Both workspaces first, so each scenario runs at both sizes in turns: a scale ratio compares
    // figures taken in the same minute, not minutes apart (a slow spell of the machine between
    // them once read as a 2.45 ratio for the first page).
    const sizes = [
      { size: small, slug: 'small', key: 'SML' },
      { size: large, slug: 'large', key: 'LRG' },
    ] as const;
    for (const { size, slug, key } of sizes) {
      const started = performance.now();
      await seedWorkspace(db, user, slug, key, size);
      process.stderr.write(`  seeded ${size} issues in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
    const issuesOf = (slug: string) => `${apiUrl}/api/v1/workspaces/${slug}/issues`;

    // The one statement a first page with a token is: the credential, the membership and the page.
    const { text, values } = withCompanion(TOKEN_SQL, [hashToken(user.token), 'small'], pageWithCredential({ limit: 50 }));
    const floorPort = await freePort();
    const floor = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./bare-pg.ts', import.meta.url)), String(floorPort)], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, BARE_PG_STATEMENT: JSON.stringify({ text, values }) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(floor);
    await waitFor(`http://127.0.0.1:${floorPort}/`, floor);
    // pgbench, the node floor and the API's first page at both sizes, in turns.
    await loadInTurns([
      { scenario: `list ${small}: pgbench, the API's SELECT`, slice: () => pgbench({ databaseUrl, text, values, clients: CONNECTIONS, seconds: sliceSeconds }) },
      wrkSide(`list ${small}: ${NODE_FLOOR}`, `http://127.0.0.1:${floorPort}/`, {}),
      ...sizes.map(({ size, slug }) => wrkSide(`list ${size}: first page of 50`, `${issuesOf(slug)}?limit=50`, auth)),
    ]);
    await stop(floor);

    for (const [kind, label, query] of [
      ['search', 'common term', () => `q=${COMMON_TERM}&limit=50`],
      ['search', 'rare term', () => `q=${RARE_TERM}&limit=50`],
      ['filter', 'status=open', () => 'status=open&limit=50'],
      ['filter', 'assignee=me', () => 'assignee=me&limit=50'],
      ['search', 'by key', (size: number, key: string) => `q=${key}-${Math.floor(size / 2)}&limit=50`],
    ] as const) {
      await loadInTurns(sizes.map(({ size, slug, key }) => wrkSide(`${kind} ${size}: ${label}`, `${issuesOf(slug)}?${query(size, key)}`, auth)));
    }

    await seedWorkspace(db, user, 'writes', 'WRT', 0);
    const writes = `${apiUrl}/api/v1/workspaces/writes/issues`;
    await load('create: 1 connection', writes, auth, { postTitlePrefix: 'one', connections: 1 });
    await load(`create: ${CONNECTIONS} connections, one workspace`, writes, auth, { postTitlePrefix: 'many' });
    await db.end();

    const targets = targetsOf(figures, coldStart, small, large);
    printReport(figures, targets, { bundle, bundleBytes: bytes, coldStartMs: coldStart.medianMs, bareStartMs: coldStart.bareMedianMs });
    if (jsonFile) {
      const machine = { loadAverage: loadavg().map((n) => Math.round(n * 10) / 10), cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
      const report = { date: new Date().toISOString(), machine, bundle: { path: bundle, bytes }, nodeFlags, seconds, connections: CONNECTIONS, coldStart, figures, targets };
      writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
      process.stderr.write(`figures written to ${jsonFile}\n`);
    }
  } finally {
    await Promise.all(children.map(stop));
    await Promise.all([postgres.destroy(), redis.stop()]);
  }
}

await main();
