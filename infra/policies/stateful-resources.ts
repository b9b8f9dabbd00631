/**
 * Stateful resources: the types whose replacement or deletion loses data, and the deletion
 * policies that keep it. Pure functions over a synthesized template.
 */

/** A synthesized CloudFormation template (only what these checks read). */
export interface TemplateJson {
  readonly Resources?: Record<string, { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string; Properties?: unknown }>;
}

/**
 * Resource types whose replacement or deletion loses data or cuts a data store off: their
 * logical ids are pinned (infra/test/safety.test.ts), the change-safety replay refuses any
 * change that replaces or deletes one, and so does the deploy guard (scripts/lib/diff-guard.ts)
 * against the deployed templates. The one list for all three.
 */
export const STATEFUL_TYPES = [
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBSubnetGroup',
  'AWS::RDS::DBParameterGroup',
  'AWS::RDS::DBClusterParameterGroup',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::CacheCluster',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::ElastiCache::SubnetGroup',
  'AWS::ElastiCache::ParameterGroup',
  'AWS::S3::Bucket',
  'AWS::SecretsManager::Secret',
  'AWS::ECR::Repository',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
] as const;

export type StatefulType = (typeof STATEFUL_TYPES)[number];

export const isStatefulType = (type: string): type is StatefulType => (STATEFUL_TYPES as readonly string[]).includes(type);

/** Types that hold data, with the deletion policies that keep it. */
export const DATA_RETENTION: Readonly<Record<string, readonly string[]>> = {
  'AWS::RDS::DBInstance': ['Snapshot', 'Retain'],
  'AWS::ElastiCache::ReplicationGroup': ['Snapshot', 'Retain'],
  'AWS::S3::Bucket': ['Retain'],
  'AWS::SecretsManager::Secret': ['Retain'],
  'AWS::ECR::Repository': ['Retain'],
  'AWS::KMS::Key': ['Retain'],
  'AWS::Logs::LogGroup': ['Retain'],
};

/** Logical ids of the stateful resources, sorted. */
export function statefulLogicalIds(template: TemplateJson): string[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => isStatefulType(r.Type))
    .map(([id]) => id)
    .sort();
}

/** Data-holding resources whose deletion or replacement policy would throw the data away. */
export function unprotectedDataResources(template: TemplateJson): string[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => {
      const keep = DATA_RETENTION[r.Type];
      if (!keep) return false;
      return !keep.includes(r.DeletionPolicy ?? 'Delete') || !keep.includes(r.UpdateReplacePolicy ?? 'Delete');
    })
    .map(([id, r]) => `${id} (${r.Type}: DeletionPolicy ${r.DeletionPolicy ?? 'Delete'}, UpdateReplacePolicy ${r.UpdateReplacePolicy ?? 'Delete'})`);
}
