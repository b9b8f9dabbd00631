/**
 * Deletion safety: the drill deletes only instances it created and nothing depends on, and a
 * delete that RDS refuses is an answer with a reason, never a crash that loses the report.
 * A copy that served production (the app was cut over to it) holds the writes of that time and
 * nowhere else, so its deletion takes a final snapshot and keeps its automated backups.
 */
import { DeleteDBInstanceCommand, type DBInstance, type DeleteDBInstanceMessage, type RDSClient } from '@aws-sdk/client-rds';
import { describeInstance, DRILL_TAG, isDrillInstance, SERVED_TAG, SERVED_UNTIL_TAG, tagsOf } from './instances.ts';

/** Throws unless the drill created this instance and nothing depends on it. */
export function assertDeletable(instance: DBInstance, appName: string, protectedIds: readonly string[]): void {
  const id = instance.DBInstanceIdentifier ?? '(unknown)';
  if (protectedIds.includes(id)) throw new Error(`refusing to delete ${id}: it is the source database or the one the app is cut over to`);
  if (!isDrillInstance(instance, appName)) throw new Error(`refusing to delete ${id}: it does not carry the ${DRILL_TAG} tag for ${appName}, so this drill did not create it`);
}

export type DeleteOutcome =
  | { readonly deleted: true; readonly detail: string; readonly finalSnapshot?: string }
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

/** The final snapshot's name: the instance's own plus `-final` (a valid snapshot identifier whenever the instance's is). */
export const finalSnapshotName = (id: string) => `${id}-final`;

/** When the app was cut over to the instance (and back), or undefined for a copy that never served. */
export function servedProduction(instance: DBInstance): { from: string; until?: string } | undefined {
  const tags = tagsOf(instance);
  return tags[SERVED_TAG] ? { from: tags[SERVED_TAG], until: tags[SERVED_UNTIL_TAG] } : undefined;
}

/**
 * How to delete: a copy that served production keeps a final snapshot and its automated backups
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html: without
 * SkipFinalSnapshot RDS snapshots first into FinalDBSnapshotIdentifier; DeleteAutomatedBackups
 * false keeps the backups for their retention period); any other copy goes without either.
 */
export function deletionRequest(instance: DBInstance): { input: DeleteDBInstanceMessage; detail: string; finalSnapshot?: string } {
  const id = instance.DBInstanceIdentifier ?? '';
  const served = servedProduction(instance);
  if (!served) return { input: { DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }, detail: 'deleting (no final snapshot)' };
  const finalSnapshot = finalSnapshotName(id);
  return {
    input: { DBInstanceIdentifier: id, SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: finalSnapshot, DeleteAutomatedBackups: false },
    detail: `deleting with final snapshot ${finalSnapshot}, automated backups kept: it served production from ${served.from}${served.until ? ` to ${served.until}` : ''}, so the writes of that time are only there`,
    finalSnapshot,
  };
}

/** Deletes a drill instance (a final snapshot only if it served production). The guard's refusal still throws: never delete what is not ours. */
export async function deleteDrillInstance(rds: RDSClient, id: string, appName: string, protectedIds: readonly string[]): Promise<DeleteOutcome> {
  const instance = await describeInstance(rds, id);
  if (!instance) return { deleted: true, detail: 'already gone' };
  assertDeletable(instance, appName, protectedIds);
  if (instance.DBInstanceStatus === 'deleting') return { deleted: true, detail: 'already being deleted' };
  if (instance.DeletionProtection) return refusal(id, Object.assign(new Error('deletion protection is on'), { name: 'InvalidParameterCombination' }), instance.DBInstanceStatus);
  const request = deletionRequest(instance);
  try {
    await rds.send(new DeleteDBInstanceCommand(request.input));
    return { deleted: true, detail: request.detail, ...(request.finalSnapshot ? { finalSnapshot: request.finalSnapshot } : {}) };
  } catch (error) {
    return refusal(id, error as Error, instance.DBInstanceStatus);
  }
}
