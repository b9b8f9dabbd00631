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

/**
 * How long a forwarded request may wait on an API connection that sends nothing: an answer not
 * begun yet, or one whose client has stopped reading. Above the API's own limits (a statement
 * 30 s, a silent database 40 s: db/pool.ts), so the API's own 503 arrives first. In AWS the
 * load balancer's idle timeout (ALB_IDLE_TIMEOUT_SECONDS, 60 s by default) is shorter and is the
 * limit a client meets; this one bounds a direct client. reply-from would turn 0 ("none") into 10 s, cutting
 * slow answers and stalled downloads there; server-sent events are exempt (reply-from clears
 * the timeout for text/event-stream).
 */
export const API_SILENCE_TIMEOUT_MS = 120_000;

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

  // The API refuses a body over its limit as soon as it reads the length, and closes the
  // connection: the body still streaming into it then fails with EPIPE before its 413 is read,
  // and the client would get a 502. A declared length over the same limit is refused here
  // (node reads and drops the unread body, so the client reads the 413 and keeps the connection).
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api')) return;
    const length = Number(request.headers['content-length']);
    if (!(length > config.apiBodyLimitBytes)) return;
    return reply.code(413).send({
      error: { code: 'payload_too_large', message: `The body is ${length} bytes; the API accepts at most ${config.apiBodyLimitBytes} (BODY_LIMIT_BYTES)` },
    });
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
        // Once the answer has begun (the API's connection fell silent while a slow client held
        // the stream back), it cannot become a 502: end the client's connection. Answering
        // again would throw in a timer, outside any request, and end the process.
        if (reply.raw.headersSent) {
          reply.raw.destroy();
          return;
        }
        const status = (error as { statusCode?: number }).statusCode === 504 ? 504 : 502;
        reply.code(status).send({ error: { code: 'api_unavailable', message: `The API did not answer: ${error.message}` } });
      },
    },
    http: { requestOptions: { timeout: config.apiSilenceTimeoutMs ?? API_SILENCE_TIMEOUT_MS } },
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
