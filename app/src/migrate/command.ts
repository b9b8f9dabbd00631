/**
 * The `migrate` command: `migrate up` applies pending files (then, with DB_APP_USER, keeps the
 * api's login and its grants, and analyzes the tables left without planner statistics:
 * statistics.ts), `migrate status` lists applied and pending ones, `migrate
 * app-role` only keeps the api's login (a restored copy gets the secret's current password). The first connection is retried with backoff, because in a fresh
 * environment the database may still be starting (but not a certificate that fails to verify).
 */
import type { Logger } from 'pino';
import pg from 'pg';
import type { DatabaseConfig } from '../config/database.ts';
import { describeTarget, explainDatabaseError, type DatabaseFailure } from '../config/database-errors.ts';
import type { MigrateConfig } from '../config/migrate.ts';
import { connectionConfig, type ConnectionConfig } from '../db/pool.ts';
import { keepAppLogin, type KeepAppLoginOptions } from './app-login.ts';
import { defaultMigrationsDir, readMigrations } from './files.ts';
import { MigrationError, migrateUp, migrationStatus, withMigrationLock } from './runner.ts';
import { refreshMissingStatistics } from './statistics.ts';

/** The first connection failed for good: `failure` says why and which setting to check. */
export class DatabaseConnectError extends MigrationError {
  constructor(
    message: string,
    readonly failure: DatabaseFailure,
  ) {
    super(message);
    this.name = 'DatabaseConnectError';
  }
}

/**
 * Connects with `poolConfig` (from `connectionConfig`, so with DB_SECRET_ARN a rejected
 * password is read again from the secret before the next attempt). A server that is not
 * reachable yet is retried with backoff until `timeoutSeconds`; a TLS certificate that fails
 * verification is final at once. `database` names the target and its settings in messages.
 */
export async function connectWithRetry(
  poolConfig: pg.ClientConfig & Pick<ConnectionConfig, 'Client'>,
  timeoutSeconds: number,
  log: Logger,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  database?: DatabaseConfig,
): Promise<pg.Client> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let delay = 250;
  const { Client: ClientClass, ...clientConfig } = poolConfig;
  const Client = (ClientClass ?? pg.Client) as typeof pg.Client;
  const at = database ? ` at ${describeTarget(database)}` : '';
  for (let attempt = 1; ; attempt++) {
    const client = new Client({ ...clientConfig, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      const failure = explainDatabaseError(error, database);
      if (!failure.retryable) throw new DatabaseConnectError(failure.message, failure);
      if (Date.now() + delay > deadline) {
        throw new DatabaseConnectError(`could not connect to the database${at} within ${timeoutSeconds} s (MIGRATE_CONNECT_TIMEOUT_SECONDS): ${failure.reason}`, failure);
      }
      const seconds = Math.ceil((deadline - Date.now()) / 1000);
      log.warn(
        { attempt, retryInMs: delay, error: failure.reason },
        `database${at} not reachable yet (${failure.reason}); attempt ${attempt}, retrying in ${delay / 1000} s, giving up in ${seconds} s`,
      );
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

const SUBCOMMANDS = ['up', 'status', 'app-role'] as const;

export async function runMigrate(args: string[], config: MigrateConfig, log: Logger, options: KeepAppLoginOptions = {}): Promise<number> {
  const sub = args[0] ?? 'up';
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    log.error(`unknown migrate subcommand "${sub}"; expected "migrate up", "migrate status" or "migrate app-role"`);
    return 2;
  }
  const { appRole } = config;
  if (sub === 'app-role' && !appRole) {
    log.error('migrate app-role keeps the api login named by DB_APP_USER, which is not set: set DB_APP_USER and DB_APP_SECRET_ARN (or DB_APP_PASSWORD)');
    return 2;
  }
  let files;
  try {
    files = readMigrations(config.migrationsDir ?? defaultMigrationsDir());
  } catch (error) {
    log.error({ error: (error as Error).message }, 'cannot read migrations');
    return 1;
  }
  let client: pg.Client | undefined;
  try {
    client = await connectWithRetry(connectionConfig(config.database, log), config.connectTimeoutSeconds, log, undefined, config.database);
    if (sub === 'status') {
      const status = await migrationStatus(client, files);
      const appliedVersions = new Set(status.applied.map((a) => a.version));
      log.info(
        {
          applied: status.applied.map((a) => ({ version: a.version, name: a.name, appliedAt: a.appliedAt })),
          pending: status.pending.map((p) => p.filename),
          unknown: status.unknown.map((u) => `${String(u.version).padStart(4, '0')}_${u.name}`),
          changed: status.changed.map((c) => c.file.filename),
          latestKnown: files.at(-1)?.version ?? null,
          upToDate: files.every((f) => appliedVersions.has(f.version)) && status.changed.length === 0,
        },
        `migrations: ${status.applied.length} applied, ${status.pending.length} pending` +
          (status.changed.length ? `, ${status.changed.length} changed after applying` : ''),
      );
      return status.changed.length > 0 ? 1 : 0;
    }
    const db = client;
    const onWaitForLock = () => log.info('another migration run holds the lock; waiting for it to finish');
    const keepLogin = appRole ? async () => void (await keepAppLogin(db, appRole, config.database, log, options)) : undefined;
    if (sub === 'app-role') {
      await withMigrationLock(db, keepLogin!, onWaitForLock);
      return 0;
    }
    const result = await migrateUp(client, files, {
      onWaitForLock,
      afterMigrations: keepLogin,
      onApply: (file) => log.info({ file: file.filename }, `applying ${file.filename}`),
      onApplied: (file, durationMs) => log.info({ file: file.filename, durationMs }, `applied ${file.filename}`),
      onSkipped: (file, reason) => log.warn({ file: file.filename, reason }, `skipped ${file.filename}: ${reason}; the app works without it, only slower`),
    });
    log.info(
      { applied: result.applied.length, alreadyApplied: result.alreadyApplied, latest: result.latest },
      result.applied.length === 0 ? 'database is up to date; nothing to apply' : `applied ${result.applied.length} migration(s)`,
    );
    const statistics = await refreshMissingStatistics(client);
    if (statistics.analyzed.length) {
      log.info(
        { analyzed: statistics.analyzed, durationMs: statistics.durationMs },
        `analyzed ${statistics.analyzed.length} table(s) that held rows but had no planner statistics (a major version upgrade leaves none): ${statistics.analyzed.join(', ')}`,
      );
    }
    for (const { table, error } of statistics.failed) {
      log.warn({ table, error }, `could not analyze ${table} (${error}); queries on it may be slow until autovacuum analyzes it`);
    }
    return 0;
  } catch (error) {
    const migrationError = error instanceof MigrationError ? error : undefined;
    log.error({ file: migrationError?.filename, error: (error as Error).message }, `migration failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await client?.end().catch(() => undefined);
  }
}
