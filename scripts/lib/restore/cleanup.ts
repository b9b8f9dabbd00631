/**
 * `--cleanup`: deletes abandoned drill instances (tagged by the drill; never the source, the
 * one cut over to, or one whose drill is still working with it: see in-progress.ts). Each instance is handled on its own: one that RDS refuses is kept with the
 * reason, and the rest are still deleted.
 */
import type { CommandResult } from '../cli.ts';
import { StackOutputs } from '../stacks.ts';
import { readCutover } from './cutover-record.ts';
import { deleteDrillInstance, deletionRequest } from './deletion.ts';
import { inProgressUntil } from './in-progress.ts';
import { DRILL_TAG, listDrillInstances, tagsOf } from './instances.ts';
import type { DrillOptions, RestoreDeps } from './options.ts';

interface Kept {
  readonly instance: string;
  readonly reason: string;
}

export async function cleanupDrills(o: Pick<DrillOptions, 'config' | 'dryRun'>, deps: RestoreDeps): Promise<CommandResult> {
  const { appName } = o.config;
  const { reporter } = deps;
  const outputs = new StackOutputs(deps.cfn, appName);
  const sourceId = await outputs.find('dbInstanceIdentifier');
  const cutover = await readCutover(deps.ssm, appName);
  const protectedIds = [sourceId, cutover?.restoredInstance].filter((s): s is string => Boolean(s));
  const instances = await listDrillInstances(deps.rds, appName);
  const deleted: string[] = [];
  const finalSnapshots: string[] = [];
  const wouldDelete: string[] = [];
  const kept: Kept[] = [];
  const failed: Kept[] = [];
  for (const instance of instances) {
    const id = instance.DBInstanceIdentifier ?? '';
    const drill = tagsOf(instance)[DRILL_TAG];
    const status = instance.DBInstanceStatus ?? '';
    const busyUntil = inProgressUntil(instance, deps.clock.now());
    const keep = (reason: string, fix?: string) => {
      kept.push({ instance: id, reason });
      reporter.step(fix ? 'warn' : 'skip', id, reason, fix);
    };
    if (id === cutover?.restoredInstance) {
      keep('the app is cut over to it: roll back first (--rollback)');
    } else if (protectedIds.includes(id)) {
      keep('it is the source database');
    } else if (status === 'deleting') {
      reporter.step('skip', id, 'already being deleted');
    } else if (busyUntil) {
      // Available while it is validated or cut over to: only the drill's marker tells.
      keep(`drill ${drill} is still working with it (until ${busyUntil.toISOString()}); run --cleanup again after that`);
    } else if (['creating', 'backing-up', 'modifying', 'resetting-master-credentials'].includes(status)) {
      keep(`${status}: a drill may still be running with it; run --cleanup again later`);
    } else if (instance.DeletionProtection) {
      keep('deletion protection is on', `if it is no longer needed: aws rds modify-db-instance --db-instance-identifier ${id} --no-deletion-protection --apply-immediately, then --cleanup again`);
    } else if (o.dryRun) {
      wouldDelete.push(id);
      const { finalSnapshot, detail } = deletionRequest(instance);
      reporter.step('info', id, `would delete (drill ${drill}, ${status})${finalSnapshot ? ` ${detail.replace(/^deleting /, '')}` : ''}`);
    } else {
      const outcome = await deleteDrillInstance(deps.rds, id, appName, protectedIds);
      if (outcome.deleted) {
        deleted.push(id);
        if (outcome.finalSnapshot) finalSnapshots.push(`${outcome.finalSnapshot} of ${id}`);
        reporter.step('pass', id, `${outcome.detail} (drill ${drill})`);
      } else {
        failed.push({ instance: id, reason: outcome.reason });
        reporter.step('fail', id, outcome.reason, outcome.fix);
      }
    }
  }
  const list = (items: readonly Kept[]) => items.map((k) => `${k.instance} (${k.reason})`).join(', ');
  const summary = instances.length === 0
    ? 'no drill instances to clean up'
    : o.dryRun
      ? `dry run: would delete ${wouldDelete.length} drill instance(s)${kept.length ? `, keep ${list(kept)}` : ''}; nothing was changed`
      : [`deleted ${deleted.length} drill instance(s)`, finalSnapshots.length ? `kept final snapshot(s) ${finalSnapshots.join(', ')} (served production; delete them once reconciled)` : '', kept.length ? `kept ${list(kept)}` : '', failed.length ? `could not delete ${list(failed)}` : ''].filter(Boolean).join('; ');
  return {
    ok: failed.length === 0,
    summary,
    document: { deleted, finalSnapshots, kept, failed, wouldDelete, found: instances.map((i) => i.DBInstanceIdentifier) },
  };
}
