/**
 * What the restored copy carries over from the source. A point-in-time restore takes "most of
 * the original configuration" but not IAM authentication, log exports, storage autoscaling, the
 * CA or Performance Insights unless asked
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html).
 * Every copy gets what validation depends on (the CA the tasks verify, IAM authentication,
 * storage autoscaling); a copy for a cutover becomes production and gets the rest: log exports,
 * backups (point-in-time restore of the new primary), Multi-AZ like the source and, once
 * available, Performance Insights (not a restore parameter: ModifyDBInstance).
 */
import type { DBInstance, ModifyDBInstanceMessage, RestoreDBInstanceToPointInTimeMessage } from '@aws-sdk/client-rds';

export type CopySettings = Pick<
  RestoreDBInstanceToPointInTimeMessage,
  'EnableIAMDatabaseAuthentication' | 'MaxAllocatedStorage' | 'CACertificateIdentifier' | 'StorageType' | 'EnableCloudwatchLogsExports' | 'BackupRetentionPeriod' | 'MultiAZ'
>;

export function restoreSettings(source: DBInstance, purpose: { cutover: boolean; multiAz: boolean }): CopySettings {
  const settings: CopySettings = {
    EnableIAMDatabaseAuthentication: source.IAMDatabaseAuthenticationEnabled ?? false,
    ...(source.MaxAllocatedStorage ? { MaxAllocatedStorage: source.MaxAllocatedStorage } : {}),
    ...(source.CACertificateIdentifier ? { CACertificateIdentifier: source.CACertificateIdentifier } : {}),
    ...(source.StorageType ? { StorageType: source.StorageType } : {}),
    MultiAZ: purpose.multiAz,
  };
  if (!purpose.cutover) return settings;
  return {
    ...settings,
    EnableCloudwatchLogsExports: [...(source.EnabledCloudwatchLogsExports ?? [])],
    ...(source.BackupRetentionPeriod ? { BackupRetentionPeriod: source.BackupRetentionPeriod } : {}),
    MultiAZ: purpose.multiAz || Boolean(source.MultiAZ),
  };
}

/** Applied once the copy is available: Performance Insights for a cutover copy. */
export function afterRestoreSettings(source: DBInstance, purpose: { cutover: boolean }): Partial<ModifyDBInstanceMessage> {
  if (!purpose.cutover || !source.PerformanceInsightsEnabled) return {};
  return {
    EnablePerformanceInsights: true,
    ...(source.PerformanceInsightsRetentionPeriod ? { PerformanceInsightsRetentionPeriod: source.PerformanceInsightsRetentionPeriod } : {}),
    ...(source.PerformanceInsightsKMSKeyId ? { PerformanceInsightsKMSKeyId: source.PerformanceInsightsKMSKeyId } : {}),
  };
}
