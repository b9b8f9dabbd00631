/**
 * A fake AWS account for the deploy and rollback flows: aws-sdk-client-mock answers from a
 * small mutable state, and the fake command runner plays git, the image builder and cdk.
 */
import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand, UpdateStackCommand, type Parameter } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { parseSettings, type SlipwayConfig } from '../../../infra/config.ts';
import { Reporter } from '../../lib/cli.ts';
import type { DeployDeps } from '../../lib/deploy.ts';
import type { SmokeOptions, SmokeReport } from '../../lib/smoke.ts';
import { fakeClock } from '../../lib/wait.ts';
import { fakeRunner } from './fake-runner.ts';
import { sampleTemplates, serveDeployedTemplates, writeAssembly } from './templates.ts';

export const REGION = 'eu-west-1';

export function testConfig(overrides: Record<string, string> = {}): SlipwayConfig {
  return parseSettings({
    AWS_ACCOUNT_ID: '123456789012',
    AWS_REGION: REGION,
    DOMAIN_NAME: 'tracker.example.com',
    HOSTED_ZONE_ID: 'Z0123456789EXAMPLE',
    HOSTED_ZONE_NAME: 'example.com',
    ...overrides,
  });
}

export interface WorldState {
  imageTag?: string;
  /** Tags present in ECR. */
  images: Set<string>;
  /** cdk deploy fails (e.g. the migration) when rolling to these tags. */
  failingTags: Set<string>;
  /** The gate fails for these releases. */
  badReleases: Set<string>;
  dirty: boolean;
  diffOutput: string;
  /** What CloudFormation holds, for the stateful guard (GetTemplate). */
  deployedTemplates: Record<string, any>;
  /** What `cdk diff` synthesized (written as the cloud assembly the guard reads). */
  synthesizedTemplates: Record<string, any>;
  ssm: Map<string, string>;
  /** Stack events; without StackName, the service stack's. */
  stackEvents: Array<{ LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason: string; StackName?: string }>;
  serviceStackDeployed: boolean;
  /** The services never settle (two deployments forever). */
  servicesStuck: boolean;
  serviceStackStatus: string;
  /** The service stack reports `status` from this time on (the fake clock's): an update CloudFormation finishes later. */
  serviceStackSettles?: { at: number; status: string };
  registryDeployed: boolean;
}

export function makeWorld(initial: Partial<WorldState> = {}) {
  const state: WorldState = {
    imageTag: 'aaaaaaaaaaaa',
    images: new Set(['aaaaaaaaaaaa']),
    failingTags: new Set(),
    badReleases: new Set(),
    dirty: false,
    diffOutput: 'Stack slipway-service\nParameters\n[~] Parameter ImageTag: aaaaaaaaaaaa to bbbbbbbbbbbb\nResources\n[~] AWS::ECS::TaskDefinition Service/Api/TaskDef ApiTaskDef12345 replace\n',
    deployedTemplates: sampleTemplates(),
    synthesizedTemplates: sampleTemplates(),
    ssm: new Map(),
    stackEvents: [],
    serviceStackDeployed: true,
    servicesStuck: false,
    serviceStackStatus: 'UPDATE_COMPLETE',
    registryDeployed: true,
    ...initial,
  };
  const clock = fakeClock(Date.parse('2026-03-02T10:00:00Z'));
  const cfn = new CloudFormationClient({ region: REGION });
  const ecs = new ECSClient({ region: REGION });
  const ecr = new ECRClient({ region: REGION });
  const ssm = new SSMClient({ region: REGION });
  const secrets = new SecretsManagerClient({ region: REGION });
  const s3 = new S3Client({ region: REGION });
  const mocks = { s3: mockClient(s3), cfn: mockClient(cfn), ecs: mockClient(ecs), ecr: mockClient(ecr), ssm: mockClient(ssm), secrets: mockClient(secrets) };

  const outputs: Record<string, Record<string, string>> = {
    'slipway-registry': { RepositoryName: 'slipway', RepositoryUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway' },
    'slipway-data': { AttachmentsBucketName: 'slipway-attachments-123', MetricsTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:metrics-AbCdEf' },
    'slipway-service': { AppUrl: 'https://tracker.example.com', ClusterName: 'slipway', ApiServiceName: 'slipway-api', WebServiceName: 'slipway-web' },
  };
  mocks.cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => {
    const o = outputs[input.StackName];
    if (!o || (input.StackName === 'slipway-service' && !state.serviceStackDeployed) || (input.StackName === 'slipway-registry' && !state.registryDeployed)) {
      throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
    }
    if (state.serviceStackSettles && clock.now() >= state.serviceStackSettles.at) {
      state.serviceStackStatus = state.serviceStackSettles.status;
      state.serviceStackSettles = undefined;
    }
    return {
      Stacks: [{
        StackName: input.StackName,
        StackStatus: input.StackName === 'slipway-service' ? state.serviceStackStatus : 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Parameters: input.StackName === 'slipway-service' ? [{ ParameterKey: 'ImageTag', ParameterValue: state.imageTag }] : [],
        Outputs: Object.entries(o).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      }],
    };
  });
  mocks.cfn.on(DescribeStackEventsCommand).callsFake((input: { StackName: string }) => ({
    StackEvents: state.stackEvents
      .filter((e) => (e.StackName ?? 'slipway-service') === input.StackName)
      .map((e) => ({ ...e, StackId: 'x', EventId: 'e', StackName: e.StackName ?? 'slipway-service', Timestamp: new Date(clock.now()) })),
  }));
  mocks.ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
    services: input.services.map((name) => ({
      serviceName: name,
      runningCount: 2,
      desiredCount: 2,
      taskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${name}:${state.imageTag}`,
      deployments: [
        { status: 'PRIMARY', rolloutState: state.servicesStuck ? 'IN_PROGRESS' : 'COMPLETED', taskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${name}:${state.imageTag}` },
        ...(state.servicesStuck ? [{ status: 'ACTIVE', rolloutState: 'COMPLETED', taskDefinition: 'old' }] : []),
      ],
    })),
  }));
  mocks.ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => ({
    taskDefinition: { containerDefinitions: [{ name: 'api', image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway:${input.taskDefinition.split(':').pop()}` }] },
  }));
  mocks.ecr.on(DescribeImagesCommand).callsFake((input: { imageIds: Array<{ imageTag: string }> }) => {
    const tag = input.imageIds[0]!.imageTag;
    if (!state.images.has(tag)) throw Object.assign(new Error('not found'), { name: 'ImageNotFoundException' });
    return { imageDetails: [{ imageDigest: `sha256:${tag.padEnd(64, '0').slice(0, 64)}`, imageTags: [tag] }] };
  });
  mocks.ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [{ authorizationToken: Buffer.from('AWS:registry-password').toString('base64'), proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com' }],
  });
  mocks.secrets.on(GetSecretValueCommand).resolves({ SecretString: 'metrics-token-value-0123456789abcdef' });
  mocks.ssm.on(PutParameterCommand).callsFake((input: { Name: string; Value: string }) => {
    state.ssm.set(input.Name, input.Value);
    return { Version: 1 };
  });
  mocks.ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
    const value = state.ssm.get(input.Name);
    if (value === undefined) throw Object.assign(new Error(`parameter ${input.Name} not found`), { name: 'ParameterNotFound' });
    return { Parameter: { Name: input.Name, Value: value } };
  });
  mocks.ssm.on(GetParametersByPathCommand).callsFake((input: { Path: string }) => ({
    Parameters: [...state.ssm.entries()].filter(([k]) => k.startsWith(`${input.Path}/`)).map(([Name, Value]) => ({ Name, Value })),
  }));

  serveDeployedTemplates(mocks.cfn, () => state.deployedTemplates);
  // A failed update of the service stack: its migration fails, CloudFormation rolls it back.
  const failUpdate = () => {
    state.stackEvents.push({ LogicalResourceId: 'MigrateBeforeRoll', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'migrate up exited 1: 0007_add_index.sql: relation "x" does not exist' });
    state.serviceStackStatus = 'UPDATE_ROLLBACK_COMPLETE';
  };
  // A rollback to a kept template updates the service stack directly.
  mocks.cfn.on(UpdateStackCommand).callsFake((input: { StackName: string; TemplateBody?: string; Parameters?: Parameter[] }) => {
    const tag = input.Parameters?.find((p) => p.ParameterKey === 'ImageTag')?.ParameterValue;
    if (tag && state.failingTags.has(tag)) {
      failUpdate();
      return { StackId: input.StackName };
    }
    if (tag) state.imageTag = tag;
    if (input.TemplateBody) state.deployedTemplates = { ...state.deployedTemplates, [input.StackName]: JSON.parse(input.TemplateBody) };
    state.serviceStackStatus = 'UPDATE_COMPLETE';
    return { StackId: input.StackName };
  });
  const assembly = { dir: '' };
  const runner = fakeRunner([
    { match: /^git rev-parse HEAD$/, result: { stdout: 'bbbbbbbbbbbbcccccccccccccccccccccccccccc\n' } },
    { match: /^git status/, respond: () => ({ stdout: state.dirty ? ' M app/src/x.ts\n' : '' }) },
    { match: /^docker info/, result: { stdout: '27.0.0' } },
    { match: /^docker login/, result: {} },
    {
      match: /^docker buildx build .* --push \.$/,
      respond: (line) => {
        state.images.add(/ -t \S+:(\S+) /.exec(line)![1]!);
        return {};
      },
    },
    {
      match: /^npx cdk diff/,
      respond: () => {
        assembly.dir = writeAssembly(state.synthesizedTemplates);
        return { stdout: state.diffOutput };
      },
    },
    {
      match: /^npx cdk deploy slipway-registry --exclusively/,
      respond: () => {
        state.registryDeployed = true;
        return { stdout: 'registry deployed' };
      },
    },
    {
      match: /^npx cdk deploy/,
      respond: (line) => {
        const tag = /ImageTag=(\S+)/.exec(line)?.[1];
        if (tag && state.failingTags.has(tag)) {
          failUpdate();
          return { exitCode: 1, stderr: 'slipway-service failed: Error: The stack named slipway-service failed to deploy: UPDATE_ROLLBACK_COMPLETE' };
        }
        if (tag) state.imageTag = tag;
        state.serviceStackDeployed = true;
        state.serviceStackStatus = 'UPDATE_COMPLETE';
        // CloudFormation now holds what cdk synthesized for the stacks it deployed.
        const named = line.split(' --')[0]!.split(' ').slice(3);
        const deployed = named.length ? Object.fromEntries(Object.entries(state.synthesizedTemplates).filter(([name]) => named.includes(name))) : state.synthesizedTemplates;
        state.deployedTemplates = { ...state.deployedTemplates, ...deployed };
        return { stdout: 'deployed' };
      },
    },
  ]);

  const smokeCalls: SmokeOptions[] = [];
  const smoke = async (options: SmokeOptions): Promise<SmokeReport> => {
    smokeCalls.push(options);
    const bad = state.badReleases.has(state.imageTag ?? '');
    return {
      ok: !bad,
      baseUrl: options.baseUrl.href,
      durationMs: 1000,
      version: { release: state.imageTag, commit: 'c', migration: { latest: '0007', applied: '0007' } },
      checks: [{ id: 'ready', name: 'ready: GET /api/readyz, every check ok', status: bad ? 'fail' : 'pass', detail: bad ? 'answered 200 but checks failed: redis (timeout)' : 'ok', durationMs: 10, attempts: 1 }],
      failed: bad ? ['ready: GET /api/readyz, every check ok (answered 200 but checks failed: redis (timeout))'] : [],
    };
  };

  const out: string[] = [];
  const reporter = new Reporter({ json: false, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) } });
  // The release's service template, kept in the attachments bucket (an S3 object per release).
  const objects = new Map<string, string>();
  mocks.s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    objects.set(input.Key, input.Body);
    return {};
  });
  mocks.s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = objects.get(input.Key);
    if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => body } };
  });
  const deps: DeployDeps = {
    cfn, ecs, ecr, ssm, secrets, s3, runner, clock, reporter, smoke,
    get assemblyDir() {
      return assembly.dir;
    },
  };
  const records = (): Array<Record<string, unknown>> =>
    [...state.ssm.entries()].filter(([, v]) => v.startsWith('{')).map(([name, v]) => ({ name, ...(JSON.parse(v) as Record<string, unknown>) }));
  return { state, deps, mocks, runner, smokeCalls, out, records, clock, objects };
}

/** The service stack as CloudFormation leaves it after it rolled an update back: the world's release, its outputs. */
export function serviceStackRolledBack(world: ReturnType<typeof makeWorld>): void {
  world.mocks.cfn.on(DescribeStacksCommand, { StackName: 'slipway-service' }).callsFake(() => ({
    Stacks: [{
      StackName: 'slipway-service', StackStatus: 'UPDATE_ROLLBACK_COMPLETE', CreationTime: new Date(),
      Parameters: [{ ParameterKey: 'ImageTag', ParameterValue: world.state.imageTag }],
      Outputs: Object.entries({ AppUrl: 'https://tracker.example.com', ClusterName: 'slipway', ApiServiceName: 'slipway-api', WebServiceName: 'slipway-web', GreenGateLogGroupName: '/slipway/green-gate' })
        .map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    }],
  }));
}
