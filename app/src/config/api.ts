/** Settings of the `api` command, parsed once at start. */
import { z } from 'zod';
import { databaseChecks, databaseConfig, databaseFields, type DatabaseConfig } from './database.ts';
import { parseEnv, v, type Env, type EnvCheck, type Environment } from './env.ts';
import { isLoopbackHost, listenHost } from './listen.ts';
import { oauthChecks, oauthConfig, oauthFields, type OAuthSettings } from './oauth.ts';
import { redisConfig, redisFields, type RedisConfig } from './redis.ts';
import { resolveSecrets, secretChecks, type ResolvedSecrets } from './secrets.ts';
import { bodyLimitField, DEFAULT_API_PORT, DEFAULT_APP_URL, logLevelField, type LogLevel } from './shared.ts';
import { shutdownFields } from './shutdown.ts';

export type { LogLevel } from './shared.ts';

export const apiSchema = z.object({
  SLIPWAY_ENV: v.oneOf(['development', 'production', 'test'] as const, 'development'),
  SLIPWAY_RELEASE: v.string('dev'),
  SLIPWAY_COMMIT: v.string('unknown'),
  APP_URL: v.url(['http:', 'https:'], DEFAULT_APP_URL),
  LOG_LEVEL: logLevelField,
  HOST: v.string(),
  API_PORT: v.int(DEFAULT_API_PORT, 0, 65535),
  TRUSTED_PROXY_CIDRS: v.cidrs(['127.0.0.1/32', '::1/128']),
  ...shutdownFields,
  BODY_LIMIT_BYTES: bodyLimitField,
  ...databaseFields,
  ...redisFields,
  // Sign-in and accounts.
  ALLOW_SIGNUP: v.bool(true),
  ALLOWED_EMAIL_DOMAINS: v.list(),
  ALLOWED_EMAILS: v.list(),
  DISABLE_WORKSPACE_CREATION: v.bool(false),
  COOKIE_DOMAIN: v.string(),
  CORS_ALLOWED_ORIGINS: v.list(),
  ...oauthFields,
  // Email.
  EMAIL_PROVIDER: v.optionalOneOf(['smtp', 'ses', 'log'] as const),
  SENDER_EMAIL: v.string(),
  SMTP_HOST: v.string(),
  SMTP_PORT: v.optionalInt(1, 65535),
  SMTP_USERNAME: v.string(),
  SMTP_PASSWORD: v.string(),
  SMTP_TLS: v.optionalOneOf(['implicit', 'starttls'] as const),
  SMTP_TLS_INSECURE: v.bool(false),
  SMTP_EHLO_NAME: v.string(),
  // Attachments.
  S3_BUCKET: v.string(),
  AWS_REGION: v.string(),
  S3_ENDPOINT: v.url(['http:', 'https:']),
  ATTACHMENT_URL_TTL_SECONDS: v.int(300, 10, 604_800),
  ATTACHMENT_MAX_BYTES: v.int(26_214_400, 1, 5_368_709_120),
});

function apiChecks(env: Env): EnvCheck[] {
  const problems = [...databaseChecks(env), ...secretChecks(['SESSION_SECRET', 'METRICS_TOKEN', 'CREDENTIALS_ENCRYPTION_KEY'])(env), ...oauthChecks(env)];
  const provider = env.EMAIL_PROVIDER?.trim().toLowerCase();
  if (provider === 'smtp' && !env.SMTP_HOST?.trim()) {
    problems.push({ name: 'SMTP_HOST', message: 'required when EMAIL_PROVIDER=smtp' });
  }
  if (provider === 'ses' && !env.SENDER_EMAIL?.trim()) {
    problems.push({ name: 'SENDER_EMAIL', message: 'required when EMAIL_PROVIDER=ses (the verified address mail is sent from)' });
  }
  if (env.SMTP_HOST?.trim() && !env.SENDER_EMAIL?.trim()) {
    problems.push({ name: 'SENDER_EMAIL', message: 'required with SMTP_HOST (the From address of sign-in mail)' });
  }
  if (env.S3_BUCKET?.trim() && !env.AWS_REGION?.trim()) {
    problems.push({ name: 'AWS_REGION', message: 'required with S3_BUCKET (the bucket region, e.g. eu-west-1)' });
  }
  return problems;
}

type Fields = z.output<typeof apiSchema>;

export interface EmailSettings {
  readonly provider?: 'smtp' | 'ses' | 'log';
  readonly senderEmail?: string;
  readonly smtp?: {
    readonly host: string;
    readonly port: number;
    readonly username?: string;
    readonly password?: string;
    readonly tls: 'implicit' | 'starttls';
    readonly tlsInsecure: boolean;
    readonly ehloName?: string;
  };
  readonly region?: string;
}

export interface ApiConfig {
  readonly environment: Environment;
  readonly release: string;
  readonly commit: string;
  readonly appUrl: string;
  readonly logLevel: LogLevel;
  /** HOST, or loopback by default outside production. */
  readonly host: string;
  /**
   * Whether other machines can connect (HOST is not loopback). Development answers that reveal
   * a sign-in link must then check that the client itself is on this machine.
   */
  readonly listensBeyondLoopback: boolean;
  readonly port: number;
  readonly trustedProxies: string[];
  readonly shutdownHoldSeconds: number;
  readonly shutdownDrainSeconds: number;
  readonly bodyLimitBytes: number;
  readonly database: DatabaseConfig;
  readonly redis?: RedisConfig;
  readonly secrets: ResolvedSecrets;
  /** Whether METRICS_TOKEN was given (the dev default never opens production). */
  readonly metricsTokenConfigured: boolean;
  readonly signup: {
    readonly allowSignup: boolean;
    readonly allowedEmailDomains: string[];
    readonly allowedEmails: string[];
    readonly disableWorkspaceCreation: boolean;
  };
  readonly cookieDomain?: string;
  readonly allowedOrigins: string[];
  /** OAuth sign-in providers with a client id and secret. */
  readonly oauth: OAuthSettings;
  readonly email: EmailSettings;
  readonly attachments: {
    readonly bucket?: string;
    readonly region?: string;
    readonly endpoint?: string;
    readonly urlTtlSeconds: number;
    readonly maxBytes: number;
  };
}

export function loadApiConfig(env: Env = process.env): ApiConfig {
  const fields: Fields = parseEnv('api', apiSchema, env, apiChecks);
  return toApiConfig(fields, env);
}

function toApiConfig(f: Fields, env: Env): ApiConfig {
  const host = listenHost(f.HOST, f.SLIPWAY_ENV);
  const smtpTls = f.SMTP_TLS ?? (f.SMTP_PORT === 465 ? 'implicit' : 'starttls');
  return {
    environment: f.SLIPWAY_ENV,
    release: f.SLIPWAY_RELEASE!,
    commit: f.SLIPWAY_COMMIT!,
    appUrl: f.APP_URL!.replace(/\/+$/, ''),
    logLevel: f.LOG_LEVEL,
    host,
    listensBeyondLoopback: !isLoopbackHost(host),
    port: f.API_PORT,
    trustedProxies: f.TRUSTED_PROXY_CIDRS,
    shutdownHoldSeconds: f.SLIPWAY_SHUTDOWN_HOLD_SECONDS,
    shutdownDrainSeconds: f.SLIPWAY_SHUTDOWN_DRAIN_SECONDS,
    bodyLimitBytes: f.BODY_LIMIT_BYTES,
    database: databaseConfig(f),
    redis: redisConfig(f),
    secrets: resolveSecrets(env, ['SESSION_SECRET', 'METRICS_TOKEN', 'CREDENTIALS_ENCRYPTION_KEY']),
    metricsTokenConfigured: Boolean(env.METRICS_TOKEN?.trim()),
    signup: {
      allowSignup: f.ALLOW_SIGNUP,
      allowedEmailDomains: f.ALLOWED_EMAIL_DOMAINS.map((d) => d.toLowerCase().replace(/^@/, '')),
      allowedEmails: f.ALLOWED_EMAILS.map((e) => e.toLowerCase()),
      disableWorkspaceCreation: f.DISABLE_WORKSPACE_CREATION,
    },
    cookieDomain: f.COOKIE_DOMAIN,
    allowedOrigins: f.CORS_ALLOWED_ORIGINS.length > 0 ? f.CORS_ALLOWED_ORIGINS.map((o) => o.replace(/\/+$/, '')) : [new URL(f.APP_URL!).origin],
    oauth: oauthConfig(f),
    email: {
      provider: f.EMAIL_PROVIDER,
      senderEmail: f.SENDER_EMAIL,
      region: f.AWS_REGION,
      smtp: f.SMTP_HOST
        ? {
            host: f.SMTP_HOST,
            port: f.SMTP_PORT ?? (smtpTls === 'implicit' ? 465 : 587),
            username: f.SMTP_USERNAME,
            password: f.SMTP_PASSWORD,
            tls: smtpTls,
            tlsInsecure: f.SMTP_TLS_INSECURE,
            ehloName: f.SMTP_EHLO_NAME,
          }
        : undefined,
    },
    attachments: {
      bucket: f.S3_BUCKET,
      region: f.AWS_REGION,
      endpoint: f.S3_ENDPOINT,
      urlTtlSeconds: f.ATTACHMENT_URL_TTL_SECONDS,
      maxBytes: f.ATTACHMENT_MAX_BYTES,
    },
  };
}
