/**
 * Applies migration files to PostgreSQL, each exactly once, in order. A session-level advisory
 * lock serializes concurrent runners (two tasks started by two deploys): the second waits, then
 * finds nothing left to do. Every applied file's checksum is checked first, so an edited file
 * stops the run before anything changes.
 */
import pg from 'pg';
import { splitStatements, type MigrationFile } from './files.ts';

export const MIGRATIONS_TABLE = 'slipway_migrations';
// Any constant works; it only has to be the same for every runner of this schema.
const LOCK_KEY = 7_016_001;

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: Date;
  readonly durationMs: number;
}

export interface MigrationStatus {
  readonly applied: AppliedMigration[];
  readonly pending: MigrationFile[];
  /** Applied versions this build does not know (the database is ahead of this release). */
  readonly unknown: AppliedMigration[];
  /** Applied files whose content changed since. */
  readonly changed: { file: MigrationFile; applied: AppliedMigration }[];
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly filename?: string,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

type Queryable = Pick<pg.ClientBase, 'query'>;

export async function ensureMigrationsTable(db: Queryable): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
    version      integer PRIMARY KEY,
    name         text NOT NULL,
    checksum     text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    duration_ms  integer NOT NULL
  )`);
}

/** Reads what is applied without creating anything (the API's readiness check uses this). */
export async function readApplied(db: Queryable): Promise<AppliedMigration[]> {
  const exists = await db.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [MIGRATIONS_TABLE]);
  if (!exists.rows[0]?.present) return [];
  const result = await db.query<{ version: number; name: string; checksum: string; applied_at: Date; duration_ms: number }>(
    `SELECT version, name, checksum, applied_at, duration_ms FROM ${MIGRATIONS_TABLE} ORDER BY version`,
  );
  return result.rows.map((r) => ({
    version: r.version,
    name: r.name,
    checksum: r.checksum,
    appliedAt: r.applied_at,
    durationMs: r.duration_ms,
  }));
}

export function compare(files: MigrationFile[], applied: AppliedMigration[]): MigrationStatus {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  const known = new Set(files.map((f) => f.version));
  const changed = files.flatMap((file) => {
    const record = byVersion.get(file.version);
    return record && record.checksum !== file.checksum ? [{ file, applied: record }] : [];
  });
  return {
    applied,
    pending: files.filter((f) => !byVersion.has(f.version)),
    unknown: applied.filter((a) => !known.has(a.version)),
    changed,
  };
}

export async function migrationStatus(db: Queryable, files: MigrationFile[]): Promise<MigrationStatus> {
  return compare(files, await readApplied(db));
}

function changedError(status: MigrationStatus): MigrationError {
  const first = status.changed[0]!;
  return new MigrationError(
    `${first.file.filename} was changed after it was applied (applied checksum ${first.applied.checksum.slice(0, 12)}, file now ${first.file.checksum.slice(0, 12)}). ` +
      'Restore the file as it was and put the change in a new migration.',
    first.file.filename,
  );
}

export interface MigrateUpResult {
  readonly applied: { filename: string; durationMs: number }[];
  readonly alreadyApplied: number;
  readonly latest?: number;
}

export interface MigrateUpOptions {
  readonly onApply?: (file: MigrationFile) => void;
  readonly onApplied?: (file: MigrationFile, durationMs: number) => void;
  readonly onWaitForLock?: () => void;
  /** A file recorded without running: the extension it requires is not available. */
  readonly onSkipped?: (file: MigrationFile, reason: string) => void;
  readonly afterMigrations?: () => Promise<void>;
}

/**
 * Runs `work` while holding the migration lock on `client` (a dedicated connection), waiting for
 * another runner to finish first. Everything that changes the schema or its grants runs under it.
 */
export async function withMigrationLock<T>(client: pg.ClientBase, work: () => Promise<T>, onWaitForLock?: () => void): Promise<T> {
  const got = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_KEY]);
  if (!got.rows[0]?.locked) {
    onWaitForLock?.();
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
  }
  try {
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
  }
}

/**
 * Applies every pending file. `client` must be a dedicated connection (it holds the lock).
 * `afterMigrations` runs once they are applied, still under the lock (the api login's grants).
 */
export async function migrateUp(client: pg.ClientBase, files: MigrationFile[], options: MigrateUpOptions = {}): Promise<MigrateUpResult> {
  return withMigrationLock(
    client,
    async () => {
      await ensureMigrationsTable(client);
      const status = await migrationStatus(client, files);
      if (status.changed.length > 0) throw changedError(status);
      const done: { filename: string; durationMs: number }[] = [];
      for (const file of status.pending) {
        options.onApply?.(file);
        const started = performance.now();
        const missing = file.requiresExtension && !(await extensionAvailable(client, file.requiresExtension));
        if (missing) {
          await recordApplied(client, file, started);
          options.onSkipped?.(file, `the extension ${file.requiresExtension} is not available on this server`);
          continue;
        }
        await applyOne(client, file, started);
        const durationMs = Math.round(performance.now() - started);
        done.push({ filename: file.filename, durationMs });
        options.onApplied?.(file, durationMs);
      }
      await options.afterMigrations?.();
      const latest = files.at(-1)?.version;
      return { applied: done, alreadyApplied: status.applied.length, latest };
    },
    options.onWaitForLock,
  );
}

async function extensionAvailable(client: pg.ClientBase, name: string): Promise<boolean> {
  const { rows } = await client.query<{ available: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = $1) AS available', [name]);
  return rows[0]?.available ?? false;
}

async function recordApplied(client: pg.ClientBase, file: MigrationFile, started: number): Promise<void> {
  await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)`, [
    file.version,
    file.name,
    file.checksum,
    Math.round(performance.now() - started),
  ]);
}

async function applyOne(client: pg.ClientBase, file: MigrationFile, started: number): Promise<void> {
  const record = () => recordApplied(client, file, started);
  if (file.transactional) {
    await client.query('BEGIN');
    try {
      await client.query(file.sql);
      await record();
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw failure(file, error);
    }
    return;
  }
  // Outside a transaction a failure can leave earlier statements applied; such files should be
  // written to be rerun safely (IF NOT EXISTS), and the record is written only at the end.
  for (const statement of splitStatements(file.sql)) {
    try {
      await dropInvalidIndex(client, statement);
      await client.query(statement);
      await checkIndexValid(client, file, statement);
    } catch (error) {
      throw error instanceof MigrationError ? error : failure(file, error);
    }
  }
  await record();
}

/** The index a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name` statement builds. */
export function concurrentIndexName(statement: string): string | undefined {
  const sql = statement.replace(/--[^\n]*/g, ' ');
  return /\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?("[^"]+"|[\w.]+)/i.exec(sql)?.[1];
}

async function indexValidity(client: pg.ClientBase, name: string): Promise<boolean | undefined> {
  const { rows } = await client.query<{ valid: boolean }>('SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1)', [name]);
  return rows[0]?.valid;
}

/**
 * A concurrent index build that fails or is cut off (a stopped task, a duplicate under UNIQUE)
 * leaves the index behind marked invalid: unused by queries, yet enough for IF NOT EXISTS to
 * skip the rerun, which would record the file as applied without its index. Such a leftover
 * is dropped first so the rerun builds it. PostgreSQL documents this under CREATE INDEX,
 * "Building Indexes Concurrently": the recommended recovery is to drop the index and try again.
 */
async function dropInvalidIndex(client: pg.ClientBase, statement: string): Promise<void> {
  const name = concurrentIndexName(statement);
  if (name && (await indexValidity(client, name)) === false) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
}

/** A statement that ran without error but left its index invalid must not count as applied. */
async function checkIndexValid(client: pg.ClientBase, file: MigrationFile, statement: string): Promise<void> {
  const name = concurrentIndexName(statement);
  if (name && (await indexValidity(client, name)) === false) {
    throw new MigrationError(`${file.filename}: the index ${name} exists but is invalid (a concurrent build that did not finish); it is dropped and rebuilt on the next run`, file.filename);
  }
}

function failure(file: MigrationFile, error: unknown): MigrationError {
  const pgError = error as { message?: string; position?: string; code?: string };
  let where = '';
  if (pgError.position) {
    const line = file.sql.slice(0, Number(pgError.position)).split('\n').length;
    where = ` at line ${line}`;
  }
  const code = pgError.code ? ` [${pgError.code}]` : '';
  return new MigrationError(`${file.filename} failed${where}: ${pgError.message ?? String(error)}${code}. Nothing from this file was applied${file.transactional ? '' : ' after its last completed statement'}.`, file.filename);
}
