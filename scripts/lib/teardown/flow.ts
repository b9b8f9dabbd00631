/**
 * `npm run teardown`: without --confirm a plan; with it, the stacks are deleted in order, then
 * (trial) what they left behind is removed, after the database's final snapshot is found.
 * Everything is read again on every run, so a rerun after an interruption carries on.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SlipwayConfig } from '../../../infra/config.ts';
import { UsageError, type CommandResult, type Reporter } from '../cli.ts';
import { listDrillInstances } from '../restore/instances.ts';
import type { Clock } from '../wait.ts';
import { kindOf } from './catalogue.ts';
import { costThatStops } from './cost.ts';
import { readInventory, type Inventory, type StackRecord } from './inventory.ts';
import { RDS_SNAPSHOT, type LeftoverClients } from './kinds.ts';
import { KEY_DELETION_DAYS } from './remove-commands.ts';
import { finalSnapshotsOf, findLeftovers, snapshottedBy } from './leftovers.ts';
import { buildPlan, type PlanItem, type Profile, type TeardownPlan } from './plan.ts';
import { formatCommands, formatPlan, keptWithCommands } from './plan-report.ts';
import { classify, deletionOrder } from './policy.ts';
import { deleteStack, protectedDatabases, StackDeletionFailed, type DeletionTimeouts } from './stack-deletion.ts';

export interface TeardownOptions {
  readonly config: SlipwayConfig;
  /** --confirm APP_NAME: carry the plan out. */
  readonly confirm?: string;
  /** --production: required to tear down a production deployment. */
  readonly production: boolean;
  /** --no-final-snapshot (trial): delete the database's final snapshot too. */
  readonly noFinalSnapshot: boolean;
  readonly dryRun: boolean;
  readonly timeouts: DeletionTimeouts;
  /** Price with another region's table (as `npm run cost -- --price-region`). */
  readonly priceRegion?: string;
}

export interface TeardownDeps {
  readonly clients: LeftoverClients & { readonly cfn: CloudFormationClient };
  readonly clock: Clock;
  readonly reporter: Reporter;
}

/** Production when the settings say so or a deployed stack is tagged so (the stricter wins). */
export function profileOf(config: SlipwayConfig, inventory: Inventory): Profile {
  return config.profile === 'production' || inventory.live.some((s) => s.tags.profile === 'production') ? 'production' : 'trial';
}

function checkFlags(o: TeardownOptions, profile: Profile): void {
  const app = o.config.appName;
  if (o.confirm !== undefined && o.confirm !== app) {
    throw new UsageError(`--confirm ${JSON.stringify(o.confirm)} does not match APP_NAME=${app}. Fix: --confirm ${app} to tear down ${app}, or set APP_NAME to the app you mean`);
  }
  if (profile === 'production' && o.noFinalSnapshot) {
    throw new UsageError('--no-final-snapshot is for a trial: a production teardown always keeps the final snapshot (the command to delete it is printed at the end)');
  }
  if (profile === 'trial' && o.production) {
    throw new UsageError(`--production is for a production deployment, and ${app} is a trial (DEPLOY_PROFILE and the stacks' profile tag). Fix: leave it out`);
  }
  if (profile === 'production' && o.confirm !== undefined && !o.production) {
    throw new UsageError(`${app} is a production deployment: refusing without --production. Fix: npm run teardown -- --confirm ${app} --production (it keeps the final snapshot and the data)`);
  }
}

async function makePlan(o: TeardownOptions, deps: TeardownDeps, inventory: Inventory, profile: Profile): Promise<TeardownPlan> {
  const { clients } = deps;
  const leftovers = await findLeftovers(inventory, clients);
  const protectedDbs = (await Promise.all(inventory.live.map((s) => protectedDatabases(s, clients.rds)))).flat();
  const retained = new Set(inventory.live.flatMap((s) => classify(s).filter((r) => r.fate === 'retained').map((r) => `${r.stackName} ${r.logicalId}`)));
  const kept = (s: StackRecord, id: string) => profile === 'production' && retained.has(`${s.stackName} ${id}`);
  const cost = costThatStops(deletionOrder(inventory.live), inventory.region, kept, o.priceRegion);
  return buildPlan({ inventory, account: o.config.account, profile, noFinalSnapshot: o.noFinalSnapshot, leftovers, protectedDatabases: protectedDbs, cost });
}

/** The latest deletion of each stack that snapshots a database must have left its final snapshot. */
async function missingFinalSnapshots(inventory: Inventory, clients: TeardownDeps['clients']): Promise<string[]> {
  const latest = new Map<string, StackRecord>();
  for (const s of inventory.deleted) if (!latest.has(s.stackName)) latest.set(s.stackName, s);
  const missing: string[] = [];
  for (const stack of latest.values()) {
    const databases = snapshottedBy(stack).filter((r) => r.type === 'AWS::RDS::DBInstance');
    if (databases.length === 0) continue;
    const found = (await finalSnapshotsOf(stack, clients)).filter((l) => l.type === RDS_SNAPSHOT);
    for (const db of databases) if (!found.some((f) => f.logicalId === db.logicalId)) missing.push(db.physicalId);
  }
  return missing;
}

async function removeLeftovers(items: readonly PlanItem[], deps: TeardownDeps): Promise<string[]> {
  const failed: string[] = [];
  for (const i of items.filter((x) => x.action === 'remove')) {
    try {
      await kindOf(i.type)!.remove(i.id, deps.clients);
      deps.reporter.step('pass', `${i.label} ${i.id}`, i.type === 'AWS::KMS::Key' ? `deletion scheduled (KMS waits ${KEY_DELETION_DAYS} days)` : 'removed');
    } catch (error) {
      failed.push(`${i.label} ${i.id}: ${(error as Error).message}`);
      deps.reporter.step('fail', `${i.label} ${i.id}`, (error as Error).message, 'fix the cause and run the same teardown again');
    }
  }
  return failed;
}

export async function teardown(o: TeardownOptions, deps: TeardownDeps): Promise<CommandResult> {
  const { config } = o;
  const { clients, reporter } = deps;
  const app = config.appName;
  const inventory = await readInventory(clients.cfn, app, config.region);
  const profile = profileOf(config, inventory);
  checkFlags(o, profile);
  const plan = await makePlan(o, deps, inventory, profile);
  formatPlan(plan).forEach((l) => reporter.line(l));
  reporter.line('');
  const drills = (await listDrillInstances(clients.rds, app)).map((i) => i.DBInstanceIdentifier!);
  const document: Record<string, unknown> = { profile, plan, drillInstances: drills, executed: false };
  const carryOut = `npm run teardown -- --confirm ${app}${profile === 'production' ? ' --production' : ''}`;

  if (o.confirm === undefined || o.dryRun) {
    const what = plan.stacks.length ? `would delete ${plan.stacks.length} stack(s) and ${profile === 'trial' ? 'remove' : 'keep'} what they retain` : `nothing deployed; ${plan.leftovers.length} leftover(s)`;
    reporter.line(`Nothing was changed. To carry it out: ${carryOut}`);
    return { ok: true, summary: `${o.dryRun ? 'dry run' : 'plan only'}: ${what}; nothing was changed`, document };
  }
  if (drills.length) {
    throw new Error(`restore-drill instances of ${app} still exist (${drills.join(', ')}): they use the data stack's subnet group and security group, so its deletion would fail. Fix: npm run restore-drill -- --rollback if the app is cut over to one, then npm run restore-drill -- --cleanup`);
  }
  const busy = inventory.live.find((s) => s.status.endsWith('_IN_PROGRESS') && s.status !== 'DELETE_IN_PROGRESS');
  if (busy) throw new Error(`${busy.stackName} is ${busy.status}: another operation is running on it. Fix: wait for it to finish, then run this again`);

  document.executed = true;
  const order = deletionOrder(inventory.live);
  try {
    for (const stack of order) await deleteStack(stack, { cfn: clients.cfn, rds: clients.rds, clock: deps.clock, reporter }, o.timeouts);
  } catch (error) {
    if (!(error instanceof StackDeletionFailed)) throw error;
    reporter.step('fail', `stack ${error.stackName}`, error.reason, 'deal with the cause CloudFormation names, then run the same teardown again');
    return { ok: false, summary: `${error.stackName} could not be deleted (${error.reason}); nothing retained was removed; rerun after fixing it`, document };
  }

  const after = await readInventory(clients.cfn, app, config.region);
  const missing = o.noFinalSnapshot ? [] : await missingFinalSnapshots(after, clients);
  if (missing.length) {
    const list = missing.map((id) => `aws rds describe-db-snapshots --db-instance-identifier ${id} --snapshot-type manual --region ${config.region}`).join('; ');
    reporter.step('fail', 'final snapshot', `no final snapshot of database ${missing.join(', ')} taken since its stack's deletion began`, `nothing the stacks retained was removed: see what snapshots the database has (${list}) and run the same teardown again once its final snapshot is there`);
    return { ok: false, summary: `the final snapshot of ${missing.join(', ')} was not found, so nothing retained was removed`, document };
  }
  const leftovers = buildPlan({ inventory: after, account: config.account, profile, noFinalSnapshot: o.noFinalSnapshot, leftovers: await findLeftovers(after, clients), protectedDatabases: [] }).leftovers;
  document.leftovers = leftovers;
  const failed = await removeLeftovers(leftovers, deps);
  const kept = keptWithCommands(leftovers);
  reporter.line('');
  formatCommands(kept).forEach((l) => reporter.line(l));
  document.kept = kept;
  const snapshot = kept.find((k) => k.type === RDS_SNAPSHOT);
  const stacks = `deleted ${order.length} stack(s)`;
  if (failed.length) return { ok: false, summary: `${stacks}, but ${failed.length} leftover(s) could not be removed: ${failed.join('; ')}`, document };
  const removed = leftovers.filter((l) => l.action === 'remove').length;
  return {
    ok: true,
    summary: `${stacks}, removed ${removed} retained resource(s), kept ${kept.length}${snapshot ? ` (final snapshot ${snapshot.id})` : ''}`,
    document,
  };
}
