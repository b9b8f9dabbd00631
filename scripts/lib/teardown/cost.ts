/**
 * The monthly cost a teardown stops, from the cost estimator run on the deployed templates: the
 * estimate of everything deployed, minus the estimate of what stays (the retained resources a
 * production teardown keeps). No second pricer: the same `estimateAssembly` as `npm run cost`.
 */
import type { AssemblyInput, CfnTemplate } from '../cost/assembly.ts';
import { estimateAssembly } from '../cost/estimate.ts';
import { diffEstimates } from '../cost/report.ts';
import type { StackRecord } from './inventory.ts';

export interface CostThatStops {
  /** The region whose prices were used. */
  readonly region: string;
  /** Estimate of everything deployed. */
  readonly deployedUsd: number;
  /** What stops: deployed minus what stays. */
  readonly stopsUsd: number;
  /** What the kept resources go on costing (snapshot storage is not priced). */
  readonly keepsUsd: number;
  /** The largest lines that stop, e.g. "-$32.85/mo: NAT gateway × 1". */
  readonly largest: readonly string[];
  /** Lines the estimator could not price: the figures are lower bounds. */
  readonly unpriced: readonly string[];
}

function assembly(stacks: readonly StackRecord[], region: string, keep: (stack: StackRecord, logicalId: string) => boolean): AssemblyInput {
  return {
    stacks: stacks.map((s) => {
      const resources = Object.fromEntries(Object.entries(s.template.Resources ?? {}).filter(([id]) => keep(s, id)));
      const template: CfnTemplate = { ...s.template, Resources: resources };
      return { stackName: s.stackName, region, template, parameters: s.parameters };
    }),
  };
}

/** `kept(stack, logicalId)`: the resource stays after the teardown. undefined when nothing is deployed. */
export function costThatStops(live: readonly StackRecord[], region: string, kept: (stack: StackRecord, logicalId: string) => boolean, priceRegion?: string): CostThatStops | undefined {
  if (live.length === 0) return undefined;
  const options = { priceRegion };
  const deployed = estimateAssembly(assembly(live, region, () => true), options);
  const remaining = estimateAssembly(assembly(live, region, kept), options);
  const diff = diffEstimates(deployed, remaining);
  return {
    region: deployed.region,
    deployedUsd: deployed.monthlyUsd,
    stopsUsd: Math.round((deployed.monthlyUsd - remaining.monthlyUsd) * 100) / 100,
    keepsUsd: remaining.monthlyUsd,
    largest: diff.lines.filter((l) => l.monthlyUsd < 0).slice(0, 5).map((l) => l.text),
    unpriced: deployed.unpriced.map((u) => `${u.label}: ${u.reason}`),
  };
}
