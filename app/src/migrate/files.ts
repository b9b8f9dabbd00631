/**
 * Migration files: `NNNN_name.sql` in one folder, applied in version order. A file whose first
 * line is `-- slipway:no-transaction` runs outside a transaction, one statement at a time (for
 * `CREATE INDEX CONCURRENTLY`, which PostgreSQL refuses inside a transaction block). A header
 * line `-- slipway:requires-extension NAME` applies the file only where the server offers that
 * extension; elsewhere it is recorded with a warning, as an optional speed-up that the app does
 * without (the embedded database has no contrib extensions).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly filename: string;
  readonly sql: string;
  readonly checksum: string;
  readonly transactional: boolean;
  /** An extension the file needs; without it on the server the file is skipped. */
  readonly requiresExtension?: string;
}

const FILENAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const NO_TRANSACTION = /^--\s*slipway:no-transaction\s*$/m;
const REQUIRES_EXTENSION = /^--\s*slipway:requires-extension\s+([a-z_][a-z0-9_]*)\s*$/m;

/** The leading comment lines, where directives live. */
const header = (sql: string) => /^(?:--[^\n]*\n?)*/.exec(sql)?.[0] ?? '';

/**
 * The folder this build ships: `migrations/` next to the bundle in an image, or
 * `app/migrations` when running from source.
 */
export function defaultMigrationsDir(): string {
  // Next to the bundle's entry, next to the chunk this code is in (dist/chunks/), or in the source tree.
  const candidates = [new URL('./migrations', import.meta.url), new URL('../migrations', import.meta.url), new URL('../../migrations', import.meta.url)];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  throw new Error(
    'The migrations folder was not found next to the program (migrations/) or in the source tree (app/migrations); set SLIPWAY_MIGRATIONS_DIR.',
  );
}

export function checksumOf(sql: string): string {
  // Line endings do not change meaning; a checkout on Windows must not look like an edit.
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export function readMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) throw new Error(`Migrations folder ${dir} does not exist.`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  const migrations: MigrationFile[] = [];
  const seen = new Map<number, string>();
  for (const filename of files.sort()) {
    const match = FILENAME.exec(filename);
    if (!match) {
      throw new Error(`Migration file ${filename} is not named NNNN_name.sql (four digits, then lowercase letters, digits and underscores).`);
    }
    const version = Number(match[1]);
    const previous = seen.get(version);
    if (previous) throw new Error(`Migrations ${previous} and ${filename} share version ${match[1]}; give one a new number.`);
    seen.set(version, filename);
    const sql = readFileSync(join(dir, filename), 'utf8');
    migrations.push({
      version,
      name: match[2]!,
      filename,
      sql,
      checksum: checksumOf(sql),
      transactional: !NO_TRANSACTION.test(sql.split('\n', 1)[0] ?? ''),
      requiresExtension: REQUIRES_EXTENSION.exec(header(sql))?.[1],
    });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

/**
 * Splits SQL into statements at top-level semicolons, respecting quotes, dollar quotes and
 * comments. Only needed for files that run outside a transaction, where each statement must
 * be sent on its own.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const rest = sql.slice(i);
    if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end + 1;
      current += sql.slice(i, stop);
      i = stop;
    } else if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      current += sql.slice(i, stop);
      i = stop;
    } else if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === ch && sql[j + 1] === ch) j += 2;
        else if (sql[j] === ch) break;
        else j++;
      }
      current += sql.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(rest)?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        const stop = end === -1 ? sql.length : end + tag.length;
        current += sql.slice(i, stop);
        i = stop;
      } else {
        current += ch;
        i++;
      }
    } else if (ch === ';') {
      if (hasCode(current)) statements.push(current.trim());
      current = '';
      i++;
    } else {
      current += ch;
      i++;
    }
  }
  if (hasCode(current)) statements.push(current.trim());
  return statements;
}

function hasCode(sql: string): boolean {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim().length > 0;
}
