/** Settings of the `migrate` command, parsed once at start. */
import { z } from 'zod';
import { databaseChecks, databaseConfig, databaseFields, type DatabaseConfig } from './database.ts';
import { parseEnv, v, type Env } from './env.ts';
import { logLevelField } from './shared.ts';

export const migrateSchema = z.object({
  LOG_LEVEL: logLevelField,
  MIGRATE_CONNECT_TIMEOUT_SECONDS: v.int(60, 0, 3600),
  SLIPWAY_MIGRATIONS_DIR: v.string(),
  ...databaseFields,
});

export interface MigrateConfig {
  readonly database: DatabaseConfig;
  readonly connectTimeoutSeconds: number;
  readonly migrationsDir?: string;
}

export function loadMigrateConfig(env: Env = process.env): MigrateConfig {
  const f = parseEnv('migrate', migrateSchema, env, databaseChecks);
  return {
    database: databaseConfig({ ...f, DATABASE_MAX_CONNS: 1, DATABASE_MIN_CONNS: 0 }),
    connectTimeoutSeconds: f.MIGRATE_CONNECT_TIMEOUT_SECONDS,
    migrationsDir: f.SLIPWAY_MIGRATIONS_DIR,
  };
}
