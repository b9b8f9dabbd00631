import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const uiRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The web UI builds into `dist/ui`, which the web server serves with an index.html fallback.
 * In `vite dev`, `/api` is forwarded to the API so the browser still sees one origin.
 */
export default defineConfig({
  root: uiRoot,
  base: '/',
  plugins: [react()],
  publicDir: false,
  build: {
    outDir: `${repoRoot}dist/ui`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/api': process.env.WEB_API_UPSTREAM_URL ?? 'http://127.0.0.1:7016',
    },
  },
});
