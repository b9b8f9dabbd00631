import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneOnce } from '../src/events/retention.ts';
import { migrate } from '../../test/support/app.ts';
import { startPostgres, type TestPostgres } from '../../test/support/servers.ts';

let server: TestPostgres;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startPostgres();
  const url = await server.createDatabase('retention');
  await migrate(url);
  pool = new pg.Pool({ connectionString: url, max: 3 });
  // The servers stop at the end of the file; an idle connection dropped then is not a failure.
  pool.on('error', () => undefined);
});
afterAll(async () => {
  await pool?.end();
  await server?.destroy();
});

describe('event log retention', () => {
  it('deletes events older than the retention period and keeps the rest', async () => {
    const ws = await pool.query(`INSERT INTO workspaces (slug, name, issue_key) VALUES ('eng', 'Engineering', 'ENG') RETURNING id`);
    const id = ws.rows[0].id;
    await pool.query(
      `INSERT INTO workspace_events (workspace_id, type, payload, created_at)
       SELECT $1, 'issue.created', '{}', now() - make_interval(days => d) + interval '1 hour' FROM generate_series(1, 10) AS d`,
      [id],
    );
    expect(await pruneOnce(pool, 7)).toBe(3);
    const left = await pool.query('SELECT count(*)::int AS n FROM workspace_events');
    expect(left.rows[0].n).toBe(7);
    expect(await pruneOnce(pool, 7)).toBe(0);
  });

  it('only one replica prunes at a time', async () => {
    const holder = await pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(7016002)');
      expect(await pruneOnce(pool, 7)).toBeUndefined();
    } finally {
      await holder.query('SELECT pg_advisory_unlock(7016002)');
      holder.release();
    }
  });
});
