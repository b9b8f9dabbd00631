/**
 * What the app prints (`migrate status`, `stats`), read back from the validation tasks' logs,
 * and the comparison of a restored copy with its source.
 */
import { COUNTED_TABLES, readCounts, type Counts } from '../../../app/src/stats/contract.ts';
import type { ProbeResult } from './validate.ts';



export interface DbSnapshot {
  readonly migrationsApplied?: readonly number[];
  readonly upToDate?: boolean;
  readonly counts?: Counts;
  readonly problems: readonly string[];
}

/** `migrate status` logs `{applied:[{version}], pending:[], upToDate}`; `stats` logs `{counts:{…}}`. */
export function snapshotFrom(status: ProbeResult, stats: ProbeResult | undefined, label: string): DbSnapshot {
  const problems: string[] = [];
  const statusRecord = status.records.find((r) => Array.isArray(r.applied) && 'upToDate' in r);
  if (status.exitCode !== 0) problems.push(`${label}: migrate status exited ${status.exitCode ?? '(no exit code)'}${status.stoppedReason ? ` (${status.stoppedReason})` : ''}`);
  else if (!statusRecord) problems.push(`${label}: migrate status printed no status record`);
  let counts: Counts | undefined;
  if (stats) {
    const statsRecord = stats.records.find((r) => r.counts && typeof r.counts === 'object');
    if (stats.exitCode === 2) problems.push(`${label}: the app image has no \`stats\` command, so row counts cannot be compared (pass --skip-row-counts to validate migrations only)`);
    else if (stats.exitCode !== 0) problems.push(`${label}: stats exited ${stats.exitCode ?? '(no exit code)'}${stats.stoppedReason ? ` (${stats.stoppedReason})` : ''}`);
    else if (!statsRecord) problems.push(`${label}: stats printed no counts`);
    else {
      const read = readCounts(statsRecord);
      counts = read.counts;
      if (read.missing.length) problems.push(`${label}: stats gave no count for ${read.missing.join(', ')} (an image older than this kit? pass --skip-row-counts to validate migrations only)`);
    }
  }
  return {
    migrationsApplied: statusRecord ? (statusRecord.applied as Array<{ version?: unknown }>).map((a) => Number(a.version)) : undefined,
    upToDate: statusRecord ? Boolean(statusRecord.upToDate) : undefined,
    counts,
    problems,
  };
}

export type ComparisonMode =
  /** A drill: the copy must know the same migrations and hold nearly the same rows. */
  | { readonly kind: 'drill'; readonly maxRowDrift: number }
  /**
   * A cutover to an earlier point (a bad migration, a mistaken bulk delete): the copy may know
   * fewer migrations (a prefix of the source's) and differ in rows; the differences are
   * reported, not gated.
   */
  | { readonly kind: 'point-in-time' };

export interface RowComparison {
  readonly table: string;
  readonly source: number;
  readonly restored: number;
  readonly drift: number;
}

export interface Comparison {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly rows: readonly RowComparison[];
  /** What differs without failing the comparison (a point-in-time cutover). */
  readonly notes?: readonly string[];
}

function isPrefix(prefix: readonly number[], of: readonly number[]): boolean {
  return prefix.length <= of.length && prefix.every((v, i) => of[i] === v);
}

export function compareSnapshots(source: DbSnapshot, restored: DbSnapshot, mode: ComparisonMode): Comparison {
  const problems = [...source.problems, ...restored.problems];
  const notes: string[] = [];
  const a = source.migrationsApplied;
  const b = restored.migrationsApplied;
  if (a && b) {
    if (mode.kind === 'drill' && a.join(',') !== b.join(',')) {
      problems.push(`migrations differ: source has [${a.join(',')}], restored has [${b.join(',')}]`);
    } else if (mode.kind === 'point-in-time' && !isPrefix(b, a)) {
      problems.push(`the copy's migrations [${b.join(',')}] are not an earlier state of the source's [${a.join(',')}]: it was not restored from this database's history`);
    } else if (mode.kind === 'point-in-time' && b.length < a.length) {
      notes.push(`the copy is before migration(s) ${a.slice(b.length).join(', ')}: the running release must not need them (roll it back first if it does)`);
    }
  }
  const rows: RowComparison[] = [];
  if (source.counts && restored.counts) {
    for (const table of COUNTED_TABLES) {
      const s = source.counts[table];
      const r = restored.counts[table];
      const drift = Math.abs(s - r);
      rows.push({ table, source: s, restored: r, drift });
      if (mode.kind === 'drill' && drift > mode.maxRowDrift) problems.push(`${table}: source ${s}, restored ${r} (drift ${drift} > ${mode.maxRowDrift})`);
      else if (mode.kind === 'point-in-time' && drift > 0) notes.push(`${table}: source ${s}, copy ${r} (${r < s ? `${s - r} fewer` : `${r - s} more`})`);
    }
  }
  return { ok: problems.length === 0, problems, rows, notes };
}
