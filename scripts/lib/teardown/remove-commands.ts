/**
 * The AWS CLI commands that remove each kind of left-behind resource: what a production
 * teardown prints, what preflight's fixes point at and what infra/names.ts `retainedNames()`
 * lists. Pure (no SDK), so the CDK app can import it.
 */

/** Quotes a value for a POSIX shell command line only when it needs it. */
export function sh(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** KMS waits at least 7 days before it deletes a key (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html). */
export const KEY_DELETION_DAYS = 7;

export const RDS_SNAPSHOT = 'RDS::DBSnapshot';
export const CACHE_SNAPSHOT = 'ElastiCache::Snapshot';

type Commands = (id: string, region: string) => string[];

export const REMOVE_COMMANDS: Readonly<Record<string, Commands>> = {
  // `aws s3 rb --force` leaves a versioned bucket's versions, so the bucket cannot go
  // (https://docs.aws.amazon.com/cli/latest/reference/s3/rb.html): every version and delete marker first.
  // DeleteObjects refuses an empty list (MalformedXML: `Object` is required,
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html), so an empty bucket skips it.
  'AWS::S3::Bucket': (bucket, region) => {
    const versions = `aws s3api list-object-versions --bucket ${sh(bucket)} --region ${region}`;
    return [
      `[ "$(${versions} --no-paginate --query 'length([Versions, DeleteMarkers][][])' --output text)" = 0 ] || aws s3api delete-objects --bucket ${sh(bucket)} --region ${region} --delete "$(${versions} --max-items 1000 --query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}}' --output json)"`,
      `aws s3api delete-bucket --bucket ${sh(bucket)} --region ${region}`,
    ];
  },
  'AWS::ECR::Repository': (name, region) => [`aws ecr delete-repository --repository-name ${sh(name)} --force --region ${region}`],
  [RDS_SNAPSHOT]: (id, region) => [`aws rds delete-db-snapshot --db-snapshot-identifier ${sh(id)} --region ${region}`],
  [CACHE_SNAPSHOT]: (name, region) => [`aws elasticache delete-snapshot --snapshot-name ${sh(name)} --region ${region}`],
  // Works on a secret already scheduled for deletion too, and frees its name at once.
  'AWS::SecretsManager::Secret': (id, region) => [`aws secretsmanager delete-secret --secret-id ${sh(id)} --force-delete-without-recovery --region ${region}`],
  'AWS::KMS::Key': (id, region) => [`aws kms schedule-key-deletion --key-id ${sh(id)} --pending-window-in-days ${KEY_DELETION_DAYS} --region ${region}`],
  'AWS::Logs::LogGroup': (name, region) => [`aws logs delete-log-group --log-group-name ${sh(name)} --region ${region}`],
  'AWS::CertificateManager::Certificate': (arn, region) => [`aws acm delete-certificate --certificate-arn ${sh(arn)} --region ${region}`],
  'AWS::SES::EmailIdentity': (identity, region) => [`aws sesv2 delete-email-identity --email-identity ${sh(identity)} --region ${region}`],
};
