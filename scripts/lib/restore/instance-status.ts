/**
 * RDS instance statuses a new restore does not recover from by waiting
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html), each
 * with what to do instead. The drill stops at once on these instead of waiting out its timeout.
 */
export const TERMINAL_RESTORE_STATUSES: Readonly<Record<string, string>> = {
  failed: 'RDS could not create the instance; see its events (aws rds describe-events --source-identifier ID --source-type db-instance) and run the drill again',
  'restore-error': 'RDS could not restore to the requested time; choose another --restore-time, or check the source\'s automated backups',
  'insufficient-capacity': 'the instance class is not available in the subnet group\'s zones now; run again later or with --instance-class',
  'inaccessible-encryption-credentials': 'RDS cannot use the KMS key of the source\'s backups; check the key policy and that the key is enabled',
  'storage-full': 'the copy ran out of storage while restoring; check the source\'s MaxAllocatedStorage',
  'incompatible-restore': 'RDS cannot restore to this point; choose another --restore-time',
  'incompatible-parameters': 'the parameter group does not suit the instance class; check the source\'s parameter group',
  'incompatible-network': 'the subnet group or security groups cannot host the copy; check the data stack\'s subnet group',
};

export function terminalRestoreFix(status: string): string | undefined {
  return TERMINAL_RESTORE_STATUSES[status];
}
