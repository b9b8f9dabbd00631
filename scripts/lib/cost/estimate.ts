/**
 * The estimator: a pure function of the synthesized (or deployed) templates, the assumptions
 * and the price table. It counts what the templates create; it never reads the settings.
 * A teardown plan can call it on the deployed templates to say what monthly cost stops.
 */
import type { AssemblyInput, StackTemplate } from './assembly.ts';
import { DEFAULT_ASSUMPTIONS, type Assumptions } from './assumptions.ts';
import { freeReason, PRICERS, pricerOf } from './catalogue.ts';
import { round2, type CostLine, type Estimate, type Located, type ResourceIndex, type Unpriced } from './model.ts';
import { PRICE_TABLE, PRICED_REGIONS, priceRegionProblem, type PriceEntry } from './price-table.ts';

export interface EstimateOptions {
  readonly assumptions?: Assumptions;
  /** Price with this region's table instead of the stacks' region (an explicit approximation). */
  readonly priceRegion?: string;
  /** Extra or corrected prices by region, e.g. from --prices FILE. */
  readonly priceOverrides?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export function indexAssembly(assembly: AssemblyInput): ResourceIndex {
  const all: Located[] = assembly.stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {}).map(([id, resource]) => ({ id, resource, stack })),
  );
  const byType = new Map<string, Located[]>();
  for (const r of all) byType.set(r.resource.Type, [...(byType.get(r.resource.Type) ?? []), r]);
  return {
    all,
    ofType: (type) => byType.get(type) ?? [],
    inStack: (stack: StackTemplate, id: string) => {
      const resource = stack.template.Resources?.[id];
      return resource ? all.find((r) => r.stack === stack && r.id === id) : undefined;
    },
  };
}

/** The one region of the assembly's stacks; an error names the stacks when it is not one. */
export function assemblyRegion(assembly: AssemblyInput): string {
  const regions = [...new Set(assembly.stacks.map((s) => s.region ?? '(no region)'))];
  if (regions.length !== 1 || regions[0] === '(no region)') {
    throw new Error(`the cost estimate needs every stack in one known region, found ${regions.join(', ') || 'no stacks'}. Fix: set AWS_REGION (stacks must not be environment-agnostic)`);
  }
  return regions[0]!;
}

function priceLookup(region: string, overrides: EstimateOptions['priceOverrides']) {
  const table = PRICE_TABLE[region];
  return (key: string): { usd: number; source?: string } | { missing: string } => {
    const override = overrides?.[region]?.[key];
    if (override !== undefined) return { usd: override, source: 'given with --prices' };
    if (!table) return { missing: `no price table for region ${region} (the table has ${PRICED_REGIONS.join(', ')}); use --price-region or --prices` };
    const entry: PriceEntry | undefined = table[key];
    if (!entry) return { missing: `no price for ${key} in ${region}; add it with --prices` };
    if (entry.usd === null) return { missing: `${key} in ${region}: ${entry.note ?? 'price not found'}` };
    return { usd: entry.usd, source: entry.source };
  };
}

export function estimateAssembly(assembly: AssemblyInput, options: EstimateOptions = {}): Estimate {
  const assumptions = options.assumptions ?? DEFAULT_ASSUMPTIONS;
  // A price region without a table would price nothing: every line unpriced, a total of $0.
  const problem = options.priceRegion === undefined ? undefined : priceRegionProblem(options.priceRegion, Object.keys(options.priceOverrides ?? {}));
  if (problem) throw new Error(problem);
  const region = options.priceRegion ?? assemblyRegion(assembly);
  const index = indexAssembly(assembly);
  const unpriced: Unpriced[] = [];
  const ctx = { index, assumptions, unpriced: (u: Unpriced) => unpriced.push(u) };
  const price = priceLookup(region, options.priceOverrides);

  const lines: CostLine[] = [];
  for (const pricer of PRICERS) {
    for (const draft of pricer.lines(ctx)) {
      if (draft.priceKey === null) {
        lines.push({ ...draft, unitUsd: 0, monthlyUsd: 0 });
        continue;
      }
      const found = price(draft.priceKey);
      if ('missing' in found) {
        unpriced.push({ key: draft.key, label: `${draft.label} × ${draft.count}`, reason: found.missing });
        continue;
      }
      lines.push({ ...draft, unitUsd: found.usd, monthlyUsd: round2(draft.quantity * found.usd), source: found.source });
    }
  }

  const freeTypes: Array<{ type: string; count: number; reason: string }> = [];
  const types = [...new Set(index.all.map((r) => r.resource.Type))].sort();
  for (const type of types) {
    if (pricerOf(type)) continue;
    const count = index.ofType(type).length;
    const reason = freeReason(type);
    if (reason) freeTypes.push({ type, count, reason });
    else unpriced.push({ key: `type:${type}`, label: `${type} × ${count}`, reason: 'resource type not in the estimator\'s catalogue (scripts/lib/cost/catalogue.ts)' });
  }

  const monthlyUsd = round2(lines.reduce((n, l) => n + l.monthlyUsd, 0));
  return { region, lines, unpriced, monthlyUsd, freeTypes, assumptions };
}

/** The priced lines, most expensive first. */
export function largestLines(estimate: Estimate, n = 3): CostLine[] {
  return [...estimate.lines].sort((a, b) => b.monthlyUsd - a.monthlyUsd).slice(0, n);
}
