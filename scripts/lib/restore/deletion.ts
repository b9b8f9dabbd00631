/** Deletion safety: the drill deletes only instances it created and nothing depends on. */
import { DeleteDBInstanceCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import { describeInstance, DRILL_TAG, isDrillInstance } from './instances.ts';

/** Throws unless the drill created this instance and nothing depends on it. */
export function assertDeletable(instance: DBInstance, appName: string, protectedIds: readonly string[]): void {
  const id = instance.DBInstanceIdentifier ?? '(unknown)';
  if (protectedIds.includes(id)) throw new Error(`refusing to delete ${id}: it is the source database or the one the app is cut over to`);
  if (!isDrillInstance(instance, appName)) throw new Error(`refusing to delete ${id}: it does not carry the ${DRILL_TAG} tag for ${appName}, so this drill did not create it`);
}

export async function deleteDrillInstance(rds: RDSClient, id: string, appName: string, protectedIds: readonly string[]): Promise<void> {
  const instance = await describeInstance(rds, id);
  if (!instance) return;
  assertDeletable(instance, appName, protectedIds);
  if (instance.DBInstanceStatus === 'deleting') return;
  await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
}
