/**
 * Planner statistics for tables that hold rows but have none: the state a PostgreSQL major
 * version upgrade leaves, because pg_upgrade does not carry optimizer statistics over
 * (https://www.postgresql.org/docs/17/pgupgrade.html, "Statistics"), and RDS asks for an
 * ANALYZE after the upgrade (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.PostgreSQL.MajorVersion.Process.html).
 * Until autovacuum gets round to a table the planner guesses its size, and a page of issues
 * can turn into a sequential scan. `migrate up` runs this after the migrations, and the deploy
 * runs `migrate up` after a version change (infra/constructs/migrate-before-roll.ts), so the
 * upgrade leaves no table without statistics.
 */
import type pg from 'pg';
import { MIGRATIONS_TABLE } from './runner.ts';

export interface StatisticsRefresh {
  /** Tables analyzed: they held rows but had no statistics. */
  readonly analyzed: string[];
  /** Tables that could not be analyzed, with the server's reason; the release goes on without them. */
  readonly failed: { table: string; error: string }[];
  readonly durationMs: number;
}

/**
 * Ordinary tables of the current schema with no row in pg_stats (readable by their owner, unlike
 * pg_statistic), but for the runner's own small table, which is only read whole.
 */
export async function tablesWithoutStatistics(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ table: string }>(
    `SELECT c.relname AS table
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname = current_schema()
        AND c.relname <> $1
        AND NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname)
      ORDER BY c.relname`,
    [MIGRATIONS_TABLE],
  );
  return rows.map((r) => r.table);
}

/**
 * ANALYZEs each table without statistics that holds at least one row (an empty table gets no
 * statistics from ANALYZE either, so it is left alone). A table that fails is reported, not
 * thrown: statistics make queries faster, never correct, so they do not stop a release.
 */
export async function refreshMissingStatistics(client: pg.ClientBase): Promise<StatisticsRefresh> {
  const started = performance.now();
  const analyzed: string[] = [];
  const failed: { table: string; error: string }[] = [];
  for (const table of await tablesWithoutStatistics(client)) {
    const name = client.escapeIdentifier(table);
    try {
      const { rowCount } = await client.query(`SELECT 1 FROM ${name} LIMIT 1`);
      if (!rowCount) continue;
      await client.query(`ANALYZE ${name}`);
      // A login that does not own the table gets a warning, not an error, and no statistics.
      const { rowCount: after } = await client.query('SELECT 1 FROM pg_stats WHERE schemaname = current_schema() AND tablename = $1 LIMIT 1', [table]);
      if (after) analyzed.push(table);
      else failed.push({ table, error: 'ANALYZE left it without statistics: the login running migrate must own the table' });
    } catch (error) {
      failed.push({ table, error: (error as Error).message });
    }
  }
  return { analyzed, failed, durationMs: Math.round(performance.now() - started) };
}
