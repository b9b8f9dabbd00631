/** The teardown plan as text, and the exact commands that remove what a teardown keeps. */
import { usd } from '../cost/report.ts';
import { RDS_SNAPSHOT } from './kinds.ts';
import type { PlanItem, TeardownPlan } from './plan.ts';

const ORIGIN: Record<PlanItem['origin'], string> = {
  retained: 'DeletionPolicy Retain',
  snapshot: 'DeletionPolicy Snapshot',
  'aws-created': 'created by AWS, not by the template',
};

function fate(i: PlanItem, plan: TeardownPlan): string {
  if (i.note && i.commands.length === 0 && i.origin !== 'snapshot') return `kept: ${i.note}`;
  if (i.action === 'remove') return i.origin === 'snapshot' ? 'deleted once the stack is gone' : 'removed after the stacks are gone';
  if (plan.profile === 'trial' && i.type === RDS_SNAPSHOT) return 'kept (--no-final-snapshot deletes it)';
  return 'kept (the commands that remove it are printed below)';
}

function itemLine(i: PlanItem, plan: TeardownPlan): string {
  const what = i.origin === 'snapshot' && i.commands.length === 0 ? `${i.label} of ${i.id}` : `${i.label} ${i.id}`;
  const blocks = i.blocksDeploy ? '; its fixed name blocks a new deploy of the same APP_NAME while it exists' : '';
  return `  - ${what} (${i.stackName} ${i.logicalId}, ${ORIGIN[i.origin]}): ${i.why}${blocks}. ${fate(i, plan)}`;
}

export function formatPlan(plan: TeardownPlan): string[] {
  const out = [`Teardown plan for ${plan.appName} (${plan.profile} profile) in ${plan.account}/${plan.region}.`];
  if (plan.stacks.length === 0) {
    out.push('No stack of this app is deployed here.');
  } else {
    out.push('', 'Stacks, deleted in this order (each after every stack that reads from it):');
    plan.stacks.forEach((s, i) => out.push(`  ${i + 1}. ${s.stackName}  ${s.status}, ${s.resources} resources${s.terminationProtection ? ', termination protection on' : ''}`));
    out.push('', `Deleted with the stacks (${plan.deleted.length} resources):`);
    for (const d of plan.deleted) out.push(`  - ${d.stackName} ${d.logicalId} ${d.type}${d.id ? ` ${d.id}` : ''}`);
    out.push('', `Left behind when the stacks are deleted (${plan.leftBehind.length}):`);
    for (const i of plan.leftBehind) out.push(itemLine(i, plan));
  }
  if (plan.leftovers.length) {
    out.push('', `Left over from earlier deletions of these stacks, still there (${plan.leftovers.length}):`);
    for (const i of plan.leftovers) out.push(itemLine(i, plan));
  }
  if (plan.protections.length) out.push('', `Switched off only after --confirm: ${plan.protections.join('; ')}.`);
  if (plan.cost) {
    const c = plan.cost;
    out.push('', `Monthly cost that stops: ${usd(c.stopsUsd)} of the ${usd(c.deployedUsd)} the deployed templates are estimated at (${c.region} prices, npm run cost).`);
    if (c.largest.length) out.push(`  largest: ${c.largest.join('; ')}`);
    if (c.keepsUsd > 0) out.push(`  what is kept goes on costing about ${usd(c.keepsUsd)}/mo, plus snapshot storage (not priced)`);
    if (c.unpriced.length) out.push(`  ${c.unpriced.length} line(s) could not be priced, so these are lower bounds: ${c.unpriced.join('; ')}`);
  }
  return out;
}

/** The items this teardown keeps that exist now, each with the commands that remove it. */
export function keptWithCommands(items: readonly PlanItem[]): PlanItem[] {
  return items.filter((i) => i.action === 'keep' && i.commands.length > 0);
}

export function formatCommands(items: readonly PlanItem[]): string[] {
  if (items.length === 0) return [];
  const out = ['Kept. To remove any of it, once you are sure nothing in it is needed, run:'];
  for (const i of items) {
    out.push(`  # ${i.label} ${i.id} (${i.stackName})${i.note ? `: ${i.note}` : ''}`);
    for (const c of i.commands) out.push(`  ${c}`);
  }
  return out;
}
