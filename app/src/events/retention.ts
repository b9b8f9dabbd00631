/**
 * Keeps the event log from growing forever: once an hour one API replica (whichever takes the
 * advisory lock) deletes events older than the retention period. A client away for longer than
 * that simply starts a fresh stream and reloads.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { withConnection } from '../db/connection-guard.ts';
import { pruneEvents } from './store.ts';

export const EVENT_RETENTION_DAYS = 7;
const LOCK_KEY = 7_016_002;

export async function pruneOnce(pool: pg.Pool, retentionDays = EVENT_RETENTION_DAYS): Promise<number | undefined> {
  // The advisory lock belongs to the session: lock, prune and unlock on one connection.
  return withConnection(pool, async (client) => {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_KEY]);
    if (!rows[0]?.locked) return undefined; // another replica is on it
    try {
      return await pruneEvents(client, retentionDays);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    }
  });
}

export function scheduleEventPruning(pool: pg.Pool, log: Logger, everyMs = 3_600_000): { stop(): void } {
  const timer = setInterval(() => {
    pruneOnce(pool).then(
      (deleted) => {
        if (deleted) log.info({ deleted, retentionDays: EVENT_RETENTION_DAYS }, 'pruned old live-update events');
      },
      (error: Error) => log.warn({ error: error.message }, 'could not prune old live-update events; will try again'),
    );
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
