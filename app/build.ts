/**
 * `npm run build [-- --outdir DIR]`: bundles the three commands into one file, dist/slipway.mjs (run as
 * `node dist/slipway.mjs api|web|migrate`), copies the migrations next to it and builds the
 * web UI into dist/ui. The result runs from an empty folder with plain node: no node_modules.
 */
import { cpSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

export async function buildBundle(outdir = dist): Promise<void> {
  await build({
    entryPoints: [join(root, 'app/src/main.ts')],
    outfile: join(outdir, 'slipway.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    legalComments: 'linked',
    // CommonJS dependencies call require(); an ES module has none unless we make one.
    banner: { js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);" },
    // pg probes for its optional native binding and does without it.
    external: ['pg-native'],
    logLevel: 'warning',
  });
  rmSync(join(outdir, 'migrations'), { recursive: true, force: true });
  cpSync(join(root, 'app/migrations'), join(outdir, 'migrations'), { recursive: true });
}

export async function buildUi(outdir = join(dist, 'ui')): Promise<boolean> {
  const configFile = join(root, 'app/ui/vite.config.ts');
  if (!existsSync(configFile)) return false;
  const vite = await import('vite');
  await vite.build({ configFile, logLevel: 'warn', build: { outDir: outdir, emptyOutDir: true } });
  return true;
}

async function main(argv: string[]): Promise<void> {
  const started = performance.now();
  const flag = argv.indexOf('--outdir');
  if (flag !== -1 && !argv[flag + 1]) throw new Error('--outdir needs a folder, e.g. npm run build -- --outdir /tmp/slipway-dist');
  const outdir = flag === -1 ? dist : argv[flag + 1]!;
  mkdirSync(outdir, { recursive: true });
  await buildBundle(outdir);
  const withUi = await buildUi(join(outdir, 'ui'));
  const size = (statSync(join(outdir, 'slipway.mjs')).size / 1024 / 1024).toFixed(1);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `built ${outdir}/slipway.mjs (${size} MiB), migrations${withUi ? ', ui' : ''} in ${seconds}s\n` +
      `run: node ${outdir}/slipway.mjs api | web | migrate up\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
