/** Database, cache, secrets, keys, buckets, image repository. */
import { literal, numberProp } from './assembly.ts';
import type { LineDraft, Pricer } from './model.ts';

export const databasePricer: Pricer = {
  types: ['AWS::RDS::DBInstance'],
  lines: (ctx) =>
    ctx.index.ofType('AWS::RDS::DBInstance').flatMap((db): LineDraft[] => {
      const props = db.resource.Properties ?? {};
      const engine = literal(props.Engine, db.stack);
      const cls = literal(props.DBInstanceClass, db.stack);
      const key = `database:${db.id}`;
      if (engine !== 'postgres' || typeof cls !== 'string') {
        ctx.unpriced({ key, label: `RDS ${String(engine)} ${String(cls)}`, reason: 'only RDS for PostgreSQL with a literal instance class is in the price table' });
        return [];
      }
      // Multi-AZ bills the standby's instance hours and storage too
      // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_OnDemandDBInstances.html).
      const multiAz = literal(props.MultiAZ, db.stack) === true || literal(props.MultiAZ, db.stack) === 'true';
      const copies = multiAz ? 2 : 1;
      const az = multiAz ? 'Multi-AZ' : 'Single-AZ';
      const h = ctx.assumptions.hoursPerMonth;
      const storage = numberProp(props.AllocatedStorage, db.stack) ?? 20;
      const storageType = literal(props.StorageType, db.stack) ?? 'gp2';
      const lines: LineDraft[] = [
        { key: `${key}:instance`, label: `RDS PostgreSQL ${cls} ${az}`, count: copies, quantity: copies * h, priceKey: `rds.postgres.${cls}`, basis: 'fixed', detail: `${copies} instance(s) × ${h} h` },
      ];
      if (storageType === 'gp3') {
        lines.push({ key: `${key}:storage`, label: `RDS gp3 storage ${az}`, count: copies, quantity: copies * storage, priceKey: 'rds.gp3.gbMonth', basis: 'fixed', detail: `${storage} GiB × ${copies}` });
      } else {
        ctx.unpriced({ key: `${key}:storage`, label: `RDS ${String(storageType)} storage`, reason: `storage type ${String(storageType)} is not in the price table (gp3 is)` });
      }
      // Backup storage is free up to the provisioned storage; the rest is billed.
      const retention = numberProp(props.BackupRetentionPeriod, db.stack) ?? 1;
      const backups = ctx.assumptions.dbDataGb + retention * ctx.assumptions.dbDailyChangeGb;
      const billable = Math.max(0, backups - storage);
      lines.push(
        billable > 0
          ? { key: `${key}:backup`, label: 'RDS backup storage beyond the free allowance', count: 1, quantity: billable, priceKey: 'rds.backup.gbMonth', basis: 'usage', detail: `${backups} GB of backups − ${storage} GB free` }
          : { key: `${key}:backup`, label: 'RDS backup storage', count: 1, quantity: 0, priceKey: null, basis: 'usage', detail: `${backups} GB of backups (data + ${retention} days of changes) fits the ${storage} GB free allowance` },
      );
      const piRetention = numberProp(props.PerformanceInsightsRetentionPeriod, db.stack) ?? 7;
      if (literal(props.EnablePerformanceInsights, db.stack) === true && piRetention > 7) {
        ctx.unpriced({ key: `${key}:insights`, label: 'Performance Insights long-term retention', reason: `retention ${piRetention} days is beyond the free 7 days and not in the price table` });
      }
      return lines;
    }),
};

export const cachePricer: Pricer = {
  types: ['AWS::ElastiCache::ReplicationGroup', 'AWS::ElastiCache::CacheCluster', 'AWS::ElastiCache::ServerlessCache'],
  lines: (ctx) => {
    const out: LineDraft[] = [];
    const h = ctx.assumptions.hoursPerMonth;
    const node = (id: string, type: unknown, count: number, what: string) => {
      if (typeof type !== 'string') {
        ctx.unpriced({ key: `cache:${id}`, label: 'ElastiCache nodes', reason: `${id} has no literal node type` });
        return;
      }
      out.push({ key: `cache:${id}`, label: `ElastiCache ${type} node`, count, quantity: count * h, priceKey: `elasticache.${type}`, basis: 'fixed', detail: `${count} node(s) (${what}) × ${h} h` });
    };
    for (const group of ctx.index.ofType('AWS::ElastiCache::ReplicationGroup')) {
      const p = group.resource.Properties ?? {};
      const shards = numberProp(p.NumNodeGroups, group.stack);
      const replicas = numberProp(p.ReplicasPerNodeGroup, group.stack);
      const count = numberProp(p.NumCacheClusters, group.stack) ?? (shards !== undefined ? shards * ((replicas ?? 0) + 1) : 1);
      node(group.id, literal(p.CacheNodeType, group.stack), count, count > 1 ? 'primary + replicas' : 'primary only');
    }
    for (const cluster of ctx.index.ofType('AWS::ElastiCache::CacheCluster')) {
      const p = cluster.resource.Properties ?? {};
      node(cluster.id, literal(p.CacheNodeType, cluster.stack), numberProp(p.NumCacheNodes, cluster.stack) ?? 1, 'cache cluster');
    }
    for (const serverless of ctx.index.ofType('AWS::ElastiCache::ServerlessCache')) {
      ctx.unpriced({ key: `cache:${serverless.id}`, label: 'ElastiCache Serverless', reason: 'serverless caches are billed per GB-hour and ECPU, not in the price table' });
    }
    return out;
  },
};

export const secretsPricer: Pricer = {
  types: ['AWS::SecretsManager::Secret'],
  lines: (ctx) => {
    const n = ctx.index.ofType('AWS::SecretsManager::Secret').length;
    if (n === 0) return [];
    const calls = ctx.assumptions.secretApiCallsPerMonth;
    return [
      { key: 'secrets', label: 'Secrets Manager secret', count: n, quantity: n, priceKey: 'secretsManager.secretMonth', basis: 'fixed', detail: `${n} secret(s)` },
      { key: 'secrets-api', label: 'Secrets Manager API calls', count: 1, quantity: calls / 10_000, priceKey: 'secretsManager.per10kCalls', basis: 'usage', detail: `${calls} calls (assumption secretApiCallsPerMonth)` },
    ];
  },
};

export const kmsPricer: Pricer = {
  types: ['AWS::KMS::Key'],
  lines: (ctx) => {
    const n = ctx.index.ofType('AWS::KMS::Key').length;
    return n === 0 ? [] : [{ key: 'kms-keys', label: 'KMS customer managed key', count: n, quantity: n, priceKey: 'kms.keyMonth', basis: 'fixed', detail: `${n} key(s); AWS managed keys (RDS, Secrets Manager defaults) are free` }];
  },
};

export const bucketPricer: Pricer = {
  types: ['AWS::S3::Bucket'],
  lines: (ctx) => {
    const n = ctx.index.ofType('AWS::S3::Bucket').length;
    const gb = ctx.assumptions.s3StoredGb;
    return n === 0 ? [] : [{ key: 's3-storage', label: 'S3 storage', count: n, quantity: gb, priceKey: 's3.standardGbMonth', basis: 'usage', detail: `${gb} GB across ${n} bucket(s) (assumption s3StoredGb)` }];
  },
};

export const repositoryPricer: Pricer = {
  types: ['AWS::ECR::Repository'],
  lines: (ctx) =>
    ctx.index.ofType('AWS::ECR::Repository').map((repo): LineDraft => {
      const text = literal((repo.resource.Properties?.LifecyclePolicy as { LifecyclePolicyText?: unknown } | undefined)?.LifecyclePolicyText, repo.stack);
      let kept = ctx.assumptions.imagesKeptDefault;
      if (typeof text === 'string') {
        const rules = (JSON.parse(text) as { rules?: Array<{ selection?: { countType?: string; countNumber?: number } }> }).rules ?? [];
        const byCount = rules.find((r) => r.selection?.countType === 'imageCountMoreThan')?.selection?.countNumber;
        if (byCount !== undefined) kept = byCount;
      }
      const gb = kept * ctx.assumptions.imageGb;
      return { key: `ecr:${repo.id}`, label: 'ECR image storage', count: 1, quantity: gb, priceKey: 'ecr.storageGbMonth', basis: 'usage', detail: `${kept} images × ${ctx.assumptions.imageGb} GB (assumption imageGb)` };
    }),
};
