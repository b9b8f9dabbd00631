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
  /** live: serving now (until a later record); rolled-back: replaced after a failed gate; failed: never served. */
  outcome: z.enum(['live', 'rolled-back', 'failed']),
  previousRelease: z.string().optional(),
  rolledBackTo: z.string().optional(),
  note: z.string().optional(),
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

/** The newest release that went live and is not `current`: where a rollback goes by default. */
export function previousGoodRelease(history: readonly ReleaseRecord[], current: string | undefined): ReleaseRecord | undefined {
  return [...history].reverse().find((r) => r.outcome === 'live' && r.smoke === 'passed' && r.release !== current);
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
