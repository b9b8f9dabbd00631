/**
 * The writes a cutover leaves behind. The copy is the source as it was at the restore point
 * (at latest the LatestRestorableTime, typically within 5 minutes of now:
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html), while the api keeps
 * writing to the source during the restore, the validation and until the cutover's restart
 * replaces its tasks. Those writes are then on the original only (it is kept, for reconciling).
 * That is often the point (going back to before a bad event) but it is never silent: a cutover
 * goes ahead only when the operator stopped writes before the restore point (the api at 0
 * tasks, and the copy then has the original's row counts) or accepts the loss with
 * --accept-newer-writes-lost; either way the differences per table are reported.
 */
import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, UpdateServiceCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { SlipwayConfig } from '../../../infra/config.ts';
import type { Reporter } from '../cli.ts';
import type { StackOutputs } from '../stacks.ts';
import type { RowComparison } from './compare.ts';

export const ACCEPT_FLAG = '--accept-newer-writes-lost';

/**
 * How long ECS keeps listing a stopped task: "stopped tasks appear in the returned results for
 * at least one hour" (https://awscli.amazonaws.com/v2/documentation/api/latest/reference/ecs/list-tasks.html).
 * With none listed, the api's last task stopped at least this long ago (or never ran).
 */
export const STOPPED_TASKS_LISTED_MS = 60 * 60_000;

export interface ApiWrites {
  readonly cluster: string;
  readonly service: string;
  readonly running: number;
  readonly desired: number;
  /** When the api's last task stopped, when writes are stopped and ECS still lists it. */
  readonly lastStoppedAt?: Date;
}

export const writesStopped = (api: Pick<ApiWrites, 'running' | 'desired'>) => api.running === 0 && api.desired === 0;

/** The api service's task counts (running includes pending: a starting task writes soon). */
export async function apiCounts(ecs: ECSClient, outputs: StackOutputs): Promise<ApiWrites> {
  const cluster = await outputs.get('clusterName');
  const service = await outputs.get('apiServiceName');
  const described = (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];
  if (!described) throw new Error(`the api service ${service} was not found in cluster ${cluster}`);
  return { cluster, service, running: (described.runningCount ?? 0) + (described.pendingCount ?? 0), desired: described.desiredCount ?? 0 };
}

/** The api service's task counts; with writes stopped, when its last task stopped. */
export async function readApiWrites(ecs: ECSClient, outputs: StackOutputs): Promise<ApiWrites> {
  const api = await apiCounts(ecs, outputs);
  if (!writesStopped(api)) return api;
  const { cluster, service } = api;
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'STOPPED', nextToken }));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  let last: number | undefined;
  // DescribeTasks takes up to 100 tasks (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html).
  for (let i = 0; i < arns.length; i += 100) {
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }))).tasks ?? [];
    for (const t of tasks) {
      // stoppedAt (the task reached STOPPED) is after executionStoppedAt (its containers exited).
      const at = (t.stoppedAt ?? t.executionStoppedAt)?.getTime();
      if (at !== undefined && (last === undefined || at > last)) last = at;
    }
  }
  return last === undefined ? api : { ...api, lastStoppedAt: new Date(last) };
}

export type CutoverWrites = 'accepted' | 'stopped';

/**
 * Before anything is restored: may this cutover go ahead, and on which terms? Throws with the
 * ways forward when writes after the restore point would be lost and the loss is not accepted.
 */
export function cutoverWrites(api: ApiWrites, source: string, restorePoint: Date, accept: boolean, now: number): CutoverWrites {
  if (accept) return 'accepted';
  const point = restorePoint.toISOString();
  if (!writesStopped(api)) {
    throw new Error(
      `the api (${api.service}) runs ${api.running} task(s) that write to ${source}: what they write after the restore point ${point} until the cutover's restart would be missing from the copy (it stays on ${source} only). ` +
        `Fix: to keep every write, stop writes first (the runbook's "Cutover", step 1: the api to 0 tasks) and run this again; to go back to the restore point on purpose, add ${ACCEPT_FLAG}`,
    );
  }
  if (api.lastStoppedAt && api.lastStoppedAt.getTime() > restorePoint.getTime()) {
    throw new Error(
      `writes stopped at ${api.lastStoppedAt.toISOString()} (the api's last task), after the restore point ${point}: the copy would miss what the api wrote in between. ` +
        `Fix: wait until ${source}'s latest restorable time is after ${api.lastStoppedAt.toISOString()} (usually within 5 minutes) and run this again without --restore-time, or add ${ACCEPT_FLAG}`,
    );
  }
  if (!api.lastStoppedAt && restorePoint.getTime() < now - STOPPED_TASKS_LISTED_MS) {
    throw new Error(
      `the api (${api.service}) is stopped, but ECS no longer lists its last task, so it stopped more than an hour ago: whether that was before the restore point ${point} cannot be told. ` +
        `Fix: without --restore-time the copy is of the latest restorable time, after the stop; to go back to ${point} on purpose, add ${ACCEPT_FLAG}`,
    );
  }
  return 'stopped';
}

export interface LeftBehind {
  readonly table: string;
  readonly original: number;
  readonly copy: number;
  /** Rows the original has beyond the copy (negative: rows deleted there since the restore point). */
  readonly beyond: number;
}

/** Per table, where the original's row count differs from the copy's (at validation). */
export function leftBehind(rows: readonly RowComparison[]): LeftBehind[] {
  return rows.filter((r) => r.source !== r.restored).map((r) => ({ table: r.table, original: r.source, copy: r.restored, beyond: r.source - r.restored }));
}

export function describeLeftBehind(l: LeftBehind): string {
  return l.beyond > 0
    ? `${l.table}: ${l.beyond} row(s) on the original beyond the copy (${l.original} there, ${l.copy} on the copy)`
    : `${l.table}: ${-l.beyond} row(s) of the copy deleted on the original since (${l.original} there, ${l.copy} on the copy)`;
}

/**
 * The restart and its gate need the api running: after writes were stopped (desired 0), it is
 * started at API_MIN_TASKS on the instance the secrets name now. Autoscaling owns the desired
 * count (the template sets none), so the next deploy keeps it.
 */
export async function startApiIfStopped(ecs: ECSClient, outputs: StackOutputs, config: SlipwayConfig, reporter: Reporter, on: string): Promise<void> {
  const api = await apiCounts(ecs, outputs);
  if (api.desired !== 0) return;
  const count = config.services.api.minTasks;
  await ecs.send(new UpdateServiceCommand({ cluster: api.cluster, service: api.service, desiredCount: count }));
  reporter.step('pass', 'api started', `${api.service} at ${count} task(s) (API_MIN_TASKS) on ${on}: writes were stopped`);
}
