/**
 * The one definition of a leftover, shared by teardown and preflight: a resource that a
 * deleted stack of the app left behind (retained by its template's DeletionPolicy, the final
 * snapshot its Snapshot policy took, or a log group AWS created for one of its resources) and
 * that still exists, not owned by a deployed stack. A leftover with a fixed name (bucket,
 * secret, repository, named log group, SES identity) makes a new deploy of the same APP_NAME
 * fail; the others only cost money.
 */
import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { DescribeSnapshotsCommand, type ElastiCacheClient, type Snapshot } from '@aws-sdk/client-elasticache';
import { kindOf } from './catalogue.ts';
import type { Inventory, StackRecord } from './inventory.ts';
import { CACHE_SNAPSHOT, RDS_SNAPSHOT, type LeftoverClients, type Presence, type ResourceKind } from './kinds.ts';
import { classify, implicitLogGroups, type PlannedResource } from './policy.ts';

/** How a resource comes to be left behind. */
export type Origin = 'retained' | 'snapshot' | 'aws-created';

export interface LeftBehind {
  readonly stackName: string;
  /** The resource's logical id (for a snapshot: the database's or cache's). */
  readonly logicalId: string;
  readonly type: string;
  readonly id: string;
  readonly origin: Origin;
  /** undefined: a type teardown does not know (reported, never removed or ignored silently). */
  readonly kind?: ResourceKind;
  /** Its template fixes its name, so a new deploy of the same APP_NAME would collide with it. */
  readonly blocksDeploy: boolean;
}

export interface Leftover extends LeftBehind {
  /** exists, or scheduled for deletion while still in the way; unknown for a kind teardown cannot check. */
  readonly presence: Presence | { readonly state: 'unknown' };
}

function fixedName(kind: ResourceKind | undefined, r: PlannedResource): boolean {
  return kind?.nameProperty !== undefined && typeof r.properties[kind.nameProperty] === 'string';
}

/** What deleting `stack` leaves behind for certain: its retained resources and the log groups AWS made. */
export function retainedBy(stack: StackRecord): LeftBehind[] {
  const retained = classify(stack).filter((r) => r.fate === 'retained').map((r): LeftBehind => {
    const kind = kindOf(r.type);
    return { stackName: r.stackName, logicalId: r.logicalId, type: r.type, id: r.physicalId, origin: 'retained', kind, blocksDeploy: fixedName(kind, r) };
  });
  const created = implicitLogGroups(stack).map((r): LeftBehind => ({
    stackName: r.stackName, logicalId: r.logicalId, type: r.type, id: r.physicalId, origin: 'aws-created', kind: kindOf(r.type), blocksDeploy: false,
  }));
  return [...retained, ...created];
}

/** The resources whose deletion takes a final snapshot (DeletionPolicy Snapshot). */
export function snapshottedBy(stack: StackRecord): PlannedResource[] {
  return classify(stack).filter((r) => r.fate === 'snapshot' && r.physicalId !== '');
}

/**
 * Snapshots of a replication group, listed in full: asking by ReplicationGroupId fails once the
 * group is deleted, which is when this is asked.
 */
async function cacheSnapshotsOf(groupId: string, elasticache: ElastiCacheClient): Promise<Snapshot[]> {
  const found: Snapshot[] = [];
  let marker: string | undefined;
  do {
    const page = await elasticache.send(new DescribeSnapshotsCommand({ Marker: marker }));
    found.push(...(page.Snapshots ?? []).filter((s) => s.ReplicationGroupId === groupId));
    marker = page.Marker;
  } while (marker);
  return found;
}

/** The final snapshots a deleted stack's Snapshot policies took: made since its deletion began. */
export async function finalSnapshotsOf(stack: StackRecord, clients: Pick<LeftoverClients, 'rds' | 'elasticache'>): Promise<LeftBehind[]> {
  const since = stack.deletionStartedAt?.getTime() ?? 0;
  const found: LeftBehind[] = [];
  for (const r of snapshottedBy(stack)) {
    const leftBehind = (type: string, id: string): LeftBehind => ({ stackName: r.stackName, logicalId: r.logicalId, type, id, origin: 'snapshot', kind: kindOf(type), blocksDeploy: false });
    if (r.type === 'AWS::RDS::DBInstance') {
      const snapshots = (await clients.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: r.physicalId, SnapshotType: 'manual' }))).DBSnapshots ?? [];
      for (const s of snapshots) if ((s.SnapshotCreateTime?.getTime() ?? 0) >= since) found.push(leftBehind(RDS_SNAPSHOT, s.DBSnapshotIdentifier!));
    } else if (r.type === 'AWS::ElastiCache::ReplicationGroup') {
      for (const s of await cacheSnapshotsOf(r.physicalId, clients.elasticache)) {
        // A snapshot still being written has no node times yet: it counts.
        const times = (s.NodeSnapshots ?? []).map((n) => n.SnapshotCreateTime?.getTime()).filter((t): t is number => t !== undefined);
        if (times.length === 0 || Math.max(...times) >= since) found.push(leftBehind(CACHE_SNAPSHOT, s.SnapshotName!));
      }
    }
  }
  return found;
}

/** Every physical id a deployed stack owns (a leftover is never one of them). */
function ownedIds(inventory: Inventory): Set<string> {
  return new Set(inventory.live.flatMap((s) => [...classify(s), ...implicitLogGroups(s)].map((r) => r.physicalId)).filter(Boolean));
}

export async function findLeftovers(inventory: Inventory, clients: LeftoverClients): Promise<Leftover[]> {
  const owned = ownedIds(inventory);
  const seen = new Set<string>();
  const leftovers: Leftover[] = [];
  for (const stack of inventory.deleted) {
    for (const item of [...retainedBy(stack), ...(await finalSnapshotsOf(stack, clients))]) {
      const key = `${item.type} ${item.id}`;
      if (!item.id || owned.has(item.id) || seen.has(key)) continue;
      seen.add(key);
      if (!item.kind) {
        leftovers.push({ ...item, presence: { state: 'unknown' } });
        continue;
      }
      const presence = await item.kind.presence(item.id, clients);
      if (presence.state === 'exists' || (presence.state === 'scheduled' && item.kind.scheduledIsLeftover)) leftovers.push({ ...item, presence });
    }
  }
  return leftovers;
}

/** One line per leftover for messages: `bucket slipway-logs-… (slipway-data)`. */
export function describeLeftover(l: Leftover): string {
  const what = l.kind ? `${l.kind.label} ${l.id}` : `${l.type} ${l.id} (a type teardown does not know: check it by hand)`;
  const state = l.presence.state === 'scheduled' ? `, ${l.presence.detail}` : '';
  return `${what} (${l.stackName}${state})`;
}
