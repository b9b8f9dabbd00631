/**
 * What `slipway stats` prints: one JSON line, `{"counts":{...},"newest":{...}}`. The restore
 * drill reads it from the task's log and compares a restored copy with its source, so both
 * sides import the table list and the shape from here.
 */

/** The tables whose rows are counted, in the order reports list them. */
export const COUNTED_TABLES = ['workspaces', 'users', 'issues', 'comments', 'attachments'] as const;
export type CountedTable = (typeof COUNTED_TABLES)[number];
export type Counts = Record<CountedTable, number>;

/** Tables whose newest row time is printed, so a drill can see how recent the copy is. */
export const NEWEST_TABLES = ['issues', 'comments'] as const;

export interface Stats {
  readonly counts: Counts;
  readonly newest: Record<(typeof NEWEST_TABLES)[number], string | null>;
}

/** The counts of a printed stats record, and the tables it gave no number for. */
export function readCounts(record: unknown): { counts?: Counts; missing: CountedTable[] } {
  const raw = (record as { counts?: unknown } | null)?.counts;
  if (!raw || typeof raw !== 'object') return { missing: [...COUNTED_TABLES] };
  const values = raw as Record<string, unknown>;
  const missing = COUNTED_TABLES.filter((t) => typeof values[t] !== 'number' || !Number.isFinite(values[t]));
  if (missing.length) return { missing };
  return { counts: Object.fromEntries(COUNTED_TABLES.map((t) => [t, values[t] as number])) as Counts, missing: [] };
}
