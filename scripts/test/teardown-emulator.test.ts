/**
 * `npm run teardown` against the AWS API emulator: every call is real HTTP to moto, which keeps
 * the state and refuses what AWS refuses (a non-empty bucket, a protected database, a key
 * deletion window under 7 days). A trial goes entirely (the final snapshot kept), also when the
 * first run is interrupted; a production teardown keeps the data, and the commands it prints
 * remove it when run with the AWS CLI.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-elasticache';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig, emulatorEnv, startMoto, type MotoServer } from '../../test/support/moto.ts';
import { startMotoProxy, type MotoProxy } from '../../test/support/moto-proxy.ts';
import { makeClients, type AwsClients } from '../lib/aws.ts';
import { Reporter } from '../lib/cli.ts';
import { preflight } from '../lib/preflight.ts';
import { checkLeftovers } from '../lib/teardown/leftover-check.ts';
import { teardown, type TeardownOptions } from '../lib/teardown/flow.ts';
import type { PlanItem, TeardownPlan } from '../lib/teardown/plan.ts';
import { fakeClock } from '../lib/wait.ts';
import { emulatorClock } from './support/emulator/emulator.ts';
import { buildTeardownWorld, type TeardownWorld } from './support/emulator/teardown-world.ts';
import { worldConfig } from './support/emulator/world.ts';
import { fakeRunner } from './support/fake-runner.ts';

const AWS_CLI_HINT = 'the AWS CLI was not found on PATH: apt-get install -y awscli (the test runs the commands a production teardown prints)';

let moto: MotoServer;
let proxy: MotoProxy;
let clients: AwsClients;
beforeAll(async () => {
  moto = await startMoto();
  proxy = await startMotoProxy(moto.endpoint);
  const config = emulatorClientConfig(proxy.endpoint);
  // One attempt: a refused DeleteStack must fail the run, not be retried into a false success.
  clients = { ...makeClients(config.region, config), cfn: new CloudFormationClient({ ...config, maxAttempts: 1 }) };
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await moto?.stop();
});

function options(appName: string, o: Partial<TeardownOptions> = {}): TeardownOptions {
  return {
    config: worldConfig(appName, { DEPLOY_PROFILE: o.production ? 'production' : 'trial' }),
    production: false,
    noFinalSnapshot: false,
    dryRun: false,
    timeouts: { stackMs: 600_000, databaseMs: 600_000 },
    ...o,
  };
}

/** Runs teardown; `interruptAt` makes the reporter throw (like Ctrl-C) when a line contains it. */
async function run(o: TeardownOptions, interruptAt?: string) {
  const out: string[] = [];
  const write = (t: string) => {
    out.push(t);
    if (interruptAt && t.includes(interruptAt)) throw new Error(`interrupted at: ${t.trim()}`);
  };
  const reporter = new Reporter({ json: false, stdout: { write }, stderr: { write } });
  const result = await teardown(o, { clients, clock: emulatorClock(), reporter });
  return { result, text: out.join('') };
}

const mine = (w: TeardownWorld) => (s: string | undefined) => Boolean(s?.includes(w.appName));
async function remaining(w: TeardownWorld) {
  const live = ((await clients.cfn.send(new ListStacksCommand({}))).StackSummaries ?? []).filter((s) => s.StackStatus !== 'DELETE_COMPLETE' && mine(w)(s.StackName));
  const buckets = ((await clients.s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name).filter(mine(w));
  const secrets = ((await clients.secrets.send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList ?? []).map((s) => s.Name).filter(mine(w));
  const repos = ((await clients.ecr.send(new DescribeRepositoriesCommand({}))).repositories ?? []).map((r) => r.repositoryName).filter((n) => n === w.appName);
  const logGroups = ((await clients.logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? []).map((g) => g.logGroupName!).filter((n) => w.logGroups.includes(n));
  const key = (await clients.kms.send(new DescribeKeyCommand({ KeyId: w.keyId }))).KeyMetadata?.KeyState;
  const databases = ((await clients.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map((d) => d.DBInstanceIdentifier).filter(mine(w));
  const dbSnapshots = ((await clients.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: w.dbId }))).DBSnapshots ?? []).map((s) => s.DBSnapshotIdentifier);
  const cacheSnapshots = ((await clients.elasticache.send(new DescribeSnapshotsCommand({}))).Snapshots ?? []).filter((s) => s.ReplicationGroupId === w.redisId).map((s) => s.SnapshotName);
  const identities = (await clients.ses.send(new GetEmailIdentityCommand({ EmailIdentity: w.domain })).then(() => [w.domain], () => []));
  return { stacks: live.map((s) => s.StackName), buckets, secrets, repos, logGroups, key, databases, dbSnapshots, cacheSnapshots, identities };
}

describe('teardown against the emulator', { timeout: 240_000 }, () => {
  it('a plan changes nothing and names what goes, what stays and why', async () => {
    const w = await buildTeardownWorld(clients, proxy, 'td-plan', 'trial');
    const before = await remaining(w);
    const { result, text } = await run(options(w.appName));
    expect(result.ok, result.summary).toBe(true);
    expect(result.summary).toBe('plan only: would delete 6 stack(s) and remove what they retain; nothing was changed');
    const plan = result.document.plan as TeardownPlan;
    expect(plan.stacks.map((s) => s.stackName)).toEqual(['td-plan-observability', 'td-plan-service', 'td-plan-edge', 'td-plan-registry', 'td-plan-data', 'td-plan-network']);
    expect(plan.leftBehind.map((i) => `${i.label} ${i.action}`).sort()).toEqual([
      'KMS key remove', 'SES identity remove', 'Redis snapshot remove', 'bucket remove', 'bucket remove', 'certificate remove', 'database snapshot keep', 'image repository remove',
      ...Array(7).fill('log group remove'), ...Array(5).fill('secret remove'),
    ].sort());
    expect(plan.protections).toEqual(['deletion protection of database td-plan-db']);
    expect(text).toContain('Nothing was changed. To carry it out: npm run teardown -- --confirm td-plan');
    expect(await remaining(w)).toEqual(before);
  });

  it('a trial goes entirely after the final snapshot, which is kept', async () => {
    const w = await buildTeardownWorld(clients, proxy, 'td-trial', 'trial');
    const { result, text } = await run(options(w.appName, { confirm: w.appName }));
    expect(result.ok, `${result.summary}\n${text}`).toBe(true);
    expect(text).toContain('✓ deletion protection of database td-trial-db: switched off');
    const left = await remaining(w);
    expect(left).toEqual({
      stacks: [], buckets: [], secrets: [], repos: [], logGroups: [], key: 'PendingDeletion', databases: [],
      dbSnapshots: ['td-trial-data-databaseinstanceaa8a5fde-final'], cacheSnapshots: [], identities: [],
    });
    expect(result.summary).toBe('deleted 6 stack(s), removed 19 retained resource(s), kept 1 (final snapshot td-trial-data-databaseinstanceaa8a5fde-final)');
  });

  it('an interrupted trial teardown finishes when run again, and a third run finds nothing to do', async () => {
    const w = await buildTeardownWorld(clients, proxy, 'td-again', 'trial');
    await expect(run(options(w.appName, { confirm: w.appName }), '✓ stack td-again-data')).rejects.toThrow('interrupted at: ✓ stack td-again-data: deleted');
    const half = await remaining(w);
    expect(half.stacks).toEqual(['td-again-network']);
    expect(half.buckets).toHaveLength(2);
    const again = await run(options(w.appName, { confirm: w.appName }));
    expect(again.result.ok, again.text).toBe(true);
    // The plan of the rerun found what the deleted stacks retained through their records.
    expect((again.result.document.plan as TeardownPlan).leftovers.length).toBe(19);
    expect(await remaining(w)).toMatchObject({ stacks: [], buckets: [], secrets: [], repos: [], logGroups: [], key: 'PendingDeletion', cacheSnapshots: [], dbSnapshots: ['td-again-data-databaseinstanceaa8a5fde-final'] });
    const third = await run(options(w.appName, { confirm: w.appName }));
    expect(third.result.ok, third.text).toBe(true);
    expect(third.result.summary).toBe('deleted 0 stack(s), removed 0 retained resource(s), kept 1 (final snapshot td-again-data-databaseinstanceaa8a5fde-final)');
  });

  it('--no-final-snapshot deletes the final snapshot too', async () => {
    const w = await buildTeardownWorld(clients, proxy, 'td-nosnap', 'trial');
    const { result, text } = await run(options(w.appName, { confirm: w.appName, noFinalSnapshot: true }));
    expect(result.ok, text).toBe(true);
    expect((await remaining(w)).dbSnapshots).toEqual([]);
  });

  it('production keeps the data and the snapshot, preflight reports them, and the printed commands remove them', async () => {
    const aws = spawnSync('sh', ['-c', 'command -v aws']);
    if (aws.status !== 0) throw new Error(AWS_CLI_HINT);
    const w = await buildTeardownWorld(clients, proxy, 'td-prod', 'production');
    await expect(run(options(w.appName, { confirm: w.appName, production: false }))).rejects.toThrow('td-prod is a production deployment: refusing without --production');
    const { result, text } = await run(options(w.appName, { confirm: w.appName, production: true }));
    expect(result.ok, text).toBe(true);
    const kept = await remaining(w);
    expect(kept).toMatchObject({ stacks: [], databases: [], key: 'Enabled', dbSnapshots: ['td-prod-data-databaseinstanceaa8a5fde-final'], identities: [w.domain] });
    expect(kept.buckets.sort()).toEqual([w.bucket, w.logsBucket].sort());
    expect(kept.secrets).toHaveLength(5);
    expect(kept.logGroups.sort()).toEqual([...w.logGroups].sort());

    // Preflight sees the same leftovers, and the named ones block a new deploy.
    const lines: string[] = [];
    const config = worldConfig(w.appName);
    const pre = await preflight(() => config, (c) => ({ config: c, clients, runner: fakeRunner([]), clock: fakeClock(), resolveNs: async () => [], env: {} }), new Reporter({ json: false, stdout: { write: (t: string) => lines.push(t) } }), [checkLeftovers]);
    const check = (pre.document.checks as Array<{ name: string; status: string; detail: string }>).find((c) => c.name === 'leftovers of an earlier teardown')!;
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/^13 resource\(s\) left by deleted td-prod stacks have the names this deploy creates/);

    const commands = (result.document.kept as PlanItem[]).flatMap((i) => i.commands);
    expect(commands.length).toBeGreaterThan(20);
    const env = { ...process.env, ...emulatorEnv(proxy.endpoint), EP: proxy.endpoint, AWS_PAGER: '' };
    for (const command of commands) {
      // Each command as printed, with every `aws` in it sent to the emulator.
      // Not execFileSync: the emulator's proxy runs in this process and must keep answering.
      await promisify(execFile)('sh', ['-c', `aws() { command aws --endpoint-url "$EP" "$@"; }; ${command}`], { env });
    }
    expect(await remaining(w)).toMatchObject({ buckets: [], secrets: [], repos: [], logGroups: [], key: 'PendingDeletion', dbSnapshots: [], cacheSnapshots: [], identities: [] });
    const after = await preflight(() => config, (c) => ({ config: c, clients, runner: fakeRunner([]), clock: fakeClock(), resolveNs: async () => [], env: {} }), new Reporter({ json: false, stdout: { write: () => true } }), [checkLeftovers]);
    expect((after.document.checks as Array<{ status: string; detail: string }>)[1]).toMatchObject({ status: 'pass', detail: 'none: the deleted td-prod stacks left nothing that is still there' });
  });
});
