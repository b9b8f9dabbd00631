/**
 * The Node.js version the project states (package.json `engines`) is the one every installed
 * package supports, the one the README names, and the one CI tests on, so `npm ci` on the
 * stated minimum installs without an engine warning.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const manifest = JSON.parse(read('package.json')) as { engines: { node: string } };
const minimum = semver.minVersion(manifest.engines.node)!;

interface LockedPackage {
  readonly version?: string;
  readonly engines?: { node?: string } | string[];
}

describe('the stated Node.js engine', () => {
  it('is supported by every package the lockfile installs', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockedPackage> };
    const unsupported = Object.entries(lock.packages).flatMap(([path, pkg]) => {
      const range = !Array.isArray(pkg.engines) ? pkg.engines?.node : undefined;
      if (!path || !range || semver.satisfies(minimum, range)) return [];
      return [`${path.replace(/^.*node_modules\//, '')}@${pkg.version} needs node ${range}`];
    });
    expect(unsupported).toEqual([]);
  });

  it('is the minimum the README names', () => {
    const stated = /Needs Node\.js (\d+\.\d+) or newer/.exec(read('README.md'))?.[1];
    expect(stated && semver.coerce(stated)?.version).toBe(minimum.version);
  });

  it('is one of the versions CI tests on, with engine mismatches failing the install', () => {
    const workflow = read('.github/workflows/ci.yml');
    const versions = /node:\s*\[([^\]]+)\]/.exec(workflow)?.[1]?.split(',').map((v) => v.trim().replace(/['"]/g, '')) ?? [];
    expect(versions.map((v) => semver.coerce(v)?.version)).toContain(minimum.version);
    expect(workflow).toMatch(/node-version: \$\{\{ matrix\.node \}\}/);
    expect(workflow).toMatch(/npm ci --engine-strict/);
    expect(read('.ci/run')).toMatch(/npm ci [^\n]*--engine-strict/);
  });
});
