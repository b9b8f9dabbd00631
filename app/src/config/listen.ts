/**
 * Where a server listens. Outside production the default is loopback, so `npm start` on a
 * laptop is not reachable from the network (development answers hand out sign-in links);
 * listening wider takes an explicit HOST. Production runs in a container behind a load
 * balancer and listens on every interface.
 */
import { isIP } from 'node:net';
import type { Environment } from './env.ts';

export const LOOPBACK_HOST = '127.0.0.1';
export const ALL_INTERFACES = '0.0.0.0';

export function listenHost(configured: string | undefined, environment: Environment): string {
  return configured ?? (environment === 'production' ? ALL_INTERFACES : LOOPBACK_HOST);
}

/** True for 127.0.0.0/8, ::1 and `localhost`: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare);
  return false;
}
