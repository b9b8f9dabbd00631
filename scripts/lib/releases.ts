/**
 * Release history in SSM Parameter Store: one parameter per attempt under the stacks' prefix
 * (`/APP/releases/20260115T120000Z-<tag>`), a JSON record each. Deploy writes it; rollback and
 * the runbooks read it.
 */
import {
  GetParametersByPathCommand,
  PutParameterCommand,
  SSMClient,
  type Parameter,
} from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { servicePhasesSchema } from './deploy-phases.ts';

export const releaseRecordSchema = z.object({
  release: z.string().min(1),
  kind: z.enum(['deploy', 'rollback']),
  imageDigest: z.string().optional(),
  commit: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationSeconds: z.number(),
  /** The database migration version /api/version reported after the roll. */
  migration: z.string().optional(),
  smoke: z.enum(['passed', 'failed', 'not-run']),
  smokeFailures: z.array(z.string()).default([]),
  /**
   * started: recorded before cdk deploy (still so if the run was interrupted); live: serving
   * now; replaced: served, until a later release went live; rolled-back: failed its gate and
   * was rolled away from; failed: never served.
   */
  outcome: z.enum(['started', 'live', 'replaced', 'rolled-back', 'failed']),
  previousRelease: z.string().optional(),
  rolledBackTo: z.string().optional(),
  /** The release that went live after this one (outcome replaced). */
  replacedBy: z.string().optional(),
  /** Where the service stack's template this release was deployed with is kept (S3). */
  serviceTemplate: z.object({ bucket: z.string(), key: z.string() }).optional(),
  note: z.string().optional(),
  /** Blue/green: each service deployment's phases with their durations. */
  phases: z.array(servicePhasesSchema).optional(),
});

export type ReleaseRecord = z.infer<typeof releaseRecordSchema>;

export interface StoredRelease extends ReleaseRecord {
  readonly parameterName: string;
}

function compactTime(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function releaseParameterName(prefix: string, record: Pick<ReleaseRecord, 'startedAt' | 'release'>): string {
  const safeTag = record.release.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${prefix.replace(/\/$/, '')}/${compactTime(record.startedAt)}-${safeTag}`;
}

/**
 * A start time whose record name no earlier attempt has: names have second resolution, so a
 * rerun of the same release within the second of the attempt it follows would overwrite that
 * attempt's record (and with it the mark that it was interrupted).
 */
export function distinctStart(history: readonly StoredRelease[], prefix: string, release: string, startedAt: number): number {
  const taken = new Set(history.map((h) => h.parameterName));
  let t = startedAt;
  while (taken.has(releaseParameterName(prefix, { release, startedAt: new Date(t).toISOString() }))) t += 1000;
  return t;
}

/** SSM standard parameters hold 4 KB: long smoke failure lists are cut to fit. */
export function serializeRecord(record: ReleaseRecord): string {
  const copy: ReleaseRecord = { ...record, smokeFailures: [...record.smokeFailures] };
  let text = JSON.stringify(copy);
  while (text.length > 4000 && copy.smokeFailures.length > 0) {
    copy.smokeFailures = copy.smokeFailures.slice(0, -1);
    copy.note = 'smoke failures cut to fit';
    text = JSON.stringify(copy);
  }
  return text.length > 4000 ? JSON.stringify({ ...copy, smokeFailures: [], note: 'details cut to fit' }) : text;
}

/** Idempotent: the name is derived from start time and tag, so a rerun overwrites its own record. */
export async function recordRelease(ssm: SSMClient, prefix: string, record: ReleaseRecord): Promise<string> {
  const name = releaseParameterName(prefix, record);
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: serializeRecord(releaseRecordSchema.parse(record)),
      Type: 'String',
      Overwrite: true,
      Description: `Slipway ${record.kind} of ${record.release}: ${record.outcome}`,
    }),
  );
  return name;
}

/** Oldest first. Records that do not parse are reported through `onBad` and skipped. */
export async function listReleases(
  ssm: SSMClient,
  prefix: string,
  onBad?: (name: string, reason: string) => void,
): Promise<StoredRelease[]> {
  const parameters: Parameter[] = [];
  let token: string | undefined;
  do {
    const page = await ssm.send(new GetParametersByPathCommand({ Path: prefix, Recursive: false, NextToken: token }));
    parameters.push(...(page.Parameters ?? []));
    token = page.NextToken;
  } while (token);
  const records: StoredRelease[] = [];
  for (const p of parameters) {
    try {
      const parsed = releaseRecordSchema.parse(JSON.parse(p.Value ?? ''));
      records.push({ ...parsed, parameterName: p.Name ?? '' });
    } catch (error) {
      onBad?.(p.Name ?? '?', (error as Error).message.split('\n')[0] ?? 'unreadable');
    }
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** A record of a release that served (whether it still does or was replaced later). */
function served(r: ReleaseRecord): boolean {
  return (r.outcome === 'live' || r.outcome === 'replaced') && r.smoke === 'passed';
}

/** A release the history knows that never served: every attempt failed or was rolled away from. */
export function neverServed(history: readonly ReleaseRecord[], release: string): boolean {
  const records = history.filter((r) => r.release === release);
  return records.length > 0 && !records.some(served);
}

/**
 * The releases that served, as a stack: a deploy that went live pushes its release; a
 * rollback pops back to the release it went to (or pushes it, when it was named with --to and
 * is not below). The top is what serves now; a rollback goes to the one below it, so rolling
 * back twice walks back through history instead of returning to where it came from.
 */
export function liveStack(history: readonly ReleaseRecord[]): string[] {
  const stack: string[] = [];
  for (const r of [...history].sort((a, b) => a.startedAt.localeCompare(b.startedAt))) {
    if (!served(r)) continue;
    if (r.kind === 'rollback' && stack.includes(r.release)) {
      while (stack.at(-1) !== r.release) stack.pop();
    } else if (stack.at(-1) !== r.release) {
      stack.push(r.release);
    }
  }
  return stack;
}

/** Where `npm run rollback` goes from `running`: the release that served before it. */
export function rollbackTarget(history: readonly ReleaseRecord[], running: string | undefined): string | undefined {
  const stack = liveStack(history);
  const at = running === undefined ? -1 : stack.lastIndexOf(running);
  if (at === -1) return stack.filter((r) => r !== running).at(-1);
  return stack.slice(0, at).filter((r) => r !== running).at(-1);
}

/** The release that serves, by the history (the top of the stack). */
export function liveRelease(history: readonly ReleaseRecord[]): string | undefined {
  return liveStack(history).at(-1);
}

/** The one record that made the serving release live: the newest served record of it. */
export function liveRecord<T extends ReleaseRecord>(history: readonly T[]): T | undefined {
  const top = liveRelease(history);
  return [...history].sort((a, b) => a.startedAt.localeCompare(b.startedAt)).reverse().find((r) => served(r) && r.release === top);
}

/**
 * After `now` went live: every other record still marked live is marked replaced, so the
 * history says which one release serves. Returns the names rewritten.
 */
export async function markReplaced(ssm: SSMClient, prefix: string, history: readonly StoredRelease[], now: Pick<ReleaseRecord, 'release' | 'startedAt'>): Promise<string[]> {
  const nowName = releaseParameterName(prefix, now);
  const rewritten: string[] = [];
  for (const r of history) {
    if (r.outcome !== 'live' || r.parameterName === nowName) continue;
    const { parameterName, ...record } = r;
    await recordRelease(ssm, prefix, { ...record, outcome: 'replaced', replacedBy: now.release });
    rewritten.push(parameterName);
  }
  return rewritten;
}

export function migrationOf(version: { migration?: unknown } | undefined): string | undefined {
  const m = version?.migration;
  if (m === undefined || m === null) return undefined;
  if (typeof m === 'string') return m;
  if (typeof m === 'object') {
    const o = m as { applied?: unknown; latest?: unknown };
    return String(o.applied ?? o.latest ?? JSON.stringify(m));
  }
  return String(m);
}
