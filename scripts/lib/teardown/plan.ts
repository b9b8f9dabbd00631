/**
 * The teardown plan: which stacks go and in what order, every resource deleted with them,
 * every one that stays (retained by its template, a final snapshot, a log group AWS made) with
 * why and what this teardown does with it, what protection is switched off, and the monthly
 * cost that stops. Pure: built from the inventory, the leftovers and the cost.
 */
import type { CostThatStops } from './cost.ts';
import type { Inventory } from './inventory.ts';
import { CACHE_SNAPSHOT, RDS_SNAPSHOT } from './kinds.ts';
import { kindOf } from './catalogue.ts';
import { retainedBy, snapshottedBy, type LeftBehind, type Leftover, type Origin } from './leftovers.ts';
import { classify, deletionOrder } from './policy.ts';

export type Profile = 'trial' | 'production';

/** `remove`: this teardown removes it; `keep`: it stays (production, or the kept final snapshot). */
export type Action = 'remove' | 'keep';

export interface PlanItem {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  /** The physical id; for a snapshot still to be taken, the database or cache it will be of. */
  readonly id: string;
  readonly label: string;
  readonly why: string;
  readonly origin: Origin;
  readonly action: Action;
  readonly blocksDeploy: boolean;
  /** The AWS CLI commands that remove it (empty for a snapshot not taken yet). */
  readonly commands: readonly string[];
  readonly note?: string;
}

export interface TeardownPlan {
  readonly appName: string;
  readonly account: string;
  readonly region: string;
  readonly profile: Profile;
  readonly noFinalSnapshot: boolean;
  /** The deployed stacks, in the order they are deleted. */
  readonly stacks: ReadonlyArray<{ readonly stackName: string; readonly status: string; readonly resources: number; readonly terminationProtection: boolean }>;
  /** Every resource deleted with the stacks. */
  readonly deleted: ReadonlyArray<{ readonly stackName: string; readonly logicalId: string; readonly type: string; readonly id: string }>;
  /** What the deployed stacks leave behind when deleted. */
  readonly leftBehind: readonly PlanItem[];
  /** What earlier deletions of the app's stacks left behind and is still there. */
  readonly leftovers: readonly PlanItem[];
  /** Protection switched off, only after --confirm. */
  readonly protections: readonly string[];
  readonly cost?: CostThatStops;
}

/** The one rule for what a teardown does with something left behind. */
export function actionFor(type: string, known: boolean, profile: Profile, noFinalSnapshot: boolean): Action {
  if (profile === 'production' || !known) return 'keep';
  if (type === RDS_SNAPSHOT) return noFinalSnapshot ? 'remove' : 'keep';
  return 'remove';
}

function item(l: LeftBehind, region: string, profile: Profile, noFinalSnapshot: boolean, pending = false): PlanItem {
  const action = actionFor(l.type, l.kind !== undefined, profile, noFinalSnapshot);
  return {
    stackName: l.stackName,
    logicalId: l.logicalId,
    type: l.type,
    id: l.id,
    label: l.kind?.label ?? l.type,
    why: l.kind?.why ?? 'retained by its template',
    origin: l.origin,
    action,
    blocksDeploy: l.blocksDeploy,
    commands: l.kind && !pending ? l.kind.commands(l.id, region) : [],
    note: !l.kind ? `teardown does not know how to remove ${l.type}: remove it by hand if it should go` : l.kind.commandNote,
  };
}

export interface PlanInput {
  readonly inventory: Inventory;
  readonly account: string;
  readonly profile: Profile;
  readonly noFinalSnapshot: boolean;
  readonly leftovers: readonly Leftover[];
  /** DB instances of the deployed stacks with deletion protection on. */
  readonly protectedDatabases: readonly string[];
  readonly cost?: CostThatStops;
}

export function buildPlan(input: PlanInput): TeardownPlan {
  const { inventory, profile, noFinalSnapshot } = input;
  const region = inventory.region;
  const order = deletionOrder(inventory.live);
  const leftBehind: PlanItem[] = [];
  for (const stack of order) {
    for (const l of retainedBy(stack)) leftBehind.push(item(l, region, profile, noFinalSnapshot));
    for (const r of snapshottedBy(stack)) {
      const type = r.type === 'AWS::RDS::DBInstance' ? RDS_SNAPSHOT : r.type === 'AWS::ElastiCache::ReplicationGroup' ? CACHE_SNAPSHOT : `${r.type} snapshot`;
      const kind = kindOf(type);
      leftBehind.push(item({ stackName: r.stackName, logicalId: r.logicalId, type, id: r.physicalId, origin: 'snapshot', kind, blocksDeploy: false }, region, profile, noFinalSnapshot, true));
    }
  }
  return {
    appName: inventory.appName,
    account: input.account,
    region,
    profile,
    noFinalSnapshot,
    stacks: order.map((s) => ({ stackName: s.stackName, status: s.status, resources: s.resources.length, terminationProtection: s.terminationProtection })),
    deleted: order.flatMap((s) => classify(s).filter((r) => r.fate !== 'retained').map((r) => ({ stackName: r.stackName, logicalId: r.logicalId, type: r.type, id: r.physicalId }))),
    leftBehind,
    leftovers: input.leftovers.map((l) => item(l, region, profile, noFinalSnapshot)),
    protections: [
      ...order.filter((s) => s.terminationProtection).map((s) => `termination protection of stack ${s.stackName}`),
      ...input.protectedDatabases.map((id) => `deletion protection of database ${id}`),
    ],
    cost: input.cost,
  };
}

/** Whether the plan changes anything at all. */
export function planIsEmpty(plan: TeardownPlan): boolean {
  return plan.stacks.length === 0 && plan.leftovers.every((l) => l.action === 'keep');
}
