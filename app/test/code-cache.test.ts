/**
 * A CommonJS script run with a V8 code cache made after it ran (app/src/code-cache.ts): the
 * cache is used only for the very script and node it was made for, and anything else costs a
 * compile, never wrong code. V8 itself is the oracle for why the file carries the script's hash.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HEADER_BYTES, loadScript, wrapCommonJs } from '../src/code-cache.ts';

const CODE_CACHE_MODULE = fileURLToPath(new URL('../src/code-cache.ts', import.meta.url));
// `one` and `two` have the same length: the two scripts differ in content only.
const scriptSaying = (word: 'one' | 'two') =>
  `const { join } = require('node:path');\nexports.answer = function answer() { return '${word}'; };\nmodule.exports.where = join(__dirname, 'x');\nexports.file = __filename;\n`;

// tsx, which runs these tests, turns source maps on; the cache is for a node without them.
const NO_SOURCE_MAPS = { sourceMaps: false };

let dir: string;
let script: string;
let cache: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-code-cache-'));
  script = join(dir, 'script.cjs');
  cache = `${script}.cache`;
  writeFileSync(script, scriptSaying('one'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Loads the script, calls what start-up would call (so it is compiled) and writes the cache. */
function loadRunAndWrite(): number {
  const loaded = loadScript(script, cache, NO_SOURCE_MAPS);
  (loaded.exports.answer as () => string)();
  return loaded.writeCodeCache();
}

/** The same, by a node process of its own started with `nodeFlags`. */
function writeCacheInAnotherProcess(nodeFlags: readonly string[]): void {
  const writer = join(dir, 'write.ts');
  writeFileSync(writer, `import { loadScript } from ${JSON.stringify(CODE_CACHE_MODULE)};\nconst l = loadScript(${JSON.stringify(script)}, ${JSON.stringify(cache)}, { sourceMaps: false });\n(l.exports.answer as () => string)();\nl.writeCodeCache();\n`);
  execFileSync(process.execPath, [...nodeFlags, '--import', 'tsx', writer], { stdio: 'pipe' });
  rmSync(writer);
}

describe('loadScript', () => {
  it('runs a CommonJS script with require, module, __filename and __dirname; no cache yet', () => {
    const loaded = loadScript(script, cache, NO_SOURCE_MAPS);
    expect(loaded.codeCache).toBe('absent');
    expect((loaded.exports.answer as () => string)()).toBe('one');
    expect(loaded.exports.file).toBe(script);
    expect(loaded.exports.where).toBe(join(dir, 'x'));
  });

  it('uses the cache it wrote on the next load, and the script behaves the same', () => {
    const bytes = loadRunAndWrite();
    expect(bytes).toBeGreaterThan(HEADER_BYTES);
    expect(readFileSync(cache).length).toBe(bytes);
    // Written whole through a temporary file that is gone afterwards.
    expect(readdirSync(dir).sort()).toEqual(['script.cjs', 'script.cjs.cache']);
    const again = loadScript(script, cache, NO_SOURCE_MAPS);
    expect(again.codeCache).toBe('used');
    expect((again.exports.answer as () => string)()).toBe('one');
  });

  it('never hands V8 the cache of another script of the same length, which V8 would take and run', () => {
    writeCacheInAnotherProcess([]);
    writeFileSync(script, scriptSaying('two'));
    const loaded = loadScript(script, cache, NO_SOURCE_MAPS);
    expect(loaded.codeCache).toBe('stale');
    expect((loaded.exports.answer as () => string)()).toBe('two');

    // The oracle, in a fresh process (V8 would otherwise find the new script in its in-memory
    // compilation cache): V8 given that cache with the new script checks only the length,
    // accepts it and runs the old code. Should a later V8 refuse it, the header's hash is merely redundant.
    writeFileSync(join(dir, 'wrapped.js'), wrapCommonJs(scriptSaying('two')));
    writeFileSync(join(dir, 'payload.bin'), readFileSync(cache).subarray(HEADER_BYTES));
    const oracle = `const fs = require('node:fs'); const { Script } = require('node:vm');
      const s = new Script(fs.readFileSync('wrapped.js', 'utf8'), { filename: ${JSON.stringify(script)}, cachedData: fs.readFileSync('payload.bin') });
      const m = { exports: {} }; s.runInThisContext()(m.exports, require, m, ${JSON.stringify(script)}, ${JSON.stringify(dir)});
      process.stdout.write(JSON.stringify({ rejected: s.cachedDataRejected, answer: m.exports.answer() }));`;
    const v8 = JSON.parse(execFileSync(process.execPath, ['-e', oracle], { cwd: dir, encoding: 'utf8' })) as { rejected: boolean; answer: string };
    expect(v8, 'V8 now refuses a cache made from other source text of the same length').toEqual({ rejected: false, answer: 'one' });
  });

  it('refuses a damaged cache: a changed payload byte, a foreign or a cut-off file', () => {
    loadRunAndWrite();
    const bytes = readFileSync(cache);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(cache, bytes);
    expect(loadScript(script, cache, NO_SOURCE_MAPS).codeCache).toBe('damaged');
    writeFileSync(cache, 'not a cache');
    expect(loadScript(script, cache, NO_SOURCE_MAPS).codeCache).toBe('damaged');
    writeFileSync(cache, bytes.subarray(0, HEADER_BYTES - 1));
    const loaded = loadScript(script, cache, NO_SOURCE_MAPS);
    expect(loaded.codeCache).toBe('damaged');
    expect((loaded.exports.answer as () => string)()).toBe('one');
  });

  it('reports a cache V8 refuses because it was made under other V8 flags, and runs the script', () => {
    writeCacheInAnotherProcess(['--stack-size=900']);
    const loaded = loadScript(script, cache, NO_SOURCE_MAPS);
    expect(loaded.codeCache).toBe('rejected');
    expect((loaded.exports.answer as () => string)()).toBe('one');
  });

  it('leaves the cache aside under --enable-source-maps, so stack traces name the source file and line', () => {
    const source = join(dir, 'thrower.ts');
    writeFileSync(source, 'export function fail(): never {\n  // the throw is on line 3\n  throw new Error("failed here");\n}\n');
    buildSync({ entryPoints: [source], outfile: script, bundle: true, format: 'cjs', platform: 'node', sourcemap: 'linked', minifyWhitespace: true, logLevel: 'silent' });
    const runner = join(dir, 'run.ts');
    writeFileSync(runner, `import { loadScript } from ${JSON.stringify(CODE_CACHE_MODULE)};\nconst l = loadScript(${JSON.stringify(script)}, ${JSON.stringify(cache)});\ntry { (l.exports.fail as () => never)(); } catch (error) { process.stdout.write(JSON.stringify({ codeCache: l.codeCache, stack: (error as Error).stack })); }\n`);
    const seen = JSON.parse(execFileSync(process.execPath, ['--enable-source-maps', '--import', 'tsx', runner], { encoding: 'utf8' })) as { codeCache: string; stack: string };
    expect(seen.codeCache).toBe('skipped');
    expect(seen.stack).toContain(`${source}:3:`);
  });
});