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
import type { Logger } from 'pino';
import { loadApiConfig } from '../config/api.ts';
import { ConfigError } from '../config/env.ts';
import { LOOPBACK_HOST } from '../config/listen.ts';
import { loadMigrateConfig, type MigrateConfig } from '../config/migrate.ts';
import { loadWebConfig } from '../config/web.ts';
import { createLogger } from '../logger.ts';
import { createLocalLogger } from './log.ts';

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

async function ensureUiBuilt(log: Logger): Promise<void> {
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

/** A failure `npm start` reports in one line that says what to do: no stack trace. */
export class LocalStartError extends Error {}

/** Your own database (DATABASE_URL or DB_HOST) must answer before migrations run. */
async function waitForDatabase(config: MigrateConfig, log: Logger): Promise<void> {
  const { connectWithRetry, DatabaseConnectError } = await import('../migrate/command.ts');
  const { connectionConfig } = await import('../db/pool.ts');
  try {
    const client = await connectWithRetry(connectionConfig(config.database, log), config.connectTimeoutSeconds, log, undefined, config.database);
    await client.end();
  } catch (error) {
    if (!(error instanceof DatabaseConnectError)) throw error;
    // A TLS failure's message already names the setting to change.
    const fix =
      error.failure.kind === 'tls'
        ? ''
        : config.database.source === 'DATABASE_URL'
          ? ' Check DATABASE_URL, or unset it to use the embedded database.'
          : ' Check DB_HOST and DB_PORT, or unset DB_HOST to use the embedded database.';
    throw new LocalStartError(`${error.message}.${fix}`);
  }
}

export async function startLocal(env: NodeJS.ProcessEnv = withDotenv(process.env)): Promise<{ stop(): Promise<void> }> {
  const log = createLocalLogger('local', env.LOG_LEVEL?.trim() || 'info');
  // Loopback unless HOST says otherwise: development answers reveal sign-in links. Ctrl+C needs
  // no load-balancer hold, and waits at most a few seconds for open requests.
  const settings: NodeJS.ProcessEnv = { SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0', SLIPWAY_SHUTDOWN_DRAIN_SECONDS: '5', ...env, HOST: env.HOST?.trim() || LOOPBACK_HOST };
  let embedded: EmbeddedDatabase | undefined;
  if (!settings.DATABASE_URL?.trim() && !settings.DB_HOST?.trim()) {
    const dataDir = settings.SLIPWAY_DATA_DIR?.trim() || join(repoRoot, '.data/pglite');
    const port = Number(settings.SLIPWAY_EMBEDDED_DB_PORT?.trim() || 7017);
    embedded = await startEmbeddedDatabase(dataDir, port);
    Object.assign(settings, { DATABASE_URL: embedded.url, DATABASE_MAX_CONNS: '1', DATABASE_MIN_CONNS: '0' });
    log.info({ dataDir }, 'using the embedded PostgreSQL (set DATABASE_URL to use your own server)');
  }
  try {
    const migrateConfig = loadMigrateConfig(settings);
    const migrateLog = createLocalLogger('migrate', 'info');
    if (!embedded) await waitForDatabase(migrateConfig, migrateLog);
    const { runMigrate } = await import('../migrate/command.ts');
    const code = await runMigrate(['up'], migrateConfig, migrateLog);
    if (code !== 0) throw new LocalStartError('migrate up failed; see the log above.');

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
    const message =
      error instanceof ConfigError ? error.message : error instanceof LocalStartError ? `npm start: ${error.message}` : `npm start failed: ${(error as Error).stack ?? error}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
}
