/**
 * A fake AWS account for the teardown flow's failure paths (aws-sdk-client-mock over a small
 * mutable state): three stacks with the kit's logical ids and policies, CloudFormation deletions
 * that take a few polls and fail the way AWS does (termination protection, a protected
 * database), the database's final snapshot, and the retained resources.
 */
import { CloudFormationClient, DeleteStackCommand, DescribeStackEventsCommand, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand, ListStacksCommand, UpdateTerminationProtectionCommand } from '@aws-sdk/client-cloudformation';
import { DeleteLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-elasticache';
import { DeleteDBSnapshotCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { DeleteBucketCommand, HeadBucketCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { DeleteResourcePolicyCommand, DeleteSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { GetEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { Reporter } from '../../lib/cli.ts';
import type { TeardownDeps } from '../../lib/teardown/flow.ts';
import { fakeClock } from '../../lib/wait.ts';
import { teardownClients } from './teardown-fakes.ts';
import { REGION } from './world.ts';

const ACCOUNT = '123456789012';
export const BUCKET = `slipway-attachments-${ACCOUNT}-${REGION}`;
export const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:slipway/db/master-AbCdEf`;
export const FLOW_LOGS = 'slipway-network-NetworkFlowLogs2BEC3212-ABC';
export const DB = 'slipway-db';

interface FakeStack {
  name: string;
  id: string;
  status: string;
  terminationProtection: boolean;
  profile: string;
  template: Record<string, unknown>;
  resources: Array<{ LogicalResourceId: string; ResourceType: string; PhysicalResourceId: string }>;
  /** Polls left before a deletion finishes. */
  pollsLeft: number;
  events: Array<{ LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string; Timestamp: Date }>;
}

export interface AccountOptions {
  readonly profile?: 'trial' | 'production';
  /** This stack's deletion ends DELETE_FAILED with this reason. */
  readonly failDeletion?: { stack: string; reason: string };
  /** CloudFormation "forgets" the Snapshot policy (no final snapshot). */
  readonly noSnapshot?: boolean;
  /** Restore-drill instances of the app that exist. */
  readonly drillInstances?: string[];
}

const stackId = (name: string) => `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/0000-${name}`;
const res = (LogicalResourceId: string, ResourceType: string, PhysicalResourceId: string) => ({ LogicalResourceId, ResourceType, PhysicalResourceId });
const notFound = (name: string, message = name) => Object.assign(new Error(message), { name });

export function makeAccount(o: AccountOptions = {}) {
  const profile = o.profile ?? 'trial';
  const clock = fakeClock(Date.parse('2026-03-02T10:00:00Z'));
  const calls: string[] = [];
  const stack = (name: string, resources: FakeStack['resources'], template: Record<string, unknown>, terminationProtection = false): FakeStack => ({
    name, id: stackId(name), status: 'UPDATE_COMPLETE', terminationProtection, profile, template: { Resources: template }, resources, pollsLeft: 2, events: [],
  });
  const stacks: FakeStack[] = [
    stack('slipway-network', [res('NetworkFlowLogs2BEC3212', 'AWS::Logs::LogGroup', FLOW_LOGS), res('NetworkVpc', 'AWS::EC2::VPC', 'vpc-1')], {
      NetworkFlowLogs2BEC3212: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', Properties: {} },
      NetworkVpc: { Type: 'AWS::EC2::VPC', Properties: {} },
    }),
    stack('slipway-data', [res('AttachmentsBucket134755D7', 'AWS::S3::Bucket', BUCKET), res('DatabaseSecret3B817195', 'AWS::SecretsManager::Secret', SECRET), res('DatabaseInstanceAA8A5FDE', 'AWS::RDS::DBInstance', DB)], {
      AttachmentsBucket134755D7: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', Properties: { BucketName: BUCKET } },
      DatabaseSecret3B817195: { Type: 'AWS::SecretsManager::Secret', DeletionPolicy: 'Retain', Properties: { Name: 'slipway/db/master' } },
      DatabaseInstanceAA8A5FDE: { Type: 'AWS::RDS::DBInstance', DeletionPolicy: 'Snapshot', Properties: { DBInstanceIdentifier: DB, Engine: 'postgres', DBInstanceClass: 'db.t4g.small', AllocatedStorage: '20' }, Metadata: { reads: { 'Fn::GetStackOutput': { StackName: 'slipway-network', OutputName: 'VpcId' } } } },
    }, profile === 'production'),
    stack('slipway-service', [res('ApiService', 'AWS::ECS::Service', 'arn:aws:ecs:service/slipway-api')], {
      ApiService: { Type: 'AWS::ECS::Service', Properties: { Cluster: { 'Fn::GetStackOutput': { StackName: 'slipway-data', OutputName: 'DbPort' } } } },
    }),
  ];
  const db = { status: 'available', protection: true, modifyPolls: 0, exists: true };
  const snapshots: Array<{ id: string; created: Date }> = [];
  const existing = new Set([BUCKET, SECRET, FLOW_LOGS]);

  const c = teardownClients(REGION);
  const cfn = new CloudFormationClient({ region: REGION });
  const m = {
    cfn: mockClient(cfn), rds: mockClient(c.rds), s3: mockClient(c.s3), secrets: mockClient(c.secrets), logs: mockClient(c.logs), elasticache: mockClient(c.elasticache),
    ecr: mockClient(c.ecr), ses: mockClient(c.ses),
  };
  const find = (nameOrId: string) => stacks.find((s) => s.id === nameOrId || (s.name === nameOrId && s.status !== 'DELETE_COMPLETE'));
  const get = (nameOrId: string) => {
    const s = find(nameOrId);
    if (!s) throw Object.assign(new Error(`Stack with id ${nameOrId} does not exist`), { name: 'ValidationError' });
    return s;
  };
  const finishDeletion = (s: FakeStack) => {
    if (o.failDeletion?.stack === s.name) {
      s.status = 'DELETE_FAILED';
      s.events.unshift({ LogicalResourceId: 'Something', ResourceStatus: 'DELETE_FAILED', ResourceStatusReason: o.failDeletion.reason, Timestamp: new Date(clock.now()) });
      return;
    }
    if (s.name === 'slipway-data') {
      if (db.protection) {
        s.status = 'DELETE_FAILED';
        s.events.unshift({ LogicalResourceId: 'DatabaseInstanceAA8A5FDE', ResourceStatus: 'DELETE_FAILED', ResourceStatusReason: 'Cannot delete protected DB Instance, please disable deletion protection and try again.', Timestamp: new Date(clock.now()) });
        return;
      }
      if (!o.noSnapshot) snapshots.push({ id: 'slipway-data-databaseinstanceaa8a5fde-1a2b3c', created: new Date(clock.now()) });
      db.exists = false;
    }
    s.status = 'DELETE_COMPLETE';
  };

  m.cfn.on(DescribeStacksCommand).callsFake(({ StackName }: { StackName: string }) => {
    const s = get(StackName);
    if (s.status === 'DELETE_IN_PROGRESS' && --s.pollsLeft <= 0) finishDeletion(s);
    return { Stacks: [{ StackName: s.name, StackId: s.id, StackStatus: s.status, CreationTime: new Date(0), EnableTerminationProtection: s.terminationProtection, Tags: [{ Key: 'profile', Value: s.profile }] }] };
  });
  m.cfn.on(ListStacksCommand).callsFake(() => ({ StackSummaries: stacks.filter((s) => s.status === 'DELETE_COMPLETE').map((s) => ({ StackName: s.name, StackId: s.id, StackStatus: s.status, CreationTime: new Date(0), DeletionTime: new Date(clock.now()) })) }));
  m.cfn.on(GetTemplateCommand).callsFake(({ StackName }: { StackName: string }) => ({ TemplateBody: JSON.stringify(get(StackName).template) }));
  m.cfn.on(ListStackResourcesCommand).callsFake(({ StackName }: { StackName: string }) => ({ StackResourceSummaries: get(StackName).resources }));
  m.cfn.on(DescribeStackEventsCommand).callsFake(({ StackName }: { StackName: string }) => ({ StackEvents: get(StackName).events.map((e) => ({ ...e, StackId: 'x', EventId: 'e', StackName })) }));
  m.cfn.on(UpdateTerminationProtectionCommand).callsFake(({ StackName }: { StackName: string }) => {
    calls.push(`UpdateTerminationProtection ${get(StackName).name}`);
    get(StackName).terminationProtection = false;
    return {};
  });
  m.cfn.on(DeleteStackCommand).callsFake(({ StackName }: { StackName: string }) => {
    const s = get(StackName);
    calls.push(`DeleteStack ${s.name}`);
    if (s.terminationProtection) throw Object.assign(new Error(`Stack [${s.name}] cannot be deleted while TerminationProtection is enabled`), { name: 'ValidationError' });
    s.status = 'DELETE_IN_PROGRESS';
    s.pollsLeft = 2;
    s.events.unshift({ LogicalResourceId: s.name, ResourceStatus: 'DELETE_IN_PROGRESS', Timestamp: new Date(clock.now()) });
    return {};
  });

  m.rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
    if (!input.DBInstanceIdentifier) return { DBInstances: (o.drillInstances ?? []).map((id) => ({ DBInstanceIdentifier: id, TagList: [{ Key: 'slipway:restore-drill', Value: 'd1' }, { Key: 'slipway:app', Value: 'slipway' }] })) };
    if (!db.exists) throw notFound('DBInstanceNotFoundFault');
    if (db.status === 'modifying' && --db.modifyPolls <= 0) db.status = 'available';
    return { DBInstances: [{ DBInstanceIdentifier: DB, DBInstanceStatus: db.status, DeletionProtection: db.protection }] };
  });
  m.rds.on(ModifyDBInstanceCommand).callsFake((input: { DeletionProtection: boolean }) => {
    calls.push(`ModifyDBInstance DeletionProtection=${input.DeletionProtection}`);
    db.protection = input.DeletionProtection;
    db.status = 'modifying';
    db.modifyPolls = 2;
    return {};
  });
  m.rds.on(DescribeDBSnapshotsCommand).callsFake(() => ({ DBSnapshots: snapshots.map((s) => ({ DBSnapshotIdentifier: s.id, SnapshotCreateTime: s.created, DBInstanceIdentifier: DB })) }));
  m.rds.on(DeleteDBSnapshotCommand).callsFake((input: { DBSnapshotIdentifier: string }) => {
    calls.push(`DeleteDBSnapshot ${input.DBSnapshotIdentifier}`);
    snapshots.splice(snapshots.findIndex((s) => s.id === input.DBSnapshotIdentifier), 1);
    return {};
  });
  m.elasticache.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
  const present = (id: string, gone: string) => {
    if (!existing.has(id)) throw notFound(gone);
    return {};
  };
  const removed = (id: string, what: string) => {
    calls.push(`${what} ${id}`);
    existing.delete(id);
    return {};
  };
  // The repository and the SES identity exist only when a test says so (preflight looks them up by name).
  m.ecr.on(DescribeRepositoriesCommand).callsFake(({ repositoryNames }: { repositoryNames: string[] }) => (present(repositoryNames[0]!, 'RepositoryNotFoundException'), { repositories: [{ repositoryName: repositoryNames[0] }] }));
  m.ses.on(GetEmailIdentityCommand).callsFake(({ EmailIdentity }: { EmailIdentity: string }) => (present(EmailIdentity, 'NotFoundException'), { IdentityType: 'DOMAIN' }));
  m.s3.on(HeadBucketCommand).callsFake(({ Bucket }: { Bucket: string }) => present(Bucket, 'NotFound'));
  m.s3.on(ListObjectVersionsCommand).resolves({ Versions: [] });
  m.s3.on(DeleteBucketCommand).callsFake(({ Bucket }: { Bucket: string }) => removed(Bucket, 'DeleteBucket'));
  m.secrets.on(DescribeSecretCommand).callsFake(({ SecretId }: { SecretId: string }) => (present(SecretId, 'ResourceNotFoundException'), { ARN: SecretId }));
  m.secrets.on(DeleteResourcePolicyCommand).resolves({});
  m.secrets.on(DeleteSecretCommand).callsFake(({ SecretId }: { SecretId: string }) => removed(SecretId, 'DeleteSecret'));
  m.logs.on(DescribeLogGroupsCommand).callsFake(({ logGroupNamePrefix }: { logGroupNamePrefix: string }) => ({ logGroups: existing.has(logGroupNamePrefix) ? [{ logGroupName: logGroupNamePrefix }] : [] }));
  m.logs.on(DeleteLogGroupCommand).callsFake(({ logGroupName }: { logGroupName: string }) => removed(logGroupName, 'DeleteLogGroup'));

  const out: string[] = [];
  const reporter = new Reporter({ json: false, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) } });
  const deps: TeardownDeps = { clients: { ...c, cfn }, clock, reporter };
  return { deps, m, calls, stacks, db, snapshots, existing, clock, text: () => out.join('') };
}
