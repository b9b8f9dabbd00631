/**
 * `-- slipway:requires-extension NAME`: a migration that needs an extension runs where the
 * server offers it (the title trigram index on PostgreSQL with contrib, as on RDS) and is
 * recorded, not run, where it does not (the embedded database), with the reason reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../src/migrate/files.ts';
import { migrateUp, migrationStatus } from '../src/migrate/runner.ts';
import { migrate } from '../../test/support/app.ts';
import { startPostgres, type TestPostgres } from '../../test/support/servers.ts';

let server: TestPostgres;
let dir: string;

beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'slipway-migrations-'));
});
afterAll(async () => {
  await server?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('migrations that require an extension', () => {
  it('build the title trigram index where pg_trgm is available', async () => {
    const url = await server.createDatabase('trgm');
    const output = await migrate(url);
    expect(output).toContain('applied 0003_issue_title_trigram_index.sql');
    const indexes = await withClient(url, (c) => c.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'issues_title_trgm_idx'`));
    expect(indexes.rows[0]?.indexdef).toContain('USING gin (title gin_trgm_ops)');
  });

  it('write new titles straight into the trigram index, with nothing left pending', async () => {
    const url = await server.createDatabase('trgmdirect');
    const output = await migrate(url);
    expect(output).toContain('applied 0004_issue_title_trigram_direct_updates.sql');
    const options = await withClient(url, (c) => c.query(`SELECT reloptions FROM pg_class WHERE relname = 'issues_title_trgm_idx'`));
    expect(options.rows[0]?.reloptions).toEqual(['fastupdate=off']);
    // pgstattuple (contrib, like pg_trgm) reads the index's pending list.
    const pending = await withClient(url, async (c) => {
      await c.query('CREATE EXTENSION IF NOT EXISTS pgstattuple');
      const { rows } = await c.query<{ id: string }>(`INSERT INTO workspaces (slug, name, issue_key, next_issue_number) VALUES ('bulk', 'Bulk', 'BLK', 301) RETURNING id`);
      await c.query(`INSERT INTO issues (workspace_id, number, title) SELECT $1, n, 'Imported issue ' || n FROM generate_series(1, 300) AS n`, [rows[0]!.id]);
      return (await c.query(`SELECT pending_pages, pending_tuples FROM pgstatginindex('issues_title_trgm_idx')`)).rows[0];
    });
    expect(pending).toEqual({ pending_pages: 0, pending_tuples: '0' });
  });

  it('are recorded without running where the extension is missing, and the reason is reported', async () => {
    writeFileSync(join(dir, '0001_base.sql'), 'CREATE TABLE things (id int);\n');
    // Running this would fail: the extension and the function do not exist.
    writeFileSync(join(dir, '0002_fancy.sql'), '-- slipway:no-transaction\n-- slipway:requires-extension no_such_extension\nCREATE EXTENSION no_such_extension;\nSELECT no_such_function();\n');
    writeFileSync(join(dir, '0003_after.sql'), 'CREATE TABLE later (id int);\n');
    const files = readMigrations(dir);
    expect(files.map((f) => f.requiresExtension)).toEqual([undefined, 'no_such_extension', undefined]);
    const url = await server.createDatabase('noext');
    const skipped: string[] = [];
    const result = await withClient(url, (c) => migrateUp(c, files, { onSkipped: (file, reason) => skipped.push(`${file.filename}: ${reason}`) }));
    expect(skipped).toEqual(['0002_fancy.sql: the extension no_such_extension is not available on this server']);
    expect(result.applied.map((a) => a.filename)).toEqual(['0001_base.sql', '0003_after.sql']);
    const status = await withClient(url, (c) => migrationStatus(c, files));
    expect(status.pending).toEqual([]);
    expect(status.applied.map((a) => a.name)).toEqual(['base', 'fancy', 'after']);
  });
});
