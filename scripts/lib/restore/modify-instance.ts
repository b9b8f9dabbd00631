/**
 * ModifyDBInstance with ApplyImmediately, then wait until RDS has applied it: the instance is
 * available again and no master password change is pending. (Performance Insights is not
 * waited for: nothing the drill does depends on it.)
 */
import { ModifyDBInstanceCommand, type ModifyDBInstanceMessage, type RDSClient } from '@aws-sdk/client-rds';
import { waitFor, type Clock } from '../wait.ts';
import { describeInstance } from './instances.ts';

export async function modifyAndWait(
  rds: RDSClient,
  id: string,
  changes: Omit<ModifyDBInstanceMessage, 'DBInstanceIdentifier'>,
  wait: { clock: Clock; timeoutMs: number; progress?: (line: string) => void },
): Promise<void> {
  await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, ApplyImmediately: true, ...changes }));
  await waitFor({
    what: `${id} to apply ${Object.keys(changes).filter((k) => k !== 'MasterUserPassword').concat(changes.MasterUserPassword ? ['the master password'] : []).join(', ')}`,
    timeoutMs: wait.timeoutMs,
    intervalMs: 15_000,
    clock: wait.clock,
    progress: wait.progress,
    poll: async () => {
      const instance = await describeInstance(rds, id);
      const status = instance?.DBInstanceStatus ?? 'not found';
      if (!instance) return { state: 'failed', status, reason: `${id} is gone` };
      const pending = instance.PendingModifiedValues?.MasterUserPassword !== undefined;
      return status === 'available' && !pending ? { state: 'done', status, value: undefined } : { state: 'pending', status: pending ? `${status}, password change pending` : status };
    },
  });
}
