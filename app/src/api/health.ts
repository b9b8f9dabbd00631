/**
 * Liveness, readiness and version. Liveness never touches a dependency (a slow database must
 * not get healthy tasks killed); readiness checks the database with a 2 s limit, that every
 * migration this build knows is applied, and Redis when configured. During shutdown readiness
 * answers 503 at once so the load balancer stops sending new requests.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { z } from 'zod';
import type { MigrationFile } from '../migrate/files.ts';
import { compare, readApplied } from '../migrate/runner.ts';

export interface Check {
  ok: boolean;
  latencyMs?: number;
  reason?: string;
}

export interface Readiness {
  status: 'ok' | 'unavailable' | 'draining';
  checks: { db: Check; migrations: Check; redis?: Check };
}

export interface HealthOptions {
  readonly pool: pg.Pool;
  readonly redis?: Redis;
  readonly migrations: MigrationFile[];
  readonly release: string;
  readonly commit: string;
  readonly isDraining: () => boolean;
  readonly dbTimeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function waitUntilReady(redis: Redis, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    // The listener goes away on timeout too, so probes during a long outage do not pile up.
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`not connected (${redis.status})`));
    }, ms);
    redis.once('ready', onReady);
  });
}

const check = z.object({ ok: z.boolean(), latencyMs: z.number().optional(), reason: z.string().optional() });
const readinessJson = z
  .object({
    status: z.enum(['ok', 'unavailable', 'draining']),
    reason: z.string().optional(),
    checks: z.object({ db: check.optional(), migrations: check.optional(), redis: check.optional().describe('absent without Redis') }),
  })
  .meta({ id: 'Readiness' });
const healthSchema = { summary: 'Liveness: 200 while the process serves; touches no dependency', response: { 200: z.object({ status: z.literal('ok') }) } };
const readinessSchema = {
  summary: 'Readiness: the database (2 s limit), migrations applied, Redis when configured; 503 names the failing check',
  response: { 200: readinessJson, 503: readinessJson },
};
const versionSchema = {
  summary: 'Release, commit and migrations',
  response: {
    200: z.object({
      release: z.string(),
      commit: z.string(),
      migration: z.object({ latest: z.string().nullable(), applied: z.string().nullable() }),
    }),
  },
};

/** The liveness answer (also written by liveness-server.ts before the router). */
export const HEALTHY = { status: 'ok' } as const;

const migrationName = (file?: MigrationFile) => (file ? file.filename.replace(/\.sql$/, '') : null);

export function registerHealth(app: FastifyInstance, options: HealthOptions): { readiness: () => Promise<Readiness> } {
  const dbTimeoutMs = options.dbTimeoutMs ?? 2000;
  // Once every known migration is seen applied, there is no need to ask again on every probe.
  let migrationsConfirmedAt = 0;

  async function checkDb(): Promise<Check> {
    const started = performance.now();
    try {
      await withTimeout(options.pool.query({ text: 'SELECT 1', query_timeout: dbTimeoutMs } as pg.QueryConfig), dbTimeoutMs, 'the database');
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { ok: false, reason: `database unreachable: ${(error as Error).message}` };
    }
  }

  async function checkMigrations(dbOk: boolean): Promise<Check> {
    if (Date.now() - migrationsConfirmedAt < 30_000) return { ok: true };
    if (!dbOk) return { ok: false, reason: 'cannot check: database unreachable' };
    try {
      const status = compare(options.migrations, await withTimeout(readApplied(options.pool), dbTimeoutMs, 'the database'));
      if (status.changed.length > 0) {
        return { ok: false, reason: `applied migration changed since: ${status.changed.map((c) => c.file.filename).join(', ')}` };
      }
      if (status.pending.length > 0) {
        return { ok: false, reason: `${status.pending.length} pending: ${status.pending.map((p) => p.filename).join(', ')}; run "migrate up"` };
      }
      migrationsConfirmedAt = Date.now();
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `cannot read applied migrations: ${(error as Error).message}` };
    }
  }

  async function checkRedis(redis: Redis): Promise<Check> {
    const started = performance.now();
    try {
      // Commands fail fast while disconnected; give a connection that is coming up a chance.
      if (redis.status !== 'ready') await waitUntilReady(redis, dbTimeoutMs);
      await withTimeout(redis.ping(), dbTimeoutMs, 'redis');
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { ok: false, reason: `redis unreachable: ${(error as Error).message}` };
    }
  }

  async function readiness(): Promise<Readiness> {
    const [db, redis] = await Promise.all([checkDb(), options.redis ? checkRedis(options.redis) : undefined]);
    const migrations = await checkMigrations(db.ok);
    const checks: Readiness['checks'] = { db, migrations, ...(redis ? { redis } : {}) };
    const allOk = db.ok && migrations.ok && (redis?.ok ?? true);
    const status = options.isDraining() ? 'draining' : allOk ? 'ok' : 'unavailable';
    return { status, checks };
  }

  for (const prefix of ['/api', '']) {
    // The unprefixed paths and /healthz are aliases for container checks: documented once.
    const hide = prefix === '';
    // Synchronous: no promise to settle for the most frequent request of all.
    app.get(`${prefix}/health`, { config: { telemetry: false }, schema: { ...healthSchema, hide } }, (_request, reply) => {
      reply.send(HEALTHY);
    });
    for (const path of ['readyz', 'healthz']) {
      // The answer is built here, field by field, so plain JSON.stringify writes it: the first
      // probe after start does not wait for a serializer to be generated.
      const route = { config: { telemetry: false }, schema: { ...readinessSchema, hide: hide || path === 'healthz' }, serializerCompiler: () => JSON.stringify };
      app.get(`${prefix}/${path}`, route, async (_request, reply) => {
        if (options.isDraining()) {
          // Answer at once: the point is to leave the load balancer quickly.
          return reply
            .code(503)
            .header('cache-control', 'no-store')
            .send({ status: 'draining', reason: 'shutting down: finishing requests in flight', checks: {} });
        }
        const result = await readiness();
        return reply
          .code(result.status === 'ok' ? 200 : 503)
          .header('cache-control', 'no-store')
          .send(result);
      });
    }
  }

  app.get('/api/version', { schema: versionSchema }, async () => {
    let applied: string | null = null;
    try {
      const rows = await withTimeout(readApplied(options.pool), dbTimeoutMs, 'the database');
      const last = rows.at(-1);
      applied = last ? `${String(last.version).padStart(4, '0')}_${last.name}` : null;
    } catch {
      applied = null;
    }
    return {
      release: options.release,
      commit: options.commit,
      migration: { latest: migrationName(options.migrations.at(-1)), applied },
    };
  });

  return { readiness };
}
