import { CfnOutput, Stack, Token, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { SlipwayConfig } from '../config.ts';
import { AppSecrets } from '../constructs/app-secrets.ts';
import { AttachmentsBucket } from '../constructs/attachments-bucket.ts';
import { Database } from '../constructs/database.ts';
import { LogsBucket } from '../constructs/logs-bucket.ts';
import { RedisCache } from '../constructs/redis-cache.ts';
import { resourceNames } from '../names.ts';
import { OUTPUT_KEYS } from '../outputs.ts';

export interface DataStackProps extends StackProps {
  readonly config: SlipwayConfig;
  readonly vpc: ec2.IVpc;
}

/** Everything that holds data: PostgreSQL, Redis, the buckets and the app's secrets. */
export class DataStack extends Stack {
  readonly database: Database;
  readonly redis: RedisCache;
  readonly attachments: AttachmentsBucket;
  readonly logs: LogsBucket;
  readonly appSecrets: AppSecrets;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config, vpc } = props;
    const names = resourceNames(config.appName, config.account, config.region);

    this.logs = new LogsBucket(this, 'AccessLogs', { bucketName: names.logsBucket });
    this.attachments = new AttachmentsBucket(this, 'Attachments', {
      bucketName: names.attachmentsBucket,
      appOrigin: config.appUrl,
      accessLogsBucket: this.logs.bucket,
      noncurrentVersionDays: config.attachments.noncurrentVersionDays,
    });
    this.database = new Database(this, 'Database', {
      vpc,
      instanceIdentifier: names.dbInstanceIdentifier,
      secretName: names.dbSecret,
      instanceClass: config.database.instanceClass,
      engineVersion: config.database.engineVersion,
      multiAz: config.database.multiAz,
      allocatedStorageGiB: config.database.allocatedStorageGiB,
      maxAllocatedStorageGiB: config.database.maxAllocatedStorageGiB,
      backupRetentionDays: config.database.backupRetentionDays,
      deletionProtection: config.database.deletionProtection,
      port: config.database.port,
      logRetention: config.logRetentionDays,
      ...(config.database.appLogin ? { appSecretName: names.dbAppSecret } : {}),
    });
    this.redis = new RedisCache(this, 'Redis', {
      vpc,
      replicationGroupId: names.redisReplicationGroupId,
      authTokenSecretName: names.redisAuthSecret,
      nodeType: config.redis.nodeType,
      replicationEnabled: config.redis.replicationEnabled,
    });
    this.appSecrets = new AppSecrets(this, 'AppSecrets', {
      namePrefix: names.appSecretPrefix,
      oauthProviders: [...(config.oauth.githubClientId ? ['github' as const] : []), ...(config.oauth.googleClientId ? ['google' as const] : [])],
    });

    const out = (key: string, value: string) => new CfnOutput(this, key, { value });
    out(OUTPUT_KEYS.dbInstanceIdentifier, this.database.instance.instanceIdentifier);
    out(OUTPUT_KEYS.dbEndpointAddress, this.database.instance.dbInstanceEndpointAddress);
    out(OUTPUT_KEYS.dbPort, Token.asString(this.database.instance.dbInstanceEndpointPort));
    out(OUTPUT_KEYS.dbSecretArn, this.database.secret.secretArn);
    if (this.database.appSecret) out(OUTPUT_KEYS.dbAppSecretArn, this.database.appSecret.secretArn);
    out(OUTPUT_KEYS.dbSecurityGroupId, this.database.securityGroup.securityGroupId);
    out(OUTPUT_KEYS.dbSubnetGroupName, this.database.subnetGroup.subnetGroupName);
    out(OUTPUT_KEYS.dbParameterGroupName, this.database.parameterGroup.bindToInstance({}).parameterGroupName);
    out(OUTPUT_KEYS.redisEndpointAddress, this.redis.endpointAddress);
    out(OUTPUT_KEYS.redisAuthSecretArn, this.redis.authToken.secretArn);
    out(OUTPUT_KEYS.sessionSecretArn, this.appSecrets.sessionSecret.secretArn);
    out(OUTPUT_KEYS.metricsTokenSecretArn, this.appSecrets.metricsToken.secretArn);
    out(OUTPUT_KEYS.credentialsKeySecretArn, this.appSecrets.credentialsEncryptionKey.secretArn);
    out(OUTPUT_KEYS.attachmentsBucketName, this.attachments.bucket.bucketName);
    out(OUTPUT_KEYS.logsBucketName, this.logs.bucket.bucketName);
  }
}
