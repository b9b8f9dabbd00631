/**
 * The web server: serves the built UI (single-page app: unknown paths get index.html) and
 * forwards same-origin /api/* to the API (`proxy.ts`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError } from '../config/env.ts';
import type { WebConfig } from '../config/web.ts';
import { safeUrl } from '../logger.ts';
import { drainAndClose, type Lifecycle } from '../shutdown.ts';
import { FALLBACK_PAGE } from './fallback-page.ts';
import { LOOP_MESSAGE, registerApiProxy, upstreamLoopsBack } from './proxy.ts';

/** The built UI: `ui/` next to the bundle in an image (this code runs from dist/chunks/ there), or `dist/ui` in the source tree. */
export function findStaticDir(configured?: string): string | undefined {
  if (configured) return existsSync(join(configured, 'index.html')) ? configured : undefined;
  const candidates = [new URL('./ui', import.meta.url), new URL('../ui', import.meta.url), new URL('../../../dist/ui', import.meta.url)];
  return candidates.map((c) => fileURLToPath(c)).find((dir) => existsSync(join(dir, 'index.html')));
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  // Uploads and downloads go straight to the object store, so connect-src allows other origins.
  'content-security-policy':
    "default-src 'self'; connect-src 'self' https: http:; img-src 'self' data: blob: https: http:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
};

export async function buildWebServer(config: WebConfig, log: Logger, lifecycle: Lifecycle = { draining: false }): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustedProxies,
    forceCloseConnections: 'idle',
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.url === '/health') return;
    request.log.info({ method: request.method, url: safeUrl(request.url), status: reply.statusCode, durationMs: Math.round(reply.elapsedTime) }, 'request');
  });

  app.get('/health', async (_request, reply) =>
    lifecycle.draining
      ? reply.code(503).send({ status: 'draining', release: config.release })
      : { status: 'ok', release: config.release },
  );

  await registerApiProxy(app, config);

  const staticDir = findStaticDir(config.staticDir);
  if (staticDir) {
    await app.register(fastifyStatic, {
      root: staticDir,
      wildcard: false,
      index: false,
      setHeaders: (res, path) => {
        for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.header(k, v);
        // Hashed asset names change with content, so they can be cached for good.
        res.header('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  } else {
    log.warn('the UI is not built (dist/ui); serving a status page instead. Run "npm run build".');
  }

  app.setNotFoundHandler(async (request, reply) => {
    const wantsPage = (request.method === 'GET' || request.method === 'HEAD') && !request.url.startsWith('/api/');
    if (!wantsPage) {
      return reply.code(404).send({ error: { code: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}` } });
    }
    reply.headers(SECURITY_HEADERS).header('cache-control', 'no-cache');
    if (staticDir) return reply.sendFile('index.html');
    // The status page is one self-contained file with a small inline script.
    const csp = SECURITY_HEADERS['content-security-policy'].replace("default-src 'self'", "default-src 'self'; script-src 'self' 'unsafe-inline'");
    return reply.header('content-security-policy', csp).type('text/html; charset=utf-8').send(FALLBACK_PAGE(config.release));
  });
  return app;
}

export interface RunningWeb {
  readonly app: FastifyInstance;
  readonly url: string;
  shutdown(reason: string): Promise<void>;
}

export async function startWeb(config: WebConfig, log: Logger): Promise<RunningWeb> {
  const lifecycle: Lifecycle = { draining: false };
  const app = await buildWebServer(config, log, lifecycle);
  const url = await app.listen({ host: config.host, port: config.port });
  if (await upstreamLoopsBack(config.apiUpstreamUrl)) {
    await app.close();
    throw new ConfigError('web', [LOOP_MESSAGE(config.apiUpstreamUrl)]);
  }
  log.info({ url, api: config.apiUpstreamUrl, release: config.release }, `web listening on ${url}`);
  let stopping: Promise<void> | undefined;
  const timings = { holdSeconds: config.shutdownHoldSeconds, drainSeconds: config.shutdownDrainSeconds };
  return {
    app,
    url,
    shutdown(reason) {
      stopping ??= (async () => {
        await drainAndClose(app, lifecycle, timings, log, reason);
        log.info('shutdown complete');
      })();
      return stopping;
    },
  };
}
