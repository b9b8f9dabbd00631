/**
 * `migrate up` analyzes tables that hold rows but have no planner statistics, the state a major
 * version upgrade leaves (pg_upgrade does not carry pg_statistic over). The upgrade is
 * reproduced on a real server by deleting a table's rows from pg_statistic as the superuser.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshMissingStatistics, tablesWithoutStatistics } from '../src/migrate/statistics.ts';
import { migrate } from '../../test/support/app.ts';
import { startPostgres, type TestPostgres } from '../../test/support/servers.ts';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.destroy();
});

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

/** A migrated database with users in it, analyzed, then stripped of their statistics as pg_upgrade leaves them. */
async function upgradedDatabase(prefix: string): Promise<{ url: string; db: pg.Client }> {
  const url = await server.createDatabase(prefix);
  await migrate(url);
  const db = await connect(url);
  await db.query(`INSERT INTO users (email) SELECT 'user' || n || '@example.com' FROM generate_series(1, 500) n`);
  await db.query('ANALYZE users');
  expect(await tablesWithoutStatistics(db)).not.toContain('users');
  await db.query(`DELETE FROM pg_statistic WHERE starelid = 'users'::regclass`);
  return { url, db };
}

describe('planner statistics after a major version upgrade', () => {
  it('migrate up analyzes a table with rows and no statistics, and leaves empty tables alone', async () => {
    const { url, db } = await upgradedDatabase('stats');
    try {
      const missing = await tablesWithoutStatistics(db);
      expect(missing).toContain('users');
      expect(missing).toContain('issues');
      expect(missing).not.toContain('slipway_migrations');

      const output = await migrate(url);
      expect(output).toContain('analyzed 1 table(s) that held rows but had no planner statistics (a major version upgrade leaves none): users');
      const { rows } = await db.query<{ attname: string }>(`SELECT attname FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'users' ORDER BY attname`);
      expect(rows.map((r) => r.attname)).toEqual(expect.arrayContaining(['email', 'id']));
      // Empty tables get no statistics from ANALYZE either: still listed, never "analyzed".
      expect(await tablesWithoutStatistics(db)).toContain('issues');

      const again = await migrate(url);
      expect(again).toContain('database is up to date; nothing to apply');
      expect(again).not.toContain('analyzed');
    } finally {
      await db.end();
    }
  });

  it('reports a table its login cannot analyze instead of claiming it, and does not throw', async () => {
    const { url, db } = await upgradedDatabase('stats_not_owner');
    try {
      await db.query(`CREATE ROLE stats_reader LOGIN PASSWORD 'reader-password-1234'`);
      await db.query('GRANT SELECT ON ALL TABLES IN SCHEMA public TO stats_reader');
      const asReader = new URL(url);
      asReader.username = 'stats_reader';
      asReader.password = 'reader-password-1234';
      const reader = await connect(asReader.toString());
      try {
        const refresh = await refreshMissingStatistics(reader);
        expect(refresh.analyzed).toEqual([]);
        expect(refresh.failed).toEqual([{ table: 'users', error: 'ANALYZE left it without statistics: the login running migrate must own the table' }]);
      } finally {
        await reader.end();
      }
      expect(await tablesWithoutStatistics(db)).toContain('users');
    } finally {
      await db.query('DROP OWNED BY stats_reader').catch(() => undefined);
      await db.query('DROP ROLE IF EXISTS stats_reader').catch(() => undefined);
      await db.end();
    }
  });
});
