/** Settings of the `migrate` command, parsed once at start. */
import { z } from 'zod';
import { appRoleChecks, appRoleConfig, appRoleFields, type AppRoleConfig } from './app-role.ts';
import { databaseChecks, databaseConfig, databaseFields, type DatabaseConfig } from './database.ts';
import { parseEnv, v, type Env } from './env.ts';
import { logLevelField } from './shared.ts';

export const migrateSchema = z.object({
  LOG_LEVEL: logLevelField,
  MIGRATE_CONNECT_TIMEOUT_SECONDS: v.int(60, 0, 3600),
  SLIPWAY_MIGRATIONS_DIR: v.string(),
  ...databaseFields,
  ...appRoleFields,
});

export interface MigrateConfig {
  readonly database: DatabaseConfig;
  readonly connectTimeoutSeconds: number;
  readonly migrationsDir?: string;
  /** DB_APP_USER and its password: the api's own login, kept by `migrate up`; unset: none. */
  readonly appRole?: AppRoleConfig;
}

export function loadMigrateConfig(env: Env = process.env): MigrateConfig {
  const f = parseEnv('migrate', migrateSchema, env, (raw) => [...databaseChecks(raw), ...appRoleChecks(raw)]);
  const appRole = appRoleConfig(f);
  return {
    database: databaseConfig({ ...f, DATABASE_MAX_CONNS: 1, DATABASE_MIN_CONNS: 0 }),
    connectTimeoutSeconds: f.MIGRATE_CONNECT_TIMEOUT_SECONDS,
    migrationsDir: f.SLIPWAY_MIGRATIONS_DIR,
    ...(appRole ? { appRole } : {}),
  };
}
