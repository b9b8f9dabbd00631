/**
 * Settings of the `web` command, parsed once at start. Its upstream is WEB_API_UPSTREAM_URL,
 * never SLIPWAY_API_URL: that one is the address the CLI talks to (usually this web server),
 * and reading it here made the web server proxy to itself.
 */
import { z } from 'zod';
import { parseEnv, v, type Env, type EnvCheck, type Environment } from './env.ts';
import { ALL_INTERFACES, isLoopbackHost, listenHost } from './listen.ts';
import { bodyLimitField, DEFAULT_API_UPSTREAM, DEFAULT_WEB_PORT, logLevelField } from './shared.ts';
import { shutdownFields } from './shutdown.ts';

export { DEFAULT_API_UPSTREAM };

export const webSchema = z.object({
  SLIPWAY_ENV: v.oneOf(['development', 'production', 'test'] as const, 'development'),
  SLIPWAY_RELEASE: v.string('dev'),
  LOG_LEVEL: logLevelField,
  HOST: v.string(),
  WEB_PORT: v.int(DEFAULT_WEB_PORT, 0, 65535),
  WEB_API_UPSTREAM_URL: v.url(['http:', 'https:'], DEFAULT_API_UPSTREAM),
  TRUSTED_PROXY_CIDRS: v.cidrs(['127.0.0.1/32', '::1/128']),
  SLIPWAY_STATIC_DIR: v.string(),
  BODY_LIMIT_BYTES: bodyLimitField,
  ...shutdownFields,
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
  /** Where /api/* is forwarded (WEB_API_UPSTREAM_URL), without a trailing slash. */
  readonly apiUpstreamUrl: string;
  readonly trustedProxies: string[];
  /** Folder of the built UI; undefined means "find dist/ui next to the bundle or the repo". */
  readonly staticDir?: string;
  readonly shutdownHoldSeconds: number;
  readonly shutdownDrainSeconds: number;
  /** BODY_LIMIT_BYTES, as the API reads it: a larger /api body is refused here (proxy.ts). */
  readonly apiBodyLimitBytes: number;
  /** How long a forwarded request may wait on a silent API connection; proxy.ts has the default. */
  readonly apiSilenceTimeoutMs?: number;
}

/** The upstream must not be this web server: every /api request would come back to it. */
function upstreamIsSelf(env: Env): EnvCheck[] {
  let upstream: URL;
  try {
    upstream = new URL(env.WEB_API_UPSTREAM_URL?.trim() || DEFAULT_API_UPSTREAM);
  } catch {
    return []; // the schema reports a malformed URL
  }
  const webPort = Number(env.WEB_PORT?.trim() || DEFAULT_WEB_PORT);
  const upstreamPort = Number(upstream.port || (upstream.protocol === 'https:' ? 443 : 80));
  if (webPort === 0 || upstreamPort !== webPort) return [];
  const environment = env.SLIPWAY_ENV?.trim().toLowerCase() === 'production' ? 'production' : 'development';
  const listening = listenHost(env.HOST?.trim() || undefined, environment).toLowerCase();
  const host = upstream.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // Connecting to 0.0.0.0 reaches this machine, and a server on 0.0.0.0 answers on loopback.
  const local = (h: string) => isLoopbackHost(h) || h === ALL_INTERFACES || h === '::';
  if (host !== listening && !(local(host) && local(listening))) return [];
  return [
    {
      name: 'WEB_API_UPSTREAM_URL',
      message: `${upstream.host} is this web server itself (WEB_PORT=${webPort}), so every /api request would loop back to it; set it to the API's address, e.g. ${DEFAULT_API_UPSTREAM}`,
    },
  ];
}

export function loadWebConfig(env: Env = process.env): WebConfig {
  const f = parseEnv('web', webSchema, env, upstreamIsSelf);
  const host = listenHost(f.HOST, f.SLIPWAY_ENV);
  return {
    environment: f.SLIPWAY_ENV,
    release: f.SLIPWAY_RELEASE!,
    logLevel: f.LOG_LEVEL,
    host,
    listensBeyondLoopback: !isLoopbackHost(host),
    port: f.WEB_PORT,
    apiUpstreamUrl: f.WEB_API_UPSTREAM_URL!.replace(/\/+$/, ''),
    trustedProxies: f.TRUSTED_PROXY_CIDRS,
    staticDir: f.SLIPWAY_STATIC_DIR,
    shutdownHoldSeconds: f.SLIPWAY_SHUTDOWN_HOLD_SECONDS,
    shutdownDrainSeconds: f.SLIPWAY_SHUTDOWN_DRAIN_SECONDS,
    apiBodyLimitBytes: f.BODY_LIMIT_BYTES,
  };
}
