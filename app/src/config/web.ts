/** Settings of the `web` command, parsed once at start. */
import { z } from 'zod';
import { parseEnv, v, type Env, type Environment } from './env.ts';
import { isLoopbackHost, listenHost } from './listen.ts';

export const webSchema = z.object({
  SLIPWAY_ENV: v.oneOf(['development', 'production', 'test'] as const, 'development'),
  SLIPWAY_RELEASE: v.string('dev'),
  LOG_LEVEL: v.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, 'info'),
  HOST: v.string(),
  WEB_PORT: v.int(7015, 0, 65535),
  SLIPWAY_API_URL: v.url(['http:', 'https:'], 'http://127.0.0.1:7016'),
  TRUSTED_PROXY_CIDRS: v.cidrs(['127.0.0.1/32', '::1/128']),
  SLIPWAY_STATIC_DIR: v.string(),
  SLIPWAY_SHUTDOWN_HOLD_SECONDS: v.int(15, 0, 600),
});

export interface WebConfig {
  readonly environment: Environment;
  readonly release: string;
  readonly logLevel: z.output<typeof webSchema>['LOG_LEVEL'];
  /** HOST, or loopback by default outside production. */
  readonly host: string;
  /** Whether other machines can connect (HOST is not loopback). */
  readonly listensBeyondLoopback: boolean;
  readonly port: number;
  readonly apiUrl: string;
  readonly trustedProxies: string[];
  /** Folder of the built UI; undefined means "find dist/ui next to the bundle or the repo". */
  readonly staticDir?: string;
  readonly shutdownHoldSeconds: number;
}

export function loadWebConfig(env: Env = process.env): WebConfig {
  const f = parseEnv('web', webSchema, env);
  const host = listenHost(f.HOST, f.SLIPWAY_ENV);
  return {
    environment: f.SLIPWAY_ENV,
    release: f.SLIPWAY_RELEASE!,
    logLevel: f.LOG_LEVEL,
    host,
    listensBeyondLoopback: !isLoopbackHost(host),
    port: f.WEB_PORT,
    apiUrl: f.SLIPWAY_API_URL!.replace(/\/+$/, ''),
    trustedProxies: f.TRUSTED_PROXY_CIDRS,
    staticDir: f.SLIPWAY_STATIC_DIR,
    shutdownHoldSeconds: f.SLIPWAY_SHUTDOWN_HOLD_SECONDS,
  };
}
