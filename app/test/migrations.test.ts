import { mkdtempSync, rmSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWithRetry } from '../src/migrate/command.ts';
import { readMigrations, splitStatements } from '../src/migrate/files.ts';
import { concurrentIndexName, migrateUp, migrationStatus } from '../src/migrate/runner.ts';
import { migrate, runCommand } from '../../test/support/app.ts';
import { freePort, startPostgres, type TestPostgres } from '../../test/support/servers.ts';

const SHIPPED = join(import.meta.dirname, '../migrations');
let server: TestPostgres;
const dirs: string[] = [];

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.destroy();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-migrations-'));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

describe('migration files', () => {
  it('the shipped files are named, ordered and transactional', () => {
    const files = readMigrations(SHIPPED);
    expect(files.map((f) => f.version)).toEqual([...files.map((f) => f.version)].sort((a, b) => a - b));
    expect(files[0]).toMatchObject({ version: 1, filename: '0001_initial_schema.sql', transactional: true });
  });

  it('refuses a badly named file and duplicate versions', () => {
    expect(() => readMigrations(folder({ '1_init.sql': 'SELECT 1;' }))).toThrow('Migration file 1_init.sql is not named NNNN_name.sql');
    expect(() => readMigrations(folder({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 2;' }))).toThrow(
      'Migrations 0001_a.sql and 0001_b.sql share version 0001; give one a new number.',
    );
  });

  it('splits statements at top-level semicolons only', () => {
    const sql = `-- a; comment\nCREATE INDEX CONCURRENTLY a ON t (x);\nINSERT INTO t VALUES ('x;y', "q;q");\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n/* b; */`;
    expect(splitStatements(sql)).toEqual([
      '-- a; comment\nCREATE INDEX CONCURRENTLY a ON t (x)',
      `INSERT INTO t VALUES ('x;y', "q;q")`,
      'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql',
    ]);
  });
});

describe('migrate up', () => {
  it('applies the shipped schema once; a second run finds nothing to do', async () => {
    const url = await server.createDatabase('idem');
    const first = await migrate(url);
    expect(first).toContain('applied 0001_initial_schema.sql');
    const second = await migrate(url);
    expect(second).toContain('database is up to date; nothing to apply');
    const c = await client(url);
    const status = await migrationStatus(c, readMigrations(SHIPPED));
    await c.end();
    expect(status.pending).toEqual([]);
    expect(status.applied.map((a) => a.version)).toEqual(readMigrations(SHIPPED).map((f) => f.version));
  });

  it('two concurrent runners apply each file exactly once', async () => {
    const url = await server.createDatabase('concurrent');
    // A slow first file makes the runs overlap for certain.
    const dir = folder({
      '0001_slow.sql': 'SELECT pg_sleep(0.5); CREATE TABLE counter (n int);',
      '0002_insert.sql': 'INSERT INTO counter VALUES (1);',
    });
    const env = { SLIPWAY_MIGRATIONS_DIR: dir };
    const runs = [runCommand(['migrate', 'up'], { DATABASE_URL: url, LOG_LEVEL: 'info', ...env }), runCommand(['migrate', 'up'], { DATABASE_URL: url, LOG_LEVEL: 'info', ...env })];
    const codes = await Promise.all(runs.map((r) => r.exited));
    expect(codes).toEqual([0, 0]);
    const outputs = runs.map((r) => r.output()).join('\n');
    expect(outputs.match(/applied 0002_insert\.sql/g)).toHaveLength(1);
    expect(outputs).toContain('nothing to apply');
    const c = await client(url);
    const rows = await c.query('SELECT count(*)::int AS n FROM counter');
    const records = await c.query('SELECT count(*)::int AS n FROM slipway_migrations');
    await c.end();
    expect(rows.rows[0].n).toBe(1);
    expect(records.rows[0].n).toBe(2);
  });

  it('refuses to run when an applied file changed, and applies nothing', async () => {
    const url = await server.createDatabase('checksum');
    const dir = folder({ '0001_a.sql': 'CREATE TABLE a (x int);' });
    expect(await runCommand(['migrate', 'up'], { DATABASE_URL: url, SLIPWAY_MIGRATIONS_DIR: dir }).exited).toBe(0);
    writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (x bigint);');
    writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE b (x int);');
    const run = runCommand(['migrate', 'up'], { DATABASE_URL: url, SLIPWAY_MIGRATIONS_DIR: dir, LOG_LEVEL: 'info' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/0001_a\.sql was changed after it was applied \(applied checksum [0-9a-f]{12}, file now [0-9a-f]{12}\)\. Restore the file as it was and put the change in a new migration\./);
    const c = await client(url);
    const b = await c.query(`SELECT to_regclass('b') AS t`);
    await c.end();
    expect(b.rows[0].t).toBeNull();
  });

  it('a failing file is rolled back whole and named with the database message and line', async () => {
    const url = await server.createDatabase('failing');
    const dir = folder({
      '0001_ok.sql': 'CREATE TABLE ok (x int);',
      '0002_broken.sql': 'CREATE TABLE half (x int);\nINSERT INTO nowhere VALUES (1);',
    });
    const run = runCommand(['migrate', 'up'], { DATABASE_URL: url, SLIPWAY_MIGRATIONS_DIR: dir, LOG_LEVEL: 'info' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('0002_broken.sql failed at line 2: relation \\"nowhere\\" does not exist [42P01]. Nothing from this file was applied.');
    const c = await client(url);
    const half = await c.query(`SELECT to_regclass('half') AS t`);
    const applied = await c.query('SELECT version FROM slipway_migrations ORDER BY version');
    await c.end();
    expect(half.rows[0].t).toBeNull();
    expect(applied.rows.map((r) => r.version)).toEqual([1]);
  });

  it('runs a no-transaction file statement by statement (CREATE INDEX CONCURRENTLY)', async () => {
    const url = await server.createDatabase('concurrently');
    const dir = folder({
      '0001_table.sql': 'CREATE TABLE t (x int);',
      '0002_index.sql': '-- slipway:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_x ON t (x);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_x2 ON t (x);\n',
    });
    const files = readMigrations(dir);
    expect(files[1]!.transactional).toBe(false);
    const c = await client(url);
    const result = await migrateUp(c, files);
    const indexes = await c.query(`SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1`);
    await c.end();
    expect(result.applied.map((a) => a.filename)).toEqual(['0001_table.sql', '0002_index.sql']);
    expect(indexes.rows.map((r) => r.indexname)).toEqual(['t_x', 't_x2']);
  });

  it('a concurrent index build that failed leaves an invalid index; the rerun drops it and builds it again', async () => {
    const url = await server.createDatabase('invalid_index');
    const dir = folder({
      '0001_table.sql': 'CREATE TABLE t (x int); INSERT INTO t VALUES (1), (1);',
      '0002_unique.sql': '-- slipway:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_x_unique ON t (x);\n',
    });
    const files = readMigrations(dir);
    const c = await client(url);
    try {
      await expect(migrateUp(c, files)).rejects.toThrow(/0002_unique\.sql failed.*could not create unique index "t_x_unique"/);
      const validity = async () => (await c.query(`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('t_x_unique')`)).rows[0]?.valid;
      // PostgreSQL keeps the failed build as an invalid index, which IF NOT EXISTS would skip.
      expect(await validity()).toBe(false);
      await c.query('DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t)');
      const rerun = await migrateUp(c, files);
      expect(rerun.applied.map((a) => a.filename)).toEqual(['0002_unique.sql']);
      expect(await validity()).toBe(true);
    } finally {
      await c.end();
    }
  });

  it('finds the index a concurrent build names', () => {
    expect(concurrentIndexName('CREATE INDEX CONCURRENTLY IF NOT EXISTS issues_title_trgm_idx ON issues USING gin (title gin_trgm_ops)')).toBe('issues_title_trgm_idx');
    expect(concurrentIndexName('-- why\ncreate unique index concurrently "Odd Name" on t (x)')).toBe('"Odd Name"');
    expect(concurrentIndexName('CREATE INDEX t_x ON t (x)')).toBeUndefined();
    expect(concurrentIndexName('CREATE EXTENSION IF NOT EXISTS pg_trgm')).toBeUndefined();
  });

  it('migrate status lists applied and pending files', async () => {
    const url = await server.createDatabase('status');
    const dir = folder({ '0001_a.sql': 'CREATE TABLE a (x int);' });
    await runCommand(['migrate', 'up'], { DATABASE_URL: url, SLIPWAY_MIGRATIONS_DIR: dir }).exited;
    copyFileSync(join(dir, '0001_a.sql'), join(dir, '0002_b.sql'));
    writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE b (x int);');
    const run = runCommand(['migrate', 'status'], { DATABASE_URL: url, SLIPWAY_MIGRATIONS_DIR: dir, LOG_LEVEL: 'info' });
    expect(await run.exited).toBe(0);
    const line = JSON.parse(run.output().trim().split('\n').at(-1)!);
    expect(line).toMatchObject({ msg: 'migrations: 1 applied, 1 pending', pending: ['0002_b.sql'], upToDate: false });
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('an unknown subcommand is refused with the valid ones', async () => {
    const run = runCommand(['migrate', 'down'], { DATABASE_URL: 'postgres://x@127.0.0.1:1/x' });
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('unknown migrate subcommand \\"down\\"; expected \\"migrate up\\", \\"migrate status\\" or \\"migrate app-role\\"');
  });
});

describe('first connection', () => {
  it('retries with backoff until the database is reachable', async () => {
    const port = await freePort();
    const sleeps: number[] = [];
    let attempts = 0;
    const late = await startPostgres();
    const url = new URL(late.url);
    url.port = String(port);
    await expect(
      connectWithRetry({ connectionString: url.toString() }, 1, pino({ level: 'silent' }), async (ms) => {
        sleeps.push(ms);
        attempts++;
      }),
    ).rejects.toThrow(/could not connect to the database within 1 s \(MIGRATE_CONNECT_TIMEOUT_SECONDS\): connection refused/);
    expect(attempts).toBeGreaterThan(0);
    expect(sleeps.slice(0, 3)).toEqual([250, 500, 1000].slice(0, Math.min(3, sleeps.length)));
    const c = await connectWithRetry({ connectionString: late.url }, 5, pino({ level: 'silent' }));
    await c.end();
    await late.destroy();
  });
});
