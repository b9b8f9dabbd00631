/**
 * The green gate as the Lambda runs it (gateDepsFromEnv: the load balancer's addresses from
 * its network interfaces, the tokens from Secrets Manager, both in the AWS API emulator)
 * against the real app: migrate, api and web from source on real PostgreSQL and Redis.
 * The "load balancer node" is loopback: the emulator's network interface carries 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { CreateNetworkInterfaceCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../test/support/app.ts';
import { emulatorClientConfig, startMoto, type MotoServer } from '../../test/support/moto.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../../test/support/servers.ts';
import { runGreenGate, type GateDeps, type GateLogLine, type GatedService, type HookEvent } from '../lib/green-gate.ts';
import { GATE_ENV, gateDepsFromEnv, loadBalancerAddresses } from '../lib/green-gate-lambda.ts';
import { gateRefusal } from '../lib/deploy-phases.ts';
import { postJson, signInWithToken } from './support/sign-in.ts';

const RELEASE = 'green-release-7';
const METRICS_TOKEN = randomBytes(32).toString('hex');
const LB_FULL_NAME = 'app/slipway-edge/50dc6c495c0c9188';

let pg: TestPostgres;
let redis: TestRedis;
let app: RunningApp;
let moto: MotoServer;
let ec2: EC2Client;
let secrets: SecretsManagerClient;
let env: Record<string, string>;

beforeAll(async () => {
  [pg, redis, moto] = await Promise.all([startPostgres(), startRedis(), startMoto()]);
  app = await startApp({
    databaseUrl: await pg.createDatabase('green'),
    redisUrl: redis.url,
    env: { SLIPWAY_RELEASE: RELEASE, SLIPWAY_COMMIT: 'abc1234', METRICS_TOKEN },
  });
  const { token } = await signInWithToken(app.webUrl);
  const created = await postJson(`${app.webUrl}/api/v1/workspaces`, { name: 'Engineering', slug: 'eng', issueKey: 'ENG' }, { authorization: `Bearer ${token}` });
  expect(created.status).toBe(201);

  ec2 = new EC2Client(emulatorClientConfig(moto.endpoint));
  secrets = new SecretsManagerClient(emulatorClientConfig(moto.endpoint));
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '127.0.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '127.0.0.0/24' }));
  await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.Subnet!.SubnetId!, PrivateIpAddress: '127.0.0.1', Description: `ELB ${LB_FULL_NAME}` }));
  await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.Subnet!.SubnetId!, PrivateIpAddress: '127.0.0.9', Description: 'ELB app/another-lb/0123456789abcdef' }));
  const metrics = await secrets.send(new CreateSecretCommand({ Name: 'slipway/metrics-token', SecretString: METRICS_TOKEN }));
  const smoke = await secrets.send(new CreateSecretCommand({ Name: 'slipway/smoke-token', SecretString: token }));
  env = {
    [GATE_ENV.loadBalancerFullName]: LB_FULL_NAME,
    [GATE_ENV.metricsTokenSecretArn]: metrics.ARN!,
    [GATE_ENV.smokeTokenSecretArn]: smoke.ARN!,
    [GATE_ENV.budgetSeconds]: '20',
  };
}, 240_000);

afterAll(async () => {
  await app?.stop();
  await Promise.all([redis?.stop(), pg?.destroy(), moto?.stop()]);
});

function gateEvent(service: GatedService, port: number, release = RELEASE): HookEvent {
  return {
    executionId: '3a0345ba-b029-404b-890d-7da2a4b266aa',
    lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
    resourceArn: `arn:aws:ecs:eu-west-1:123456789012:service-deployment/slipway/slipway-${service}/abc`,
    executionDetails: { testTrafficWeights: {}, productionTrafficWeights: {} },
    hookDetails: { service, testPort: port, release },
  };
}

function lambdaDeps(): { deps: GateDeps; lines: GateLogLine[] } {
  const lines: GateLogLine[] = [];
  return { deps: { ...gateDepsFromEnv(env, { ec2, secrets }, (l) => lines.push(l)), invocationMs: 10_000 }, lines };
}

const port = (url: string) => Number(new URL(url).port);

describe('green gate as the Lambda runs it, against the real app', () => {
  it('finds only this load balancer\'s addresses', async () => {
    expect(await loadBalancerAddresses(ec2, LB_FULL_NAME)).toEqual(['127.0.0.1']);
  });

  it('the web gate passes every check through the web server, the event stream included', async () => {
    const { deps, lines } = lambdaDeps();
    expect(await runGreenGate(gateEvent('web', port(app.webUrl)), deps)).toEqual({ hookStatus: 'SUCCEEDED' });
    const status = Object.fromEntries(lines.filter((l) => l.check).map((l) => [l.check, l.status]));
    expect(status).toEqual({
      ready: 'pass', health: 'pass', web: 'pass', version: 'pass', 'metrics-token': 'pass', 'metrics-refused': 'pass',
      'tls-certificate': 'skip', 'tls-redirect': 'skip', 'api-list': 'pass', 'api-events': 'pass',
    });
  });

  it('the api gate passes against the api itself', async () => {
    const { deps, lines } = lambdaDeps();
    expect(await runGreenGate(gateEvent('api', port(app.apiUrl)), deps)).toEqual({ hookStatus: 'SUCCEEDED' });
    expect(lines.find((l) => l.check === 'ready')?.detail).toBe('200, db, migrations, redis ok');
  });

  it('a release other than the one expected: FAILED at once', async () => {
    const { deps, lines } = lambdaDeps();
    expect(await runGreenGate(gateEvent('api', port(app.apiUrl), 'green-release-8'), deps)).toEqual({ hookStatus: 'FAILED' });
    expect(lines.at(-1)).toMatchObject({ hookStatus: 'FAILED', failed: [`version: /api/version (release is "${RELEASE}", expected "green-release-8")`] });

    // What the deploy reads back: the same lines in a log group, found by the filter pattern.
    const logs = new CloudWatchLogsClient(emulatorClientConfig(moto.endpoint));
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/slipway/green-gate' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/slipway/green-gate', logStreamName: 'invocation' }));
    const start = Date.now();
    await logs.send(new PutLogEventsCommand({
      logGroupName: '/slipway/green-gate',
      logStreamName: 'invocation',
      logEvents: lines.map((l, i) => ({ timestamp: start + i, message: JSON.stringify(l) })),
    }));
    const deployment = gateEvent('api', 1).resourceArn;
    expect(await gateRefusal(logs, '/slipway/green-gate', deployment, start - 1000)).toEqual({
      deployment,
      service: 'api',
      failed: [`version: /api/version (release is "${RELEASE}", expected "green-release-8")`],
      reason: 'a check failed against the green tasks; ECS rolls back before any production traffic',
    });
  });

  it('Redis down: readiness 503 keeps the gate IN_PROGRESS, then FAILED when the budget is spent', async () => {
    await redis.stop();
    const { deps, lines } = lambdaDeps();
    let event = gateEvent('api', port(app.apiUrl));
    const statuses: string[] = [];
    for (;;) {
      const response = await runGreenGate(event, { ...deps, invocationMs: 3_000, callBackDelaySeconds: 1 });
      statuses.push(response.hookStatus);
      if (response.hookStatus !== 'IN_PROGRESS') break;
      await new Promise((r) => setTimeout(r, 1_000));
      event = { ...event, hookDetails: { ...event.hookDetails, ...response.hookDetails } };
    }
    expect(statuses[0]).toBe('IN_PROGRESS');
    expect(statuses.at(-1)).toBe('FAILED');
    expect(lines.at(-1)?.reason).toMatch(/^still failing after the 20 s budget/);
    // The last attempt may be cut short by the deadline; the app's own answer is still named.
    expect(lines.at(-1)?.failed?.[0]).toMatch(/^ready: GET \/api\/readyz, every check ok \(still failing at the deadline after \d+ attempt\(s\): .*not ready: redis/);
  }, 60_000);
});
