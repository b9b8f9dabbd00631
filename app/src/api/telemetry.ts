/**
 * Per-request telemetry: the access log line and the request metrics (count, latency, in
 * flight), labelled by route template. The hooks are attached to each route that counts when
 * it is registered, so health checks and metrics scrapes (`config: { telemetry: false }`) run
 * none of them, and the label is the route's own template, known at registration. Paths that
 * match no route are observed by the not-found handler as "unmatched".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, onResponseHookHandler } from 'fastify';
import type { Logger } from 'pino';
import { safeUrl } from '../logger.ts';
import type { ApiMetrics } from './metrics.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: not counted in request metrics nor access logs (health and metrics routes). */
    telemetry?: boolean;
  }
  interface FastifyRequest {
    /** Counted in the in-flight gauge (a request refused by an earlier hook never was). */
    inFlight: boolean;
  }
}

export const UNMATCHED_ROUTE = 'unmatched';

export interface Telemetry {
  /** Records a request answered without a route (the not-found handler calls it). */
  unmatched(request: FastifyRequest, reply: FastifyReply): void;
}

export function registerTelemetry(app: FastifyInstance, metrics: ApiMetrics, log: Logger): Telemetry {
  const record = (request: FastifyRequest, reply: FastifyReply, route: string) => {
    const ms = reply.elapsedTime;
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, ms / 1000);
    metrics.recent.observe(labels.method, route, ms / 1000);
    log.info({ reqId: request.id, method: request.method, url: safeUrl(request.url), route, status: reply.statusCode, durationMs: Math.round(ms), ip: request.ip }, 'request');
  };

  app.decorateRequest('inFlight', false);
  const started: onRequestHookHandler = (request, _reply, done) => {
    request.inFlight = true;
    metrics.inFlight.inc();
    done();
  };
  app.addHook('onRoute', (route) => {
    if (route.config?.telemetry === false) return;
    const label = route.url;
    const answered: onResponseHookHandler = (request, reply, done) => {
      if (request.inFlight) metrics.inFlight.dec();
      record(request, reply, label);
      done();
    };
    // The latency is fastify's own clock, from the first byte of the request to the last of the answer.
    route.onRequest = [started, ...[route.onRequest ?? []].flat()];
    route.onResponse = [...[route.onResponse ?? []].flat(), answered];
  });

  return { unmatched: (request, reply) => record(request, reply, UNMATCHED_ROUTE) };
}
