/**
 * Deletion safety: the drill deletes only instances it created and nothing depends on, and a
 * delete that RDS refuses is an answer with a reason, never a crash that loses the report.
 */
import { DeleteDBInstanceCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import { describeInstance, DRILL_TAG, isDrillInstance } from './instances.ts';

/** Throws unless the drill created this instance and nothing depends on it. */
export function assertDeletable(instance: DBInstance, appName: string, protectedIds: readonly string[]): void {
  const id = instance.DBInstanceIdentifier ?? '(unknown)';
  if (protectedIds.includes(id)) throw new Error(`refusing to delete ${id}: it is the source database or the one the app is cut over to`);
  if (!isDrillInstance(instance, appName)) throw new Error(`refusing to delete ${id}: it does not carry the ${DRILL_TAG} tag for ${appName}, so this drill did not create it`);
}

export type DeleteOutcome =
  | { readonly deleted: true; readonly detail: string }
  | { readonly deleted: false; readonly reason: string; readonly fix: string };

/** Why RDS refused a delete, and what to do (error codes of DeleteDBInstance). */
function refusal(id: string, error: Error, status: string | undefined): DeleteOutcome {
  if (error.name === 'InvalidParameterCombination' && /protect/i.test(error.message)) {
    return { deleted: false, reason: 'deletion protection is on', fix: `if it is no longer needed: aws rds modify-db-instance --db-instance-identifier ${id} --no-deletion-protection --apply-immediately, then npm run restore-drill -- --cleanup` };
  }
  if (error.name === 'InvalidDBInstanceStateFault') {
    return { deleted: false, reason: `RDS will not delete it while it is ${status ?? 'busy'} (${error.message})`, fix: 'npm run restore-drill -- --cleanup again once it has settled' };
  }
  return { deleted: false, reason: `${error.name}: ${error.message}`, fix: 'check the credentials\' permissions (rds:DeleteDBInstance) and run npm run restore-drill -- --cleanup' };
}

/** Deletes a drill instance (no final snapshot). The guard's refusal still throws: never delete what is not ours. */
export async function deleteDrillInstance(rds: RDSClient, id: string, appName: string, protectedIds: readonly string[]): Promise<DeleteOutcome> {
  const instance = await describeInstance(rds, id);
  if (!instance) return { deleted: true, detail: 'already gone' };
  assertDeletable(instance, appName, protectedIds);
  if (instance.DBInstanceStatus === 'deleting') return { deleted: true, detail: 'already being deleted' };
  if (instance.DeletionProtection) return refusal(id, Object.assign(new Error('deletion protection is on'), { name: 'InvalidParameterCombination' }), instance.DBInstanceStatus);
  try {
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
    return { deleted: true, detail: 'deleting (no final snapshot)' };
  } catch (error) {
    return refusal(id, error as Error, instance.DBInstanceStatus);
  }
}
