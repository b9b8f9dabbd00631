/**
 * The database password read from Secrets Manager while the process runs, so that a rotation
 * of the RDS master secret needs no restart (ECS injects DB_PASSWORD only when a task starts).
 *
 * The provider is pg's `password` option, which pg calls for every new connection the server
 * asks a password of. It keeps the secret's `password` field for 5 minutes, reads it again
 * right after the database rejected it (`refresh()`, on SQLSTATE 28P01), and while the secret
 * cannot be read it answers with the last value read (unless the database rejected that one),
 * else with DB_PASSWORD. The value is never logged.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from 'pino';

/** How long a value read from the secret is used before it is read again. */
export const PASSWORD_CACHE_MS = 5 * 60_000;

/** PostgreSQL's invalid_password: the server rejected the password (e.g. after a rotation). */
export const INVALID_PASSWORD = '28P01';

export function isAuthenticationFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === INVALID_PASSWORD;
}

export interface SecretPasswordOptions {
  /** ARN of the secret (JSON with a `password` field, like the RDS master secret). */
  readonly secretArn: string;
  /** The client, or how to make it on first use (the SDK is loaded only when DB_SECRET_ARN is set). */
  readonly client: SecretsManagerClient | (() => Promise<SecretsManagerClient>);
  readonly log: Logger;
  /** DB_PASSWORD: the answer while the secret cannot be read and no good value was read yet. */
  readonly fallback?: string;
  /** @default PASSWORD_CACHE_MS */
  readonly cacheMs?: number;
  /** Abort a read after this long, so a new connection is not held up past its own timeout. @default 3000 */
  readonly timeoutMs?: number;
  /** Milliseconds clock; tests inject one. @default Date.now */
  readonly now?: () => number;
}

export interface SecretPassword {
  /** The password for a new connection (pg's `password: () => Promise<string>`). */
  (): Promise<string>;
  /** The database rejected the password: the next call reads the secret again. */
  refresh(): void;
}

export function secretPassword(options: SecretPasswordOptions): SecretPassword {
  const { secretArn, client, log, fallback } = options;
  const cacheMs = options.cacheMs ?? PASSWORD_CACHE_MS;
  const timeoutMs = options.timeoutMs ?? 3000;
  const now = options.now ?? Date.now;

  let cached: { value: string; readAt: number } | undefined;
  /** The value the database last rejected; never used as the fallback. */
  let rejected: string | undefined;
  /** Bumped by refresh(), so a read that started before it is not reused after it. */
  let generation = 0;
  let reading: { generation: number; promise: Promise<string> } | undefined;

  let made: Promise<SecretsManagerClient> | undefined;
  const secretsManager = () => (made ??= typeof client === 'function' ? client() : Promise.resolve(client));

  const read = async (): Promise<string> => {
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const out = await (await secretsManager()).send(new GetSecretValueCommand({ SecretId: secretArn }), { abortSignal: AbortSignal.timeout(timeoutMs) });
    let parsed: unknown;
    try {
      parsed = JSON.parse(out.SecretString ?? '');
    } catch {
      throw new Error('the secret is not JSON');
    }
    const value = (parsed as { password?: unknown } | null)?.password;
    if (typeof value !== 'string' || value === '') throw new Error('the secret has no password field');
    return value;
  };

  const load = async (): Promise<string> => {
    try {
      const value = await read();
      if (cached && cached.value !== value) log.info({ secretArn }, 'the database password changed in Secrets Manager; new connections use the new one');
      cached = { value, readAt: now() };
      return value;
    } catch (error) {
      const usable = cached && cached.value !== rejected ? cached.value : fallback;
      const using = usable === undefined ? 'nothing to fall back on' : usable === fallback ? 'using DB_PASSWORD' : 'using the value read before';
      log.warn({ secretArn, error: (error as Error).message }, `could not read the database password from Secrets Manager; ${using}`);
      if (usable === undefined) throw new Error(`could not read the database password from ${secretArn} and DB_PASSWORD is not set: ${(error as Error).message}`);
      return usable;
    }
  };

  const provider = (async () => {
    if (cached && now() - cached.readAt < cacheMs) return cached.value;
    if (reading?.generation !== generation) {
      const promise = load().finally(() => {
        if (reading?.promise === promise) reading = undefined;
      });
      reading = { generation, promise };
    }
    return reading.promise;
  }) as SecretPassword;

  provider.refresh = () => {
    if (cached && cached.readAt === -Infinity) return; // another connection already reported it
    generation++;
    if (cached) {
      rejected = cached.value;
      cached = { value: cached.value, readAt: -Infinity };
    }
    log.warn({ secretArn }, 'the database rejected the password; the next connection reads it again from Secrets Manager');
  };
  return provider;
}

/** The region of a Secrets Manager ARN (`arn:<partition>:secretsmanager:<region>:…`). */
export function secretRegion(secretArn: string): string {
  const region = secretArn.split(':')[3];
  if (!region) throw new Error(`not a Secrets Manager ARN: ${secretArn}`);
  return region;
}
