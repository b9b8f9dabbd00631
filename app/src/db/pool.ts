import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config/database.ts';
import { assertNoConnectionHeld } from './connection-guard.ts';
import { watchForSilence } from './silence-watch.ts';
import { isAuthenticationFailure, secretPassword, secretRegion, type SecretPassword } from './secret-password.ts';

export interface ConnectionOptions {
  /** Reads DB_SECRET_ARN. @default a client for the secret's region with the default credentials */
  readonly secretsManager?: SecretsManagerClient;
  /** Clock of the password cache. @default Date.now */
  readonly now?: () => number;
}

/**
 * Time limits on the api's connections, so that nothing waits on the database for ever. The
 * migrate runner connects without them: building an index on a large table may take long.
 * The server's two are PostgreSQL settings (runtime-config-client in its manual); the client's
 * covers what the server cannot see, a connection whose far end is gone ("Dead connection
 * handling in PostgreSQL", RDS User Guide: detection is hard while a query is running).
 */
export interface DatabaseTimeouts {
  /** The server cancels a statement running longer (SQLSTATE 57014); the connection stays usable. */
  readonly statementMs: number;
  /**
   * The server ends a session left idle inside a transaction (25P03), which frees the rows it
   * locked: a workspace row held that way would stop every create in that workspace.
   */
  readonly idleInTransactionMs: number;
  /**
   * No answer at all, longer than the server's own limit: the server or the network went away
   * without a word (a failover that sends no reset). The connection is destroyed
   * (silence-watch.ts); without this a query would wait for TCP to give up, about 15 minutes.
   */
  readonly readMs: number;
}

export const DATABASE_TIMEOUTS: DatabaseTimeouts = { statementMs: 30_000, idleInTransactionMs: 60_000, readMs: 40_000 };

export interface PoolOptions extends ConnectionOptions {
  /** @default DATABASE_TIMEOUTS */
  readonly timeouts?: Partial<DatabaseTimeouts>;
}

/** pg settings, with the Client class to connect with (pg.Pool takes it as `Client`). */
export type ConnectionConfig = pg.PoolConfig;

/**
 * The pg settings of `config` for the api pool and the migrate client. With DB_SECRET_ARN the
 * password is the Secrets Manager provider and connections use a Client that tells it when the
 * database rejected the password, so the next connection reads the secret again.
 */
export function connectionConfig(config: DatabaseConfig, log: Logger, options: ConnectionOptions = {}): ConnectionConfig {
  if (!config.secretArn) return config.pool;
  const password = secretPassword({
    secretArn: config.secretArn,
    client: options.secretsManager ?? (async () => new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient({ region: secretRegion(config.secretArn!) })),
    log,
    fallback: typeof config.pool.password === 'string' ? config.pool.password : undefined,
    ...(options.now ? { now: options.now } : {}),
  });
  return { ...config.pool, password, Client: refreshingClient(password) };
}

/** A pg Client whose failed connect reports a rejected password to `password`. */
function refreshingClient(password: SecretPassword): typeof pg.Client {
  const report = (error: unknown) => {
    if (isAuthenticationFailure(error)) password.refresh();
  };
  class RefreshingClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: (err: Error | null, client?: pg.Client) => void): void;
    override connect(callback?: (err: Error | null, client?: pg.Client) => void): Promise<pg.Client> | void {
      if (!callback) {
        return super.connect().catch((error: unknown) => {
          report(error);
          throw error;
        });
      }
      // pg-pool connects with a callback.
      super.connect(((error: Error | null) => {
        if (error) report(error);
        callback(error, error ? undefined : this);
      }) as (err: Error) => void);
    }
  }
  return RefreshingClient;
}

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/**
 * A pool that refuses to hand out a connection to code that already holds one (see
 * connection-guard.ts). pg's `pool.query` takes its connection through `connect`, so both are covered.
 */
class GuardedPool extends pg.Pool {
  /** Stops the silence watch (set by createPool). */
  stopWatching: () => void = () => undefined;

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | void {
    this.stopWatching();
    return callback ? super.end(callback) : super.end();
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    try {
      assertNoConnectionHeld();
    } catch (error) {
      if (!callback) return Promise.reject(error);
      return callback(error as Error, undefined, () => undefined);
    }
    return callback ? super.connect(callback) : super.connect();
  }
}

/**
 * A pool that tries a connection once more when the database rejected the password: the first
 * attempt after a rotation uses the cached old value and tells the provider to read the secret
 * again, so the second attempt gets the new one and the request never sees the rotation.
 */
class RotationTolerantPool extends GuardedPool {
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    if (!callback) {
      return super.connect().catch((error: unknown) => {
        if (isAuthenticationFailure(error)) return super.connect();
        throw error;
      });
    }
    // pg-pool's own query() connects with a callback.
    const retry = super.connect.bind(this) as (cb: ConnectCallback) => void;
    retry((error, client, done) => {
      if (error && isAuthenticationFailure(error)) retry(callback);
      else callback(error, client, done);
    });
  }
}

export function createPool(config: DatabaseConfig, log: Logger, options: PoolOptions = {}): pg.Pool {
  const timeouts = { ...DATABASE_TIMEOUTS, ...options.timeouts };
  const settings: pg.PoolConfig = {
    ...connectionConfig(config, log, options),
    // Sent in the startup message, so they hold for every statement on the connection.
    statement_timeout: timeouts.statementMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
  };
  const pool = config.secretArn ? new RotationTolerantPool(settings) : new GuardedPool(settings);
  // An idle connection that dies (database restart, failover) must not crash the process;
  // the pool replaces it on next use and readiness reports the outage meanwhile.
  pool.on('error', (error) => log.warn({ error: error.message }, 'idle database connection failed'));
  pool.stopWatching = watchForSilence(pool, timeouts.readMs, (waitedMs) =>
    log.warn({ waitedMs, database: config.target }, 'a database connection got no answer: closing it (the server or the network is gone)'),
  );
  return pool;
}
