/**
 * Cold start: from spawning `node dist/slipway.mjs api` to the first `/api/readyz` 200 (the
 * database, Redis and migrations checked), three times; the median is the figure.
 */
import { spawn } from 'node:child_process';
import { freePort } from '../test/support/servers.ts';

export interface ColdStart {
  readonly medianMs: number;
  readonly runsMs: number[];
}

async function once(bundle: string, env: (port: number) => Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [bundle, 'api'], { env: env(port), stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (c: Buffer) => (errors += c.toString()));
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode} before it was ready: ${errors}`);
      const ready = await fetch(`http://127.0.0.1:${port}/api/readyz`).then((r) => r.status === 200, () => false);
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

export async function measureColdStart(bundle: string, env: (port: number) => Record<string, string>, runs = 3): Promise<ColdStart> {
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) runsMs.push(await once(bundle, env));
  const sorted = [...runsMs].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)]!, runsMs };
}
