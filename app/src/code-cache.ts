/**
 * Runs a CommonJS script with a V8 code cache made after the script has run, so a later start
 * deserializes the functions its start-up compiled instead of parsing and compiling them again.
 *
 * Node's own module compile cache (`module.enableCompileCache`) serializes a module right after
 * compiling it, before it runs: the cache then holds the top-level code only, and every
 * function start-up calls (esbuild wraps each bundled CommonJS module in one) is still parsed
 * and compiled on the spot. `vm.Script#createCachedData()` called after the run includes the
 * functions compiled so far ("code cache ... will also include the functions that have been
 * compiled", node's vm documentation, script.createCachedData()).
 *
 * V8 checks a cache against its own version and flags and rejects it on a mismatch, but of the
 * source it checks only the length (V8's SerializedCodeData::SourceHash), and it does not
 * checksum the payload in release builds. So the file carries the SHA-256 of the script it was
 * made from and a CRC-32 of its payload, and a cache that does not match both is never handed
 * to V8: a stale or damaged cache costs the compile it would have saved, never wrong code.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

/**
 * What became of the cache at load: `used`; none there; made from another script; damaged;
 * refused by V8 (another node or other V8 flags); or `skipped` because node runs with
 * --enable-source-maps, which maps stack traces only of scripts node's own loader compiled.
 */
export type CodeCacheState = 'used' | 'absent' | 'stale' | 'damaged' | 'rejected' | 'skipped';

export interface LoadedScript {
  /** The script's `module.exports`. */
  readonly exports: Record<string, unknown>;
  readonly codeCache: CodeCacheState;
  /** Writes the cache of what has been compiled so far; returns its size in bytes. */
  writeCodeCache(): number;
}

const MAGIC = 'slipway-code-cache-1\n';
/** MAGIC, the script's SHA-256 (hex), then the payload's CRC-32 (8 hex digits) and a newline; the V8 payload follows. */
export const HEADER_BYTES = MAGIC.length + 64 + 8 + 1;

/** The CommonJS wrapper; it opens on the script's first line, so line numbers stay the file's. */
export const wrapCommonJs = (source: string) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

const sha256 = (source: Buffer) => createHash('sha256').update(source).digest('hex');

/** The cache's V8 payload when the file is one for exactly this script; otherwise why not. */
function readCache(cacheFile: string, scriptHash: string): Buffer | Exclude<CodeCacheState, 'used' | 'rejected'> {
  if (!existsSync(cacheFile)) return 'absent';
  const file = readFileSync(cacheFile);
  const header = file.subarray(0, HEADER_BYTES).toString('latin1');
  if (!header.startsWith(MAGIC) || header.length < HEADER_BYTES) return 'damaged';
  if (header.slice(MAGIC.length, MAGIC.length + 64) !== scriptHash) return 'stale';
  const payload = file.subarray(HEADER_BYTES);
  const expected = header.slice(MAGIC.length + 64, MAGIC.length + 72);
  return crc32(payload).toString(16).padStart(8, '0') === expected ? payload : 'damaged';
}

/**
 * Loads `scriptFile` (CommonJS, as esbuild writes it) with the code cache at `cacheFile` when
 * that cache was made from this very script; runs it and returns its exports. `sourceMaps`:
 * whether stack traces are to be source-mapped (--enable-source-maps, or tsx, which turns it on).
 */
export function loadScript(scriptFile: string, cacheFile: string, options: { sourceMaps?: boolean } = {}): LoadedScript {
  if (options.sourceMaps ?? process.sourceMapsEnabled) {
    // Traces that name source files and lines are what the flag is for; they cost the cache.
    const exports = createRequire(scriptFile)(scriptFile) as Record<string, unknown>;
    return {
      exports,
      codeCache: 'skipped',
      writeCodeCache() {
        throw new Error('a code cache is made without --enable-source-maps (the script was loaded by node\'s own loader)');
      },
    };
  }
  const bytes = readFileSync(scriptFile);
  const scriptHash = sha256(bytes);
  const cached = readCache(cacheFile, scriptHash);
  const script = new Script(wrapCommonJs(bytes.toString('utf8')), {
    filename: scriptFile,
    cachedData: typeof cached === 'string' ? undefined : cached,
  });
  const codeCache: CodeCacheState = typeof cached === 'string' ? cached : script.cachedDataRejected ? 'rejected' : 'used';
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(scriptFile), module, scriptFile, dirname(scriptFile));
  return {
    exports: module.exports,
    codeCache,
    writeCodeCache() {
      const payload = script.createCachedData();
      const header = `${MAGIC}${scriptHash}${crc32(payload).toString(16).padStart(8, '0')}\n`;
      // Whole or not at all: a start that reads it meanwhile sees the old file or the new one.
      const partial = `${cacheFile}.${process.pid}.partial`;
      writeFileSync(partial, Buffer.concat([Buffer.from(header, 'latin1'), payload]));
      renameSync(partial, cacheFile);
      return HEADER_BYTES + payload.length;
    },
  };
}
