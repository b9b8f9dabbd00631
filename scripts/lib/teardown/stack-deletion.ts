/**
 * Deleting one stack: switch off what protects it (termination protection, the deletion
 * protection of its databases), ask CloudFormation to delete it, and wait with progress until
 * it is gone. Every step is safe to repeat: a rerun finds the protection off, the deletion
 * under way, or the stack gone.
 */
import { DeleteStackCommand, DescribeStacksCommand, UpdateTerminationProtectionCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { Reporter } from '../cli.ts';
import { describeInstance } from '../restore/instances.ts';
import { stackFailureReason } from '../stacks.ts';
import { waitFor, type Clock } from '../wait.ts';
import type { StackRecord } from './inventory.ts';
import { classify } from './policy.ts';

export interface DeletionDeps {
  readonly cfn: CloudFormationClient;
  readonly rds: RDSClient;
  readonly clock: Clock;
  readonly reporter: Reporter;
}

export interface DeletionTimeouts {
  /** How long one stack may take to delete. */
  readonly stackMs: number;
  /** How long a database may take to accept the change of its deletion protection. */
  readonly databaseMs: number;
}

export class StackDeletionFailed extends Error {
  constructor(
    readonly stackName: string,
    readonly reason: string,
  ) {
    super(`${stackName} could not be deleted: ${reason}. Fix: deal with the cause CloudFormation names, then run the same teardown again: it carries on where it stopped`);
    this.name = 'StackDeletionFailed';
  }
}

/** The DB instances the stack's deletion removes (their deletion protection must be off first). */
export function databasesOf(stack: StackRecord): string[] {
  return classify(stack).filter((r) => r.type === 'AWS::RDS::DBInstance' && r.physicalId && r.fate !== 'retained').map((r) => r.physicalId);
}

export async function protectedDatabases(stack: StackRecord, rds: RDSClient): Promise<string[]> {
  const found: string[] = [];
  for (const id of databasesOf(stack)) if ((await describeInstance(rds, id))?.DeletionProtection) found.push(id);
  return found;
}

async function unprotectDatabase(id: string, deps: DeletionDeps, timeouts: DeletionTimeouts): Promise<void> {
  const before = await describeInstance(deps.rds, id);
  if (!before?.DeletionProtection) return;
  await deps.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: true }));
  // CloudFormation cannot delete an instance that is still being modified.
  await waitFor({
    what: `database ${id} to drop its deletion protection`,
    clock: deps.clock,
    timeoutMs: timeouts.databaseMs,
    intervalMs: 10_000,
    progress: (l) => deps.reporter.line(l),
    poll: async () => {
      const now = await describeInstance(deps.rds, id);
      const status = `${now?.DBInstanceStatus ?? 'gone'}, deletion protection ${now?.DeletionProtection ? 'on' : 'off'}`;
      return now && (now.DeletionProtection || now.DBInstanceStatus !== 'available') ? { state: 'pending', status } : { state: 'done', status, value: undefined };
    },
  });
  deps.reporter.step('pass', `deletion protection of database ${id}`, 'switched off');
}

async function statusOf(cfn: CloudFormationClient, stackId: string): Promise<string> {
  return (await cfn.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks?.[0]?.StackStatus ?? 'DELETE_COMPLETE';
}

/** Deletes one deployed stack (or waits for a deletion already under way) and returns when it is gone. */
export async function deleteStack(stack: StackRecord, deps: DeletionDeps, timeouts: DeletionTimeouts): Promise<void> {
  const { cfn, clock, reporter } = deps;
  const startedAt = clock.now();
  if (stack.status !== 'DELETE_IN_PROGRESS') {
    if (stack.terminationProtection) {
      await cfn.send(new UpdateTerminationProtectionCommand({ StackName: stack.stackId, EnableTerminationProtection: false }));
      reporter.step('pass', `termination protection of ${stack.stackName}`, 'switched off');
    }
    for (const id of databasesOf(stack)) await unprotectDatabase(id, deps, timeouts);
    await cfn.send(new DeleteStackCommand({ StackName: stack.stackId }));
  }
  await waitFor({
    what: `${stack.stackName} to be deleted`,
    clock,
    timeoutMs: timeouts.stackMs,
    intervalMs: 15_000,
    progress: (l) => reporter.line(l),
    poll: async () => {
      const status = await statusOf(cfn, stack.stackId);
      if (status === 'DELETE_COMPLETE') return { state: 'done', status, value: undefined };
      if (status === 'DELETE_FAILED') {
        const reason = (await stackFailureReason(cfn, stack.stackId, new Date(startedAt))) ?? 'no reason recorded';
        return { state: 'failed', status, reason };
      }
      return { state: 'pending', status };
    },
  }).catch((error: Error) => {
    if (error.name === 'WaitFailedError') throw new StackDeletionFailed(stack.stackName, (error as Error & { reason: string }).reason);
    throw error;
  });
  reporter.step('pass', `stack ${stack.stackName}`, `deleted (${stack.resources.length} resources)`);
}
