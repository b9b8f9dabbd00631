/** The drill report: JSON and Markdown, stored under drills/ in the attachments bucket. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { formatDuration } from '../cli.ts';
import type { Comparison } from './compare.ts';
import { describeLeftBehind, type CutoverWrites, type LeftBehind } from './newer-writes.ts';

/** A cutover's writes after the restore point: on which terms it went ahead, and what stays on the original. */
export interface NewerWrites {
  /** `stopped`: the api had 0 tasks since before the restore point; `accepted`: --accept-newer-writes-lost. */
  terms: CutoverWrites;
  api: { service: string; running: number; desired: number; lastStoppedAt?: string };
  /** Per table where the original's row count differs from the copy's at validation; absent when row counts were not compared. */
  leftBehind?: LeftBehind[];
}

export interface DrillReport {
  drillId: string;
  appName: string;
  sourceInstance: string;
  restoredInstance: string;
  instanceClass: string;
  multiAz: boolean;
  restorePoint: string;
  latestRestorableTime: string;
  earliestRestorableTime: string;
  restoreRequestedAt: string;
  availableAt?: string;
  validatedAt?: string;
  /** Request time minus the latest restorable time: what a restore to the latest would lose. */
  rpoSeconds: number;
  /** Request time minus the restore point: the look-back chosen with --restore-time. */
  lookBackSeconds: number;
  rtoSeconds?: number;
  validation: 'passed' | 'failed' | 'not-run';
  problems: string[];
  /** Differences that did not fail validation (a point-in-time cutover). */
  notes?: string[];
  rows: Comparison['rows'];
  /** A cutover only. */
  newerWrites?: NewerWrites;
  outcome: string;
}

export function markdownReport(r: DrillReport): string {
  const dur = (s?: number) => (s === undefined ? 'n/a' : formatDuration(s * 1000));
  const lines = [
    `# Restore drill ${r.drillId}`,
    '',
    '| | |',
    '| --- | --- |',
    `| source instance | ${r.sourceInstance} |`,
    `| restored instance | ${r.restoredInstance} (${r.instanceClass}${r.multiAz ? ', Multi-AZ' : ''}) |`,
    `| restore point | ${r.restorePoint} |`,
    `| restore requested | ${r.restoreRequestedAt} |`,
    `| available | ${r.availableAt ?? 'never'} |`,
    `| validated | ${r.validatedAt ?? 'no'} |`,
    `| restorable window | ${r.earliestRestorableTime} to ${r.latestRestorableTime} |`,
    `| RPO (restore request minus latest restorable time: data the backups could not restore) | ${dur(r.rpoSeconds)} |`,
    `| look-back (restore request minus restore point: chosen, not data loss) | ${dur(r.lookBackSeconds)} |`,
    `| RTO (restore request until validated) | ${dur(r.rtoSeconds)} |`,
    `| validation | ${r.validation} |`,
    `| outcome | ${r.outcome} |`,
    '',
  ];
  if (r.rows.length) {
    lines.push('## Row counts', '', '| table | source | restored | drift |', '| --- | ---: | ---: | ---: |');
    for (const row of r.rows) lines.push(`| ${row.table} | ${row.source} | ${row.restored} | ${row.drift} |`);
    lines.push('');
  }
  if (r.newerWrites) {
    const w = r.newerWrites;
    const terms = w.terms === 'stopped' ? `writes stopped before the restore point (${w.api.service} at 0 tasks)` : `accepted with --accept-newer-writes-lost (${w.api.service} had ${w.api.running} task(s))`;
    const rows = w.leftBehind === undefined ? ['- row counts were not compared (--skip-row-counts)'] : w.leftBehind.length ? w.leftBehind.map((l) => `- ${describeLeftBehind(l)}`) : ['- none: every counted table has the same rows on both'];
    lines.push('## Left on the original (writes after the restore point)', '', `Cutover: ${terms}.`, '', ...rows, '');
  }
  if (r.notes?.length) lines.push('## Differences from the source (not gated)', '', ...r.notes.map((n) => `- ${n}`), '');
  if (r.problems.length) lines.push('## Problems', '', ...r.problems.map((p) => `- ${p}`), '');
  return lines.join('\n');
}

export async function storeReport(s3: S3Client, bucket: string, report: DrillReport): Promise<string> {
  const prefix = `drills/${report.drillId}`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/report.json`, Body: JSON.stringify(report, null, 2), ContentType: 'application/json' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/report.md`, Body: markdownReport(report), ContentType: 'text/markdown' }));
  return `s3://${bucket}/${prefix}/`;
}
