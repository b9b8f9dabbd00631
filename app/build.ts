/**
 * `npm run build [-- --outdir DIR]`: bundles the commands into dist/slipway.mjs (run as
 * `node dist/slipway.mjs api|web|migrate`) and the chunks it loads (dist/chunks/), copies the
 * migrations next to it and builds the web UI into dist/ui. The result runs from an empty
 * folder with plain node: no node_modules.
 *
 * Start-up time is mostly V8 compiling the JavaScript a command loads, so a command loads
 * only its own code: the entry is small and each command (and each lazily loaded library:
 * the AWS SDK clients, nodemailer, the OpenAPI generator) is a chunk of its own, which the
 * ESM code splitting of esbuild shares between commands. The api, whose start-up decides how
 * soon a new task takes traffic, goes further: it is also built as one CommonJS script,
 * dist/api.cjs, and the build runs it once to write the V8 code cache its starts load
 * (app/src/api/launch.ts). Whitespace and syntax are minified (about a third fewer bytes to
 * read and parse); identifiers keep their names, so stack traces stay readable, and the
 * linked source maps lead back to the source.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { API_SCRIPT } from './src/api/launch.ts';
import { NODE_FLAGS } from './node-flags.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

/**
 * zod re-exports its error messages in every language as `z.locales`; the API speaks English
 * only (zod configures it by itself), and the other languages were a tenth of the bundle.
 */
const englishOnlyZod: Plugin = {
  name: 'english-only-zod',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir) ? { path: 'zod-locales', namespace: 'english-only-zod', pluginData: args.resolveDir } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'english-only-zod' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';",
      resolveDir: args.pluginData as string,
      loader: 'js',
    }));
  },
};

/**
 * pg asks at load whether it runs in a Cloudflare Worker by constructing a fetch `Response`,
 * which makes Node load its whole fetch implementation (tens of milliseconds of start-up).
 * This bundle runs on Node only, so the probe answers no at once. Should pg rename the
 * function, the replacement does not apply and the probe merely costs its time again.
 */
const nodeOnlyPg: Plugin = {
  name: 'node-only-pg',
  setup(build) {
    build.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replace('function isCloudflareRuntime() {', 'function isCloudflareRuntime() {\n  return false;'), loader: 'js' };
    });
  },
};

/** The chunks folder next to the entry; emptied first, so a rebuild leaves no stale chunk behind. */
export const CHUNKS_DIR = 'chunks';

/** What both builds share: Node 20 and up, minified whitespace and syntax, readable names, linked source maps. */
const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  plugins: [englishOnlyZod, nodeOnlyPg],
  // pg probes for its optional native binding and does without it.
  external: ['pg-native'],
  logLevel: 'warning',
};

export async function buildBundle(outdir = dist): Promise<void> {
  rmSync(join(outdir, CHUNKS_DIR), { recursive: true, force: true });
  await build({
    ...COMMON,
    entryPoints: { slipway: join(root, 'app/src/main.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: `${CHUNKS_DIR}/[name]-[hash]`,
    format: 'esm',
    // CommonJS dependencies call require(); an ES module has none unless we make one.
    banner: { js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);" },
  });
  await buildApiScript(outdir);
  rmSync(join(outdir, 'migrations'), { recursive: true, force: true });
  cpSync(join(root, 'app/migrations'), join(outdir, 'migrations'), { recursive: true });
  writeApiCodeCache(outdir);
}

/**
 * The api as one CommonJS script (dist/api.cjs), the form a V8 code cache can be made for after
 * it has run (app/src/code-cache.ts). What the api imports only when a feature is configured
 * (the AWS SDK clients, nodemailer, the OpenAPI generator) is in the file but runs only then,
 * and with the cache accepted it is not even parsed until then.
 */
async function buildApiScript(outdir: string): Promise<void> {
  await build({
    ...COMMON,
    entryPoints: [join(root, 'app/src/api/command.ts')],
    outfile: join(outdir, API_SCRIPT),
    format: 'cjs',
    // import() inside a vm script needs an experimental loader hook; as require() it needs none.
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': '__slipwayScriptUrl' },
    banner: { js: "var __slipwayScriptUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
}

/**
 * Runs the bundle's `api --write-code-cache` with the image's node flags (V8 takes a cache
 * only under the flags it was made with). The image makes its own with its own node (app/Dockerfile).
 */
function writeApiCodeCache(outdir: string): void {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  execFileSync(process.execPath, [...NODE_FLAGS, join(outdir, 'slipway.mjs'), 'api', '--write-code-cache'], { env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
}

export async function buildUi(outdir = join(dist, 'ui')): Promise<boolean> {
  const configFile = join(root, 'app/ui/vite.config.ts');
  if (!existsSync(configFile)) return false;
  const vite = await import('vite');
  await vite.build({ configFile, logLevel: 'warn', build: { outDir: outdir, emptyOutDir: true } });
  return true;
}

/** The bytes of JavaScript the build wrote: the entry and every chunk (source maps not counted). */
export function bundleBytes(outdir: string): number {
  const chunks = join(outdir, CHUNKS_DIR);
  const files = [join(outdir, 'slipway.mjs'), join(outdir, API_SCRIPT), ...(existsSync(chunks) ? readdirSync(chunks).filter((f) => f.endsWith('.mjs')).map((f) => join(chunks, f)) : [])];
  return files.filter((file) => existsSync(file)).reduce((sum, file) => sum + statSync(file).size, 0);
}

async function main(argv: string[]): Promise<void> {
  const started = performance.now();
  const flag = argv.indexOf('--outdir');
  if (flag !== -1 && !argv[flag + 1]) throw new Error('--outdir needs a folder, e.g. npm run build -- --outdir /tmp/slipway-dist');
  const outdir = flag === -1 ? dist : argv[flag + 1]!;
  mkdirSync(outdir, { recursive: true });
  await buildBundle(outdir);
  const withUi = await buildUi(join(outdir, 'ui'));
  const size = (bundleBytes(outdir) / 1024 / 1024).toFixed(1);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `built ${outdir}/slipway.mjs and its chunks, the api script and its code cache (${size} MiB of JavaScript), migrations${withUi ? ', ui' : ''} in ${seconds}s\n` +
      `run: node ${outdir}/slipway.mjs api | web | migrate up\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
