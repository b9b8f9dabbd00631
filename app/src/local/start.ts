/**
 * `npm start`: the whole app on one machine with nothing installed. Without DATABASE_URL (or
 * DB_HOST) it serves an embedded PostgreSQL (PGlite over the Postgres wire protocol, data in
 * .data/) so the app still only speaks `pg`; then it runs `migrate up`, starts the API and the
 * web server, and prints the URL to open. REDIS_URL is used when set. Settings come from the
 * environment and, for what it does not set, a `.env` file.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import { loadApiConfig } from '../config/api.ts';
import { ConfigError } from '../config/env.ts';
import { LOOPBACK_HOST } from '../config/listen.ts';
import { loadMigrateConfig } from '../config/migrate.ts';
import { loadWebConfig } from '../config/web.ts';
import { createLogger } from '../logger.ts';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

interface EmbeddedDatabase {
  readonly url: string;
  close(): Promise<void>;
}

/** PGlite handles one session at a time, so the app gets a pool of one connection. */
async function startEmbeddedDatabase(dataDir: string, port: number): Promise<EmbeddedDatabase> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1' });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

async function ensureUiBuilt(log: ReturnType<typeof createLogger>): Promise<void> {
  if (existsSync(join(repoRoot, 'dist/ui/index.html'))) return;
  if (!existsSync(join(repoRoot, 'app/ui/vite.config.ts'))) return;
  log.info('building the web UI once (dist/ui)…');
  const { buildUi } = await import('../../build.ts');
  await buildUi();
}

/** Settings from `.env` when present; the real environment wins over the file. */
function withDotenv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const file = join(repoRoot, '.env');
  return existsSync(file) ? { ...parseDotenv(readFileSync(file)), ...env } : env;
}

export async function startLocal(env: NodeJS.ProcessEnv = withDotenv(process.env)): Promise<{ stop(): Promise<void> }> {
  const log = createLogger({ level: env.LOG_LEVEL?.trim() || 'info', name: 'local' });
  // Loopback unless HOST says otherwise: development answers reveal sign-in links.
  const settings: NodeJS.ProcessEnv = { SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0', ...env, HOST: env.HOST?.trim() || LOOPBACK_HOST };
  let embedded: EmbeddedDatabase | undefined;
  if (!settings.DATABASE_URL?.trim() && !settings.DB_HOST?.trim()) {
    const dataDir = settings.SLIPWAY_DATA_DIR?.trim() || join(repoRoot, '.data/pglite');
    const port = Number(settings.SLIPWAY_EMBEDDED_DB_PORT?.trim() || 7017);
    embedded = await startEmbeddedDatabase(dataDir, port);
    Object.assign(settings, { DATABASE_URL: embedded.url, DATABASE_MAX_CONNS: '1', DATABASE_MIN_CONNS: '0' });
    log.info({ dataDir }, 'using the embedded PostgreSQL (set DATABASE_URL to use your own server)');
  }
  try {
    const { runMigrate } = await import('../migrate/command.ts');
    const code = await runMigrate(['up'], loadMigrateConfig(settings), createLogger({ level: 'info', name: 'migrate' }));
    if (code !== 0) throw new Error('migrate up failed; see the log above');

    const apiConfig = loadApiConfig(settings);
    // The web server forwards to the API started here (SLIPWAY_API_URL is the CLI's setting).
    const webConfig = loadWebConfig({ ...settings, WEB_API_UPSTREAM_URL: `http://127.0.0.1:${apiConfig.port}` });
    await ensureUiBuilt(log);
    const { startApi } = await import('../api/run.ts');
    const { startWeb } = await import('../web/server.ts');
    const api = await startApi(apiConfig, createLogger({ level: apiConfig.logLevel, name: 'api' }));
    const web = await startWeb(webConfig, createLogger({ level: webConfig.logLevel, name: 'web' }));
    const shown = `http://localhost:${webConfig.port}`;
    const reach = webConfig.listensBeyondLoopback
      ? `  HOST=${webConfig.host}: other machines on your network can connect.\n`
      : '  Only this machine can connect (set HOST=0.0.0.0 to listen on every interface).\n';
    process.stdout.write(`\n  Slipway is running: open ${shown}\n  API: http://localhost:${apiConfig.port}/api/readyz\n${reach}  Stop with Ctrl+C.\n\n`);
    return {
      async stop() {
        await Promise.all([web.shutdown('stop'), api.shutdown('stop')]);
        await embedded?.close();
      },
    };
  } catch (error) {
    await embedded?.close();
    throw error;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const running = await startLocal();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        running.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : `npm start failed: ${(error as Error).stack ?? error}`}\n`);
    process.exit(1);
  }
}
