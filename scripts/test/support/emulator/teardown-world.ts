/**
 * A deployed Slipway for the teardown flow, in the AWS API emulator: the six stacks in moto's
 * CloudFormation, each template with the kit's logical ids and deletion policies, holding real
 * resources with data in them (a versioned bucket with versions and a delete marker, images in
 * the repository, a protected database, secrets, log groups, a KMS key, an SNS topic).
 *
 * moto's CloudFormation cannot create a secret, an ElastiCache group, a certificate or an SES
 * identity, makes KMS keys its KMS API then fails to describe (the policy is kept unparsed), and
 * ignores DeletionPolicy Snapshot. Those resources ("owned" here) are created
 * through their own APIs, sit in the template behind a condition that is false (so moto leaves
 * them alone), and the proxy does CloudFormation's part: ListStackResources names them with
 * their physical ids, and DeleteStack does to them what their policy says (Snapshot: the final
 * snapshot, refused like AWS while deletion protection is on; Retain: nothing).
 */
import { CreateStackCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateReplicationGroupCommand, CreateSnapshotCommand, DeleteReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import { RequestCertificateCommand } from '@aws-sdk/client-acm';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateDBInstanceCommand, DeleteDBInstanceCommand } from '@aws-sdk/client-rds';
import { DeleteObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { stackNames, type StackKey } from '../../../../infra/outputs.ts';
import { EMULATOR_ACCOUNT, EMULATOR_REGION } from '../../../../test/support/moto.ts';
import type { MotoProxy } from '../../../../test/support/moto-proxy.ts';
import type { AwsClients } from '../../../lib/aws.ts';

interface Owned {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
  readonly policy: 'Retain' | 'Snapshot';
  /** The kit's properties that matter here (fixed names). */
  readonly properties?: Record<string, unknown>;
}

export interface TeardownWorld {
  readonly appName: string;
  readonly bucket: string;
  readonly logsBucket: string;
  readonly dbId: string;
  readonly redisId: string;
  readonly secretArns: readonly string[];
  readonly keyId: string;
  readonly domain: string;
  /** Log groups the templates retain, and the one Container Insights makes. */
  readonly logGroups: readonly string[];
  /** The stack ids, by key. */
  readonly stackIds: Readonly<Record<StackKey, string>>;
}

const OWNED = 'EmulatorOwned';
const stackNameOf = (nameOrId: string) => /^arn:[^:]+:cloudformation:[^:]+:\d+:stack\/([^/]+)\//.exec(nameOrId)?.[1] ?? nameOrId;
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function template(stackName: string, resources: Record<string, unknown>, owned: readonly Owned[], reads: readonly string[] = []): string {
  return JSON.stringify({
    Conditions: { [OWNED]: { 'Fn::Equals': ['created-through-its-own-api', 'by-cloudformation'] } },
    Resources: {
      ...resources,
      ...Object.fromEntries(owned.map((o) => [o.logicalId, { Type: o.type, Condition: OWNED, DeletionPolicy: o.policy, UpdateReplacePolicy: o.policy, Properties: o.properties ?? {} }])),
      // A resource every stack has; its metadata carries the stack's cross-stack reads, like the kit's Fn::GetStackOutput.
      Marker: { Type: 'AWS::SSM::Parameter', Metadata: { reads: reads.map((StackName) => ({ 'Fn::GetStackOutput': { StackName, OutputName: 'X' } })) }, Properties: { Name: `/${stackName}/marker`, Type: 'String', Value: 'deployed' } },
    },
  });
}

export async function buildTeardownWorld(clients: AwsClients, proxy: MotoProxy, appName: string, profile: 'trial' | 'production'): Promise<TeardownWorld> {
  const names = stackNames(appName);
  const suffix = `${EMULATOR_ACCOUNT}-${EMULATOR_REGION}`;
  const bucket = `${appName}-attachments-${suffix}`;
  const logsBucket = `${appName}-logs-${suffix}`;
  const dbId = `${appName}-db`;
  const redisId = `${appName}-redis`;
  const domain = `${appName}.example.com`;
  const owned = new Map<string, Owned[]>();

  // What moto's CloudFormation cannot create, through the services' own APIs.
  const secret = async (name: string) => (await clients.secrets.send(new CreateSecretCommand({ Name: name, SecretString: `value-of-${name}-0123456789abcdef` }))).ARN!;
  const secretArns = [
    await secret(`${appName}/db/master`), await secret(`${appName}/redis/auth-token`), await secret(`${appName}/app/session-secret`),
    await secret(`${appName}/app/metrics-token`), await secret(`${appName}/app/credentials-encryption-key`),
  ];
  await clients.rds.send(new CreateDBInstanceCommand({
    DBInstanceIdentifier: dbId, Engine: 'postgres', DBInstanceClass: 'db.t4g.small', AllocatedStorage: 20,
    MasterUsername: 'slipway', MasterUserPassword: 'emulator-master-password-0123', DeletionProtection: true,
  }));
  await clients.elasticache.send(new CreateReplicationGroupCommand({ ReplicationGroupId: redisId, ReplicationGroupDescription: 'cache', CacheNodeType: 'cache.t4g.micro', Engine: 'redis', NumCacheClusters: 1 }));
  const certificateArn = (await clients.acm.send(new RequestCertificateCommand({ DomainName: domain, ValidationMethod: 'DNS' }))).CertificateArn!;
  await clients.ses.send(new CreateEmailIdentityCommand({ EmailIdentity: domain }));
  const keyId = (await clients.kms.send(new CreateKeyCommand({ Description: 'alarm topic' }))).KeyMetadata!.KeyId!;
  // Container Insights makes this one itself.
  await clients.logs.send(new CreateLogGroupCommand({ logGroupName: `/aws/ecs/containerinsights/${appName}/performance` }));

  owned.set(names.data, [
    { logicalId: 'DatabaseSecret3B817195', type: 'AWS::SecretsManager::Secret', physicalId: secretArns[0]!, policy: 'Retain', properties: { Name: `${appName}/db/master` } },
    { logicalId: 'RedisAuthToken9E34F6A5', type: 'AWS::SecretsManager::Secret', physicalId: secretArns[1]!, policy: 'Retain', properties: { Name: `${appName}/redis/auth-token` } },
    { logicalId: 'AppSecretsSessionSecretB25E20F4', type: 'AWS::SecretsManager::Secret', physicalId: secretArns[2]!, policy: 'Retain', properties: { Name: `${appName}/app/session-secret` } },
    { logicalId: 'AppSecretsMetricsToken3E1355FB', type: 'AWS::SecretsManager::Secret', physicalId: secretArns[3]!, policy: 'Retain', properties: { Name: `${appName}/app/metrics-token` } },
    { logicalId: 'AppSecretsCredentialsEncryptionKeyDE22B80C', type: 'AWS::SecretsManager::Secret', physicalId: secretArns[4]!, policy: 'Retain', properties: { Name: `${appName}/app/credentials-encryption-key` } },
    { logicalId: 'DatabaseInstanceAA8A5FDE', type: 'AWS::RDS::DBInstance', physicalId: dbId, policy: 'Snapshot', properties: { DBInstanceIdentifier: dbId, Engine: 'postgres', DBInstanceClass: 'db.t4g.small', AllocatedStorage: '20', StorageType: 'gp3', DeletionProtection: true } },
    { logicalId: 'RedisReplicationGroup3B65AB4E', type: 'AWS::ElastiCache::ReplicationGroup', physicalId: redisId, policy: 'Snapshot', properties: { ReplicationGroupId: redisId, CacheNodeType: 'cache.t4g.micro', NumCacheClusters: 1 } },
  ]);
  owned.set(names.edge, [
    { logicalId: 'HttpsCertificateD42AF716', type: 'AWS::CertificateManager::Certificate', physicalId: certificateArn, policy: 'Retain' },
    { logicalId: 'EmailIdentityCD6BD173', type: 'AWS::SES::EmailIdentity', physicalId: domain, policy: 'Retain', properties: { EmailIdentity: domain } },
  ]);
  owned.set(names.observability, [{ logicalId: 'AlarmTopicKeyBA1A4AA7', type: 'AWS::KMS::Key', physicalId: keyId, policy: 'Retain' }]);

  // CloudFormation's part for the owned resources.
  proxy.rewrite('cloudformation', 'ListStackResources', ({ input }, body) => {
    const mine = owned.get(stackNameOf(String(input.StackName ?? '')));
    if (!mine) return undefined;
    const members = mine.map((o) => `<member><LogicalResourceId>${o.logicalId}</LogicalResourceId><PhysicalResourceId>${xml(o.physicalId)}</PhysicalResourceId><ResourceType>${o.type}</ResourceType><ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>`).join('');
    return body.replace(/<member><LogicalResourceId\/>.*?<\/member>/g, '').replace('<StackResourceSummaries>', `<StackResourceSummaries>${members}`);
  });
  proxy.rewrite('cloudformation', 'DeleteStack', async ({ input }) => {
    for (const o of owned.get(stackNameOf(String(input.StackName ?? ''))) ?? []) {
      const snapshot = `${stackNameOf(String(input.StackName))}-${o.logicalId}-final`.toLowerCase();
      if (o.type === 'AWS::RDS::DBInstance') {
        // Refused like AWS (InvalidParameterCombination) while deletion protection is on.
        await clients.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: o.physicalId, FinalDBSnapshotIdentifier: snapshot }));
      } else if (o.type === 'AWS::ElastiCache::ReplicationGroup') {
        await clients.elasticache.send(new CreateSnapshotCommand({ ReplicationGroupId: o.physicalId, SnapshotName: snapshot }));
        await clients.elasticache.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: o.physicalId }));
      }
    }
    return undefined;
  });

  const logGroup = (name?: string) => ({ Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: name ? { LogGroupName: name, RetentionInDays: 14 } : { RetentionInDays: 14 } });
  const retainedBucket = (name: string) => ({ Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { BucketName: name } });
  const stacks: Array<[StackKey, string]> = [
    ['network', template(names.network, { NetworkFlowLogs2BEC3212: logGroup() }, [])],
    ['registry', template(names.registry, { RegistryRepositoryC6C96DCD: { Type: 'AWS::ECR::Repository', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { RepositoryName: appName } } }, [])],
    ['data', template(names.data, {
      AccessLogsBucketCD784A59: retainedBucket(logsBucket),
      AttachmentsBucket134755D7: retainedBucket(bucket),
      DatabasePostgresqlLogs0EEFD61B: logGroup(`/aws/rds/instance/${dbId}/postgresql`),
      DatabaseUpgradeLogsA548C373: logGroup(`/aws/rds/instance/${dbId}/upgrade`),
    }, owned.get(names.data)!, [names.network])],
    ['edge', template(names.edge, {}, owned.get(names.edge)!)],
    ['service', template(names.service, {
      ClusterEB0386A7: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: appName, ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] } },
      ApiLogsCD139AD4: logGroup(`/${appName}/api`),
      WebLogsD9759FC4: logGroup(`/${appName}/web`),
      ExecLogs6390DA49: logGroup(),
    }, [], [names.network, names.data, names.registry, names.edge])],
    ['observability', template(names.observability, {
      AlarmTopicD01E77F9: { Type: 'AWS::SNS::Topic', Properties: { TopicName: `${appName}-alarms` } },
    }, owned.get(names.observability)!, [names.data, names.service])],
  ];
  const stackIds = {} as Record<StackKey, string>;
  for (const [key, body] of stacks) {
    const out = await clients.cfn.send(new CreateStackCommand({ StackName: names[key], TemplateBody: body, Tags: [{ Key: 'app', Value: appName }, { Key: 'profile', Value: profile }] }));
    stackIds[key] = out.StackId!;
  }

  // Data in them: versions and a delete marker in the attachments bucket, images in the repository.
  await clients.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  for (const body of ['first', 'second']) await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'ws/1/file.txt', Body: body }));
  await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'ws/1/gone.txt', Body: 'x' }));
  await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'ws/1/gone.txt' }));
  await clients.s3.send(new PutObjectCommand({ Bucket: logsBucket, Key: 'alb/log.gz', Body: 'log' }));
  for (const tag of ['r1', 'r2']) {
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1, digest: `sha256:${Buffer.from(tag).toString('hex').padEnd(64, '0')}` }, layers: [] });
    await clients.ecr.send(new PutImageCommand({ repositoryName: appName, imageTag: tag, imageManifest: manifest }));
  }

  const physical = async (key: StackKey, logicalId: string) =>
    (await clients.cfn.send(new ListStackResourcesCommand({ StackName: stackIds[key] }))).StackResourceSummaries!.find((r) => r.LogicalResourceId === logicalId)!.PhysicalResourceId!;
  const logGroups = [
    await physical('network', 'NetworkFlowLogs2BEC3212'), `/aws/rds/instance/${dbId}/postgresql`, `/aws/rds/instance/${dbId}/upgrade`,
    `/${appName}/api`, `/${appName}/web`, await physical('service', 'ExecLogs6390DA49'), `/aws/ecs/containerinsights/${appName}/performance`,
  ];
  return { appName, bucket, logsBucket, dbId, redisId, secretArns, keyId, domain, logGroups, stackIds };
}
