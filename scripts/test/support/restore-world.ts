/** A fake account for the restore drill: RDS, ECS validation tasks and their logs, S3, secrets. */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { AddTagsToResourceCommand, DeleteDBInstanceCommand, RemoveTagsFromResourceCommand, DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient, RestoreDBInstanceToPointInTimeCommand, type DBInstance } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { Reporter } from '../../lib/cli.ts';
import type { RestoreDeps } from '../../lib/restore/options.ts';
import type { SmokeOptions, SmokeReport } from '../../lib/smoke.ts';
import { fakeClock } from '../../lib/wait.ts';
import { fakeRunner } from './fake-runner.ts';
import { sampleTemplates, serveDeployedTemplates, writeAssembly } from './templates.ts';
import { REGION } from './world.ts';

export const SOURCE = 'slipway-data-database-abc123';
const DRILL_TAGS = (drill: string, app = 'slipway') => [
  { Key: 'slipway:restore-drill', Value: drill },
  { Key: 'slipway:app', Value: app },
];

export interface RestoreScenario {
  /** Polls before the restored instance is available; Infinity: never. */
  pollsUntilAvailable: number;
  counts: { source: Record<string, number>; restored: Record<string, number> };
  /** The app image lacks the stats command. */
  noStats: boolean;
  /** The gate fails while the secret points at the restored host. */
  gateFailsOnRestored: boolean;
  extraInstances: DBInstance[];
  /** RDS refuses DeleteDBInstance (InvalidDBInstanceStateFault). */
  deleteRefused: boolean;
  /** The restored instance ends in this status after its second poll (e.g. restore-error). */
  endsIn?: string;
  /** RDS reports the automated backup's restore window (else the drill estimates it). */
  reportsRestoreWindow: boolean;
  /** ECS refuses to register the drill's task definition. */
  registerFails?: boolean;
  /** Migrations `migrate status` reports as applied on each side. */
  migrations: { source: number[]; restored: number[] };
  /** The data stack has the api's own login (the DbAppSecretArn output and its secret). */
  appLogin: boolean;
  /**
   * `migrate app-role` exits 1 where it runs: in the drill's validation (`drill-copy`), or as the
   * deployed migrate task while the master secret names the restored copy or the original.
   */
  appRoleFailsOn?: 'drill-copy' | 'copy' | 'original';
  /** ECS cannot start the `migrate app-role` task (RunTask answers a failure) there. */
  appRoleNotStartedOn?: 'drill-copy' | 'copy' | 'original';
  /**
   * The api service: its task counts, and when the tasks ECS still lists as stopped stopped.
   * @default 2 running of 2 desired, none stopped
   */
  api: { running: number; desired: number; stoppedAt: Date[] };
}

export const APP_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-GhIjKl';

export function makeRestoreWorld(overrides: Partial<RestoreScenario> = {}) {
  const scenario: RestoreScenario = {
    pollsUntilAvailable: 3,
    counts: { source: { workspaces: 4, users: 20, issues: 1500, comments: 3000, attachments: 40 }, restored: { workspaces: 4, users: 20, issues: 1490, comments: 2990, attachments: 40 } },
    noStats: false,
    gateFailsOnRestored: false,
    extraInstances: [],
    deleteRefused: false,
    reportsRestoreWindow: true,
    migrations: { source: [1, 2, 3], restored: [1, 2, 3] },
    appLogin: false,
    api: { running: 2, desired: 2, stoppedAt: [] },
    ...overrides,
  };
  const clock = fakeClock(Date.parse('2026-03-02T10:00:00Z'));
  const instances = new Map<string, DBInstance & { polls?: number }>();
  instances.set(SOURCE, {
    DBInstanceIdentifier: SOURCE,
    DBInstanceStatus: 'available',
    DBInstanceClass: 'db.t4g.medium',
    MultiAZ: true,
    LatestRestorableTime: new Date('2026-03-02T09:55:00Z'),
    InstanceCreateTime: new Date('2025-06-01T00:00:00Z'),
    IAMDatabaseAuthenticationEnabled: true,
    EnabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
    MaxAllocatedStorage: 100,
    CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    StorageType: 'gp3',
    PerformanceInsightsEnabled: true,
    PerformanceInsightsRetentionPeriod: 7,
    BackupRetentionPeriod: 7,
    DBSubnetGroup: { DBSubnetGroupName: 'slipway-db-subnets' },
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-db', Status: 'active' }],
    DBParameterGroups: [{ DBParameterGroupName: 'slipway-pg17' }],
    Endpoint: { Address: 'source.db.internal', Port: 5432 },
    TagList: [{ Key: 'aws:cloudformation:stack-name', Value: 'slipway-data' }],
  });
  for (const extra of scenario.extraInstances) instances.set(extra.DBInstanceIdentifier!, extra);

  const rds = new RDSClient({ region: REGION });
  const ecs = new ECSClient({ region: REGION });
  const logs = new CloudWatchLogsClient({ region: REGION });
  const s3 = new S3Client({ region: REGION });
  const secrets = new SecretsManagerClient({ region: REGION });
  const ssm = new SSMClient({ region: REGION });
  const cfn = new CloudFormationClient({ region: REGION });
  const mocks = { rds: mockClient(rds), ecs: mockClient(ecs), logs: mockClient(logs), s3: mockClient(s3), secrets: mockClient(secrets), ssm: mockClient(ssm), cfn: mockClient(cfn) };

  const deleted: string[] = [];
  const order: string[] = [];
  let rotationPending: 'master' | 'login' | false = false;
  const restoreRequests: unknown[] = [];
  mocks.rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
    if (!input.DBInstanceIdentifier) return { DBInstances: [...instances.values()] };
    const i = instances.get(input.DBInstanceIdentifier);
    if (!i) throw Object.assign(new Error('not found'), { name: 'DBInstanceNotFoundFault' });
    if (i.polls !== undefined && i.DBInstanceStatus !== 'deleting') {
      i.polls += 1;
      i.DBInstanceStatus = scenario.endsIn && i.polls > 1 ? scenario.endsIn : i.polls > scenario.pollsUntilAvailable ? 'available' : i.polls > 1 ? 'backing-up' : 'creating';
      if (i.DBInstanceStatus === 'available') i.Endpoint = { Address: `${i.DBInstanceIdentifier}.db.internal`, Port: 5432 };
    }
    return { DBInstances: [i] };
  });
  mocks.rds.on(DescribeDBInstanceAutomatedBackupsCommand).callsFake(() => ({
    DBInstanceAutomatedBackups: scenario.reportsRestoreWindow
      ? [{ DBInstanceIdentifier: SOURCE, Status: 'active', RestoreWindow: { EarliestTime: new Date('2026-02-23T10:03:00Z'), LatestTime: new Date('2026-03-02T09:55:00Z') } }]
      : [],
  }));
  mocks.rds.on(RestoreDBInstanceToPointInTimeCommand).callsFake((input: { TargetDBInstanceIdentifier: string; Tags: DBInstance['TagList']; DBInstanceClass: string; MultiAZ: boolean }) => {
    restoreRequests.push(input);
    if (instances.has(input.TargetDBInstanceIdentifier)) throw Object.assign(new Error('DB instance already exists'), { name: 'DBInstanceAlreadyExistsFault' });
    const source = instances.get(String((input as { SourceDBInstanceIdentifier?: string }).SourceDBInstanceIdentifier))!;
    const i = {
      DBInstanceIdentifier: input.TargetDBInstanceIdentifier, DBInstanceArn: `arn:aws:rds:${REGION}:123456789012:db:${input.TargetDBInstanceIdentifier}`, DBInstanceStatus: 'creating', DBInstanceClass: input.DBInstanceClass, MultiAZ: input.MultiAZ, TagList: input.Tags, polls: 0,
      // what a restored instance has once it runs: its own backups, the source's network
      LatestRestorableTime: source.LatestRestorableTime, BackupRetentionPeriod: 7, InstanceCreateTime: new Date(clock.now()),
      DBSubnetGroup: source.DBSubnetGroup, VpcSecurityGroups: source.VpcSecurityGroups, DBParameterGroups: source.DBParameterGroups,
    };
    instances.set(i.DBInstanceIdentifier, i);
    return { DBInstance: i };
  });
  const byArn = (arn: string) => {
    const i = [...instances.values()].find((x) => x.DBInstanceArn === arn);
    if (!i) throw Object.assign(new Error(`DBInstance ${arn} not found`), { name: 'DBInstanceNotFoundFault' });
    return i;
  };
  /** Every tag change, in order: `add KEY=VALUE ID` or `remove KEY ID`. */
  const tagChanges: string[] = [];
  mocks.rds.on(AddTagsToResourceCommand).callsFake((input: { ResourceName: string; Tags: Array<{ Key: string; Value: string }> }) => {
    const i = byArn(input.ResourceName);
    for (const t of input.Tags) {
      tagChanges.push(`add ${t.Key}=${t.Value} ${i.DBInstanceIdentifier}`);
      i.TagList = [...(i.TagList ?? []).filter((x) => x.Key !== t.Key), t];
    }
    return {};
  });
  mocks.rds.on(RemoveTagsFromResourceCommand).callsFake((input: { ResourceName: string; TagKeys: string[] }) => {
    const i = byArn(input.ResourceName);
    for (const k of input.TagKeys) tagChanges.push(`remove ${k} ${i.DBInstanceIdentifier}`);
    i.TagList = (i.TagList ?? []).filter((x) => !input.TagKeys.includes(x.Key ?? ''));
    return {};
  });
  const modifications: Array<Record<string, unknown>> = [];
  mocks.rds.on(ModifyDBInstanceCommand).callsFake((input: Record<string, unknown>) => {
    modifications.push(input);
    order.push(`rds:modify ${String(input.DBInstanceIdentifier)}`);
    const i = instances.get(String(input.DBInstanceIdentifier));
    if (!i) throw Object.assign(new Error('not found'), { name: 'DBInstanceNotFoundFault' });
    return { DBInstance: i };
  });
  const deleteRequests: Array<Record<string, unknown>> = [];
  mocks.rds.on(DeleteDBInstanceCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
    deleteRequests.push(input);
    const target = instances.get(input.DBInstanceIdentifier);
    if (target?.DeletionProtection) throw Object.assign(new Error('Cannot delete protected DB Instance, please disable deletion protection and try again.'), { name: 'InvalidParameterCombination' });
    if (scenario.deleteRefused) throw Object.assign(new Error('Instance is not in available state'), { name: 'InvalidDBInstanceStateFault' });
    deleted.push(input.DBInstanceIdentifier);
    instances.get(input.DBInstanceIdentifier)!.DBInstanceStatus = 'deleting';
    return {};
  });

  const outputs: Record<string, Record<string, string>> = {
    'slipway-data': {
      DbInstanceIdentifier: SOURCE,
      DbSubnetGroupName: 'slipway-db-subnets',
      DbSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
      AttachmentsBucketName: 'slipway-attachments-123',
      MetricsTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:metrics-AbCdEf',
      ...(scenario.appLogin ? { DbAppSecretArn: APP_SECRET_ARN } : {}),
    },
    'slipway-service': {
      AppUrl: 'https://tracker.example.com',
      ClusterName: 'slipway',
      ApiServiceName: 'slipway-api',
      WebServiceName: 'slipway-web',
      MigrateTaskFamily: 'slipway-migrate',
      MigrateContainerName: 'migrate',
      TaskSubnetIds: 'subnet-a,subnet-b',
      TaskSecurityGroupId: 'sg-task',
    },
  };
  mocks.cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
    const o = outputs[input.StackName];
    if (!o) throw new Error(`Stack with id ${input.StackName} does not exist`);
    return { Stacks: [{ StackName: input.StackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Parameters: input.StackName === 'slipway-service' ? [{ ParameterKey: 'ImageTag', ParameterValue: 'r7' }] : [], Outputs: Object.entries(o).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] };
  });

  // ECS validation tasks: the task id says which database and command it ran.
  const registered: unknown[] = [];
  const deregistered: string[] = [];
  const tasks = new Map<string, { db: 'source' | 'restored'; command: string; exitCode?: number }>();
  const appRoleOn = (taskDefinition: string) => (taskDefinition.includes('restore-drill') ? 'drill-copy' : dbSecret.host === 'source.db.internal' ? 'original' : 'copy');
  mocks.ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => ({
    taskDefinition: {
      family: 'slipway-migrate',
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-migrate:7',
      taskRoleArn: 'arn:aws:iam::123456789012:role/task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{
        name: 'migrate',
        image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway:${input.taskDefinition.includes('api') ? 'r7' : 'r7'}`,
        command: ['migrate', 'up'],
        environment: [{ name: 'DB_SSL', value: 'require' }],
        secrets: [
          { name: 'DB_HOST', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:host::' },
          { name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::' },
        ],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'slipway-migrate-logs', 'awslogs-stream-prefix': 'migrate', 'awslogs-region': REGION } },
      }],
    },
  }));
  mocks.ecs.on(RegisterTaskDefinitionCommand).callsFake((input: unknown) => {
    if (scenario.registerFails) throw Object.assign(new Error('ClientException: Too many concurrent attempts to create a new revision of the specified family.'), { name: 'ClientException' });
    registered.push(input);
    return { taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-migrate-restore-drill:1' } };
  });
  mocks.ecs.on(DeregisterTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    deregistered.push(input.taskDefinition);
    return {};
  });
  let taskCounter = 0;
  /** Each `migrate app-role` task: its task definition and the hosts the two secrets named as it started. */
  const appRoleRuns: Array<{ taskDefinition: string; masterHost: unknown; loginHost: unknown }> = [];
  mocks.ecs.on(RunTaskCommand).callsFake((input: { taskDefinition: string; overrides: { containerOverrides: Array<{ command: string[] }> } }) => {
    const command = input.overrides.containerOverrides[0]!.command.join(' ');
    if (command === 'migrate app-role') {
      order.push('ecs:run migrate app-role');
      appRoleRuns.push({ taskDefinition: input.taskDefinition, masterHost: dbSecret.host, loginHost: appSecret.host });
      if (scenario.appRoleNotStartedOn === appRoleOn(input.taskDefinition)) return { tasks: [], failures: [{ arn: 'arn:aws:ecs:eu-west-1:123456789012:container-instance/x', reason: 'RESOURCE:ENI' }] };
    } else {
      order.push('ecs:run');
    }
    taskCounter += 1;
    const id = `task${taskCounter}`;
    tasks.set(id, { db: input.taskDefinition.includes('restore-drill') ? 'restored' : 'source', command, ...(command === 'migrate app-role' ? { exitCode: scenario.appRoleFailsOn === appRoleOn(input.taskDefinition) ? 1 : 0 } : {}) });
    return { tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/slipway/${id}` }] };
  });
  const polled = new Map<string, number>();
  const apiTaskArn = (i: number) => `arn:aws:ecs:eu-west-1:123456789012:task/slipway/api-stopped-${i}`;
  mocks.ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => {
    if (input.tasks.every((a) => a.includes('/api-stopped-'))) {
      return { tasks: input.tasks.map((taskArn) => ({ taskArn, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', group: 'service:slipway-api', stoppedAt: scenario.api.stoppedAt[Number(taskArn.split('-').pop())] })) };
    }
    const arn = input.tasks[0]!;
    const id = arn.split('/').pop()!;
    const n = (polled.get(id) ?? 0) + 1;
    polled.set(id, n);
    const t = tasks.get(id)!;
    const exitCode = t.command === 'stats' && scenario.noStats ? 2 : (t.exitCode ?? 0);
    const stoppedReason = n >= 2 ? `Essential container in task exited` : undefined;
    return { tasks: [{ taskArn: arn, lastStatus: n >= 2 ? 'STOPPED' : 'RUNNING', stoppedReason, containers: [{ name: 'migrate', exitCode: n >= 2 ? exitCode : undefined }] }] };
  });
  mocks.logs.on(GetLogEventsCommand).callsFake((input: { logStreamName: string }) => {
    const id = input.logStreamName.split('/').pop()!;
    const t = tasks.get(id)!;
    if (t.command === 'migrate app-role') {
      const message = t.exitCode === 0
        ? JSON.stringify({ level: 30, appRole: 'slipway_app', msg: 'api login slipway_app: exists; password set from ' + APP_SECRET_ARN + '; data access to schema public granted; no DDL, no role management' })
        : JSON.stringify({ level: 50, msg: 'the api login "slipway_app" cannot sign in to the database: no pg_hba.conf entry. Fix: check that the role may log in and that the server admits it (pg_hba.conf)' });
      return { events: [{ message, timestamp: 2 }] };
    }
    const message =
      t.command === 'migrate status'
        ? JSON.stringify({ level: 30, applied: scenario.migrations[t.db].map((version) => ({ version })), pending: [], upToDate: true, msg: `migrations: ${scenario.migrations[t.db].length} applied, 0 pending` })
        : scenario.noStats
          ? 'Usage: slipway <command>'
          : JSON.stringify({ level: 30, counts: scenario.counts[t.db], msg: 'row counts' });
    return { events: [{ message: 'starting', timestamp: 1 }, { message, timestamp: 2 }] };
  });

  const puts: Array<{ Key: string; Body: string }> = [];
  mocks.s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    puts.push(input);
    return {};
  });
  let dbSecret: Record<string, unknown> = { engine: 'postgres', host: 'source.db.internal', port: 5432, username: 'slipway', password: 'pw', dbname: 'slipway', dbInstanceIdentifier: SOURCE };
  // The api login's secret, attached to the same instance (what the rotation and the kit keep).
  let appSecret: Record<string, unknown> = { engine: 'postgres', host: 'source.db.internal', port: 5432, username: 'slipway_app', password: 'app-pw', dbname: 'slipway', dbInstanceIdentifier: SOURCE };
  const secretWrites: Array<Record<string, unknown>> = [];
  mocks.secrets.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) =>
    input.SecretId.includes(':db-') ? { SecretString: JSON.stringify(dbSecret) } : input.SecretId === APP_SECRET_ARN ? { SecretString: JSON.stringify(appSecret) } : { SecretString: 'metrics-token' },
  );
  mocks.secrets.on(DescribeSecretCommand).callsFake((input: { SecretId: string }) => ({
    VersionIdsToStages: { v1: ['AWSCURRENT'], ...(rotationPending === (input.SecretId === APP_SECRET_ARN ? 'login' : 'master') ? { v2: ['AWSPENDING'] } : {}) },
  }));
  const params = new Map<string, string>();
  mocks.ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
    const v = params.get(input.Name);
    if (v === undefined) throw Object.assign(new Error('nope'), { name: 'ParameterNotFound' });
    return { Parameter: { Name: input.Name, Value: v } };
  });
  mocks.ssm.on(PutParameterCommand).callsFake((input: { Name: string; Value: string }) => {
    order.push('ssm:put');
    params.set(input.Name, input.Value);
    return {};
  });
  mocks.ssm.on(DeleteParameterCommand).callsFake((input: { Name: string }) => {
    params.delete(input.Name);
    return {};
  });
  mocks.secrets.on(PutSecretValueCommand).callsFake((input: { SecretId: string; SecretString: string }) => {
    const value = JSON.parse(input.SecretString) as Record<string, unknown>;
    if (input.SecretId === APP_SECRET_ARN) {
      order.push('secret:put app');
      appSecret = value;
    } else {
      order.push('secret:put');
      dbSecret = value;
    }
    secretWrites.push(value);
    return {};
  });
  const restarts: string[] = [];
  const alarmTargets: string[] = [];
  // A restart changes only the RolloutId parameter: the synthesized templates equal the deployed ones.
  serveDeployedTemplates(mocks.cfn, () => sampleTemplates());
  const assemblyDir = writeAssembly(sampleTemplates());
  const runner = fakeRunner([
    { match: /^npx cdk diff slipway-service --exclusively/, result: { stdout: 'Stack slipway-service\nParameters\n[~] Parameter RolloutId: 0 to x\n' } },
    {
      match: /^npx cdk deploy slipway-observability --exclusively --parameters slipway-observability:MonitoredDbInstanceId=/,
      respond: (line) => {
        alarmTargets.push(/MonitoredDbInstanceId=(\S+)/.exec(line)![1]!);
        return { stdout: 'deployed' };
      },
    },
    {
      match: /^npx cdk deploy slipway-service --exclusively/,
      respond: (line) => {
        order.push('cdk:restart');
        restarts.push(line.replace(/^.*?--parameters /, '--parameters ').replace(/ --require-approval.*$/, ''));
        return { stdout: 'deployed' };
      },
    },
  ]);
  mocks.ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
    services: input.services.map((serviceName) => {
      const counts = serviceName === 'slipway-api' ? { runningCount: scenario.api.running, desiredCount: scenario.api.desired } : { runningCount: 2, desiredCount: 2 };
      return { serviceName, ...counts, pendingCount: 0, taskDefinition: 'td:r7', deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', ...counts, taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-api:3' }] };
    }),
  }));
  // The api's stopped tasks (ListTasks pages of 2, to exercise nextToken), and scaling it.
  const apiListings: Array<Record<string, unknown>> = [];
  mocks.ecs.on(ListTasksCommand).callsFake((input: { cluster: string; serviceName: string; desiredStatus: string; nextToken?: string }) => {
    apiListings.push(input);
    if (input.serviceName !== 'slipway-api' || input.desiredStatus !== 'STOPPED') return { taskArns: [] };
    const from = Number(input.nextToken ?? 0);
    const arns = scenario.api.stoppedAt.map((_, i) => apiTaskArn(i));
    return { taskArns: arns.slice(from, from + 2), ...(from + 2 < arns.length ? { nextToken: String(from + 2) } : {}) };
  });
  const serviceUpdates: Array<Record<string, unknown>> = [];
  mocks.ecs.on(UpdateServiceCommand).callsFake((input: { cluster: string; service: string; desiredCount?: number }) => {
    serviceUpdates.push(input);
    order.push(`ecs:update-service ${input.service} ${input.desiredCount}`);
    if (input.service === 'slipway-api' && input.desiredCount !== undefined) scenario.api = { ...scenario.api, desired: input.desiredCount, running: input.desiredCount };
    return { service: { serviceName: input.service, desiredCount: input.desiredCount } };
  });

  const gates: Array<{ host: unknown; release?: string }> = [];
  const smoke = async (options: SmokeOptions): Promise<SmokeReport> => {
    gates.push({ host: dbSecret.host, release: options.expectRelease });
    const bad = scenario.gateFailsOnRestored && dbSecret.host !== 'source.db.internal';
    return { ok: !bad, baseUrl: options.baseUrl.href, durationMs: 1, checks: [], failed: bad ? ['ready: GET /api/readyz, every check ok (not ready: migrations (1 pending))'] : [] };
  };

  const out: string[] = [];
  const reporter = new Reporter({ json: false, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) } });
  const suffixes = ['k3f9', 'p2x7', 'q8m4', 'z5n1'];
  let drawn = 0;
  const randomSuffix = () => suffixes[drawn++ % suffixes.length]!;
  const deps: RestoreDeps = { rds, ecs, logs, s3, secrets, ssm, cfn, runner, clock, reporter, smoke, randomSuffix, assemblyDir };
  return { scenario, deps, serviceUpdates, apiListings, instances, deleted, deleteRequests, tagChanges, modifications, restoreRequests, registered, deregistered, puts, secretWrites, params, order, restarts, gates, out, tasks, clock, alarmTargets, secret: () => dbSecret,
    /** What the rotation Lambda does to the secret (the instance side is not modelled here). */
    rotate: (password: string) => {
      dbSecret = { ...dbSecret, password };
    },
    /** A rotation half done, of the master secret (true) or the api login's. */
    setRotationPending: (pending: boolean | 'login') => {
      rotationPending = pending === true ? 'master' : pending;
    },
    appSecret: () => appSecret,
    appRoleRuns,
  };
}

export { DRILL_TAGS };
