import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, runCommand } from '../../test/support/app.ts';
import { startPostgres, type TestPostgres } from '../../test/support/servers.ts';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => server?.destroy());

describe('slipway stats', () => {
  it('prints the row counts as one JSON line and exits 0', async () => {
    const url = await server.createDatabase('stats');
    await migrate(url);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const user = await db.query(`INSERT INTO users (email) VALUES ('ada@example.com') RETURNING id`);
    const ws = await db.query(`INSERT INTO workspaces (slug, name, issue_key) VALUES ('eng', 'Engineering', 'ENG') RETURNING id`);
    for (const n of [1, 2, 3]) {
      await db.query('INSERT INTO issues (workspace_id, number, title, author_id) VALUES ($1, $2, $3, $4)', [ws.rows[0].id, n, `Issue ${n}`, user.rows[0].id]);
    }
    await db.end();
    const run = runCommand(['stats'], { DATABASE_URL: url });
    expect(await run.exited).toBe(0);
    const line = JSON.parse(run.output().trim());
    expect(line.counts).toEqual({ workspaces: 1, users: 1, issues: 3, comments: 0, attachments: 0 });
    expect(Date.parse(line.newest.issues)).toBeGreaterThan(0);
    expect(line.newest.comments).toBeNull();
  });

  it('fails with a clear message when the database is unreachable', async () => {
    const run = runCommand(['stats'], { DATABASE_URL: 'postgres://x@127.0.0.1:1/x', MIGRATE_CONNECT_TIMEOUT_SECONDS: '0' });
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toBe('slipway stats: could not connect to the database at 127.0.0.1:1/x (DATABASE_URL) within 0 s (MIGRATE_CONNECT_TIMEOUT_SECONDS): connection refused');
  });
});
