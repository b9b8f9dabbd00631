/**
 * The migrate step that keeps the api's login (DB_APP_USER): reads its password (setting or
 * secret), signs in as it to the same server with the same TLS settings as migrate, and runs
 * `ensureAppRole`. Logs what it did, never a password.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import type { Logger } from 'pino';
import type { AppRoleConfig } from '../config/app-role.ts';
import type { DatabaseConfig } from '../config/database.ts';
import { INVALID_PASSWORD } from '../db/secret-password.ts';
import { readAppPassword } from './app-password.ts';
import { ensureAppRole, type AppRoleResult, type SignIn } from './app-role.ts';
import { MigrationError } from './runner.ts';

/** pg settings of `database` with another login (a URL's own user and password are replaced). */
export function loginAs(database: DatabaseConfig, user: string, password: string): pg.ClientConfig {
  const { connectionString, ...rest } = database.pool;
  const base: pg.ClientConfig = { ...rest, connectionTimeoutMillis: 5000, application_name: 'slipway-migrate-login-check' };
  if (connectionString) {
    // pg lets the URL win over `user`/`password`, so the URL itself is changed.
    const url = new URL(connectionString);
    url.username = encodeURIComponent(user);
    url.password = encodeURIComponent(password);
    return { ...base, connectionString: url.toString() };
  }
  return { ...base, user, password };
}

/** Signs in to `database` as another login and out again; a rejected password is `false`. */
export function signInTo(database: DatabaseConfig): SignIn {
  return async (user, password) => {
    const client = new pg.Client(loginAs(database, user, password));
    client.on('error', () => undefined);
    try {
      await client.connect();
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === INVALID_PASSWORD) return false;
      throw new MigrationError(`the api login "${user}" cannot sign in to ${database.target}: ${(error as Error).message}. Fix: check that the role may log in and that the server admits it (pg_hba.conf)`);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

export interface KeepAppLoginOptions {
  /** Reads DB_APP_SECRET_ARN. @default a client for the secret's region */
  readonly secretsManager?: SecretsManagerClient;
  /** @default signs in to `database` */
  readonly signIn?: SignIn;
}

export async function keepAppLogin(client: pg.ClientBase, appRole: AppRoleConfig, database: DatabaseConfig, log: Logger, options: KeepAppLoginOptions = {}): Promise<AppRoleResult> {
  const password = await readAppPassword(appRole.password, options.secretsManager);
  const result = await ensureAppRole(client, { role: appRole.user, password, signIn: options.signIn ?? signInTo(database) });
  const did = [
    result.created ? 'created' : 'exists',
    result.passwordSet ? `password set from ${password.source}` : 'password already current',
    `data access to schema ${result.schema} granted`,
  ];
  log.info({ appRole: appRole.user, created: result.created, passwordSet: result.passwordSet, schema: result.schema }, `api login ${appRole.user}: ${did.join('; ')}; no DDL, no role management`);
  return result;
}
