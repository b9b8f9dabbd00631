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
import type { ApiConfig } from '../config/api.ts';
import { createPool } from '../db/pool.ts';
import { defaultMigrationsDir, readMigrations } from '../migrate/files.ts';
import { createRedis } from '../redis/client.ts';
import { buildApiServer, type ApiDependencies } from './server.ts';
import { registerV1 } from './v1/index.ts';

export interface RunningApi {
  readonly app: FastifyInstance;
  readonly url: string;
  /** Drains and stops; resolves when everything is closed. */
  shutdown(reason: string): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StartApiOptions {
  readonly migrationsDir?: string;
  /** Extra routes, registered after the product routes (tests use this for slow handlers). */
  readonly extraRoutes?: (app: FastifyInstance) => Promise<void> | void;
}

export async function startApi(config: ApiConfig, log: Logger, options: StartApiOptions = {}): Promise<RunningApi> {
  for (const name of config.secrets.devDefaults) {
    log.warn({ setting: name }, `${name} is not set: using a development default that production would refuse`);
  }
  const migrations = readMigrations(options.migrationsDir ?? defaultMigrationsDir());
  const pool: pg.Pool = createPool(config.database, log);
  const redis: Redis | undefined = config.redis ? createRedis(config.redis, log) : undefined;
  const lifecycle = { draining: false };
  const deps: ApiDependencies = { config, pool, redis, log, migrations, lifecycle };
  const app = await buildApiServer(deps, async (instance) => {
    await registerV1(instance, deps);
    await options.extraRoutes?.(instance);
  });
  const url = await app.listen({ host: config.host, port: config.port });
  log.info(
    { url, release: config.release, database: config.database.target, redis: config.redis?.target ?? null, environment: config.environment },
    `api listening on ${url}`,
  );

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    stopping ??= (async () => {
      lifecycle.draining = true;
      log.info({ reason, holdSeconds: config.shutdownHoldSeconds }, 'shutting down: readiness is now 503; still serving while the load balancer drains');
      await sleep(config.shutdownHoldSeconds * 1000);
      log.info('no longer accepting connections; finishing requests in flight');
      let timer: NodeJS.Timeout | undefined;
      // Sockets that finish their last request after close() began are closed as they go idle.
      const sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
      const drained = await Promise.race([
        app.close().then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), config.shutdownDrainSeconds * 1000);
        }),
      ]);
      clearTimeout(timer);
      clearInterval(sweeper);
      if (!drained) log.warn({ drainSeconds: config.shutdownDrainSeconds }, 'requests still open after the drain period; closing anyway');
      await pool.end().catch(() => undefined);
      await redis?.quit().catch(() => redis.disconnect());
      log.info('shutdown complete');
    })();
    return stopping;
  };
  return { app, url, shutdown };
}
