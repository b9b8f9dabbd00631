/**
 * Preflight end to end against the AWS API emulator, through the exported flow and through
 * `npm run preflight -- --json`: identity, bootstrap, hosted zone, certificate, SES identity,
 * secrets, service-linked roles and the leftovers of an earlier teardown answered by moto's own
 * APIs and error codes; the fixes preflight prints are run as printed with the AWS CLI.
 * What moto lacks (SES v2 GetAccount, Service Quotas beyond the VPC ones) must come out as a
 * warning that says it could not be read, never as a pass (support/emulator/preflight-account.ts).
 */
import { execFile, spawnSync } from 'node:child_process';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateBucketCommand, type BucketLocationConstraint, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorClientConfig, emulatorEnv, startMoto, type MotoServer } from '../../test/support/moto.ts';
import { makeClients, type AwsClients } from '../lib/aws.ts';
import { Reporter } from '../lib/cli.ts';
import { preflight } from '../lib/preflight.ts';
import { QUOTAS } from '../lib/preflight-quotas.ts';
import { createServiceLinkedRole, SERVICE_LINKED_ROLES } from '../lib/preflight-service-roles.ts';
import { fakeClock } from '../lib/wait.ts';
import { runCli, startToolBridge, type ToolBridge } from './support/emulator/cli.ts';
import { createAwsShapedZone, preparePreflightAccount, type AccountOptions } from './support/emulator/preflight-account.ts';
import { fakeRunner } from './support/fake-runner.ts';
import type { SlipwayConfig } from '../../infra/config.ts';
import { retainedNames, type RetainedName } from '../../infra/names.ts';
import { NO_STACK_RECORD } from '../lib/teardown/leftover-check.ts';

const AWS_CLI_HINT = 'the AWS CLI was not found on PATH: apt-get install -y awscli (the test runs the commands preflight prints)';

const dockerWithEngine = () => fakeRunner([{ match: /^docker info/, result: { stdout: '27.0.0' } }]);

let moto: MotoServer;
let clients: AwsClients;
/** For the CLI: docker with an engine is the one tool preflight needs; its stand-in answers `docker info`. */
let tools: ToolBridge;
beforeAll(async () => {
  moto = await startMoto();
  clients = makeClients(emulatorClientConfig(moto.endpoint).region, emulatorClientConfig(moto.endpoint));
  tools = await startToolBridge(dockerWithEngine);
}, 60_000);
afterAll(async () => {
  await tools?.close();
  await moto?.stop();
});
// Each test gets a fresh account: IAM roles and the bootstrap parameter are account-wide.
beforeEach(async () => {
  await moto.reset();
});

async function account(appName: string, o: Partial<AccountOptions> = {}) {
  return preparePreflightAccount(clients, appName, { zoneId: await createAwsShapedZone(clients.route53), ...o });
}

type Check = { name: string; status: string; detail: string; fix?: string };

/** The flow with the real clients; the build tool is the only stand-in (docker with an engine). */
async function runFlow(config: SlipwayConfig) {
  const lines: string[] = [];
  const runner = dockerWithEngine();
  const result = await preflight(() => config, (c) => ({ config: c, clients, runner, clock: fakeClock(Date.now()), resolveNs: async () => [], env: {} }), new Reporter({ json: false, stdout: { write: (t: string) => lines.push(t) } }));
  const checks = result.document.checks as Check[];
  return { result, checks, check: (name: string) => checks.find((c) => c.name === name)!, text: lines.join('') };
}

/** Runs a command line as printed, with every `aws` in it sent to the emulator. */
async function aws(commandLine: string) {
  const env = { ...process.env, ...emulatorEnv(moto.endpoint), EP: moto.endpoint, AWS_PAGER: '' };
  await promisify(execFile)('sh', ['-c', `set -e; aws() { command aws --endpoint-url "$EP" "$@"; }; ${commandLine}`], { env });
}

/** What a teardown keeps of a deployment, made directly: file versions in the logs bucket (the attachments one empty), an image, one secret in its recovery window. */
async function leaveBehind(names: readonly RetainedName[]) {
  const region = emulatorClientConfig(moto.endpoint).region as BucketLocationConstraint;
  for (const n of names) {
    if (n.type === 'AWS::S3::Bucket') {
      await clients.s3.send(new CreateBucketCommand({ Bucket: n.id, CreateBucketConfiguration: { LocationConstraint: region } }));
      await clients.s3.send(new PutBucketVersioningCommand({ Bucket: n.id, VersioningConfiguration: { Status: 'Enabled' } }));
      if (n.id.includes('-logs-')) for (const body of ['one', 'two']) await clients.s3.send(new PutObjectCommand({ Bucket: n.id, Key: 'attachments/a.txt', Body: body }));
    } else if (n.type === 'AWS::SecretsManager::Secret') {
      await clients.secrets.send(new CreateSecretCommand({ Name: n.id, SecretString: 'k3J9x2Lm7Qp4Rt8Vw1Yz5Bc6Nd0Fg2Hj4Kl6Mn8' }));
      if (n.id.endsWith('/db/master')) await clients.secrets.send(new DeleteSecretCommand({ SecretId: n.id, RecoveryWindowInDays: 7 }));
    } else if (n.type === 'AWS::ECR::Repository') {
      await clients.ecr.send(new CreateRepositoryCommand({ repositoryName: n.id }));
      await clients.ecr.send(new PutImageCommand({ repositoryName: n.id, imageTag: 'r1', imageManifest: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1, digest: `sha256:${'a'.repeat(64)}` }, layers: [] }) }));
    } else if (n.type === 'AWS::Logs::LogGroup') {
      await clients.logs.send(new CreateLogGroupCommand({ logGroupName: n.id }));
    } else if (n.type === 'AWS::SES::EmailIdentity') {
      await clients.ses.send(new CreateEmailIdentityCommand({ EmailIdentity: n.id }));
    } else {
      throw new Error(`leaveBehind: no way to make ${n.type} yet`);
    }
  }
}

const UNREAD_QUOTAS = QUOTAS.filter((q) => q.service !== 'vpc');

describe('preflight against the emulator', { timeout: 120_000 }, () => {
  it('passes an account ready for its deploy, reading each answer from moto', async () => {
    const a = await account('pf-ready');
    const { result, check, text } = await runFlow(a.config);
    expect(result.ok, text).toBe(true);
    expect(result.summary).toBe('all 15 checks passed (2 warning(s)): ready to deploy');
    expect(check('AWS identity and account')).toMatchObject({ status: 'pass', detail: expect.stringContaining('in 123456789012') });
    expect(check('CDK bootstrap')).toEqual({ name: 'CDK bootstrap', status: 'pass', detail: 'version 27' });
    expect(check('hosted zone')).toEqual({ name: 'hosted zone', status: 'pass', detail: `${a.config.domain.hostedZoneId} is example.com; pf-ready.example.com is inside it` });
    expect(check('certificate')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^imported, ISSUED, covers pf-ready\.example\.com, 19\d days left$/) });
    expect(check('SES identity')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^pf-ready\.example\.com /) });
    expect(check('required secrets')).toMatchObject({ status: 'pass', detail: '3 secrets exist and hold real values' });
    expect(check('service-linked roles')).toMatchObject({ status: 'pass', detail: 'ECS, ECS autoscaling, ElastiCache, RDS: present' });
    expect(check('leftovers of an earlier teardown')).toMatchObject({ status: 'pass', detail: 'none: no pf-ready stack was ever deleted here' });
  });

  it('what moto cannot answer is a warning naming it, never a pass', async () => {
    const a = await account('pf-gaps');
    const { check } = await runFlow(a.config);
    // moto has no SES v2 GetAccount (it answers 404 with an HTML page)
    expect(check('SES sandbox')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^could not read whether the account is in the SES sandbox \(GetAccount answered with HTTP 404/) });
    // moto serves only the VPC quotas
    const quotas = check('service quotas');
    expect(quotas.status).toBe('warn');
    expect(quotas.detail).toMatch(new RegExp(`^1 of ${QUOTAS.length} quota\\(s\\) read with room; could not read `));
    for (const q of UNREAD_QUOTAS) expect(quotas.detail).toContain(`${q.label} (${q.service} ${q.code}): no applied value, and the default could not be read`);
  });

  it('a fresh account lacks the service-linked roles; the commands preflight prints create them', async () => {
    if (spawnSync('sh', ['-c', 'command -v aws']).status !== 0) throw new Error(AWS_CLI_HINT);
    const a = await account('pf-fresh', { serviceLinkedRoles: false, deployed: false });
    const before = await runFlow(a.config);
    expect(before.result.ok).toBe(false);
    expect(before.result.summary).toBe('1 check(s) failed: service-linked roles');
    expect(before.check('required secrets')).toMatchObject({ status: 'pass', detail: 'none yet: the first deploy generates them in Secrets Manager' });
    const roles = before.check('service-linked roles');
    expect(roles).toMatchObject({
      status: 'fail',
      detail: 'missing in this account: AWSServiceRoleForECS (ECS), AWSServiceRoleForApplicationAutoScaling_ECSService (ECS autoscaling), AWSServiceRoleForElastiCache (ElastiCache), AWSServiceRoleForRDS (RDS); the first deploy can fail with "Unable to assume the service linked role"',
      fix: SERVICE_LINKED_ROLES.map((r) => createServiceLinkedRole(r.service)).join(' && '),
    });
    // The fix as printed, with the AWS CLI sent to the emulator.
    await aws(roles.fix!);
    expect((await runFlow(a.config)).result.summary).toBe('all 15 checks passed (2 warning(s)): ready to deploy');
  });

  it('finds every fixed name a teardown retains, a secret in its deletion window too, and the commands it prints clear them', async () => {
    if (spawnSync('sh', ['-c', 'command -v aws']).status !== 0) throw new Error(AWS_CLI_HINT);
    // No stack record at all (deleted over 90 days ago): only the names are left.
    const a = await account('pf-left', { deployed: false });
    const names = retainedNames(a.config.appName, a.config.account, a.config.region, a.config.email.sesDomain);
    await leaveBehind(names);
    const before = (await runFlow(a.config)).check('leftovers of an earlier teardown');
    expect(before.status).toBe('fail');
    expect(before.detail).toMatch(new RegExp(`^${names.length} resource\\(s\\) left by deleted pf-left stacks have the names this deploy creates`));
    expect(before.detail).toContain(`secret pf-left/db/master (${NO_STACK_RECORD}, scheduled for deletion on `);
    for (const n of names) expect(before.fix).toContain(n.clear);
    // The fix as printed, with the AWS CLI sent to the emulator.
    const commands = /^remove them if the data can go: (.*) \(a trial teardown/.exec(before.fix!)![1]!;
    await aws(commands);
    expect((await runFlow(a.config)).check('leftovers of an earlier teardown')).toMatchObject({ status: 'pass', detail: 'none: no pf-left stack was ever deleted here' });
  });

  it('npm run preflight -- --json: exit 0 and the same checks as the flow', async () => {
    const a = await account('pf-cli');
    const flow = await runFlow(a.config);
    const cli = await runCli('preflight', [], { endpoint: moto.endpoint, settings: a.settings, tools });
    expect(cli.exitCode, cli.stderr).toBe(0);
    expect(cli.json).toMatchObject({ ok: true, summary: 'all 15 checks passed (2 warning(s)): ready to deploy' });
    const statuses = (checks: Check[]) => checks.map((c) => `${c.name}: ${c.status}`);
    expect(statuses(cli.json.checks as Check[])).toEqual(statuses(flow.checks));
    expect(cli.stderr).toContain('✓ hosted zone: ');
    expect(cli.stderr.trim().split('\n').pop()).toBe('✓ preflight: all 15 checks passed (2 warning(s)): ready to deploy');
  });

  it('npm run preflight -- --json: exit 1 with each failure and its fix in the document', async () => {
    const a = await account('pf-cli-fail', { serviceLinkedRoles: false });
    const cli = await runCli('preflight', [], { endpoint: moto.endpoint, settings: a.settings, tools });
    expect(cli.exitCode, cli.stderr).toBe(1);
    expect(cli.json).toMatchObject({ ok: false, summary: '1 check(s) failed: service-linked roles' });
    expect((cli.json.checks as Check[]).find((c) => c.name === 'service-linked roles')).toMatchObject({ status: 'fail', fix: SERVICE_LINKED_ROLES.map((r) => createServiceLinkedRole(r.service)).join(' && ') });
    expect(cli.stderr).toContain(`    fix: ${createServiceLinkedRole('ecs.amazonaws.com')}`);
  });
});

