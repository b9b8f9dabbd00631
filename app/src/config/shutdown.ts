/**
 * Shutdown timing settings, one definition for every server command (the API and the web
 * server stop the same way, `shutdown.ts`) and for the deployment kit, which sizes ECS's stop
 * timeout from the same names, ranges and defaults (infra/config.ts).
 *
 * Behind an ALB on ECS the load balancer has already drained the task when SIGTERM arrives
 * (ECS deregisters the target and waits for the deregistration delay first; see "Shutdown
 * timing" in infra/README.md), so the hold only covers other callers (Service Connect peers)
 * and is short by default.
 */
import { v } from './env.ts';

export interface SecondsRange {
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

export const SHUTDOWN_SECONDS: Readonly<Record<'SLIPWAY_SHUTDOWN_HOLD_SECONDS' | 'SLIPWAY_SHUTDOWN_DRAIN_SECONDS', SecondsRange>> = {
  /** Keep serving after SIGTERM with readiness 503, so callers stop sending. */
  SLIPWAY_SHUTDOWN_HOLD_SECONDS: { default: 5, min: 0, max: 60 },
  /** Then at most this long for requests in flight, before closing the rest. */
  SLIPWAY_SHUTDOWN_DRAIN_SECONDS: { default: 10, min: 1, max: 60 },
};

const field = (r: SecondsRange) => v.int(r.default, r.min, r.max);

export const shutdownFields = {
  SLIPWAY_SHUTDOWN_HOLD_SECONDS: field(SHUTDOWN_SECONDS.SLIPWAY_SHUTDOWN_HOLD_SECONDS),
  SLIPWAY_SHUTDOWN_DRAIN_SECONDS: field(SHUTDOWN_SECONDS.SLIPWAY_SHUTDOWN_DRAIN_SECONDS),
};
