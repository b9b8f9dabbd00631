/**
 * The same-origin /api/* proxy: forwards to WEB_API_UPSTREAM_URL, streaming both ways so
 * server-sent events flow without buffering, without hop-by-hop fields either way
 * (`hop-by-hop.ts`), and tells the API who the client is with X-Forwarded-*. Each forwarded request carries this server's Via entry (RFC 9110 §7.6.3), so a
 * request that comes back to the server that sent it is a loop: it is answered 508 at once
 * instead of being forwarded again and again.
 */
import { randomBytes } from 'node:crypto';
import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebConfig } from '../config/web.ts';
import { withoutHopByHop } from './hop-by-hop.ts';

/** This process's Via pseudonym: unique, so only its own requests match it. */
export const VIA_NAME = `slipway-web-${randomBytes(6).toString('hex')}`;

export const LOOP_MESSAGE = (upstream: string) =>
  `WEB_API_UPSTREAM_URL (${upstream}) leads back to this web server; set it to the API's address, e.g. http://127.0.0.1:7016`;

/** Whether a request's Via names this server, i.e. it has already passed through here. */
export function passedThroughHere(via: string | string[] | undefined): boolean {
  const entries = (Array.isArray(via) ? via.join(',') : (via ?? '')).split(',');
  return entries.some((entry) => entry.trim().split(/\s+/)[1] === VIA_NAME);
}

function forwardedFor(request: FastifyRequest): string {
  const prior = request.headers['x-forwarded-for'];
  const peer = request.socket.remoteAddress ?? '';
  // Only a trusted proxy's chain is kept; otherwise the chain starts at the peer.
  if (typeof prior === 'string' && prior && request.ips && request.ips.length > 1) return `${prior}, ${peer}`;
  return peer;
}

function withVia(prior: string | string[] | undefined, httpVersion: string): string {
  const own = `${httpVersion} ${VIA_NAME}`;
  const earlier = Array.isArray(prior) ? prior.join(', ') : prior;
  return earlier ? `${earlier}, ${own}` : own;
}

export async function registerApiProxy(app: FastifyInstance, config: WebConfig): Promise<void> {
  let loopReported = false;
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api') || !passedThroughHere(request.headers.via)) return;
    if (!loopReported) {
      loopReported = true;
      request.log.error({ upstream: config.apiUpstreamUrl }, LOOP_MESSAGE(config.apiUpstreamUrl));
    }
    return reply.code(508).header('x-slipway-loop', VIA_NAME).send({ error: { code: 'proxy_loop', message: 'The web server is configured to forward /api to itself.' } });
  });

  await app.register(httpProxy, {
    upstream: config.apiUpstreamUrl,
    prefix: '/api',
    rewritePrefix: '/api',
    // The proxy's own per-request lines would double the access log.
    logLevel: ['error', 'fatal', 'silent'].includes(config.logLevel) ? config.logLevel : 'warn',
    // A proxy must not parse bodies: they stream to the API as they arrive.
    replyOptions: {
      // reply-from removes only the Connection field and what it names, and only on requests.
      rewriteRequestHeaders: (request, headers) => {
        const req = request as unknown as FastifyRequest;
        return {
          ...withoutHopByHop({ ...headers, connection: request.headers.connection }),
          via: withVia(request.headers.via, req.raw.httpVersion),
          'x-forwarded-for': forwardedFor(req),
          'x-forwarded-proto': req.protocol,
          'x-forwarded-host': (request.headers.host as string | undefined) ?? '',
        };
      },
      rewriteHeaders: (headers) => ({ ...withoutHopByHop(headers), 'x-accel-buffering': 'no' }),
      onError: (reply, { error }) => {
        const status = (error as { statusCode?: number }).statusCode === 504 ? 504 : 502;
        reply.code(status).send({ error: { code: 'api_unavailable', message: `The API did not answer: ${error.message}` } });
      },
    },
    http: { requestOptions: { timeout: 0 } },
  });
}

/**
 * Sends one request to the upstream as this server would forward it. If it arrives back here
 * (508 from our own loop guard), the upstream is this server under another name: the caller
 * refuses to start. Any other answer, or none (the API may start later), is not a loop.
 */
export async function upstreamLoopsBack(upstream: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const response = await fetch(`${upstream}/api/health`, { headers: { via: `1.1 ${VIA_NAME}` }, signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status === 508 && response.headers.get('x-slipway-loop') === VIA_NAME;
  } catch {
    return false;
  }
}
