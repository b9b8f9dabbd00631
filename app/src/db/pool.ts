import pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config/database.ts';

export function createPool(config: DatabaseConfig, log: Logger): pg.Pool {
  const pool = new pg.Pool(config.pool);
  // An idle connection that dies (database restart, failover) must not crash the process;
  // the pool replaces it on next use and readiness reports the outage meanwhile.
  pool.on('error', (error) => log.warn({ error: error.message }, 'idle database connection failed'));
  return pool;
}
