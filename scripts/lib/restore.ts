/**
 * `npm run restore-drill`: RDS point-in-time restore drills, cutover and its rollback, and
 * cleanup of abandoned drill instances. Every instance the drill creates carries the
 * `slipway:restore-drill` tag; nothing without it is ever deleted.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SlipwayConfig } from '../../infra/config.ts';
import { formatDuration, type CommandResult, type Reporter } from './cli.ts';
import { describeRunning } from './ecs.ts';
import { restartServices, smokeOptionsFor } from './deploy.ts';
import type { CommandRunner } from './runner.ts';
import { gate } from './release-flow.ts';
import {
  compareSnapshots,
  deregisterDrillTaskDefinition,
  registerDrillTaskDefinition,
  runProbe,
  snapshotFrom,
  type Comparison,
  type ProbeTarget,
} from './restore-validate.ts';
import type { SmokeOptions, SmokeReport } from './smoke.ts';
import { StackOutputs } from './stacks.ts';
import { WaitFailedError, waitFor, WaitTimeoutError, type Clock } from './wait.ts';

export const DRILL_TAG = 'slipway:restore-drill';
export const APP_TAG = 'slipway:app';
export const SOURCE_TAG = 'slipway:restore-source';

export interface RestoreDeps {
  readonly rds: RDSClient;
  readonly ecs: ECSClient;
  readonly logs: CloudWatchLogsClient;
  readonly s3: S3Client;
  readonly secrets: SecretsManagerClient;
  readonly ssm: SSMClient;
  readonly cfn: CloudFormationClient;
  /** Runs cdk for the restart after a cutover. */
  readonly runner: CommandRunner;
  readonly clock: Clock;
  readonly reporter: Reporter;
  readonly smoke?: (options: SmokeOptions) => Promise<SmokeReport>;
}

export interface DrillOptions {
  readonly config: SlipwayConfig;
  readonly restoreTime?: Date;
  readonly instanceClass?: string;
  readonly multiAz: boolean;
  readonly keep: boolean;
  readonly cutover: boolean;
  readonly skipRowCounts: boolean;
  readonly maxRowDrift: number;
  readonly dryRun: boolean;
  readonly smokeToken?: string;
  readonly timeouts: { readonly availableMs: number; readonly validateMs: number; readonly stableMs: number; readonly smokeMs: number };
}

// ---------------------------------------------------------------------------
// Safety: what the drill may delete.
// ---------------------------------------------------------------------------

function tagsOf(instance: DBInstance): Record<string, string> {
  return Object.fromEntries((instance.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

export function isDrillInstance(instance: DBInstance, appName: string): boolean {
  const tags = tagsOf(instance);
  return Boolean(tags[DRILL_TAG]) && tags[APP_TAG] === appName;
}

/** Throws unless the drill created this instance and nothing depends on it. */
export function assertDeletable(instance: DBInstance, appName: string, protectedIds: readonly string[]): void {
  const id = instance.DBInstanceIdentifier ?? '(unknown)';
  if (protectedIds.includes(id)) throw new Error(`refusing to delete ${id}: it is the source database or the one the app is cut over to`);
  if (!isDrillInstance(instance, appName)) throw new Error(`refusing to delete ${id}: it does not carry the ${DRILL_TAG} tag for ${appName}, so this drill did not create it`);
}

async function describeInstance(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return out.DBInstances?.[0];
  } catch (error) {
    if ((error as Error).name === 'DBInstanceNotFoundFault') return undefined;
    throw error;
  }
}

async function deleteDrillInstance(rds: RDSClient, id: string, appName: string, protectedIds: readonly string[]): Promise<void> {
  const instance = await describeInstance(rds, id);
  if (!instance) return;
  assertDeletable(instance, appName, protectedIds);
  if (instance.DBInstanceStatus === 'deleting') return;
  await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
}

export async function listDrillInstances(rds: RDSClient, appName: string): Promise<DBInstance[]> {
  const found: DBInstance[] = [];
  let marker: string | undefined;
  do {
    const page = await rds.send(new DescribeDBInstancesCommand({ Marker: marker }));
    found.push(...(page.DBInstances ?? []).filter((i) => isDrillInstance(i, appName)));
    marker = page.Marker;
  } while (marker);
  return found;
}

// ---------------------------------------------------------------------------
// The cutover record (SSM), so --rollback and cleanup know what is live.
// ---------------------------------------------------------------------------

export interface CutoverRecord {
  readonly drillId: string;
  readonly restoredInstance: string;
  readonly restoredHost: string;
  readonly restoredPort: number;
  readonly previousInstance?: string;
  readonly previousHost: string;
  readonly previousPort: number;
  readonly at: string;
}

export const cutoverParameter = (appName: string) => `/${appName}/restore/cutover`;

export async function readCutover(ssm: SSMClient, appName: string): Promise<CutoverRecord | undefined> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: cutoverParameter(appName) }));
    return JSON.parse(out.Parameter?.Value ?? '') as CutoverRecord;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Reports.
// ---------------------------------------------------------------------------

export interface DrillReport {
  drillId: string;
  appName: string;
  sourceInstance: string;
  restoredInstance: string;
  instanceClass: string;
  multiAz: boolean;
  restorePoint: string;
  restoreRequestedAt: string;
  availableAt?: string;
  validatedAt?: string;
  rpoSeconds?: number;
  rtoSeconds?: number;
  validation: 'passed' | 'failed' | 'not-run';
  problems: string[];
  rows: Comparison['rows'];
  outcome: string;
}

export function markdownReport(r: DrillReport): string {
  const dur = (s?: number) => (s === undefined ? 'n/a' : formatDuration(s * 1000));
  const lines = [
    `# Restore drill ${r.drillId}`,
    '',
    '| | |',
    '| --- | --- |',
    `| source instance | ${r.sourceInstance} |`,
    `| restored instance | ${r.restoredInstance} (${r.instanceClass}${r.multiAz ? ', Multi-AZ' : ''}) |`,
    `| restore point | ${r.restorePoint} |`,
    `| restore requested | ${r.restoreRequestedAt} |`,
    `| available | ${r.availableAt ?? 'never'} |`,
    `| validated | ${r.validatedAt ?? 'no'} |`,
    `| RPO (restore request minus restore point) | ${dur(r.rpoSeconds)} |`,
    `| RTO (restore request until validated) | ${dur(r.rtoSeconds)} |`,
    `| validation | ${r.validation} |`,
    `| outcome | ${r.outcome} |`,
    '',
  ];
  if (r.rows.length) {
    lines.push('## Row counts', '', '| table | source | restored | drift |', '| --- | ---: | ---: | ---: |');
    for (const row of r.rows) lines.push(`| ${row.table} | ${row.source} | ${row.restored} | ${row.drift} |`);
    lines.push('');
  }
  if (r.problems.length) lines.push('## Problems', '', ...r.problems.map((p) => `- ${p}`), '');
  return lines.join('\n');
}

async function storeReport(s3: S3Client, bucket: string, report: DrillReport): Promise<string> {
  const prefix = `drills/${report.drillId}`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/report.json`, Body: JSON.stringify(report, null, 2), ContentType: 'application/json' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/report.md`, Body: markdownReport(report), ContentType: 'text/markdown' }));
  return `s3://${bucket}/${prefix}/`;
}

// ---------------------------------------------------------------------------
// The drill.
// ---------------------------------------------------------------------------

function drillIdAt(ms: number): string {
  return `drill-${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

export async function runDrill(o: DrillOptions, deps: RestoreDeps): Promise<CommandResult> {
  const { reporter, clock, rds } = deps;
  const { appName } = o.config;
  const outputs = new StackOutputs(deps.cfn, appName);
  const sourceId = await outputs.get('dbInstanceIdentifier');
  const source = await describeInstance(rds, sourceId);
  if (!source) throw new Error(`the database ${sourceId} named by the data stack does not exist`);
  const latest = source.LatestRestorableTime;
  if (!latest) throw new Error(`${sourceId} has no latest restorable time: automated backups are off or not taken yet`);
  if (o.restoreTime && o.restoreTime.getTime() > latest.getTime()) {
    throw new Error(`--restore-time ${o.restoreTime.toISOString()} is after the latest restorable time ${latest.toISOString()}. Fix: use an earlier time, or omit it for the latest`);
  }
  const cutover = await readCutover(deps.ssm, appName);
  if (o.cutover && cutover) {
    throw new Error(`the app is already cut over to ${cutover.restoredInstance} (drill ${cutover.drillId}). Fix: npm run restore-drill -- --rollback first`);
  }
  const abandoned = (await listDrillInstances(rds, appName)).filter((i) => i.DBInstanceIdentifier !== cutover?.restoredInstance);
  if (abandoned.length) {
    reporter.step('warn', 'abandoned drill instances', abandoned.map((i) => i.DBInstanceIdentifier).join(', '), 'npm run restore-drill -- --cleanup');
  }

  const requestedAt = clock.now();
  const drillId = drillIdAt(requestedAt);
  const restoredId = `${appName}-restore-${drillId.slice('drill-'.length, 'drill-'.length + 12)}`;
  const restorePoint = o.restoreTime ?? latest;
  const instanceClass = o.instanceClass ?? source.DBInstanceClass ?? o.config.database.instanceClass;
  const subnetGroup = source.DBSubnetGroup?.DBSubnetGroupName ?? (await outputs.get('dbSubnetGroupName'));
  const securityGroups = (source.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean);
  const parameterGroup = source.DBParameterGroups?.[0]?.DBParameterGroupName;

  reporter.line(`Plan: restore drill ${drillId} for ${sourceId}`);
  reporter.line(`  1. restore ${sourceId} to ${o.restoreTime ? restorePoint.toISOString() : `its latest restorable time (now ${latest.toISOString()})`} as ${restoredId} (${instanceClass}, ${o.multiAz ? 'Multi-AZ' : 'single-AZ'}, private, subnet group ${subnetGroup}, security groups ${securityGroups.join(', ')})`);
  reporter.line(`  2. wait up to ${formatDuration(o.timeouts.availableMs)} until it is available`);
  reporter.line(`  3. validate from inside the VPC: migrate status${o.skipRowCounts ? '' : ' and row counts'} compared with the source (row drift allowed: ${o.maxRowDrift})`);
  reporter.line('  4. write the report (RPO, RTO) to the attachments bucket under drills/');
  reporter.line(`  5. ${o.cutover ? 'cut the app over to the restored instance and smoke-gate it' : o.keep ? 'keep the restored instance (--keep)' : 'delete the restored instance (no final snapshot)'}`);
  if (o.dryRun) return { ok: true, summary: `dry run: would restore ${sourceId} as ${restoredId}; nothing was changed`, document: { drillId, sourceInstance: sourceId, restoredInstance: restoredId, dryRun: true } };

  const report: DrillReport = {
    drillId, appName, sourceInstance: sourceId, restoredInstance: restoredId, instanceClass, multiAz: o.multiAz,
    restorePoint: restorePoint.toISOString(), restoreRequestedAt: new Date(requestedAt).toISOString(),
    validation: 'not-run', problems: [], rows: [], outcome: '',
  };
  const finish = async (ok: boolean, summary: string): Promise<CommandResult> => {
    report.outcome = summary;
    const bucket = await outputs.find('attachmentsBucketName');
    if (bucket) {
      const where = await storeReport(deps.s3, bucket, report).catch((e: Error) => `(not stored: ${e.message})`);
      reporter.step(where.startsWith('s3://') ? 'pass' : 'warn', 'report', where);
    }
    reporter.line('');
    reporter.line(markdownReport(report));
    return { ok, summary, document: { report } };
  };

  // 1. Restore.
  await rds.send(
    new RestoreDBInstanceToPointInTimeCommand({
      SourceDBInstanceIdentifier: sourceId,
      TargetDBInstanceIdentifier: restoredId,
      ...(o.restoreTime ? { RestoreTime: o.restoreTime } : { UseLatestRestorableTime: true }),
      DBInstanceClass: instanceClass,
      DBSubnetGroupName: subnetGroup,
      VpcSecurityGroupIds: securityGroups,
      DBParameterGroupName: parameterGroup,
      PubliclyAccessible: false,
      MultiAZ: o.multiAz,
      DeletionProtection: false,
      CopyTagsToSnapshot: true,
      Tags: [
        { Key: DRILL_TAG, Value: drillId },
        { Key: APP_TAG, Value: appName },
        { Key: SOURCE_TAG, Value: sourceId },
      ],
    }),
  );
  reporter.step('pass', 'restore requested', `${restoredId} from ${sourceId} at ${restorePoint.toISOString()}`);

  // 2. Wait.
  let restored: DBInstance;
  try {
    restored = await waitFor<DBInstance>({
      what: `${restoredId} to be available`,
      timeoutMs: o.timeouts.availableMs,
      intervalMs: 30_000,
      clock,
      progress: (l) => reporter.line(l),
      poll: async () => {
        const i = await describeInstance(rds, restoredId);
        const status = i?.DBInstanceStatus ?? 'not visible yet';
        if (i && status === 'available') return { state: 'done', status, value: i };
        if (['failed', 'incompatible-restore', 'incompatible-parameters', 'incompatible-network'].includes(status)) return { state: 'failed', status, reason: `status ${status}` };
        return { state: 'pending', status };
      },
    });
  } catch (error) {
    if (!(error instanceof WaitTimeoutError || error instanceof WaitFailedError)) throw error;
    report.problems.push(error.message);
    try {
      await deleteDrillInstance(rds, restoredId, appName, [sourceId]);
    } catch (deleteError) {
      // RDS refuses to delete an instance in some states (e.g. still creating).
      if ((deleteError as Error).name !== 'InvalidDBInstanceStateFault') throw deleteError;
      reporter.step('fail', 'restore', `${error.message}; RDS would not delete ${restoredId} yet`, 'npm run restore-drill -- --cleanup once it has settled');
      return finish(false, `restore of ${sourceId} did not become available (${error.message}); RDS would not delete ${restoredId} yet (${(deleteError as Error).message}): run npm run restore-drill -- --cleanup later`);
    }
    reporter.step('fail', 'restore', `${error.message}; deleted ${restoredId} (created by this drill)`);
    return finish(false, `restore of ${sourceId} did not become available (${error.message}); the drill's instance ${restoredId} was deleted`);
  }
  report.availableAt = new Date(clock.now()).toISOString();
  const endpoint = { host: restored.Endpoint?.Address ?? '', port: restored.Endpoint?.Port ?? o.config.database.port };
  reporter.step('pass', 'restored instance available', `${endpoint.host}:${endpoint.port} after ${formatDuration(clock.now() - requestedAt)}`);

  // 3. Validate from inside the VPC.
  const cluster = await outputs.get('clusterName');
  const family = await outputs.get('migrateTaskFamily');
  const containerName = await outputs.get('migrateContainerName');
  const target: ProbeTarget = {
    cluster,
    containerName,
    subnets: await outputs.list('taskSubnetIds'),
    securityGroups: [await outputs.get('taskSecurityGroupId')],
  };
  const drillTd = await registerDrillTaskDefinition(deps.ecs, family, containerName, endpoint, drillId);
  let comparison: Comparison;
  try {
    const probeDeps = { ecs: deps.ecs, logs: deps.logs, clock, progress: (l: string) => reporter.line(l) };
    const probe = (td: string, command: string[]) => runProbe(probeDeps, target, td, drillTd.source, command, o.timeouts.validateMs);
    const restoredStatus = await probe(drillTd.arn, ['migrate', 'status']);
    const restoredStats = o.skipRowCounts ? undefined : await probe(drillTd.arn, ['stats']);
    const sourceStatus = await probe(family, ['migrate', 'status']);
    const sourceStats = o.skipRowCounts ? undefined : await probe(family, ['stats']);
    comparison = compareSnapshots(snapshotFrom(sourceStatus, sourceStats, 'source'), snapshotFrom(restoredStatus, restoredStats, 'restored'), o.maxRowDrift);
  } catch (error) {
    comparison = { ok: false, problems: [`validation could not run: ${(error as Error).message}`], rows: [] };
  } finally {
    await deregisterDrillTaskDefinition(deps.ecs, drillTd.arn).catch(() => undefined);
  }
  report.rows = comparison.rows;
  report.problems.push(...comparison.problems);
  report.rpoSeconds = Math.round((requestedAt - restorePoint.getTime()) / 1000);
  if (!comparison.ok) {
    report.validation = 'failed';
    reporter.step('fail', 'validation', comparison.problems.join('; '));
    return finish(false, `validation of ${restoredId} failed (${comparison.problems.join('; ')}); the instance is KEPT for inspection: delete it with npm run restore-drill -- --cleanup`);
  }
  report.validation = 'passed';
  report.validatedAt = new Date(clock.now()).toISOString();
  report.rtoSeconds = Math.round((clock.now() - requestedAt) / 1000);
  reporter.step('pass', 'validation', `${comparison.rows.map((r) => `${r.table} ${r.restored}/${r.source}`).join(', ') || 'migrations match'}`);

  // 4/5. Cutover, keep or delete.
  if (o.cutover) {
    const result = await cutoverTo(deps, o, outputs, { drillId, restoredInstance: restoredId, ...endpoint });
    return finish(result.ok, result.summary);
  }
  if (o.keep) return finish(true, `drill passed: RPO ${formatDuration(report.rpoSeconds * 1000)}, RTO ${formatDuration(report.rtoSeconds * 1000)}; ${restoredId} kept (--keep)`);
  await deleteDrillInstance(rds, restoredId, appName, [sourceId]);
  reporter.step('pass', 'cleanup', `deleting ${restoredId} (no final snapshot)`);
  return finish(true, `drill passed: RPO ${formatDuration(report.rpoSeconds * 1000)}, RTO ${formatDuration(report.rtoSeconds * 1000)}; ${restoredId} deleted`);
}

// ---------------------------------------------------------------------------
// Cutover and its rollback: the tasks read DB_HOST/DB_PORT from the database secret at start,
// so the secret is repointed and the services are restarted through CDK (a new RolloutId on
// the running release, which the next cdk deploy keeps), then gated.
// ---------------------------------------------------------------------------

interface SecretShape {
  host?: string;
  port?: number | string;
  dbInstanceIdentifier?: string;
  [key: string]: unknown;
}

async function readDbSecret(secrets: SecretsManagerClient, arn: string): Promise<SecretShape> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  return JSON.parse(out.SecretString ?? '{}') as SecretShape;
}

async function pointSecretAt(secrets: SecretsManagerClient, arn: string, host: string, port: number, instance?: string): Promise<void> {
  const current = await readDbSecret(secrets, arn);
  const next: SecretShape = { ...current, host, port };
  if (instance && 'dbInstanceIdentifier' in current) next.dbInstanceIdentifier = instance;
  await secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(next) }));
}

async function restartAndGate(deps: RestoreDeps, o: Pick<DrillOptions, 'config' | 'timeouts' | 'smokeToken'>, outputs: StackOutputs): Promise<{ ok: boolean; detail: string; running: string }> {
  const timeouts = { deployMs: 60 * 60_000, stableMs: o.timeouts.stableMs, smokeMs: o.timeouts.smokeMs };
  const { release, outcome } = await restartServices(deps, o.config.appName, timeouts);
  if (!outcome.ok) return { ok: false, detail: outcome.reason, running: describeRunning(outcome.running) };
  const smokeOptions = await smokeOptionsFor(outputs, deps, o.config, release, o.timeouts.smokeMs, o.smokeToken);
  const report = await gate(deps, smokeOptions);
  return { ok: report.ok, detail: report.ok ? 'smoke gate passed' : report.failed.join('; '), running: describeRunning(outcome.running) };
}

async function cutoverTo(
  deps: RestoreDeps,
  o: DrillOptions,
  outputs: StackOutputs,
  to: { drillId: string; restoredInstance: string; host: string; port: number },
): Promise<{ ok: boolean; summary: string }> {
  const { reporter } = deps;
  const secretArn = await outputs.get('dbSecretArn');
  const before = await readDbSecret(deps.secrets, secretArn);
  if (!before.host) throw new Error(`the database secret ${secretArn} has no host field`);
  const record: CutoverRecord = {
    drillId: to.drillId,
    restoredInstance: to.restoredInstance,
    restoredHost: to.host,
    restoredPort: to.port,
    previousInstance: before.dbInstanceIdentifier ?? (await outputs.get('dbInstanceIdentifier')),
    previousHost: before.host,
    previousPort: Number(before.port ?? o.config.database.port),
    at: new Date(deps.clock.now()).toISOString(),
  };
  // Record the way back before changing anything.
  await deps.ssm.send(new PutParameterCommand({ Name: cutoverParameter(o.config.appName), Value: JSON.stringify(record), Type: 'String', Overwrite: true }));
  reporter.step('pass', 'cutover recorded', `previous endpoint ${record.previousHost}:${record.previousPort} kept in ${cutoverParameter(o.config.appName)}`);
  await pointSecretAt(deps.secrets, secretArn, to.host, to.port, to.restoredInstance);
  reporter.step('pass', 'database secret', `now points at ${to.host}:${to.port}`);
  const result = await restartAndGate(deps, o, outputs);
  if (result.ok) {
    reporter.step('pass', 'cutover', `${result.detail}; ${result.running}`);
    return { ok: true, summary: `cut over to ${to.restoredInstance}; smoke gate passed; undo with npm run restore-drill -- --rollback` };
  }
  reporter.step('fail', 'cutover', result.detail);
  const back = await rollbackCutover({ ...o, dryRun: false }, deps);
  return { ok: false, summary: `cutover to ${to.restoredInstance} failed (${result.detail}); ${back.summary}` };
}

export async function rollbackCutover(o: Pick<DrillOptions, 'config' | 'timeouts' | 'smokeToken' | 'dryRun'>, deps: RestoreDeps): Promise<CommandResult> {
  const record = await readCutover(deps.ssm, o.config.appName);
  if (!record) throw new Error(`no cutover is recorded under ${cutoverParameter(o.config.appName)}: nothing to roll back`);
  const outputs = new StackOutputs(deps.cfn, o.config.appName);
  deps.reporter.line(`Plan: point the app back at ${record.previousHost}:${record.previousPort} (${record.previousInstance ?? 'the previous instance'}), restart the services, smoke-gate; ${record.restoredInstance} is kept for --cleanup`);
  if (o.dryRun) return { ok: true, summary: `dry run: would roll back the cutover to ${record.restoredInstance}; nothing was changed`, document: { cutover: record } };
  const secretArn = await outputs.get('dbSecretArn');
  await pointSecretAt(deps.secrets, secretArn, record.previousHost, record.previousPort, record.previousInstance);
  deps.reporter.step('pass', 'database secret', `points at ${record.previousHost}:${record.previousPort} again`);
  const result = await restartAndGate(deps, o, outputs);
  if (!result.ok) {
    return { ok: false, summary: `rolled the secret back to ${record.previousHost} but the services are not healthy (${result.detail}); running now: ${result.running}`, document: { cutover: record } };
  }
  await deps.ssm.send(new DeleteParameterCommand({ Name: cutoverParameter(o.config.appName) }));
  return { ok: true, summary: `rolled back to ${record.previousHost}; smoke gate passed; ${record.restoredInstance} is kept until --cleanup`, document: { cutover: record } };
}

// ---------------------------------------------------------------------------
// Cleanup of abandoned drill instances.
// ---------------------------------------------------------------------------

export async function cleanupDrills(o: Pick<DrillOptions, 'config' | 'dryRun'>, deps: RestoreDeps): Promise<CommandResult> {
  const { appName } = o.config;
  const outputs = new StackOutputs(deps.cfn, appName);
  const sourceId = await outputs.find('dbInstanceIdentifier');
  const cutover = await readCutover(deps.ssm, appName);
  const protectedIds = [sourceId, cutover?.restoredInstance].filter((s): s is string => Boolean(s));
  const instances = await listDrillInstances(deps.rds, appName);
  const deleted: string[] = [];
  const kept: string[] = [];
  for (const instance of instances) {
    const id = instance.DBInstanceIdentifier ?? '';
    const drill = tagsOf(instance)[DRILL_TAG];
    if (protectedIds.includes(id)) {
      kept.push(id);
      deps.reporter.step('skip', id, 'the app is cut over to it: roll back first (--rollback)');
      continue;
    }
    if (instance.DBInstanceStatus === 'deleting') {
      deps.reporter.step('skip', id, 'already being deleted');
      continue;
    }
    if (['creating', 'backing-up', 'modifying'].includes(instance.DBInstanceStatus ?? '')) {
      kept.push(id);
      deps.reporter.step('skip', id, `${instance.DBInstanceStatus}: a drill may still be running with it; run --cleanup again later`);
      continue;
    }
    if (o.dryRun) {
      deps.reporter.step('info', id, `would delete (drill ${drill}, ${instance.DBInstanceStatus})`);
      continue;
    }
    await deleteDrillInstance(deps.rds, id, appName, protectedIds);
    deleted.push(id);
    deps.reporter.step('pass', id, `deleting (drill ${drill})`);
  }
  const summary = instances.length === 0
    ? 'no drill instances to clean up'
    : o.dryRun
      ? `dry run: would delete ${instances.length - kept.length - instances.filter((i) => i.DBInstanceStatus === 'deleting').length} drill instance(s); nothing was changed`
      : `deleted ${deleted.length} drill instance(s)${kept.length ? `, kept ${kept.join(', ')} (cut over or still being restored)` : ''}`;
  return { ok: true, summary, document: { deleted, kept, found: instances.map((i) => i.DBInstanceIdentifier) } };
}
