/**
 * A deployed Slipway, built through AWS API calls against the emulator: VPC with DNS
 * hostnames, subnets and security groups, the RDS source with backups and its engine's data,
 * the ECS cluster, task definitions and services, secrets, the CDK bootstrap parameter, ECR
 * images, the attachments bucket, and small CloudFormation stacks that carry the kit's outputs
 * (infra/outputs.ts), so the flows find everything the way they do in a real account.
 *
 * moto gaps worked around here (each also noted where it matters):
 * - task definitions need container-level memory; RunTask needs existing subnets and
 *   securityGroups (so the outputs carry real ids);
 * - a restored instance copies the source's deletion protection whatever the request says, so
 *   the source is unprotected unless a test asks (`sourceDeletionProtection`);
 * - UpdateStack's UsePreviousValue works only for parameters given before, so every
 *   parameter is given at CreateStack;
 * - UpdateService does not start a new deployment, so a roll re-creates the services
 *   (see cdk.ts).
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client, ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateClusterCommand, CreateServiceCommand, DeleteServiceCommand, DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, type ContainerDefinition } from '@aws-sdk/client-ecs';
import { CreateDBInstanceCommand, CreateDBParameterGroupCommand, CreateDBSubnetGroupCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { parseSettings, type SlipwayConfig } from '../../../../infra/config.ts';
import { CONTAINER_NAMES, IMAGE_TAG_PARAMETER, MONITORED_DB_PARAMETER, OUTPUT_KEYS, ROLLOUT_PARAMETER, stackNames } from '../../../../infra/outputs.ts';
import { REPO_ROOT } from '../../../../test/support/app.ts';
import { EMULATOR_ACCOUNT, EMULATOR_REGION, emulatorClientConfig, emulatorEnv } from '../../../../test/support/moto.ts';
import { startFakeApp, type FakeApp } from '../fake-app.ts';
import type { Emulator } from './emulator.ts';

export interface WorldOptions {
  readonly appName: string;
  /** @default false: moto would copy it onto every restored instance (see above). */
  readonly sourceDeletionProtection?: boolean;
  /** Release running at the start. @default 'r0' */
  readonly release?: string;
  /** Extra settings for the config. */
  readonly settings?: Record<string, string>;
  /** Keep a restorable point where the source had only the first migration (and one user). */
  readonly earlierPoint?: boolean;
  /** The api's own login (DB_APP_LOGIN): its secret, the DbAppSecretArn output, the role on the source. */
  readonly appLogin?: boolean;
}

export interface World {
  readonly appName: string;
  readonly config: SlipwayConfig;
  readonly emulator: Emulator;
  readonly app: FakeApp;
  readonly sourceId: string;
  readonly dbSecretArn: string;
  /** The api login's secret (with `appLogin`). */
  readonly dbAppSecretArn?: string;
  readonly bucket: string;
  readonly repositoryName: string;
  readonly cluster: string;
  readonly subnets: readonly string[];
  readonly taskSecurityGroup: string;
  /** What `cdk deploy` of the local checkout deploys to the service stack. */
  checkout: { templateVersion: string };
  /** Releases whose readiness fails once they run. */
  readonly badReleases: Set<string>;
  /** Puts an image for a release into ECR. */
  pushImage(tag: string): Promise<void>;
  /** The service stack template that a checkout at `templateVersion` synthesizes. */
  serviceTemplate(templateVersion: string): string;
  /** The observability stack's template (its parameter names the database the alarms watch). */
  readonly observabilityTemplate: string;
  /** What synthesizing the checkout gives, by stack name (for the deploy guard). */
  synthesizedTemplates(): Promise<Record<string, Record<string, unknown>>>;
  /** Registers the api, web and migrate task definitions for a release (what CloudFormation would). */
  registerTaskDefinitions(tag: string): Promise<Record<'api' | 'web' | 'migrate', string>>;
  /** Rolls the api and web services to a release, as the service stack's update would. */
  rollServices(tag: string): Promise<void>;
  /** A time a restore can go back to, before the newest migration (with `earlierPoint`). */
  readonly earlierPoint?: { readonly at: Date; readonly migrations: readonly number[] };
  /** What the rotation Lambda does: a new password on the instance the secret names (in SQL), then in the secret. */
  rotateLikeTheLambda(password: string): Promise<void>;
  /** The api login's single-user rotation: the login gets a new password on the instance its secret names, then the secret. */
  rotateAppLoginLikeTheLambda(password: string): Promise<void>;
  /** Writes rows into the source database the way the app would store them. */
  seed(rows: { issues: number; comments?: number }): Promise<void>;
}

export const MASTER_PASSWORD = 'initial-master-password-0123456789';
export const APP_LOGIN_USER = 'slipway_app';
export const APP_LOGIN_PASSWORD = 'initial-app-login-password-0123456789';
export const METRICS_TOKEN = 'metrics-secret-0123456789abcdef0123456789';
const MANIFEST = (tag: string) => JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1, digest: `sha256:${Buffer.from(tag).toString('hex').padEnd(64, '0').slice(0, 64)}` }, layers: [] });

export function worldConfig(appName: string, settings: Record<string, string> = {}): SlipwayConfig {
  return parseSettings({
    AWS_ACCOUNT_ID: EMULATOR_ACCOUNT,
    AWS_REGION: EMULATOR_REGION,
    APP_NAME: appName,
    DOMAIN_NAME: `${appName}.example.com`,
    HOSTED_ZONE_ID: 'Z0123456789EXAMPLE',
    HOSTED_ZONE_NAME: 'example.com',
    ...settings,
  });
}

/** The settings as environment variables, for the CLIs run as child processes. */
export function worldSettingsEnv(appName: string, settings: Record<string, string> = {}): Record<string, string> {
  return { AWS_ACCOUNT_ID: EMULATOR_ACCOUNT, APP_NAME: appName, DOMAIN_NAME: `${appName}.example.com`, HOSTED_ZONE_ID: 'Z0123456789EXAMPLE', HOSTED_ZONE_NAME: 'example.com', DEPLOY_PROFILE: 'production', ...settings };
}

function stackTemplate(markerName: string, outputs: Record<string, unknown>, parameters: Record<string, unknown> = {}, markerValue: unknown = 'deployed'): string {
  return JSON.stringify({
    Parameters: parameters,
    // A stack needs a resource; this one also shows what the last update deployed.
    Resources: { Marker: { Type: 'AWS::SSM::Parameter', Properties: { Name: markerName, Type: 'String', Value: markerValue } } },
    Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
  });
}

export async function buildWorld(emulator: Emulator, options: WorldOptions): Promise<World> {
  const { clients } = emulator;
  const appName = options.appName;
  const names = stackNames(appName);
  const release = options.release ?? 'r0';
  const ec2 = new EC2Client(emulatorClientConfig(emulator.endpoint));

  // Network: subnets need the VPC's DNS hostnames for RDS endpoints.
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsHostnames: { Value: true } }));
  const subnets: string[] = [];
  for (const [i, az] of ['a', 'b'].entries()) {
    subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i + 1}.0/24`, AvailabilityZone: `${EMULATOR_REGION}${az}` }))).Subnet!.SubnetId!);
  }
  const group = async (name: string) => (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: `${appName}-${name}`, Description: name }))).GroupId!;
  const dbSg = await group('db');
  const taskSg = await group('tasks');
  await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: dbSg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: taskSg }] }] }));

  // The database: production settings, backups on (the restore window).
  const sourceId = `${appName}-db`;
  const subnetGroup = `${appName}-db-subnets`;
  const parameterGroup = `${appName}-pg17`;
  await clients.rds.send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: subnetGroup, DBSubnetGroupDescription: 'isolated', SubnetIds: subnets }));
  await clients.rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: parameterGroup, DBParameterGroupFamily: 'postgres17', Description: 'TLS required' }));
  await clients.rds.send(new CreateDBInstanceCommand({
    DBInstanceIdentifier: sourceId, Engine: 'postgres', EngineVersion: '17.2', DBInstanceClass: 'db.t4g.medium',
    MasterUsername: 'slipway', MasterUserPassword: MASTER_PASSWORD, DBName: 'slipway', AllocatedStorage: 20, MaxAllocatedStorage: 100,
    DBSubnetGroupName: subnetGroup, VpcSecurityGroupIds: [dbSg], DBParameterGroupName: parameterGroup, BackupRetentionPeriod: 7,
    MultiAZ: true, StorageEncrypted: true, EnableIAMDatabaseAuthentication: true, EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    CACertificateIdentifier: 'rds-ca-rsa2048-g1', EnablePerformanceInsights: true, DeletionProtection: options.sourceDeletionProtection ?? false,
    PubliclyAccessible: false, CopyTagsToSnapshot: true,
  }));
  const endpoint = (await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: sourceId }))).DBInstances![0]!.Endpoint!;
  // Secrets: the RDS secret shape (host, port, username, password, dbname, ...).
  const secret = async (name: string, value: string) => (await clients.secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN!;
  const rdsSecret = (username: string, password: string) => JSON.stringify({ engine: 'postgres', host: endpoint.Address, port: endpoint.Port, username, password, dbname: 'slipway', dbInstanceIdentifier: sourceId });
  const dbSecretArn = await secret(`${appName}/db/master`, rdsSecret('slipway', MASTER_PASSWORD));
  const dbAppSecretArn = options.appLogin ? await secret(`${appName}/db/app`, rdsSecret(APP_LOGIN_USER, APP_LOGIN_PASSWORD)) : undefined;
  // The schema the running release applied, from the app's own migrations (and, with the api
  // login, the role its migrate keeps, with the secret's password).
  const connection = emulator.databases.connection(sourceId);
  const appLoginEnv = dbAppSecretArn ? { DB_APP_USER: APP_LOGIN_USER, DB_APP_SECRET_ARN: dbAppSecretArn, ...emulatorEnv(emulator.moto.endpoint) } : {};
  const migrate = async (migrationsDir?: string) => {
    const migrated = emulator.containers.runImage(['migrate', 'up'], { DATABASE_URL: `postgres://${connection.user}:${encodeURIComponent(MASTER_PASSWORD)}@${connection.host}:${connection.port}/${connection.database}`, SLIPWAY_MIGRATIONS_DIR: migrationsDir, ...appLoginEnv });
    if ((await migrated.exited) !== 0) throw new Error(`migrate up on the source failed:\n${migrated.output()}`);
  };
  let earlierPoint: World['earlierPoint'];
  if (options.earlierPoint) {
    // A point in the backups before the newest migration, with a few rows, for restores to it.
    const dir = mkdtempSync(join(tmpdir(), 'slipway-first-migration-'));
    const first = readdirSync(join(REPO_ROOT, 'app/migrations')).filter((f) => f.endsWith('.sql')).sort()[0]!;
    copyFileSync(join(REPO_ROOT, 'app/migrations', first), join(dir, first));
    await migrate(dir);
    rmSync(dir, { recursive: true, force: true });
    await emulator.databases.query(sourceId, `INSERT INTO users (email) VALUES ('early@example.com')`);
    const at = await emulator.databases.snapshot(sourceId);
    // backups are taken at an instant; the restore time lies just after it
    await new Promise((r) => setTimeout(r, 20));
    earlierPoint = { at: new Date(at + 10), migrations: [Number(first.slice(0, 4))] };
  }
  await migrate();

  const metricsArn = await secret(`${appName}/metrics-token`, METRICS_TOKEN);
  const sessionArn = await secret(`${appName}/session-secret`, 'S'.repeat(16) + 'k3J9x2Lm7Qp4Rt8Vw1Yz5Bc6Nd0Fg2Hj');
  const credentialsArn = await secret(`${appName}/credentials-key`, 'K'.repeat(16) + 'q8W3e5R7t9Y1u2I4o6P8a0S2d4F6g8H0');

  // Registry, bucket, bootstrap.
  const repositoryName = appName;
  const repositoryUri = (await clients.ecr.send(new CreateRepositoryCommand({ repositoryName }))).repository!.repositoryUri!;
  const pushImage = async (tag: string) => {
    await clients.ecr.send(new PutImageCommand({ repositoryName, imageTag: tag, imageManifest: MANIFEST(tag), imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json' }));
  };
  await pushImage(release);
  const bucket = `${appName}-attachments-${EMULATOR_ACCOUNT}`;
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: EMULATOR_REGION } }));
  await clients.ssm.send(new PutParameterCommand({ Name: '/cdk-bootstrap/hnb659fds/version', Value: '27', Type: 'String', Overwrite: true }));

  // ECS: task definitions like the service stack's (DB_* from the secret, DB_SECRET_ARN).
  const cluster = appName;
  await clients.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const logGroup = (name: string) => `/${appName}/${name}`;
  for (const name of Object.values(CONTAINER_NAMES)) await clients.logs.send(new CreateLogGroupCommand({ logGroupName: logGroup(name) }));
  const dbSecretsOf = (arn: string) => ['host', 'port', 'username', 'password', 'dbname'].map((key) => ({
    name: { host: 'DB_HOST', port: 'DB_PORT', username: 'DB_USER', password: 'DB_PASSWORD', dbname: 'DB_NAME' }[key]!,
    valueFrom: `${arn}:${key}::`,
  }));
  // As the kit's database logins: the api signs in with its own login, migrate as the owner and keeps that login.
  const login = (name: string) => {
    if (name === 'web') return { environment: [], secrets: [] };
    if (!dbAppSecretArn) return { environment: [{ name: 'DB_SECRET_ARN', value: dbSecretArn }], secrets: dbSecretsOf(dbSecretArn) };
    if (name === 'api') return { environment: [{ name: 'DB_SECRET_ARN', value: dbAppSecretArn }], secrets: dbSecretsOf(dbAppSecretArn) };
    return {
      environment: [{ name: 'DB_SECRET_ARN', value: dbSecretArn }, { name: 'DB_APP_SECRET_ARN', value: dbAppSecretArn }],
      secrets: [...dbSecretsOf(dbSecretArn), { name: 'DB_APP_USER', valueFrom: `${dbAppSecretArn}:username::` }],
    };
  };
  const registerTaskDefinitions = async (tag: string) => {
    const arns: Record<string, string> = {};
    for (const name of Object.values(CONTAINER_NAMES)) {
      const container: ContainerDefinition = {
        name,
        image: `${repositoryUri}:${tag}`,
        memory: 512,
        essential: true,
        ...(name === 'migrate' ? { command: ['migrate', 'up'] } : name === 'web' ? { command: ['web'] } : {}),
        environment: [{ name: 'DB_SSL', value: 'require' }, ...login(name).environment, { name: 'SLIPWAY_RELEASE', value: tag }],
        secrets: login(name).secrets,
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': logGroup(name), 'awslogs-stream-prefix': name, 'awslogs-region': EMULATOR_REGION } },
      };
      const out = await clients.ecs.send(new RegisterTaskDefinitionCommand({
        family: `${appName}-${name}`, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
        taskRoleArn: `arn:aws:iam::${EMULATOR_ACCOUNT}:role/${appName}-task`, executionRoleArn: `arn:aws:iam::${EMULATOR_ACCOUNT}:role/${appName}-exec`,
        containerDefinitions: [container],
      }));
      arns[name] = out.taskDefinition!.taskDefinitionArn!;
    }
    return arns as Record<'api' | 'web' | 'migrate', string>;
  };
  const tds = await registerTaskDefinitions(release);
  for (const name of ['api', 'web'] as const) {
    await clients.ecs.send(new CreateServiceCommand({
      cluster, serviceName: `${appName}-${name}`, taskDefinition: tds[name], desiredCount: 2, launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [taskSg], assignPublicIp: 'DISABLED' } },
    }));
  }

  // moto's UpdateService starts no new deployment: a roll re-creates the services.
  const rollServices = async (tag: string) => {
    const next = await registerTaskDefinitions(tag);
    for (const name of ['api', 'web'] as const) {
      const serviceName = `${appName}-${name}`;
      await clients.ecs.send(new DeleteServiceCommand({ cluster, service: serviceName, force: true }));
      await clients.ecs.send(new CreateServiceCommand({
        cluster, serviceName, taskDefinition: next[name], desiredCount: 2, launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [taskSg], assignPublicIp: 'DISABLED' } },
      }));
    }
  };
  // What the real service stack's task definitions do when an update changes ImageTag: roll.
  emulator.proxy.on('cloudformation', 'UpdateStack', async ({ input }) => {
    if (input.StackName !== names.service) return;
    const stack = (await clients.cfn.send(new DescribeStacksCommand({ StackName: names.service }))).Stacks![0]!;
    const tag = stack.Parameters?.find((p) => p.ParameterKey === IMAGE_TAG_PARAMETER)?.ParameterValue;
    const running = app.behaviour.release;
    if (tag && tag !== running) await rollServices(tag);
  });

  // The app the load balancer would serve: it runs whatever release the api service runs.
  const app = await startFakeApp({ release, metricsToken: METRICS_TOKEN });
  const badReleases = new Set<string>();
  emulator.proxy.on('ecs', 'CreateService', async ({ input }) => {
    if (input.cluster !== cluster || input.serviceName !== `${appName}-api`) return;
    const td = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: String(input.taskDefinition) }));
    const running = td.taskDefinition?.containerDefinitions?.[0]?.image?.split(':').pop() ?? '';
    app.behaviour.release = running;
    app.behaviour.readyStatus = badReleases.has(running) ? 503 : 200;
  });

  // The stacks' outputs, where the flows read them.
  const o = OUTPUT_KEYS;
  const serviceTemplate = (templateVersion: string) =>
    stackTemplate(`/${appName}/emulator/service-template`, {
      [o.appUrl]: app.baseUrl.href.replace(/\/$/, ''),
      [o.clusterName]: cluster,
      [o.apiServiceName]: `${appName}-api`,
      [o.webServiceName]: `${appName}-web`,
      [o.migrateTaskFamily]: `${appName}-migrate`,
      [o.migrateContainerName]: CONTAINER_NAMES.migrate,
      [o.taskSubnetIds]: subnets.join(','),
      [o.taskSecurityGroupId]: taskSg,
      [o.runningImageTag]: { Ref: IMAGE_TAG_PARAMETER },
      TemplateVersion: templateVersion,
    }, { [IMAGE_TAG_PARAMETER]: { Type: 'String' }, [ROLLOUT_PARAMETER]: { Type: 'String', Default: '0' } }, { 'Fn::Sub': `${templateVersion} \${${IMAGE_TAG_PARAMETER}} \${${ROLLOUT_PARAMETER}}` });
  const observabilityTemplate = stackTemplate(`/${appName}/emulator/observability`, {}, { [MONITORED_DB_PARAMETER]: { Type: 'String', Default: sourceId } }, { 'Fn::Sub': `alarms watch \${${MONITORED_DB_PARAMETER}}` });
  const checkoutState = { templateVersion: 'v1' };
  const stacks: Array<[string, string, Array<{ ParameterKey: string; ParameterValue: string }>?]> = [
    [names.network, stackTemplate(`/${appName}/emulator/network`, { [o.vpcId]: vpc, [o.privateSubnetIds]: subnets.join(',') })],
    [names.data, stackTemplate(`/${appName}/emulator/data`, {
      [o.dbInstanceIdentifier]: sourceId, [o.dbEndpointAddress]: endpoint.Address, [o.dbPort]: String(endpoint.Port), [o.dbSecretArn]: dbSecretArn, ...(dbAppSecretArn ? { [o.dbAppSecretArn]: dbAppSecretArn } : {}),
      [o.dbSecurityGroupId]: dbSg, [o.dbSubnetGroupName]: subnetGroup, [o.dbParameterGroupName]: parameterGroup,
      [o.sessionSecretArn]: sessionArn, [o.metricsTokenSecretArn]: metricsArn, [o.credentialsKeySecretArn]: credentialsArn, [o.attachmentsBucketName]: bucket,
    })],
    [names.registry, stackTemplate(`/${appName}/emulator/registry`, { [o.repositoryName]: repositoryName, [o.repositoryUri]: repositoryUri })],
    [names.service, serviceTemplate('v1'), [{ ParameterKey: IMAGE_TAG_PARAMETER, ParameterValue: release }, { ParameterKey: ROLLOUT_PARAMETER, ParameterValue: '0' }]],
    // moto has no CloudWatch alarms in CloudFormation: the marker carries what they would watch.
    [names.observability, observabilityTemplate, [{ ParameterKey: MONITORED_DB_PARAMETER, ParameterValue: sourceId }]],
  ];
  for (const [StackName, TemplateBody, Parameters] of stacks) {
    await clients.cfn.send(new CreateStackCommand({ StackName, TemplateBody, Parameters }));
  }

  let seeded = 0;
  const seed = async (rows: { issues: number; comments?: number }) => {
    const n = seeded++;
    const [user] = await emulator.databases.query<{ id: string }>(sourceId, `INSERT INTO users (email) VALUES ($1) RETURNING id`, [`user${n}@example.com`]);
    const [ws] = await emulator.databases.query<{ id: string }>(sourceId, `INSERT INTO workspaces (slug, name, issue_key) VALUES ($1, $2, 'ENG') RETURNING id`, [`ws-${n}`, `Workspace ${n}`]);
    await emulator.databases.query(sourceId, `INSERT INTO issues (workspace_id, number, title, author_id) SELECT $1, g, 'Issue ' || g, $2 FROM generate_series(1, $3::int) g`, [ws!.id, user!.id, rows.issues]);
    if (rows.comments) {
      await emulator.databases.query(sourceId, `INSERT INTO comments (workspace_id, issue_id, author_id, body) SELECT $1, i.id, $2, 'a comment' FROM issues i, generate_series(1, $3::int) WHERE i.workspace_id = $1`, [ws!.id, user!.id, rows.comments]);
    }
  };

  const rotateLikeTheLambda = async (password: string) => {
    const current = JSON.parse((await clients.secrets.send(new GetSecretValueCommand({ SecretId: dbSecretArn }))).SecretString!) as Record<string, unknown>;
    await emulator.databases.setPassword(String(current.host).split('.')[0]!, password);
    await clients.secrets.send(new PutSecretValueCommand({ SecretId: dbSecretArn, SecretString: JSON.stringify({ ...current, password }) }));
  };

  const rotateAppLoginLikeTheLambda = async (password: string) => {
    if (!dbAppSecretArn) throw new Error('this world has no api login: build it with appLogin');
    const current = JSON.parse((await clients.secrets.send(new GetSecretValueCommand({ SecretId: dbAppSecretArn }))).SecretString!) as Record<string, unknown>;
    await emulator.databases.setPassword(String(current.host).split('.')[0]!, password, String(current.username));
    await clients.secrets.send(new PutSecretValueCommand({ SecretId: dbAppSecretArn, SecretString: JSON.stringify({ ...current, password }) }));
  };

  return {
    appName,
    earlierPoint,
    rotateLikeTheLambda,
    rotateAppLoginLikeTheLambda,
    dbAppSecretArn,
    config: worldConfig(appName, options.settings),
    seed,
    emulator,
    app,
    sourceId,
    dbSecretArn,
    bucket,
    repositoryName,
    cluster,
    subnets,
    taskSecurityGroup: taskSg,
    checkout: checkoutState,
    rollServices,
    badReleases,
    pushImage,
    serviceTemplate,
    observabilityTemplate,
    synthesizedTemplates: async () => {
      const out: Record<string, Record<string, unknown>> = {};
      for (const [name, body] of stacks) out[name] = JSON.parse(name === names.service ? serviceTemplate(checkoutState.templateVersion) : body) as Record<string, unknown>;
      return out;
    },
    registerTaskDefinitions,
  };
}
