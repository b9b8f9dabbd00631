/**
 * Cold start: from spawning `node [the image's flags] dist/slipway.mjs api` to the first `/api/readyz` 200 (the
 * database, Redis and migrations checked), three times; the median is the figure. The anchor
 * is a bare node:http server started the same way, to its first 200: on a busy machine both
 * grow together, so their ratio says what the app adds.
 */
import { spawn } from 'node:child_process';
import { freePort } from '../test/support/servers.ts';
import { median } from './interleave.ts';

export interface ColdStart {
  readonly medianMs: number;
  readonly runsMs: number[];
  /** The same for a bare node:http server. */
  readonly bareMedianMs: number;
}

const BARE = "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')";

async function once(bundle: string, env: (port: number) => Record<string, string>, nodeFlags: readonly string[], bare = false): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const args = bare ? ['-e', BARE, String(port)] : [...nodeFlags, bundle, 'api'];
  const child = spawn(process.execPath, args, { env: env(port), stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (c: Buffer) => (errors += c.toString()));
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode} before it was ready: ${errors}`);
      const ready = await fetch(`http://127.0.0.1:${port}${bare ? '/' : '/api/readyz'}`).then((r) => r.status === 200, () => false);
      if (ready) return Math.round(performance.now() - started);
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('api was not ready within 30 s');
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

export async function measureColdStart(bundle: string, env: (port: number) => Record<string, string>, nodeFlags: readonly string[] = [], runs = 3): Promise<ColdStart> {
  const runsMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    bareMs.push(await once(bundle, env, nodeFlags, true));
    runsMs.push(await once(bundle, env, nodeFlags));
  }
  return { medianMs: median(runsMs), runsMs, bareMedianMs: median(bareMs) };
}
