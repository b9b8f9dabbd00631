/** Left-behind kinds that hold data: buckets, the image repository and final snapshots. */
import { DeleteRepositoryCommand, DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { DeleteSnapshotCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-elasticache';
import { DeleteDBSnapshotCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { DeleteBucketCommand, DeleteObjectsCommand, HeadBucketCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { existsUnless, presenceOf, removing, type LeftoverClients, type ResourceKind } from './kinds.ts';
import { CACHE_SNAPSHOT, RDS_SNAPSHOT, REMOVE_COMMANDS } from './remove-commands.ts';

const NO_BUCKET = /^(NotFound|NoSuchBucket)$/;

/** Deletes every version and delete marker, 1000 at a time (the DeleteObjects limit), then the bucket. */
async function emptyAndDeleteBucket(bucket: string, { s3 }: LeftoverClients): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
    if (objects.length === 0) break;
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
    const failed = out.Errors ?? [];
    if (failed.length) throw new Error(`bucket ${bucket}: ${failed.length} object(s) not deleted, first ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`.trim());
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

export const DATA_KINDS: readonly ResourceKind[] = [
  {
    type: 'AWS::S3::Bucket',
    label: 'bucket',
    why: 'holds files (attachments, access logs): kept so no file goes with a stack',
    nameProperty: 'BucketName',
    scheduledIsLeftover: false,
    presence: (bucket, { s3 }) => existsUnless(() => s3.send(new HeadBucketCommand({ Bucket: bucket })), NO_BUCKET),
    remove: (bucket, clients) => removing(() => emptyAndDeleteBucket(bucket, clients), NO_BUCKET),
    commands: REMOVE_COMMANDS['AWS::S3::Bucket']!,
    commandNote: 'repeat the delete-objects line while the bucket still has versions (it takes 1000 at a time)',
  },
  {
    type: 'AWS::ECR::Repository',
    label: 'image repository',
    why: 'holds the release images: kept so a redeploy or a rollback finds them',
    nameProperty: 'RepositoryName',
    scheduledIsLeftover: false,
    presence: (name, { ecr }) => existsUnless(() => ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })), /^RepositoryNotFoundException$/),
    remove: (name, { ecr }) => removing(() => ecr.send(new DeleteRepositoryCommand({ repositoryName: name, force: true })), /^RepositoryNotFoundException$/),
    commands: REMOVE_COMMANDS['AWS::ECR::Repository']!,
  },
  {
    type: RDS_SNAPSHOT,
    label: 'database snapshot',
    why: 'the final snapshot CloudFormation took when it deleted the database (DeletionPolicy Snapshot): the data, restorable',
    scheduledIsLeftover: false,
    presence: (id, { rds }) => presenceOf(async () => {
      const found = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots ?? [];
      return found.length ? { state: 'exists' } : { state: 'gone' };
    }, /^DBSnapshotNotFound(Fault)?$/),
    remove: (id, { rds }) => removing(() => rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id })), /^DBSnapshotNotFound(Fault)?$/),
    commands: REMOVE_COMMANDS[RDS_SNAPSHOT]!,
  },
  {
    type: CACHE_SNAPSHOT,
    label: 'Redis snapshot',
    why: 'the final snapshot CloudFormation took when it deleted the Redis replication group (DeletionPolicy Snapshot)',
    scheduledIsLeftover: false,
    presence: (name, { elasticache }) => presenceOf(async () => {
      const found = (await elasticache.send(new DescribeSnapshotsCommand({ SnapshotName: name }))).Snapshots ?? [];
      return found.length ? { state: 'exists' } : { state: 'gone' };
    }, /^SnapshotNotFound(Fault)?$/),
    remove: (name, { elasticache }) => removing(() => elasticache.send(new DeleteSnapshotCommand({ SnapshotName: name })), /^SnapshotNotFound(Fault)?$/),
    commands: REMOVE_COMMANDS[CACHE_SNAPSHOT]!,
  },
];
