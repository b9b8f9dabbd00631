/**
 * How `slipway api` starts. In the bundle the api is a CommonJS script of its own,
 * dist/api.cjs, run with the V8 code cache beside it, dist/api.cjs.cache (see code-cache.ts):
 * a start then deserializes what start-up compiles instead of parsing and compiling it, which
 * saves about 30 % of the instructions to ready (bench/README.md). `slipway api
 * --write-code-cache` makes that cache: `npm run build` runs it, and the image runs it again
 * with its own node and flags, because V8 accepts a cache only from the same version with the
 * same flags. A cache that is missing, stale or refused costs its time and nothing else; the
 * start-up line says which (`codeCache`). From source there is no api.cjs, and the api is
 * imported as any module.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const API_SCRIPT = 'api.cjs';
const WRITE_CODE_CACHE = '--write-code-cache';

/** dist/api.cjs, whether this module is inlined in the entry or in a chunk below it. */
function apiScript(): string | undefined {
  return ['./', '../'].map((dir) => fileURLToPath(new URL(`${dir}${API_SCRIPT}`, import.meta.url))).find((file) => existsSync(file));
}

type ApiScript = typeof import('./command.ts');

export async function launchApi(args: readonly string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== WRITE_CODE_CACHE);
  if (unknown.length > 0) {
    process.stderr.write(`slipway api: unknown option "${unknown[0]}"; the api takes its settings from the environment (see .env.example), and its only option is ${WRITE_CODE_CACHE}, a build step\n`);
    return 2;
  }
  const writeCache = args.includes(WRITE_CODE_CACHE);
  const script = apiScript();
  if (!script) {
    if (writeCache) {
      process.stderr.write(`slipway api ${WRITE_CODE_CACHE}: no ${API_SCRIPT} next to this program; it is made by npm run build\n`);
      return 1;
    }
    const { runApiCommand } = await import('./command.ts');
    return runApiCommand();
  }
  const { loadScript } = await import('../code-cache.ts');
  const cacheFile = `${script}.cache`;
  const loaded = loadScript(script, cacheFile);
  const api = loaded.exports as unknown as ApiScript;
  if (!writeCache) return api.runApiCommand({ codeCache: loaded.codeCache });
  if (loaded.codeCache === 'skipped') {
    process.stderr.write(`slipway api ${WRITE_CODE_CACHE}: node runs with --enable-source-maps (in NODE_OPTIONS?), under which the script is not compiled the way a cache is made of; run it without\n`);
    return 1;
  }
  await api.warmUpApi();
  const bytes = loaded.writeCodeCache();
  const flags = process.execArgv.join(' ') || 'no flags';
  process.stdout.write(`wrote ${cacheFile} (${Math.round(bytes / 1024)} KiB) for node ${process.version} with ${flags}; a start with another node or other flags compiles as if there were none\n`);
  return 0;
}
