/**
 * Cutover and its rollback: the tasks read DB_HOST/DB_PORT from the database secrets at start
 * (migrate the master's, the api its own login's), so both are repointed, the api login is
 * given its secret's password on the instance they name now (`migrate app-role`), and the
 * services are restarted through CDK (a new RolloutId on the running release, which the next
 * cdk deploy keeps), then gated.
 */
import { AddTagsToResourceCommand, ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { oneLine, type CommandResult } from '../cli.ts';
import { describeRunning } from '../ecs.ts';
import { gate, smokeOptionsFor } from '../gate.ts';
import { restartServices } from '../restart.ts';
import { StackOutputs } from '../stacks.ts';
import { pointAlarmsAt } from './alarms.ts';
import { cutoverParameter, readCutover, type CutoverRecord } from './cutover-record.ts';
import { keepAppLogin } from './app-login.ts';
import { assertNoRotationRunning, databaseSecrets, masterPasswordChange, masterSecret, pointSecretsAt, readDbSecret } from './database-secrets.ts';
import { servedProduction } from './deletion.ts';
import { describeInstance, SERVED_TAG, SERVED_UNTIL_TAG } from './instances.ts';
import { modifyAndWait } from './modify-instance.ts';
import { startApiIfStopped } from './newer-writes.ts';
import type { DrillOptions, RestoreDeps } from './options.ts';

async function restartAndGate(deps: RestoreDeps, o: Pick<DrillOptions, 'config' | 'timeouts' | 'smokeToken'>, outputs: StackOutputs, on: string): Promise<{ ok: boolean; detail: string; running: string }> {
  // The operator stopped writes for the cutover (the api at 0 tasks): the gate needs it running.
  try {
    await startApiIfStopped(deps.ecs, outputs, o.config, deps.reporter, on);
  } catch (error) {
    return { ok: false, detail: `the api could not be started: ${oneLine(error)}`, running: 'unchanged' };
  }
  const timeouts = { deployMs: 60 * 60_000, stableMs: o.timeouts.stableMs, smokeMs: o.timeouts.smokeMs };
  let restarted: Awaited<ReturnType<typeof restartServices>>;
  try {
    restarted = await restartServices(deps, o.config.appName, timeouts);
  } catch (error) {
    // e.g. the stack is busy or the diff guard refused: the services were not restarted.
    return { ok: false, detail: `the restart did not run: ${oneLine(error)}`, running: 'unchanged' };
  }
  const { release, outcome } = restarted;
  if (!outcome.ok) return { ok: false, detail: outcome.reason, running: describeRunning(outcome.running) };
  const smokeOptions = await smokeOptionsFor(outputs, deps, o.config, release, o.timeouts.smokeMs, o.smokeToken);
  const report = await gate(deps, smokeOptions);
  return { ok: report.ok, detail: report.ok ? 'smoke gate passed' : report.failed.join('; '), running: describeRunning(outcome.running) };
}

/** Tags the instance (by its ARN); a missing instance is left alone. */
async function tagInstance(rds: RDSClient, id: string, key: string, value: string): Promise<void> {
  const arn = (await describeInstance(rds, id))?.DBInstanceArn;
  if (arn) await rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: key, Value: value }] }));
}

/** The step name: one secret, or the master's and the api login's. */
const secretsStep = (list: readonly unknown[]) => (list.length > 1 ? 'database secrets' : 'database secret');

export async function cutoverTo(
  deps: RestoreDeps,
  o: DrillOptions,
  outputs: StackOutputs,
  to: { drillId: string; restoredInstance: string; host: string; port: number },
): Promise<{ ok: boolean; summary: string }> {
  const { reporter } = deps;
  const secretsInUse = await databaseSecrets(outputs);
  await assertNoRotationRunning(deps.secrets, secretsInUse);
  const secretArn = masterSecret(secretsInUse).arn;
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
  await pointSecretsAt(deps.secrets, secretsInUse, { host: to.host, port: to.port, instance: to.restoredInstance });
  reporter.step('pass', secretsStep(secretsInUse), `now point${secretsInUse.length > 1 ? '' : 's'} at ${to.host}:${to.port}`);
  // Before any task signs in to the copy: it holds the api login's password of its restore point.
  const login = await keepAppLogin(deps, outputs, secretsInUse, to.restoredInstance, o.timeouts.validateMs, 'the app is rolled back to the original; read the migrate task\'s log above (the master secret must sign in to the copy, the task must read the api login\'s secret), fix that, then cut over again');
  if (login.ok) {
    // From the restart on, the app writes to the copy: mark it, so no cleanup deletes those writes without a snapshot.
    await tagInstance(deps.rds, to.restoredInstance, SERVED_TAG, new Date(deps.clock.now()).toISOString());
  }
  const result = login.ok ? await restartAndGate(deps, o, outputs, to.restoredInstance) : { ok: false, detail: login.detail, running: 'unchanged' };
  if (result.ok) {
    reporter.step('pass', 'cutover', `${result.detail}; ${result.running}`);
    // The copy is production now: protect it like the stack protects the original.
    await deps.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: to.restoredInstance, DeletionProtection: true, ApplyImmediately: true }));
    reporter.step('pass', 'deletion protection', `on for ${to.restoredInstance} while the app uses it`);
    await pointAlarmsAt(deps, o.config.appName, to.restoredInstance, 60 * 60_000);
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
  deps.reporter.line(`Plan: point the app back at ${record.previousHost}:${record.previousPort} (${record.previousInstance ?? 'the previous instance'}) with the secrets' current passwords, restart the services, smoke-gate; ${record.restoredInstance} is kept for --cleanup`);
  if (o.dryRun) return { ok: true, summary: `dry run: would roll back the cutover to ${record.restoredInstance}; nothing was changed`, document: { cutover: record } };
  const secretsInUse = await databaseSecrets(outputs);
  await assertNoRotationRunning(deps.secrets, secretsInUse);
  // Rotations while cut over changed the copy's password (the secret pointed there): give the
  // original the password the secret holds now, before the tasks sign in to it again.
  const original = record.previousInstance ?? (await outputs.get('dbInstanceIdentifier'));
  await modifyAndWait(deps.rds, original, await masterPasswordChange(deps.secrets, secretsInUse), { clock: deps.clock, timeoutMs: o.timeouts.stableMs, progress: (l) => deps.reporter.line(l) });
  deps.reporter.step('pass', 'master password', `${original} has the database secret's current password`);
  await pointSecretsAt(deps.secrets, secretsInUse, { host: record.previousHost, port: record.previousPort, instance: record.previousInstance });
  deps.reporter.step('pass', secretsStep(secretsInUse), `point${secretsInUse.length > 1 ? '' : 's'} at ${record.previousHost}:${record.previousPort} again`);
  // Rotations while cut over changed the api login's password on the copy only.
  const login = await keepAppLogin(deps, outputs, secretsInUse, original, o.timeouts.validateMs, 'read the migrate task\'s log above, fix the cause, then run npm run restore-drill -- --rollback again (each step is safe to repeat)');
  if (!login.ok) {
    return { ok: false, summary: `rolled the secrets back to ${record.previousHost} but the api login could not be set up there (${login.detail}); the services were not restarted: fix it and run npm run restore-drill -- --rollback again`, document: { cutover: record } };
  }
  const result = await restartAndGate(deps, o, outputs, original);
  if (!result.ok) {
    return { ok: false, summary: `rolled the secret back to ${record.previousHost} but the services are not healthy (${result.detail}); running now: ${result.running}`, document: { cutover: record } };
  }
  // Protected while it served; the drill's own instance again, for --cleanup, which keeps a
  // final snapshot of it: the writes made while cut over are on the copy only.
  let served = false;
  try {
    await deps.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: record.restoredInstance, DeletionProtection: false, ApplyImmediately: true }));
    const copy = await describeInstance(deps.rds, record.restoredInstance);
    served = Boolean(copy && servedProduction(copy));
    if (served && copy?.DBInstanceArn) {
      await deps.rds.send(new AddTagsToResourceCommand({ ResourceName: copy.DBInstanceArn, Tags: [{ Key: SERVED_UNTIL_TAG, Value: new Date(deps.clock.now()).toISOString() }] }));
    }
  } catch (error) {
    if ((error as Error).name !== 'DBInstanceNotFoundFault') throw error;
  }
  await pointAlarmsAt(deps, o.config.appName, original, 60 * 60_000);
  await deps.ssm.send(new DeleteParameterCommand({ Name: cutoverParameter(o.config.appName) }));
  const kept = served
    ? `${record.restoredInstance} is kept until --cleanup and alone holds the writes made while cut over (--cleanup keeps a final snapshot of it)`
    : `${record.restoredInstance} is kept until --cleanup`;
  return { ok: true, summary: `rolled back to ${record.previousHost}; smoke gate passed; ${kept}`, document: { cutover: record } };
}
