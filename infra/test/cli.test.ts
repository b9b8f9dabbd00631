import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findSecretLiterals } from '../policies/secret-literals.ts';

const root = resolve(import.meta.dirname, '../..');
const outdir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The environment of a machine with no AWS credentials and no network lookups. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', CDK_DISABLE_VERSION_CHECK: '1' };
}

// A real `cdk synth` takes 15-40 s alone and longer next to other test files on two cores.
describe('cdk synth', { timeout: 180_000 }, () => {
  it('writes all six stacks offline, without credentials, with cdk-nag passing', () => {
    const result = spawnSync(join(root, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--no-notices', '-o', outdir], {
      cwd: root,
      env: offlineEnv(),
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const templates = readdirSync(outdir).filter((f) => f.endsWith('.template.json')).sort();
    expect(templates).toEqual(
      ['data', 'edge', 'network', 'observability', 'registry', 'service'].map((k) => `slipway-${k}.template.json`),
    );
    for (const file of templates) {
      expect(findSecretLiterals(JSON.parse(readFileSync(join(outdir, file), 'utf8'))), file).toEqual([]);
    }
  });

  it('fails with the setting, value and fix for a bad setting', () => {
    const result = spawnSync(join(root, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--no-notices', '-o', join(outdir, 'bad'), '-c', 'DB_ENGINE_VERSION=15'], {
      cwd: root,
      env: offlineEnv(),
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('DB_ENGINE_VERSION="15" is not a supported PostgreSQL major version. Fix: use 16 or 17');
    expect(existsSync(join(outdir, 'bad', 'slipway-data.template.json'))).toBe(false);
  });
});
