/**
 * The database anchor: pgbench running a statement the API runs (its text taken from the API's
 * own query builder, never retyped), with the same client count, bounded in time. Parameters
 * become pgbench variables (`:p1`…), sent as bind parameters with `-M prepared`, as the API
 * sends its named statements.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** pgbench ships with the PostgreSQL server binaries (Debian: /usr/lib/postgresql/N/bin). */
function pgbenchBinary(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pgbench'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin', 'pgbench') : 'pgbench';
}

export interface PgbenchOptions {
  readonly databaseUrl: string;
  readonly text: string;
  readonly values: unknown[];
  readonly clients: number;
  readonly seconds: number;
}

export interface PgbenchResult {
  readonly tps: number;
  readonly latencyAverageMs: number;
}

/** `$3` → `:p3`, with each value given as `-D p3=…` (arrays in PostgreSQL's `{a,b}` form). */
export function pgbenchScript(text: string, values: unknown[]): { script: string; defines: string[] } {
  const script = `${text.replace(/\$(\d+)/g, ':p$1').replace(/\s+/g, ' ').trim()};\n`;
  const defines = values.flatMap((value, i) => ['-D', `p${i + 1}=${Array.isArray(value) ? `{${value.join(',')}}` : String(value)}`]);
  return { script, defines };
}

export async function pgbench(options: PgbenchOptions): Promise<PgbenchResult> {
  const url = new URL(options.databaseUrl);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-pgbench-'));
  const file = join(dir, 'statement.sql');
  const { script, defines } = pgbenchScript(options.text, options.values);
  writeFileSync(file, script);
  const args = ['-n', '-M', 'prepared', '-c', String(options.clients), '-j', '2', '-T', String(options.seconds), '-f', file, ...defines];
  args.push('-h', url.hostname, '-p', url.port, '-U', decodeURIComponent(url.username), url.pathname.slice(1));
  const { stdout } = await run(pgbenchBinary(), args, { timeout: (options.seconds + 30) * 1000 });
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1] ?? NaN);
  if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps:\n${stdout}`);
  return { tps: Math.round(tps), latencyAverageMs: latency };
}
