/**
 * The HTTP server of the API, with liveness answered before the router. `GET /api/health`
 * (and `/health`) is the most frequent request of all, a constant body that touches no
 * dependency; going through fastify's request pipeline cost about 1.5 times a bare node:http
 * answer (measured in `npm run bench`; registering any parametric route alone added ~5 µs of
 * CPU to every request of the instance). Every other request, and liveness once the server
 * is closing, goes to fastify unchanged. The fastify route stays registered: it documents the
 * endpoint in the OpenAPI reference and answers `inject()` and HEAD.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import { HEALTHY } from './health.ts';

const REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

/** The caller's X-Request-Id when it is a plain token, else a fresh UUID (used for every request). */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export const LIVENESS_BODY = JSON.stringify(HEALTHY);
const LIVENESS_LENGTH = String(Buffer.byteLength(LIVENESS_BODY));
const LIVENESS_PATHS = new Set(['/api/health', '/health']);

export interface LivenessState {
  /** SIGTERM arrived: answers close their connection (as the fastify hook does for every route). */
  isDraining(): boolean;
  /** fastify is closing: it answers 503 itself, so liveness goes through it. */
  isClosing(): boolean;
}

/** For fastify's `serverFactory`: the settings fastify applies to a server it makes itself are applied here too. */
export function createLivenessServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: Pick<FastifyServerOptions, 'keepAliveTimeout' | 'requestTimeout' | 'connectionTimeout'>,
  state: LivenessState,
): Server {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && LIVENESS_PATHS.has(request.url ?? '') && !state.isClosing()) {
      const headers: Record<string, string> = {
        'x-request-id': requestIdOf(request),
        'content-type': 'application/json; charset=utf-8',
        'content-length': LIVENESS_LENGTH,
      };
      if (state.isDraining()) headers.connection = 'close';
      response.writeHead(200, headers);
      response.end(LIVENESS_BODY);
      return;
    }
    handler(request, response);
  });
  // fastify's defaults (keep-alive 72 s, longer than the load balancer's 60 s idle timeout).
  server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000;
  server.requestTimeout = options.requestTimeout ?? 0;
  server.setTimeout(options.connectionTimeout ?? 0);
  return server;
}
