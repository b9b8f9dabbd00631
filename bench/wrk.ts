/**
 * Load from wrk, a separate process (C, its own threads), so the load generator does not share
 * the API's event loop. Bounded by time; loopback only. Latency percentiles come from
 * `--latency`; a Lua script sends the Authorization header and, for writes, a fresh body each time.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkOptions {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  readonly threads?: number;
  readonly headers?: Record<string, string>;
  /** A POST whose JSON body is `{"title": "<prefix> <n>"}`, n counting up per request. */
  readonly postTitlePrefix?: string;
}

export interface WrkResult {
  readonly rps: number;
  /** null when no request completed within wrk's 5 s timeout. */
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  readonly p99Ms: number | null;
  readonly requests: number;
  /** Non-2xx/3xx answers, socket errors and timeouts together. */
  readonly errors: number;
}

const lua = (s: string) => JSON.stringify(s); // a JSON string literal is a valid Lua string literal here

function script(options: WrkOptions): string {
  const lines = Object.entries(options.headers ?? {}).map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`);
  if (options.postTitlePrefix !== undefined) {
    lines.push(
      'wrk.method = "POST"',
      'wrk.headers["content-type"] = "application/json"',
      'local n = 0',
      `local prefix = ${lua(options.postTitlePrefix)} .. " " .. tostring(math.random(1, 1000000)) .. "-"`,
      'request = function()',
      '  n = n + 1',
      '  return wrk.format(nil, nil, nil, \'{"title":"\' .. prefix .. n .. \'"}\')',
      'end',
    );
  }
  return lines.join('\n');
}

function milliseconds(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!match) throw new Error(`wrk printed a latency I cannot read: ${value}`);
  const n = Number(match[1]);
  return { us: n / 1000, ms: n, s: n * 1000, m: n * 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
}

export function parseWrk(output: string): WrkResult {
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(output);
    if (!match) throw new Error(`wrk printed no ${p}% latency:\n${output}`);
    return Math.round(milliseconds(match[1]!) * 100) / 100;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const errors = non2xx + socketErrors;
  // wrk prints zero latencies when nothing completed: that is a timeout, not a fast answer.
  if (!(requests > errors)) return { rps: 0, p50Ms: null, p90Ms: null, p99Ms: null, requests, errors };
  return { rps: Math.round(rps), p50Ms: percentile('50'), p90Ms: percentile('90'), p99Ms: percentile('99'), requests, errors };
}

export async function wrk(options: WrkOptions): Promise<WrkResult> {
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):/.test(options.url)) throw new Error(`benchmarks load loopback only, not ${options.url}`);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-wrk-'));
  const file = join(dir, 'script.lua');
  writeFileSync(file, script(options));
  const args = ['--latency', '--timeout', '5s', '-t', String(Math.min(options.threads ?? 2, options.connections)), '-c', String(options.connections), '-d', `${options.seconds}s`, '-s', file, options.url];
  try {
    const { stdout } = await run('wrk', args, { timeout: (options.seconds + 30) * 1000 });
    return parseWrk(stdout);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('wrk is not installed: apt-get install -y wrk');
    throw error;
  }
}
