/** The drill report: JSON and Markdown, stored under drills/ in the attachments bucket. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { formatDuration } from '../cli.ts';
import type { Comparison } from './compare.ts';

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
