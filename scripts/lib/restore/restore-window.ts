/**
 * How far back the source can be restored, and what the drill may claim about data loss.
 * The window is [earliest, latest]: latest is the instance's LatestRestorableTime; earliest is
 * the active automated backup's RestoreWindow.EarliestTime
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreWindow.html), or, where
 * that is not reported, estimated from the retention period and the instance's creation time.
 */
import { DescribeDBInstanceAutomatedBackupsCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';

const DAY_MS = 86_400_000;

export interface RestoreWindow {
  readonly earliest: Date;
  /** `reported` by RDS, or `estimated` from the retention period. */
  readonly earliestFrom: 'reported' | 'estimated';
  readonly latest: Date;
}

export async function restoreWindow(rds: RDSClient, source: DBInstance): Promise<RestoreWindow> {
  const id = source.DBInstanceIdentifier ?? '(unknown)';
  const latest = source.LatestRestorableTime;
  if (!source.BackupRetentionPeriod || !latest) {
    throw new Error(`${id} has no automated backups (BackupRetentionPeriod ${source.BackupRetentionPeriod ?? 0}), so it cannot be restored to a point in time. Fix: set DB_BACKUP_RETENTION_DAYS and deploy the data stack`);
  }
  const out = await rds.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: id }));
  const reported = out?.DBInstanceAutomatedBackups?.find((b) => b.Status === 'active')?.RestoreWindow?.EarliestTime;
  if (reported) return { earliest: reported, earliestFrom: 'reported', latest };
  const byRetention = latest.getTime() - source.BackupRetentionPeriod * DAY_MS;
  const created = source.InstanceCreateTime?.getTime() ?? byRetention;
  return { earliest: new Date(Math.max(byRetention, created)), earliestFrom: 'estimated', latest };
}

/** Throws, with the window in the message, when `time` is outside it. */
export function assertInWindow(time: Date, window: RestoreWindow, retentionDays: number | undefined): void {
  const range = `between ${window.earliest.toISOString()}${window.earliestFrom === 'estimated' ? ' (estimated)' : ''} and ${window.latest.toISOString()}`;
  if (time.getTime() > window.latest.getTime()) {
    throw new Error(`--restore-time ${time.toISOString()} is after the latest restorable time ${window.latest.toISOString()}. Fix: use a time ${range}, or omit it for the latest`);
  }
  if (time.getTime() < window.earliest.getTime()) {
    throw new Error(`--restore-time ${time.toISOString()} is before the earliest restorable time ${window.earliest.toISOString()} (automated backups are kept ${retentionDays ?? '?'} days). Fix: use a time ${range}`);
  }
}
