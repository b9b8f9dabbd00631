/** `--cleanup`: deletes abandoned drill instances (tagged by the drill; never the one cut over to). */
import type { CommandResult } from '../cli.ts';
import { StackOutputs } from '../stacks.ts';
import { readCutover } from './cutover-record.ts';
import { deleteDrillInstance } from './deletion.ts';
import { DRILL_TAG, listDrillInstances, tagsOf } from './instances.ts';
import type { DrillOptions, RestoreDeps } from './options.ts';

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
