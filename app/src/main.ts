/**
 * The one program in the image: `slipway api`, `slipway web`, `slipway migrate up|status|app-role`.
 * Each command parses its settings once; bad settings stop it before anything starts, with
 * every problem listed. This entry imports nothing itself: each command loads only its own
 * code (the api runs as a script of its own, see api/launch.ts).
 */

const USAGE = `Usage: slipway <command>

Commands:
  api                 the HTTP API (port 7016)
  api --write-code-cache
                      make the api's start-up code cache (a build step: npm run build and the image run it)
  web                 the web UI, proxying /api/* to the API (port 7015)
  migrate up          apply pending database migrations
  migrate status      list applied and pending migrations
  migrate app-role    create or update the api's own login (DB_APP_USER) and its grants only
  stats               print row counts as one JSON line (restore drills compare them)

Settings come from the environment; see .env.example.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'api': {
        const { launchApi } = await import('./api/launch.ts');
        return await launchApi(args);
      }
      case 'web': {
        const [{ loadWebConfig }, { createLogger }, { onSignals }] = await Promise.all([import('./config/web.ts'), import('./logger.ts'), import('./commands.ts')]);
        const config = loadWebConfig();
        const { startWeb } = await import('./web/server.ts');
        const log = createLogger({ level: config.logLevel, name: 'web' });
        const web = await startWeb(config, log);
        onSignals((signal) => web.shutdown(signal));
        return -1;
      }
      case 'migrate': {
        const [{ loadMigrateConfig }, { createLogger }] = await Promise.all([import('./config/migrate.ts'), import('./logger.ts')]);
        const config = loadMigrateConfig();
        const { runMigrate } = await import('./migrate/command.ts');
        const log = createLogger({ level: process.env.LOG_LEVEL?.trim() || 'info', name: 'migrate' });
        return await runMigrate(args, config, log);
      }
      case 'stats': {
        const [{ loadMigrateConfig }, { createLogger }] = await Promise.all([import('./config/migrate.ts'), import('./logger.ts')]);
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
    const { reportStartFailure } = await import('./commands.ts');
    return reportStartFailure(command, error);
  }
}

const code = await main(process.argv.slice(2));
// -1: a server is running and exits on a signal.
if (code !== -1) process.exit(code);
