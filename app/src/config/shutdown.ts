/**
 * Shutdown timing settings, one definition for every server command (the API and the web
 * server stop the same way, `shutdown.ts`), and the ranges the deployment kit sizes ECS's stop
 * timeout and the load balancer's deregistration delay against.
 */
import { v } from './env.ts';

export const shutdownFields = {
  SLIPWAY_SHUTDOWN_HOLD_SECONDS: v.int(15, 0, 600),
  SLIPWAY_SHUTDOWN_DRAIN_SECONDS: v.int(30, 1, 600),
};
