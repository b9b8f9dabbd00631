/**
 * The restore drill against the AWS API emulator: every AWS call is real HTTP to moto, the
 * one-off tasks run the app's own `migrate status`, `stats` and `migrate app-role` against
 * real PostgreSQL (a server per RDS instance, so each has roles of its own).
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { stackNames } from '../../infra/outputs.ts';
import { deploy } from '../lib/deploy.ts';
import { cleanupDrills } from '../lib/restore/cleanup.ts';
import { rollbackCutover } from '../lib/restore/cutover.ts';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/app.ts';
import { runDrill } from '../lib/restore/drill.ts';
import type { DrillOptions } from '../lib/restore/options.ts';
import { startEmulator, type Emulator } from './support/emulator/emulator.ts';
import { flowDeps } from './support/emulator/flow.ts';
import { APP_LOGIN_PASSWORD, APP_LOGIN_USER, buildWorld, type World } from './support/emulator/world.ts';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

const worlds: World[] = [];
afterAll(async () => {
  for (const w of worlds) await w.app.close();
});
async function world(appName: string, options: Partial<Parameters<typeof buildWorld>[1]> = {}): Promise<World> {
  const w = await buildWorld(emulator, { appName, ...options });
  worlds.push(w);
  return w;
}

function options(w: World, o: Partial<DrillOptions> = {}): DrillOptions {
  return {
    config: w.config,
    multiAz: false,
    keep: false,
    cutover: false,
    skipRowCounts: false,
    maxRowDrift: 100,
    dryRun: false,
    timeouts: { availableMs: 3_600_000, validateMs: 600_000, stableMs: 600_000, smokeMs: 60_000 },
    ...o,
  };
}

const describe1 = async (id: string) => (await emulator.clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
const secretOf = async (w: World) => JSON.parse((await emulator.clients.secrets.send(new GetSecretValueCommand({ SecretId: w.dbSecretArn }))).SecretString!) as { host: string; password: string; dbInstanceIdentifier: string };
const appSecretOf = async (w: World) => JSON.parse((await emulator.clients.secrets.send(new GetSecretValueCommand({ SecretId: w.dbAppSecretArn }))).SecretString!) as { host: string; password: string; username: string; dbInstanceIdentifier: string };
/** Signs in to the instance's engine as `user` over TCP and counts the issues it may read. */
async function countIssuesAs(instance: string, user: string, password: string): Promise<number> {
  const { host, port, database } = emulator.databases.connection(instance);
  const client = new pg.Client({ host, port, database, user, password });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM issues')).rows[0]!.n);
  } finally {
    await client.end();
  }
}
const alarmsWatch = async (w: World) =>
  (await emulator.clients.cfn.send(new DescribeStacksCommand({ StackName: stackNames(w.appName).observability }))).Stacks![0]!.Parameters!.find((p) => p.ParameterKey === 'MonitoredDbInstanceId')!.ParameterValue;
type Report = { restoredInstance: string; drillId: string; validation: string; problems: string[]; notes?: string[]; rows: Array<{ table: string; source: number; restored: number }>; newerWrites?: unknown };
const apiDesired = async (w: World) => (await emulator.clients.ecs.send(new DescribeServicesCommand({ cluster: w.appName, services: [`${w.appName}-api`] }))).services![0]!.desiredCount;
const reportOf = (r: { document: Record<string, unknown> }) => (r.document as { report: Report }).report;

/** The app's migrations after the first one (what a restore to `earlierPoint` lacks). */
const LATER_MIGRATIONS = readdirSync(join(REPO_ROOT, 'app/migrations')).filter((f) => f.endsWith('.sql')).sort().slice(1).map((f) => Number(f.slice(0, 4)));

const instanceIds = async (w: World) =>
  ((await emulator.clients.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map((i) => i.DBInstanceIdentifier!).filter((id) => id.startsWith(`${w.appName}-`));

describe('restore drill against the emulator', { timeout: 240_000 }, () => {
  it('restores, validates with the real app commands, stores the report and deletes the copy', async () => {
    const w = await world('drill-a');
    await w.seed({ issues: 30, comments: 2 });
    const { deps } = flowDeps(w);
    const result = await runDrill(options(w), deps);
    expect(result.ok, result.summary).toBe(true);
    const report = (result.document as { report: { restoredInstance: string; drillId: string; rows: Array<{ table: string; source: number; restored: number }> } }).report;
    expect(report.rows).toEqual([
      { table: 'workspaces', source: 1, restored: 1, drift: 0 },
      { table: 'users', source: 1, restored: 1, drift: 0 },
      { table: 'issues', source: 30, restored: 30, drift: 0 },
      { table: 'comments', source: 60, restored: 60, drift: 0 },
      { table: 'attachments', source: 0, restored: 0, drift: 0 },
    ]);
    // the validation tasks ran the real commands against the copy and the source
    expect([...emulator.containers.ran.values()].filter((r) => r.dbHost?.startsWith(`${w.appName}-`)).map((r) => `${r.dbHost!.split('.')[0]} ${r.command} ${r.exitCode}`)).toEqual([
      `${report.restoredInstance} migrate status 0`,
      `${report.restoredInstance} stats 0`,
      `${w.sourceId} migrate status 0`,
      `${w.sourceId} stats 0`,
    ]);
    const stored = await emulator.clients.s3.send(new GetObjectCommand({ Bucket: w.bucket, Key: `drills/${report.drillId}/report.json` }));
    expect(JSON.parse(await stored.Body!.transformToString())).toMatchObject({ validation: 'passed', restoredInstance: report.restoredInstance });
    expect(await instanceIds(w)).toEqual([w.sourceId]);
  });

  it('--dry-run restores nothing; two drills started within a minute restore to names of their own (--keep)', async () => {
    const w = await world('drill-b');
    const dry = await runDrill(options(w, { dryRun: true }), flowDeps(w).deps);
    expect(dry.summary).toMatch(new RegExp(`^dry run: would restore ${w.sourceId} as drill-b-restore-\\d{14}-[a-z0-9]{4}; nothing was changed$`));
    expect(await instanceIds(w)).toEqual([w.sourceId]);
    const first = await runDrill(options(w, { keep: true, skipRowCounts: true }), flowDeps(w).deps);
    const second = await runDrill(options(w, { keep: true, skipRowCounts: true }), flowDeps(w).deps);
    expect([first.ok, second.ok], `${first.summary} / ${second.summary}`).toEqual([true, true]);
    const kept = [reportOf(first).restoredInstance, reportOf(second).restoredInstance];
    expect(kept[0]).not.toBe(kept[1]);
    expect((await instanceIds(w)).sort()).toEqual([w.sourceId, ...kept].sort());
    // cleanup removes both, never the source
    const cleanup = await cleanupDrills(options(w), flowDeps(w).deps);
    expect(cleanup).toMatchObject({ ok: true, summary: 'deleted 2 drill instance(s)' });
    expect(await instanceIds(w)).toEqual([w.sourceId]);
  });

  it('with a protected source (moto copies its protection): the final delete is refused and reported, cleanup keeps each protected copy with the reason and deletes the rest', async () => {
    const w = await world('drill-c', { sourceDeletionProtection: true });
    const drill = await runDrill(options(w, { skipRowCounts: true }), flowDeps(w).deps);
    const copy = reportOf(drill).restoredInstance;
    expect(drill.ok).toBe(false);
    expect(drill.summary).toMatch(new RegExp(`^drill passed \\(RPO \\d+s, RTO \\d+s\\) but ${copy} could not be deleted \\(deletion protection is on\\)`));
    expect(reportOf(drill)).toMatchObject({ validation: 'passed', problems: [`could not delete ${copy}: deletion protection is on`] });
    const second = reportOf(await runDrill(options(w, { keep: true, skipRowCounts: true }), flowDeps(w).deps)).restoredInstance;
    await emulator.clients.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: second, DeletionProtection: false, ApplyImmediately: true }));
    const cleanup = await cleanupDrills(options(w), flowDeps(w).deps);
    expect(cleanup).toMatchObject({ ok: true, summary: `deleted 1 drill instance(s); kept ${copy} (deletion protection is on)` });
    expect((await instanceIds(w)).sort()).toEqual([copy, w.sourceId].sort());
  });

  it('cutover to a point before a migration and a rotation: validated with the secret\'s password, production-equivalent, alarms follow; a rollback after another rotation leaves secret and original in agreement', async () => {
    const w = await world('drill-d', { earlierPoint: true });
    await w.seed({ issues: 12 });
    // a rotation after the restore point: the copy would come back with the old password
    await w.rotateLikeTheLambda('rotated-after-the-restore-point-0123456789');
    const { deps } = flowDeps(w);
    // going back to before the later migrations on purpose, with the api running: its newer writes stay on the original
    const result = await runDrill(options(w, { cutover: true, acceptNewerWritesLost: true, restoreTime: w.earlierPoint!.at }), deps);
    expect(result.ok, result.summary).toBe(true);
    const report = reportOf(result);
    const copy = report.restoredInstance;
    expect(report.notes).toEqual([
      `the copy is before migration(s) ${LATER_MIGRATIONS.join(', ')}: the running release must not need them (roll it back first if it does)`,
      'workspaces: source 1, copy 0 (1 fewer)',
      'users: source 2, copy 1 (1 fewer)',
      'issues: source 12, copy 0 (12 fewer)',
    ]);
    // the app's secret points at the copy, whose engine takes the secret's password
    const secret = await secretOf(w);
    expect(secret).toMatchObject({ dbInstanceIdentifier: copy, host: (await describe1(copy)).Endpoint!.Address });
    expect(await emulator.databases.acceptsPassword(copy, secret.password)).toBe(true);
    // production-equivalent (moto keeps what the request carried; MaxAllocatedStorage it does not copy by itself)
    expect(await describe1(copy)).toMatchObject({ MaxAllocatedStorage: 100, IAMDatabaseAuthenticationEnabled: true, CACertificateIdentifier: 'rds-ca-rsa2048-g1', EnabledCloudwatchLogsExports: ['postgresql', 'upgrade'], MultiAZ: true, DeletionProtection: true, BackupRetentionPeriod: 7 });
    expect(await alarmsWatch(w)).toBe(copy);
    expect(report.newerWrites).toMatchObject({ terms: 'accepted', leftBehind: [{ table: 'workspaces', original: 1, copy: 0, beyond: 1 }, { table: 'users', original: 2, copy: 1, beyond: 1 }, { table: 'issues', original: 12, copy: 0, beyond: 12 }] });

    // while cut over: a drill restores from the copy; a deploy leaves the data stack out
    const whileCutOver = await runDrill(options(w, { dryRun: true }), flowDeps(w).deps);
    expect(whileCutOver.summary).toMatch(new RegExp(`^dry run: would restore ${copy} as `));
    await w.pushImage('r1');
    const deploying = flowDeps(w);
    const deployed = await deploy({ config: w.config, dryRun: false, allowDirty: false, allowStatefulReplacement: false, autoRollback: true, release: 'r1', timeouts: { deployMs: 60_000, stableMs: 60_000, smokeMs: 30_000 } }, deploying.deps);
    expect(deployed.ok, deployed.summary).toBe(true);
    expect(deploying.runner.calls.filter((c) => c.startsWith('npx cdk deploy'))[0]).toContain(`${w.appName}-network ${w.appName}-registry ${w.appName}-edge ${w.appName}-service ${w.appName}-observability --exclusively`);

    // the rotation Lambda rotates the copy (the secret names it); then roll back
    await w.rotateLikeTheLambda('rotated-while-cut-over-0123456789abcdef');
    expect(await emulator.databases.acceptsPassword(w.sourceId, 'rotated-while-cut-over-0123456789abcdef')).toBe(false);
    const back = await rollbackCutover(options(w), flowDeps(w).deps);
    expect(back.ok, back.summary).toBe(true);
    const after = await secretOf(w);
    expect(after).toMatchObject({ dbInstanceIdentifier: w.sourceId, password: 'rotated-while-cut-over-0123456789abcdef' });
    expect(await emulator.databases.acceptsPassword(w.sourceId, after.password)).toBe(true);
    expect(await alarmsWatch(w)).toBe(w.sourceId);
    expect(await describe1(copy)).toMatchObject({ DeletionProtection: false });
  });

  it('with the api\'s own login: cutover and rollback move both secrets and the real migrate app-role gives the login its secret\'s current password on the copy, then on the original after a rotation while cut over', async () => {
    const w = await world('drill-e', { appLogin: true });
    await w.seed({ issues: 5 });
    expect(await emulator.databases.acceptsPassword(w.sourceId, APP_LOGIN_PASSWORD, APP_LOGIN_USER)).toBe(true);
    // A rotation of the api login completes after the validation, as the cutover begins (when it
    // records the way back): the copy's login has the password the validation gave it, no longer the secret's.
    let rotated = false;
    emulator.proxy.on('ssm', 'PutParameter', async ({ input }) => {
      if (input.Name !== `/${w.appName}/restore/cutover` || rotated) return;
      rotated = true;
      await w.rotateAppLoginLikeTheLambda('app-login-rotated-as-the-cutover-began-0123');
    });
    // writes stopped first, as the runbook's Cutover step 1 does: the api service at 0 tasks (moto's
    // ListTasks ignores serviceName, so the check sees the cluster's stopped tasks: none before this drill)
    await emulator.clients.ecs.send(new UpdateServiceCommand({ cluster: w.appName, service: `${w.appName}-api`, desiredCount: 0 }));
    const result = await runDrill(options(w, { cutover: true }), flowDeps(w).deps);
    expect(result.ok, result.summary).toBe(true);
    expect(rotated).toBe(true);
    // nothing was left behind, and the cutover started the api again at API_MIN_TASKS
    expect(reportOf(result).newerWrites).toEqual({ terms: 'stopped', api: { service: `${w.appName}-api`, running: 0, desired: 0 }, leftBehind: [] });
    expect(await apiDesired(w)).toBe(w.config.services.api.minTasks);
    const copy = reportOf(result).restoredInstance;
    const copyHost = (await describe1(copy)).Endpoint!.Address;
    expect(await secretOf(w)).toMatchObject({ host: copyHost, dbInstanceIdentifier: copy });
    const login = await appSecretOf(w);
    expect(login).toMatchObject({ host: copyHost, dbInstanceIdentifier: copy, username: APP_LOGIN_USER, password: 'app-login-rotated-as-the-cutover-began-0123' });
    // the app's real command ran on the copy twice: in the validation, and once both secrets named it
    expect([...emulator.containers.ran.values()].filter((r) => r.command === 'migrate app-role').map((r) => `${r.dbHost} ${r.exitCode}`)).toEqual([`${copyHost} 0`, `${copyHost} 0`]);
    // the api login signs in to the copy with its secret's password and reads the restored rows
    expect(await emulator.databases.acceptsPassword(copy, login.password, APP_LOGIN_USER)).toBe(true);
    expect(await countIssuesAs(copy, APP_LOGIN_USER, login.password)).toBe(5);

    // the single-user rotation while cut over changes the login on the copy only
    await w.rotateAppLoginLikeTheLambda('app-login-rotated-while-cut-over-0123456789');
    expect(await emulator.databases.acceptsPassword(w.sourceId, 'app-login-rotated-while-cut-over-0123456789', APP_LOGIN_USER)).toBe(false);
    const back = await rollbackCutover(options(w), flowDeps(w).deps);
    expect(back.ok, back.summary).toBe(true);
    expect(await secretOf(w)).toMatchObject({ host: (await describe1(w.sourceId)).Endpoint!.Address, dbInstanceIdentifier: w.sourceId });
    const after = await appSecretOf(w);
    expect(after).toMatchObject({ host: (await describe1(w.sourceId)).Endpoint!.Address, dbInstanceIdentifier: w.sourceId, password: 'app-login-rotated-while-cut-over-0123456789' });
    expect(await emulator.databases.acceptsPassword(w.sourceId, after.password, APP_LOGIN_USER)).toBe(true);
    expect(await countIssuesAs(w.sourceId, APP_LOGIN_USER, after.password)).toBe(5);
  });
});
