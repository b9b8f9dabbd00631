/**
 * `slipway stats`: one JSON line with row counts, for restore drills to compare a restored
 * copy with its source (`{"counts":{"workspaces":N,"users":N,"issues":N,...}}`).
 */
import type pg from 'pg';

export const COUNTED_TABLES = ['workspaces', 'users', 'issues', 'comments', 'attachments'] as const;

export interface Stats {
  readonly counts: Record<(typeof COUNTED_TABLES)[number], number>;
  /** The newest row's time per table, so a drill can see how recent the copy is. */
  readonly newest: Record<'issues' | 'comments', string | null>;
}

export async function collectStats(db: Pick<pg.ClientBase, 'query'>): Promise<Stats> {
  const counts = {} as Stats['counts'];
  for (const table of COUNTED_TABLES) {
    const result = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(result.rows[0]!.n);
  }
  const newest = {} as Stats['newest'];
  for (const table of ['issues', 'comments'] as const) {
    const result = await db.query<{ t: Date | null }>(`SELECT max(created_at) AS t FROM ${table}`);
    newest[table] = result.rows[0]!.t?.toISOString() ?? null;
  }
  return { counts, newest };
}
