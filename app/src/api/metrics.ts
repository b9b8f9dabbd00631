/**
 * Prometheus metrics: requests by method, route template (never the raw path, so cardinality
 * stays bounded) and status; latency; in-flight requests; process defaults; pool and Redis
 * gauges. `/api/metrics/red` gives the same data as a small JSON snapshot.
 * Requests are recorded by telemetry.ts; routes marked `config: { telemetry: false }` (health,
 * metrics) are not counted.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { HttpError, sendError } from './errors.ts';
import { RecentLatency } from './recent-latency.ts';

export interface MetricsOptions {
  readonly pool?: pg.Pool;
  readonly redis?: Redis;
  /** The token that opens /api/metrics; undefined means none was configured. */
  readonly token?: string;
  readonly production: boolean;
}

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'slipway_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'slipway_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** The last five minutes, for /api/metrics/red (see recent-latency.ts for why not a prom-client Summary). */
  readonly recent = new RecentLatency({
    name: 'slipway_http_request_duration_recent_seconds',
    help: 'Latency quantiles over the last five minutes, by method and route template.',
    percentiles: [0.5, 0.95, 0.99],
    maxAgeSeconds: 300,
    ageBuckets: 5,
  });
  readonly inFlight = new Gauge({
    name: 'slipway_http_requests_in_flight',
    help: 'HTTP requests being answered now.',
    registers: [this.registry],
  });

  constructor(options: Pick<MetricsOptions, 'pool' | 'redis'>) {
    // The registry reads a metric through get() (and reset()), which RecentLatency gives in
    // prom-client's own shape; its types only name prom-client's classes.
    this.registry.registerMetric(this.recent as unknown as Metric);
    collectDefaultMetrics({ register: this.registry, prefix: 'slipway_' });
    const { pool, redis } = options;
    if (pool) {
      new Gauge({
        name: 'slipway_db_pool_connections',
        help: 'Database pool connections by state (total, idle, waiting clients).',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          this.set({ state: 'total' }, pool.totalCount);
          this.set({ state: 'idle' }, pool.idleCount);
          this.set({ state: 'waiting' }, pool.waitingCount);
        },
      });
    }
    if (redis) {
      new Gauge({
        name: 'slipway_redis_connected',
        help: '1 when the Redis connection is ready, 0 otherwise.',
        registers: [this.registry],
        collect() {
          this.set(redis.status === 'ready' ? 1 : 0);
        },
      });
    }
  }

  /** Per-route request count, 5xx count and latency quantiles in milliseconds. */
  async red(): Promise<{ routes: RedRoute[] }> {
    const routes = new Map<string, RedRoute>();
    const keyOf = (method: string, route: string) => `${method} ${route}`;
    const entry = (method: string, route: string) => {
      const key = keyOf(method, route);
      let found = routes.get(key);
      if (!found) {
        found = { method, route, count: 0, errors5xx: 0, p50Ms: null, p95Ms: null, p99Ms: null };
        routes.set(key, found);
      }
      return found;
    };
    for (const value of (await this.requests.get()).values) {
      const { method, route, status } = value.labels as { method: string; route: string; status: string };
      const e = entry(method, route);
      e.count += value.value;
      if (status.startsWith('5')) e.errors5xx += value.value;
    }
    for (const { method, route, quantiles } of this.recent.entries()) {
      const e = entry(method, route);
      const ms = (q: number) => {
        const seconds = quantiles.get(q);
        return seconds == null ? null : Math.round(seconds * 100_000) / 100;
      };
      e.p50Ms = ms(0.5);
      e.p95Ms = ms(0.95);
      e.p99Ms = ms(0.99);
    }
    return { routes: [...routes.values()].sort((a, b) => b.count - a.count) };
  }
}

export interface RedRoute {
  method: string;
  route: string;
  count: number;
  errors5xx: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

function sameSecret(given: string, expected: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-metrics-token'];
  if (typeof header === 'string' && header) return header;
  const auth = request.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return undefined;
}

export function registerMetrics(app: FastifyInstance, metrics: ApiMetrics, options: MetricsOptions): void {
  const gate = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (!options.token) {
      if (options.production) {
        // No token configured in production: metrics do not exist for the outside world.
        sendError(reply, new HttpError(404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}`));
        return false;
      }
      return true;
    }
    const given = presentedToken(request);
    if (!given || !sameSecret(given, options.token)) {
      sendError(reply, new HttpError(401, 'unauthenticated', 'Send the metrics token as Authorization: Bearer <token> or X-Metrics-Token'));
      return false;
    }
    return true;
  };

  app.get('/api/metrics', { config: { telemetry: false }, schema: { summary: 'Prometheus text; Authorization: Bearer <METRICS_TOKEN> or X-Metrics-Token' } }, async (request, reply) => {
    if (!gate(request, reply)) return reply;
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/api/metrics/red', { config: { telemetry: false }, schema: { summary: 'Per route: count, 5xx count, p50/p95/p99 in ms (same token)' } }, async (request, reply) => {
    if (!gate(request, reply)) return reply;
    return metrics.red();
  });
}
