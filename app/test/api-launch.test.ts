/**
 * `slipway api` from source: there is no api script beside the program (the bundle has one,
 * see bundle.test.ts), so the api is imported as a module, and the build step that makes the
 * script's code cache says where the script comes from.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/app.ts';

const fromSource = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'app/src/main.ts', ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH! }, encoding: 'utf8', timeout: 60_000 });

describe('slipway api from source', () => {
  it('refuses --write-code-cache, which needs the built script, naming the build', () => {
    const run = fromSource(['api', '--write-code-cache']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no api.cjs next to this program; it is made by npm run build');
  });

  it('refuses an unknown option before reading any setting', () => {
    const run = fromSource(['api', '--verbose']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('slipway api: unknown option "--verbose"');
    expect(run.stderr).not.toContain('DATABASE_URL');
  });

  it('still reads its settings and lists what is wrong', () => {
    const run = fromSource(['api']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Invalid configuration for `api`');
    expect(run.stderr).toContain('DATABASE_URL');
  });
});
