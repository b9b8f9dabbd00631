/**
 * What goes into the image: `npm run build` produces one bundle that runs its three commands
 * from an empty folder with plain node (no node_modules), and the Dockerfile copies exactly
 * the files the build makes, runs as a non-root user and forwards signals.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, waitForHttp, type AppProcess } from '../../test/support/app.ts';
import { NODE_FLAGS } from '../node-flags.ts';
import { freePort, startPostgres, type TestPostgres } from '../../test/support/servers.ts';

let server: TestPostgres;
let folder: string;

beforeAll(async () => {
  server = await startPostgres();
  // Built into an empty folder of its own (other tests may be reading dist/ meanwhile).
  folder = mkdtempSync(join(tmpdir(), 'slipway-bundle-'));
  execFileSync('npm', ['run', 'build', '--silent', '--', '--outdir', join(folder, 'dist')], { cwd: REPO_ROOT, stdio: 'pipe' });
}, 180_000);

afterAll(async () => {
  await server?.destroy();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

function plainNode(args: string[], env: Record<string, string>, nodeFlags: readonly string[] = [], dist = join(folder, 'dist')): AppProcess {
  // No tsx, no node_modules, no repository: only node and the folder.
  const child = spawn(process.execPath, [...nodeFlags, join(dist, 'slipway.mjs'), ...args], {
    cwd: dirname(dist),
    env: { PATH: process.env.PATH!, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => output, exited, stop: async (signal = 'SIGTERM') => (child.kill(signal), exited) };
}

describe('the bundle from npm run build', () => {
  it('runs migrate, api and web from an empty folder with plain node', async () => {
    expect(existsSync(join(folder, 'node_modules'))).toBe(false);
    expect(existsSync(join(folder, 'package.json'))).toBe(false);
    const databaseUrl = await server.createDatabase('bundle');
    const migrate = plainNode(['migrate', 'up'], { DATABASE_URL: databaseUrl });
    expect(await migrate.exited).toBe(0);
    expect(migrate.output()).toContain('applied 0001_initial_schema.sql');

    const [apiPort, webPort] = [await freePort(), await freePort()];
    const api = plainNode(['api'], { DATABASE_URL: databaseUrl, HOST: '127.0.0.1', API_PORT: String(apiPort), SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0', SLIPWAY_RELEASE: 'bundle-test' }, NODE_FLAGS);
    const web = plainNode(['web'], { HOST: '127.0.0.1', WEB_PORT: String(webPort), WEB_API_UPSTREAM_URL: `http://127.0.0.1:${apiPort}`, SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0' });
    try {
      await waitForHttp(`http://127.0.0.1:${apiPort}/api/readyz`, 20_000, api);
      await waitForHttp(`http://127.0.0.1:${webPort}/health`, 20_000, web);
      const version = await (await fetch(`http://127.0.0.1:${webPort}/api/version`)).json();
      expect(version).toMatchObject({ release: 'bundle-test' });
      // Every migration the bundle ships is applied, the newest last.
      expect(version.migration.applied).toBe(version.migration.latest);
      expect(version.migration.latest).toMatch(/^\d{4}_[a-z0-9_]+$/);
      const page = await fetch(`http://127.0.0.1:${webPort}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<div id="root">|<div id="app">/);
      // The api ran as its own script with the code cache the build made (api/launch.ts).
      expect(api.output()).toContain('"codeCache":"used"');
    } finally {
      expect(await api.stop()).toBe(0);
      expect(await web.stop()).toBe(0);
    }
  });

  it("keeps an idle api's young generation only with the image's node flags", async () => {
    const databaseUrl = await server.createDatabase('idle');
    expect(await plainNode(['migrate', 'up'], { DATABASE_URL: databaseUrl }).exited).toBe(0);
    // --trace-gc prints every collection; the memory reducer's are marked "(reduce)". It runs
    // them about 8 s after the api's start-up collection, once allocation has gone quiet.
    const start = async (nodeFlags: readonly string[]) => {
      const port = await freePort();
      const startedAt = Date.now();
      const api = plainNode(['api'], { DATABASE_URL: databaseUrl, HOST: '127.0.0.1', API_PORT: String(port), SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0' }, [...nodeFlags, '--trace-gc']);
      await waitForHttp(`http://127.0.0.1:${port}/api/readyz`, 20_000, api);
      return { api, startedAt };
    };
    const plain = await start([]);
    const imaged = await start(NODE_FLAGS);
    try {
      const reduced = /Mark-Compact \(reduce\)/;
      const deadline = Date.now() + 40_000;
      while (!reduced.test(plain.api.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      // The premise: without the flag, V8 shrinks the heap of an api that went quiet after start.
      // Should this fail on a newer node, the flag in app/node-flags.ts may have become unneeded.
      expect(plain.api.output(), 'node without --no-memory-reducer ran no memory-reducing collection while the api was idle').toMatch(reduced);
      // With the image's flags, the same bundle and start (the plain api is the control): an idle
      // spell 2 s longer than the one after which the plain api was shrunk, collections as usual
      // (so the trace is on), and none of them reducing.
      const shrunkAfter = Date.now() - plain.startedAt;
      await new Promise((r) => setTimeout(r, Math.max(0, imaged.startedAt + shrunkAfter + 2_000 - Date.now())));
      expect(imaged.api.output()).toMatch(/Scavenge|Mark-Compact/);
      expect(imaged.api.output()).not.toMatch(reduced);
    } finally {
      expect(await plain.api.stop()).toBe(0);
      expect(await imaged.api.stop()).toBe(0);
    }
  }, 90_000);

  it('starts the api without its code cache when the cache does not fit the script or the node, and says which', async () => {
    const databaseUrl = await server.createDatabase('cache');
    expect(await plainNode(['migrate', 'up'], { DATABASE_URL: databaseUrl }).exited).toBe(0);
    // A copy to change: the other tests read the built folder.
    const copy = join(mkdtempSync(join(tmpdir(), 'slipway-bundle-cache-')), 'dist');
    cpSync(join(folder, 'dist'), copy, { recursive: true });
    const script = join(copy, 'api.cjs');
    const cache = `${script}.cache`;
    const startAndRead = async (nodeFlags: readonly string[]) => {
      const port = await freePort();
      const api = plainNode(['api'], { DATABASE_URL: databaseUrl, HOST: '127.0.0.1', API_PORT: String(port), SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0' }, nodeFlags, copy);
      try {
        // Whatever became of the cache, the api serves: its readiness probe reaches the database.
        await waitForHttp(`http://127.0.0.1:${port}/api/readyz`, 20_000, api);
        return /"codeCache":"(\w+)"/.exec(api.output())?.[1];
      } finally {
        expect(await api.stop()).toBe(0);
      }
    };
    try {
      expect(await startAndRead(NODE_FLAGS)).toBe('used');
      // Another V8 flag: V8 itself refuses the cache (it hashes its flags into it).
      expect(await startAndRead([...NODE_FLAGS, '--stack-size=900'])).toBe('rejected');
      // The script changed after the cache was made (a partial copy, a hand edit): never handed to V8.
      const original = readFileSync(script);
      appendFileSync(script, '\n');
      expect(await startAndRead(NODE_FLAGS)).toBe('stale');
      writeFileSync(script, original);
      // A damaged payload: its checksum no longer matches.
      const bytes = readFileSync(cache);
      bytes[bytes.length - 100] ^= 0xff;
      writeFileSync(cache, bytes);
      expect(await startAndRead(NODE_FLAGS)).toBe('damaged');
      rmSync(cache);
      expect(await startAndRead(NODE_FLAGS)).toBe('absent');
      // The build step makes it again, with these flags.
      const write = plainNode(['api', '--write-code-cache'], {}, NODE_FLAGS, copy);
      expect(await write.exited).toBe(0);
      expect(write.output()).toMatch(/wrote .*api\.cjs\.cache \(\d+ KiB\) for node v\d+/);
      expect(await startAndRead(NODE_FLAGS)).toBe('used');
      // Source-mapped stack traces (the Dockerfile's NODE_OPTIONS hint) need node's own loader.
      expect(await startAndRead([...NODE_FLAGS, '--enable-source-maps'])).toBe('skipped');
      // ...so no cache can be made under them; the build step says so instead of writing one.
      const refused = plainNode(['api', '--write-code-cache'], {}, [...NODE_FLAGS, '--enable-source-maps'], copy);
      expect(await refused.exited).toBe(1);
      expect(refused.output()).toContain('node runs with --enable-source-maps');
      expect(refused.output()).not.toContain('    at ');
      // Without the script the api runs from the chunks, as from source.
      rmSync(script);
      expect(await startAndRead(NODE_FLAGS)).toBeUndefined();
    } finally {
      rmSync(dirname(copy), { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses an unknown option of the api, naming the one it has', async () => {
    const run = plainNode(['api', '--port', '80'], {});
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('slipway api: unknown option "--port"');
    expect(run.output()).toContain('--write-code-cache');
  });

  it('refuses an unknown command with the usage', async () => {
    const run = plainNode(['serve'], {});
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('Unknown command "serve"');
    expect(run.output()).toContain('migrate status');
  });

  it('stops at start on bad settings, listing them', async () => {
    const run = plainNode(['api'], { SLIPWAY_ENV: 'production', DATABASE_URL: 'postgres://x@127.0.0.1:1/x' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('Invalid configuration for `api` (3 problems)');
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'app/Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('pins a current Node LTS slim base by exact version', () => {
    const version = /ARG NODE_VERSION=(\d+)\.(\d+)\.(\d+)/.exec(dockerfile);
    expect(version).not.toBeNull();
    expect(['22', '24']).toContain(version![1]);
    for (const from of dockerfile.match(/^FROM .*$/gm)!) expect(from).toMatch(/node:\$\{NODE_VERSION\}-bookworm-slim/);
  });

  it('builds on the build platform and runs on every target platform (multi-arch)', () => {
    expect(dockerfile).toMatch(/^FROM --platform=\$BUILDPLATFORM node:.* AS build$/m);
    expect(runtime).not.toContain('--platform');
  });

  it('runs as a non-root user with tini as PID 1 forwarding SIGTERM, api by default', () => {
    expect(runtime).toMatch(/^USER node$/m);
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(runtime);
    expect(entrypoint).not.toBeNull();
    // node runs with app/node-flags.ts's flags, which npm run bench measures with too.
    expect(JSON.parse(entrypoint![1]!)).toEqual(['/usr/bin/tini', '--', 'node', ...NODE_FLAGS, '/app/dist/slipway.mjs']);
    expect(runtime).toMatch(/^CMD \["api"\]$/m);
  });

  it('copies into the final stage only files that npm run build makes', () => {
    // The RDS CA bundle is made by its own build step (infra/test/image-ca.test.ts covers it).
    const copies = [...runtime.matchAll(/^COPY --from=build\S* (?:--chown=\S+ )?(.+) \S+$/gm)]
      .flatMap((m) => m[1]!.split(/\s+/))
      .filter((source) => source !== '/src/dist/rds-ca-bundle.pem');
    expect(copies.length).toBeGreaterThanOrEqual(3);
    for (const source of copies) {
      expect(source.startsWith('/src/dist/')).toBe(true);
      expect(existsSync(join(folder, source.replace('/src/', '')))).toBe(true);
    }
  });

  it("makes the api's code cache in the final stage, with its node and the ENTRYPOINT's flags", () => {
    const run = /^RUN (\[.*"--write-code-cache"\])$/m.exec(runtime);
    expect(run).not.toBeNull();
    // V8 takes a cache only under the flags it was made with (app/src/code-cache.ts).
    expect(JSON.parse(run![1]!)).toEqual(['node', ...NODE_FLAGS, '/app/dist/slipway.mjs', 'api', '--write-code-cache']);
    // After the script and the migrations it reads are in place, as root (the files stay read-only to the api).
    expect(runtime.indexOf(run![0])).toBeGreaterThan(runtime.indexOf('/src/dist/api.cjs '));
    expect(runtime.indexOf(run![0])).toBeGreaterThan(runtime.indexOf('/app/dist/migrations'));
    expect(runtime.indexOf(run![0])).toBeLessThan(runtime.indexOf('\nUSER node'));
    expect(runtime).not.toMatch(/COPY .*api\.cjs\.cache/);
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.env', '.data', 'node_modules', '.git']) expect(ignored).toContain(entry);
  });
});
