/**
 * `npm run restore-drill`: an RDS point-in-time restore drill. The copy is private, validated
 * from inside the VPC against the source, reported (RPO, RTO) and then deleted, kept, or cut
 * over to. Every instance it creates carries the drill tag; nothing without it is deleted.
 */
import { RestoreDBInstanceToPointInTimeCommand, type DBInstance } from '@aws-sdk/client-rds';
import { formatDuration, oneLine, type CommandResult } from '../cli.ts';
import { StackOutputs } from '../stacks.ts';
import { WaitFailedError, waitFor, WaitTimeoutError } from '../wait.ts';
import { cutoverTo } from './cutover.ts';
import { readCutover } from './cutover-record.ts';
import { deleteDrillInstance } from './deletion.ts';
import { terminalRestoreFix } from './instance-status.ts';
import { drillNames, randomSuffix, type DrillNames } from './identifiers.ts';
import { clearInProgress, inProgressTag, inProgressUntil, markInProgress, phaseBudgetMs, type DrillPhase } from './in-progress.ts';
import { APP_TAG, describeInstance, DRILL_TAG, listDrillInstances, SOURCE_TAG } from './instances.ts';
import type { DrillOptions, RestoreDeps } from './options.ts';
import { afterRestoreSettings, restoreSettings } from './copy-settings.ts';
import { APP_ROLE_COMMAND, appRoleFailure } from './app-login.ts';
import { databaseSecrets, masterPasswordChange, type DatabaseSecret } from './database-secrets.ts';
import { modifyAndWait } from './modify-instance.ts';
import { apiCounts, cutoverWrites, describeLeftBehind, leftBehind, readApiWrites, writesStopped } from './newer-writes.ts';
import { markdownReport, storeReport, type DrillReport, type NewerWrites } from './report.ts';
import { assertInWindow, restoreWindow } from './restore-window.ts';
import { compareSnapshots, snapshotFrom, type Comparison, type ComparisonMode } from './compare.ts';
import { deregisterDrillTaskDefinition, probeTarget, registerDrillTaskDefinition, runProbe } from './validate.ts';

/** Names no instance has yet (a rerun within the same second draws another random part). */
async function freeDrillNames(deps: RestoreDeps, appName: string, at: number): Promise<DrillNames> {
  const draw = deps.randomSuffix ?? randomSuffix;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const names = drillNames(appName, at, draw());
    if (!(await describeInstance(deps.rds, names.restoredInstance))) return names;
  }
  throw new Error(`could not find a free name for the restored instance of ${appName} after 5 tries. Fix: run the drill again`);
}

export async function runDrill(o: DrillOptions, deps: RestoreDeps): Promise<CommandResult> {
  const { reporter, clock, rds } = deps;
  const { appName } = o.config;
  const outputs = new StackOutputs(deps.cfn, appName);
  const cutover = await readCutover(deps.ssm, appName);
  if (o.cutover && cutover) {
    throw new Error(`the app is already cut over to ${cutover.restoredInstance} (drill ${cutover.drillId}). Fix: npm run restore-drill -- --rollback first`);
  }
  // While cut over, the data lives in the copy the app uses; the stack's instance is abandoned.
  const sourceId = cutover?.restoredInstance ?? (await outputs.get('dbInstanceIdentifier'));
  if (cutover) reporter.step('info', 'cutover active', `the app uses ${sourceId} (drill ${cutover.drillId}), so the drill restores from it, not from the data stack's instance`);
  const source = await describeInstance(rds, sourceId);
  if (!source) throw new Error(`the database ${sourceId} ${cutover ? 'the app is cut over to' : 'named by the data stack'} does not exist`);
  const window = await restoreWindow(rds, source);
  const latest = window.latest;
  if (o.restoreTime) assertInWindow(o.restoreTime, window, source.BackupRetentionPeriod);
  // Not abandoned: the one the app uses, and those another drill is still working with.
  const abandoned = (await listDrillInstances(rds, appName)).filter((i) => i.DBInstanceIdentifier !== cutover?.restoredInstance && !inProgressUntil(i, clock.now()));
  if (abandoned.length) {
    reporter.step('warn', 'abandoned drill instances', abandoned.map((i) => i.DBInstanceIdentifier).join(', '), 'npm run restore-drill -- --cleanup');
  }

  const requestedAt = clock.now();
  const { drillId, restoredInstance: restoredId } = await freeDrillNames(deps, appName, requestedAt);
  const restorePoint = o.restoreTime ?? latest;
  const instanceClass = o.instanceClass ?? source.DBInstanceClass ?? o.config.database.instanceClass;
  const subnetGroup = source.DBSubnetGroup?.DBSubnetGroupName ?? (await outputs.get('dbSubnetGroupName'));
  const securityGroups = (source.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean);
  const parameterGroup = source.DBParameterGroups?.[0]?.DBParameterGroupName;

  const copySettings = restoreSettings(source, { cutover: o.cutover, multiAz: o.multiAz });
  // A cutover to an earlier point is meant to differ from the source; a drill is not.
  const mode: ComparisonMode = o.cutover && o.restoreTime ? { kind: 'point-in-time' } : { kind: 'drill', maxRowDrift: o.maxRowDrift };
  // A cutover leaves what the api writes after the restore point on the original: refused,
  // before anything is restored, unless writes stopped before it or the loss is accepted.
  let newerWrites: NewerWrites | undefined;
  if (o.cutover) {
    const api = await readApiWrites(deps.ecs, outputs);
    const terms = cutoverWrites(api, sourceId, restorePoint, Boolean(o.acceptNewerWritesLost), clock.now());
    const stoppedAt = api.lastStoppedAt?.toISOString();
    newerWrites = { terms, api: { service: api.service, running: api.running, desired: api.desired, ...(stoppedAt ? { lastStoppedAt: stoppedAt } : {}) } };
    if (terms === 'stopped') {
      reporter.step('pass', 'newer writes', `none: ${api.service} is at 0 tasks${stoppedAt ? ` since ${stoppedAt}` : ''}, before the restore point, so the copy will have every write`);
    } else {
      const writing = writesStopped(api) ? `${api.service} is at 0 tasks${stoppedAt ? ` since ${stoppedAt}` : ''}` : `${api.service} runs ${api.running} task(s)`;
      reporter.step('warn', 'newer writes', `accepted (--accept-newer-writes-lost): ${writing}; what was written to ${sourceId} after ${restorePoint.toISOString()}, until the cutover's restart, stays there only`);
    }
  }
  reporter.line(`Plan: restore drill ${drillId} for ${sourceId}`);
  reporter.line(`  1. restore ${sourceId} to ${o.restoreTime ? restorePoint.toISOString() : `its latest restorable time (now ${latest.toISOString()})`} as ${restoredId} (${instanceClass}, ${copySettings.MultiAZ ? 'Multi-AZ' : 'single-AZ'}, private, subnet group ${subnetGroup}, security groups ${securityGroups.join(', ')})`);
  reporter.line(`  2. wait up to ${formatDuration(o.timeouts.availableMs)} until it is available`);
  reporter.line(`  3. validate from inside the VPC: migrate status${o.skipRowCounts ? '' : ' and row counts'} compared with the source (${mode.kind === 'drill' ? `same migrations, row drift allowed: ${o.maxRowDrift}` : 'migrations an earlier state of the source\'s; row differences reported, not gated'})`);
  reporter.line(`     (restorable window: ${window.earliest.toISOString()}${window.earliestFrom === 'estimated' ? ' (estimated from the retention period)' : ''} to ${latest.toISOString()})`);
  if (await outputs.find('dbAppSecretArn')) reporter.line("     and the api login given its secret's password on the copy and checked (migrate app-role)");
  reporter.line('  4. write the report (RPO, RTO) to the attachments bucket under drills/');
  reporter.line(`  5. ${o.cutover ? 'cut the app over to the restored instance (the database secrets, the api login\'s password on it), restart and smoke-gate it' : o.keep ? 'keep the restored instance (--keep)' : 'delete the restored instance (no final snapshot)'}`);
  if (o.dryRun) return { ok: true, summary: `dry run: would restore ${sourceId} as ${restoredId}; nothing was changed`, document: { drillId, sourceInstance: sourceId, restoredInstance: restoredId, dryRun: true } };

  const report: DrillReport = {
    drillId, appName, sourceInstance: sourceId, restoredInstance: restoredId, instanceClass, multiAz: Boolean(copySettings.MultiAZ),
    restorePoint: restorePoint.toISOString(), restoreRequestedAt: new Date(requestedAt).toISOString(),
    latestRestorableTime: latest.toISOString(), earliestRestorableTime: window.earliest.toISOString(),
    // What the backups could not have brought back at the request: the real data-loss exposure.
    rpoSeconds: Math.round((requestedAt - latest.getTime()) / 1000),
    // How far back the restore went: chosen with --restore-time, not data loss.
    lookBackSeconds: Math.round((requestedAt - restorePoint.getTime()) / 1000),
    validation: 'not-run', problems: [], rows: [], outcome: '',
    ...(newerWrites ? { newerWrites } : {}),
  };
  // The copy's ARN, for the in-progress marker (set with the restore request, so the copy has it from the start).
  let restoredArn: string | undefined;
  const phase = async (name: DrillPhase) => {
    if (restoredArn) await markInProgress(rds, restoredArn, clock.now() + phaseBudgetMs(name, o.timeouts));
  };
  const finish = async (ok: boolean, summary: string): Promise<CommandResult> => {
    report.outcome = summary;
    if (restoredArn) await clearInProgress(rds, restoredArn);
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
  const requested = await rds.send(
    new RestoreDBInstanceToPointInTimeCommand({
      SourceDBInstanceIdentifier: sourceId,
      TargetDBInstanceIdentifier: restoredId,
      ...(o.restoreTime ? { RestoreTime: o.restoreTime } : { UseLatestRestorableTime: true }),
      DBInstanceClass: instanceClass,
      DBSubnetGroupName: subnetGroup,
      VpcSecurityGroupIds: securityGroups,
      DBParameterGroupName: parameterGroup,
      PubliclyAccessible: false,
      ...copySettings,
      DeletionProtection: false,
      CopyTagsToSnapshot: true,
      Tags: [
        { Key: DRILL_TAG, Value: drillId },
        { Key: APP_TAG, Value: appName },
        { Key: SOURCE_TAG, Value: sourceId },
        inProgressTag(requestedAt + phaseBudgetMs('restore', o.timeouts)),
      ],
    }),
  );
  restoredArn = requested.DBInstance?.DBInstanceArn;
  reporter.step('pass', 'restore requested', `${restoredId} from ${sourceId} at ${restorePoint.toISOString()}`);

  // From here on the copy exists: whatever happens, the report is written and says what is left.
  try {
    return await afterRestoreRequested();
  } catch (error) {
    const message = oneLine(error);
    report.problems.push(message);
    reporter.step('fail', 'drill', message, `inspect ${restoredId}, then npm run restore-drill -- --cleanup`);
    return finish(false, `drill ${drillId} stopped after the restore was requested (${message}); ${restoredId} is kept for inspection: delete it with npm run restore-drill -- --cleanup`);
  }

  async function afterRestoreRequested(): Promise<CommandResult> {
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
          const fix = terminalRestoreFix(status);
          if (fix) return { state: 'failed', status, reason: `status ${status} (${fix})` };
          return { state: 'pending', status };
        },
      });
    } catch (error) {
      if (!(error instanceof WaitTimeoutError || error instanceof WaitFailedError)) throw error;
      report.problems.push(error.message);
      const removed = await deleteDrillInstance(rds, restoredId, appName, [sourceId]);
      if (!removed.deleted) {
        reporter.step('fail', 'restore', `${error.message}; could not delete ${restoredId}: ${removed.reason}`, removed.fix);
        return finish(false, `restore of ${sourceId} did not become available (${error.message}); could not delete ${restoredId} (${removed.reason}): ${removed.fix}`);
      }
      reporter.step('fail', 'restore', `${error.message}; deleted ${restoredId} (created by this drill)`);
      return finish(false, `restore of ${sourceId} did not become available (${error.message}); the drill's instance ${restoredId} was deleted`);
    }
    report.availableAt = new Date(clock.now()).toISOString();
    const endpoint = { host: restored.Endpoint?.Address ?? '', port: restored.Endpoint?.Port ?? o.config.database.port };
    reporter.step('pass', 'restored instance available', `${endpoint.host}:${endpoint.port} after ${formatDuration(clock.now() - requestedAt)}`);
    // The copy signs in with the password of its restore point; the tasks use the secret's,
    // which a rotation since then has changed.
    const secretsInUse = await databaseSecrets(outputs);
    const changes = { ...afterRestoreSettings(source!, { cutover: o.cutover }), ...(await masterPasswordChange(deps.secrets, secretsInUse)) };
    await modifyAndWait(rds, restoredId, changes, { clock, timeoutMs: o.timeouts.availableMs, progress: (l) => reporter.line(l) });
    reporter.step('pass', 'copy set up', `master password from the database secret${changes.EnablePerformanceInsights ? '; Performance Insights on' : ''}`);

    // 3. Validate from inside the VPC.
    await phase('validate');
    const comparison = await validate(endpoint, secretsInUse);
    report.rows = [...comparison.rows];
    report.problems.push(...comparison.problems);
    report.notes = [...(comparison.notes ?? [])];
    for (const note of report.notes) reporter.step('info', 'differs from the source', note);
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
      const refused = await newerWritesAtValidation(comparison);
      if (refused) return finish(false, refused);
      await phase('cutover');
      const result = await cutoverTo(deps, o, outputs, { drillId, restoredInstance: restoredId, ...endpoint });
      return finish(result.ok, result.summary);
    }
    const measured = `RPO ${formatDuration(report.rpoSeconds * 1000)}${o.restoreTime ? ` (restored ${formatDuration(report.lookBackSeconds * 1000)} back, to ${restorePoint.toISOString()})` : ''}, RTO ${formatDuration(report.rtoSeconds * 1000)}`;
    if (o.keep) return finish(true, `drill passed: ${measured}; ${restoredId} kept (--keep)`);
    const removed = await deleteDrillInstance(rds, restoredId, appName, [sourceId]);
    if (!removed.deleted) {
      report.problems.push(`could not delete ${restoredId}: ${removed.reason}`);
      reporter.step('fail', 'cleanup', `could not delete ${restoredId}: ${removed.reason}`, removed.fix);
      return finish(false, `drill passed (${measured}) but ${restoredId} could not be deleted (${removed.reason}): ${removed.fix}`);
    }
    reporter.step('pass', 'cleanup', `${restoredId}: ${removed.detail}`);
    return finish(true, `drill passed: ${measured}; ${restoredId} deleted`);
  }

  /** Reports per table what stays on the original; with writes stopped, a refusal when that no longer holds. */
  async function newerWritesAtValidation(comparison: Comparison): Promise<string | undefined> {
    const terms = newerWrites!.terms;
    const behind = o.skipRowCounts ? undefined : leftBehind(comparison.rows);
    report.newerWrites = { ...newerWrites!, ...(behind ? { leftBehind: behind } : {}) };
    if (!behind) reporter.step('info', 'left on the original', 'row counts not compared (--skip-row-counts)');
    else if (!behind.length) reporter.step('pass', 'left on the original', `nothing: every counted table has the same rows on ${sourceId} and the copy`);
    for (const l of behind ?? []) reporter.step(terms === 'stopped' ? 'fail' : 'warn', 'left on the original', describeLeftBehind(l));
    if (terms === 'accepted') {
      if (behind?.length) reporter.line(`  (row counts at validation: the api writes on to ${sourceId} until the restart; edits of existing rows do not show in counts)`);
      return undefined;
    }
    const kept = `${restoredId} is KEPT: delete it with npm run restore-drill -- --cleanup`;
    if (behind?.length) {
      return `the copy's row counts differ from ${sourceId}'s although writes stopped before the restore point (${behind.map((l) => l.table).join(', ')}): something other than the api writes to it; nothing was cut over and ${kept}. Fix: find that writer and cut over again, or add --accept-newer-writes-lost`;
    }
    // Autoscaling may have started the api again (a scaling policy brings it back to its minimum).
    const api = await apiCounts(deps.ecs, outputs);
    if (!writesStopped(api)) {
      reporter.step('fail', 'newer writes', `${api.service} runs ${api.running} task(s) (desired ${api.desired}) again`);
      return `writes resumed during the drill: ${api.service} runs ${api.running} task(s) again (desired ${api.desired}), so what it wrote after the restore point would stay on ${sourceId} only; nothing was cut over and ${kept}. Fix: stop writes again (suspend the api's scaling first, see the runbook) and cut over again, or add --accept-newer-writes-lost`;
    }
    return undefined;
  }

  async function validate(endpoint: { host: string; port: number }, secretsInUse: readonly DatabaseSecret[]): Promise<Comparison> {
    const family = await outputs.get('migrateTaskFamily');
    const target = await probeTarget(outputs);
    const drillTd = await registerDrillTaskDefinition(deps.ecs, family, target.containerName, endpoint, drillId);
    try {
      const probeDeps = { ecs: deps.ecs, logs: deps.logs, clock, progress: (l: string) => reporter.line(l) };
      const probe = (td: string, command: string[]) => runProbe(probeDeps, target, td, drillTd.source, command, o.timeouts.validateMs);
      const restoredStatus = await probe(drillTd.arn, ['migrate', 'status']);
      const restoredStats = o.skipRowCounts ? undefined : await probe(drillTd.arn, ['stats']);
      // With the api's own login: prove it can be given its secret's password on the copy and
      // sign in with its grants, as a cutover will need (the copy's is the restore point's).
      const login = secretsInUse.some((s) => s.kind === 'login') ? await probe(drillTd.arn, [...APP_ROLE_COMMAND]) : undefined;
      const sourceStatus = await probe(family, ['migrate', 'status']);
      const sourceStats = o.skipRowCounts ? undefined : await probe(family, ['stats']);
      const comparison = compareSnapshots(snapshotFrom(sourceStatus, sourceStats, 'source'), snapshotFrom(restoredStatus, restoredStats, 'restored'), mode);
      const loginFailure = login && appRoleFailure(login, restoredId);
      return loginFailure ? { ...comparison, ok: false, problems: [...comparison.problems, `the api login: ${loginFailure}`] } : comparison;
    } catch (error) {
      return { ok: false, problems: [`validation could not run: ${(error as Error).message}`], rows: [] };
    } finally {
      await deregisterDrillTaskDefinition(deps.ecs, drillTd.arn).catch(() => undefined);
    }
  }
}
