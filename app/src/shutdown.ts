/**
 * How a server stops on SIGTERM, the same for the API and the web server: readiness turns 503
 * at once, it keeps serving for the hold period (the load balancer deregisters it meanwhile),
 * then stops accepting connections and gives the requests in flight at most the drain period
 * before it closes the ones still open. The caller then releases its own resources and the
 * process exits 0.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export interface Lifecycle {
  /** True from the first step of a shutdown on: readiness answers 503. */
  draining: boolean;
}

export interface ShutdownTimings {
  /** SLIPWAY_SHUTDOWN_HOLD_SECONDS */
  readonly holdSeconds: number;
  /** SLIPWAY_SHUTDOWN_DRAIN_SECONDS */
  readonly drainSeconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the steps; resolves true when every request finished within the drain period. */
export async function drainAndClose(app: FastifyInstance, lifecycle: Lifecycle, timings: ShutdownTimings, log: Logger, reason: string): Promise<boolean> {
  lifecycle.draining = true;
  log.info({ reason, holdSeconds: timings.holdSeconds }, 'shutting down: readiness is now 503; still serving while the load balancer drains');
  await sleep(timings.holdSeconds * 1000);
  log.info({ drainSeconds: timings.drainSeconds }, 'no longer accepting connections; finishing requests in flight');
  let timer: NodeJS.Timeout | undefined;
  // Sockets that finish their last request after close() began are closed as they go idle.
  const sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
  const closed = app.close();
  const drained = await Promise.race([
    closed.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timings.drainSeconds * 1000);
    }),
  ]);
  clearTimeout(timer);
  clearInterval(sweeper);
  if (!drained) {
    log.warn({ drainSeconds: timings.drainSeconds }, 'requests still open after the drain period; closing anyway');
    app.server.closeAllConnections();
    await closed;
  }
  return drained;
}
