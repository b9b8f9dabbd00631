/**
 * The in-progress marker: while a drill works with its copy (restoring, validating, cutting
 * over), the copy carries a tag whose value is the time until which the drill may still need
 * it. The restore request sets it (so the copy has it from its first moment), each phase moves
 * it on, and the drill removes it when it is done. `--cleanup` keeps a copy whose marker has not
 * expired; a drill that died leaves a marker that expires by itself.
 * Adding a tag whose key exists replaces its value
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_AddTagsToResource.html).
 */
import { AddTagsToResourceCommand, RemoveTagsFromResourceCommand, type DBInstance, type RDSClient, type Tag } from '@aws-sdk/client-rds';
import type { DrillOptions } from './options.ts';
import { tagsOf } from './instances.ts';

export const IN_PROGRESS_TAG = 'slipway:restore-in-progress';

/** Room for the polls, log reads and API calls around each phase's own timeouts. */
const MARGIN_MS = 15 * 60_000;
/** The restart deploy and the alarms deploy of a cutover each wait up to an hour (cutover.ts). */
const CUTOVER_DEPLOYS_MS = 2 * 60 * 60_000;

export type DrillPhase = 'restore' | 'validate' | 'cutover';

/** How long a phase may keep the copy busy: its timeouts, plus a margin. */
export function phaseBudgetMs(phase: DrillPhase, timeouts: DrillOptions['timeouts']): number {
  switch (phase) {
    case 'restore':
      // Waiting until available, then until the master password change is applied.
      return 2 * timeouts.availableMs + MARGIN_MS;
    case 'validate':
      // Up to five one-off tasks (status, stats and the api login on the copy; status and stats on the source).
      return 5 * timeouts.validateMs + MARGIN_MS;
    case 'cutover':
      // The api login task, the restart and gate, the alarms; and the same again if it rolls back.
      return 2 * (timeouts.validateMs + timeouts.stableMs + timeouts.smokeMs + CUTOVER_DEPLOYS_MS) + MARGIN_MS;
  }
}

export function inProgressTag(until: number): Tag {
  return { Key: IN_PROGRESS_TAG, Value: new Date(until).toISOString() };
}

/** Moves the marker on to `until`. */
export async function markInProgress(rds: RDSClient, arn: string, until: number): Promise<void> {
  await rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [inProgressTag(until)] }));
}

/** Removes the marker. Best effort: a marker left behind expires by itself. */
export async function clearInProgress(rds: RDSClient, arn: string): Promise<void> {
  try {
    await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: [IN_PROGRESS_TAG] }));
  } catch {
    // e.g. the copy is being deleted already
  }
}

/** The time until which a drill is working with the instance, or undefined when no marker is live at `now`. */
export function inProgressUntil(instance: DBInstance, now: number): Date | undefined {
  const value = tagsOf(instance)[IN_PROGRESS_TAG];
  if (!value) return undefined;
  const until = Date.parse(value);
  // A value that is not a time gives no deadline: the instance is judged by its status alone.
  if (Number.isNaN(until)) return undefined;
  return until > now ? new Date(until) : undefined;
}
