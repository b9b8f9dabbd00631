/**
 * The event log in PostgreSQL: every change appends a row in the transaction that makes it,
 * so a committed change always has its event, and a client that reconnects with
 * Last-Event-ID is replayed what it missed whichever replica it reaches.
 */
import type pg from 'pg';
import type { EventType, WorkspaceEvent } from './types.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

interface EventRow {
  id: string;
  workspace_id: string;
  type: EventType;
  payload: Record<string, unknown>;
  created_at: Date;
}

const toEvent = (row: EventRow): WorkspaceEvent => ({
  id: String(row.id),
  workspaceId: row.workspace_id,
  type: row.type,
  payload: row.payload,
  createdAt: row.created_at.toISOString(),
});

export async function appendEvent(db: Queryable, workspaceId: string, type: EventType, payload: Record<string, unknown>): Promise<WorkspaceEvent> {
  const { rows } = await db.query<EventRow>(
    `INSERT INTO workspace_events (workspace_id, type, payload) VALUES ($1, $2, $3)
     RETURNING id, workspace_id, type, payload, created_at`,
    [workspaceId, type, JSON.stringify(payload)],
  );
  return toEvent(rows[0]!);
}

/** Events after `afterId`, oldest first, at most `limit`. */
export async function eventsAfter(db: Queryable, workspaceId: string, afterId: string, limit = 500): Promise<WorkspaceEvent[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT id, workspace_id, type, payload, created_at FROM workspace_events
      WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [workspaceId, afterId, limit],
  );
  return rows.map(toEvent);
}

export async function latestEventId(db: Queryable, workspaceId: string): Promise<string> {
  const { rows } = await db.query<{ id: string | null }>('SELECT max(id) AS id FROM workspace_events WHERE workspace_id = $1', [workspaceId]);
  return rows[0]?.id == null ? '0' : String(rows[0].id);
}

/** Deletes events older than `retentionDays`, in batches so no statement holds locks long. */
export async function pruneEvents(db: Queryable, retentionDays: number, batchSize = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await db.query(
      `DELETE FROM workspace_events WHERE id IN (
         SELECT id FROM workspace_events WHERE created_at < now() - make_interval(days => $1) ORDER BY created_at LIMIT $2)`,
      [retentionDays, batchSize],
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return total;
  }
}
