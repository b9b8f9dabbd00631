/**
 * Builds the API server: request ids, access logs, error shape, health, metrics and the
 * product routes. Everything lives under /api so the load balancer and the web proxy can
 * forward paths unchanged.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ApiConfig } from '../config/api.ts';
import type { MigrationFile } from '../migrate/files.ts';
import { HttpError, classify, registerErrorHandling, sendError } from './errors.ts';
import { registerHealth } from './health.ts';
import { registerJsonBody } from './json-body.ts';
import { createLivenessServer, requestIdOf } from './liveness-server.ts';
import { ApiMetrics, registerMetrics } from './metrics.ts';
import { registerOpenApi } from './openapi.ts';
import { lazyChildLogger } from './request-logger.ts';
import { serializerCompiler, validatorCompiler } from './schema.ts';
import { registerTelemetry } from './telemetry.ts';

export interface ApiDependencies {
  readonly config: ApiConfig;
  readonly pool: pg.Pool;
  readonly redis?: Redis;
  readonly log: Logger;
  readonly migrations: MigrationFile[];
  /** Set once SIGTERM arrives: readiness turns 503 while requests keep being served. */
  readonly lifecycle: { draining: boolean };
}

export async function buildApiServer(deps: ApiDependencies, routes?: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
  const { config, log } = deps;
  let closing = false;
  const app = Fastify({
    serverFactory: (handler, options) => createLivenessServer(handler, options, { isDraining: () => deps.lifecycle.draining, isClosing: () => closing }),
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLogger,
    trustProxy: config.trustedProxies,
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: requestIdOf,
    // Idle keep-alive sockets close on shutdown; requests in flight are allowed to finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    // Requests the HTTP parser rejects (a space in the path, a broken header) get the same
    // JSON shape as every other error.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const body = JSON.stringify({ error: { code: 'bad_request', message: `The HTTP request could not be parsed: ${(error as { code?: string }).code ?? error.message}` } });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
    // Errors raised before routing (a malformed URL) get the same JSON shape as the rest.
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, classify(error) ?? new HttpError(400, 'bad_request', error.message));
    },
  });

  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  registerJsonBody(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Collects every route registered after it; served at /api/openapi.json.
  registerOpenApi(app, { release: config.release });

  // The one hook on every request, health checks included: synchronous, no promise.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // While draining, each answer closes its connection so no keep-alive socket outlives us.
    if (deps.lifecycle.draining) reply.header('connection', 'close');
    done();
  });

  const metrics = new ApiMetrics({ pool: deps.pool, redis: deps.redis });
  // Before any route, so every route that counts gets its hooks.
  const telemetry = registerTelemetry(app, metrics, log);
  registerErrorHandling(app, { onUnmatched: telemetry.unmatched });
  registerMetrics(app, metrics, {
    pool: deps.pool,
    redis: deps.redis,
    token: config.metricsTokenConfigured ? config.secrets.values.METRICS_TOKEN : undefined,
    production: config.environment === 'production',
  });
  registerHealth(app, {
    pool: deps.pool,
    redis: deps.redis,
    migrations: deps.migrations,
    release: config.release,
    commit: config.commit,
    isDraining: () => deps.lifecycle.draining,
  });
  if (routes) await routes(app);
  return app;
}
