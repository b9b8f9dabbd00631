/**
 * Runs the API until SIGTERM/SIGINT, then shuts down without failing a request in flight:
 * readiness turns 503 at once, the server keeps serving for the hold period so the load
 * balancer deregisters it, then stops accepting, finishes in-flight requests, and closes the
 * pool and Redis.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { CodeCacheState } from '../code-cache.ts';
import type { ApiConfig } from '../config/api.ts';
import { createPool, type DatabaseTimeouts } from '../db/pool.ts';
import { defaultMigrationsDir, readMigrations } from '../migrate/files.ts';
import { createRedis } from '../redis/client.ts';
import { drainAndClose } from '../shutdown.ts';
import { buildApiServer, type ApiDependencies } from './server.ts';
import { registerV1 } from './v1/index.ts';

export interface RunningApi {
  readonly app: FastifyInstance;
  readonly url: string;
  /** Drains and stops; resolves when everything is closed. */
  shutdown(reason: string): Promise<void>;
}

export interface StartApiOptions {
  readonly migrationsDir?: string;
  /** Extra routes, registered after the product routes (tests use this for slow handlers). */
  readonly extraRoutes?: (app: FastifyInstance) => Promise<void> | void;
  /** What became of the bundle's code cache (launch.ts), for the start-up line. */
  readonly codeCache?: CodeCacheState;
  /** Shorter database time limits (tests). @default DATABASE_TIMEOUTS */
  readonly databaseTimeouts?: Partial<DatabaseTimeouts>;
}

export async function startApi(config: ApiConfig, log: Logger, options: StartApiOptions = {}): Promise<RunningApi> {
  for (const name of config.secrets.devDefaults) {
    log.warn({ setting: name }, `${name} is not set: using a development default that production would refuse`);
  }
  const migrations = readMigrations(options.migrationsDir ?? defaultMigrationsDir());
  const pool: pg.Pool = createPool(config.database, log, { timeouts: options.databaseTimeouts });
  const redis: Redis | undefined = config.redis ? createRedis(config.redis, log) : undefined;
  const lifecycle = { draining: false };
  const deps: ApiDependencies = { config, pool, redis, log, migrations, lifecycle };
  const app = await buildApiServer(deps, async (instance) => {
    await registerV1(instance, deps);
    await options.extraRoutes?.(instance);
  });
  const url = await app.listen({ host: config.host, port: config.port });
  log.info(
    { url, release: config.release, database: config.database.target, redis: config.redis?.target ?? null, environment: config.environment, ...(options.codeCache ? { codeCache: options.codeCache } : {}) },
    `api listening on ${url}`,
  );

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    stopping ??= (async () => {
      await drainAndClose(app, lifecycle, { holdSeconds: config.shutdownHoldSeconds, drainSeconds: config.shutdownDrainSeconds }, log, reason);
      await pool.end().catch(() => undefined);
      await redis?.quit().catch(() => redis.disconnect());
      log.info('shutdown complete');
    })();
    return stopping;
  };
  return { app, url, shutdown };
}
