/**
 * The one program in the image: `slipway api`, `slipway web`, `slipway migrate up|status|app-role`.
 * Each command parses its settings once; bad settings stop it before anything starts, with
 * every problem listed.
 */
import { loadApiConfig } from './config/api.ts';
import { ConfigError } from './config/env.ts';
import { loadMigrateConfig } from './config/migrate.ts';
import { loadWebConfig } from './config/web.ts';
import { createLogger } from './logger.ts';

const USAGE = `Usage: slipway <command>

Commands:
  api                 the HTTP API (port 7016)
  web                 the web UI, proxying /api/* to the API (port 7015)
  migrate up          apply pending database migrations
  migrate status      list applied and pending migrations
  migrate app-role    create or update the api's own login (DB_APP_USER) and its grants only
  stats               print row counts as one JSON line (restore drills compare them)

Settings come from the environment; see .env.example.`;

function onSignals(handler: (signal: string) => Promise<void>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      handler(signal).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'api': {
        const config = loadApiConfig();
        const { startApi } = await import('./api/run.ts');
        const log = createLogger({ level: config.logLevel, name: 'api' });
        const api = await startApi(config, log);
        onSignals((signal) => api.shutdown(signal));
        return -1;
      }
      case 'web': {
        const config = loadWebConfig();
        const { startWeb } = await import('./web/server.ts');
        const log = createLogger({ level: config.logLevel, name: 'web' });
        const web = await startWeb(config, log);
        onSignals((signal) => web.shutdown(signal));
        return -1;
      }
      case 'migrate': {
        const config = loadMigrateConfig();
        const { runMigrate } = await import('./migrate/command.ts');
        const log = createLogger({ level: process.env.LOG_LEVEL?.trim() || 'info', name: 'migrate' });
        return await runMigrate(args, config, log);
      }
      case 'stats': {
        const config = loadMigrateConfig();
        const { connectWithRetry } = await import('./migrate/command.ts');
        const { connectionConfig } = await import('./db/pool.ts');
        const { collectStats } = await import('./stats/command.ts');
        const log = createLogger({ level: 'warn', name: 'stats' });
        const client = await connectWithRetry(connectionConfig(config.database, log), config.connectTimeoutSeconds, log, undefined, config.database);
        try {
          process.stdout.write(`${JSON.stringify(await collectStats(client))}\n`);
        } finally {
          await client.end();
        }
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    // Its message says what failed and which setting to check: no stack trace needed.
    if ((error as Error).name === 'DatabaseConnectError') {
      process.stderr.write(`slipway ${command}: ${(error as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`slipway ${command ?? ''} failed to start: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// -1: a server is running and exits on a signal.
if (code !== -1) process.exit(code);
