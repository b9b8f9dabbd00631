/**
 * `slipway stats`: one JSON line with row counts, for restore drills to compare a restored
 * copy with its source. The tables and the shape are in `contract.ts`.
 */
import type pg from 'pg';
import { COUNTED_TABLES, NEWEST_TABLES, type Stats } from './contract.ts';

export { COUNTED_TABLES, type Stats } from './contract.ts';

export async function collectStats(db: Pick<pg.ClientBase, 'query'>): Promise<Stats> {
  const counts = {} as Stats['counts'];
  for (const table of COUNTED_TABLES) {
    const result = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(result.rows[0]!.n);
  }
  const newest = {} as Record<(typeof NEWEST_TABLES)[number], string | null>;
  for (const table of NEWEST_TABLES) {
    const result = await db.query<{ t: Date | null }>(`SELECT max(created_at) AS t FROM ${table}`);
    newest[table] = result.rows[0]!.t?.toISOString() ?? null;
  }
  return { counts, newest };
}
