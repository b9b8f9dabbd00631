/**
 * `npm start` with a DATABASE_URL nothing answers at: it retries for MIGRATE_CONNECT_TIMEOUT_SECONDS
 * showing its progress (plain lines on a terminal, JSON lines otherwise), then stops with one
 * line that says what failed and what to do, and no stack trace.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/servers.ts';
import { spawnNpmStart } from './support/npm-start.ts';

async function unreachable(): Promise<{ url: string; target: string }> {
  const port = await freePort(); // nothing listens there
  return { url: `postgres://slipway:secret@127.0.0.1:${port}/slipway`, target: `127.0.0.1:${port}/slipway` };
}

const finalLine = (target: string) =>
  `npm start: could not connect to the database at ${target} (DATABASE_URL) within 2 s (MIGRATE_CONNECT_TIMEOUT_SECONDS): connection refused. Check DATABASE_URL, or unset it to use the embedded database.`;

const lines = (output: string) => output.split('\n').filter((line) => line.trim() !== '');

describe('npm start with an unreachable DATABASE_URL', () => {
  it('logs the retries as JSON when the output is not a terminal, then ends with one line saying what to do', async () => {
    const { url, target } = await unreachable();
    const run = spawnNpmStart({ DATABASE_URL: url, MIGRATE_CONNECT_TIMEOUT_SECONDS: '2' });
    expect(await run.exited).toBe(1);
    const output = lines(run.output());
    const retries = output.slice(0, -1).map((line) => JSON.parse(line) as { level: string; msg: string; attempt: number });
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((r) => r.level === 'warn' && r.msg.startsWith(`database at ${target} (DATABASE_URL) not reachable yet (connection refused); attempt ${r.attempt}`))).toBe(true);
    expect(output.at(-1)).toBe(finalLine(target));
    expect(run.output()).not.toMatch(/^\s+at /m);
    expect(run.output()).not.toContain('secret');
  });

  it('shows the retries as plain lines on a terminal', async () => {
    const { url, target } = await unreachable();
    const run = spawnNpmStart({ DATABASE_URL: url, MIGRATE_CONNECT_TIMEOUT_SECONDS: '2' }, { terminal: true });
    expect(await run.exited).toBe(1);
    const output = lines(run.output());
    expect(output.at(-1)).toBe(finalLine(target));
    const retries = output.slice(0, -1);
    expect(retries.length).toBeGreaterThan(0);
    for (const line of retries) {
      expect(line).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d migrate: warning: database at ${target.replace(/[.]/g, '\\.')} \\(DATABASE_URL\\) not reachable yet \\(connection refused\\); attempt \\d+, retrying in [\\d.]+ s, giving up in \\d+ s$`));
    }
    expect(run.output()).not.toContain('{"level"');
  });
});
