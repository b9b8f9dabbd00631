/** The shapes the estimator works with: one definition, used by pricers, output and budget guard. */
import type { CfnResource, StackTemplate } from './assembly.ts';
import type { Assumptions } from './assumptions.ts';

/** A resource of the assembly with where it lives. */
export interface Located {
  readonly id: string;
  readonly resource: CfnResource;
  readonly stack: StackTemplate;
}

/** The assembly, indexed for pricers. */
export interface ResourceIndex {
  readonly all: readonly Located[];
  ofType(type: string): Located[];
  /** A resource by logical id in the same stack. */
  inStack(stack: StackTemplate, id: string): Located | undefined;
}

/** One line a pricer wants priced: `quantity` units of `priceKey`. */
export interface LineDraft {
  /** Stable across revisions, so `--against` can match lines: e.g. `nat-gateway`. */
  readonly key: string;
  /** e.g. "NAT gateway"; the output adds " × count". */
  readonly label: string;
  readonly count: number;
  /** Quantity in the price's unit (hours, GB, metric-months, ...). */
  readonly quantity: number;
  /** Key into the region's price table; null: free, with `detail` saying why. */
  readonly priceKey: string | null;
  /** `usage`: depends on an assumption; `fixed`: follows from the templates alone. */
  readonly basis: 'fixed' | 'usage';
  /** How the quantity was reached, e.g. "2 × 730 h". */
  readonly detail: string;
}

/** A resource the estimator cannot price: reported, never counted as $0. */
export interface Unpriced {
  readonly key: string;
  readonly label: string;
  readonly reason: string;
}

export interface PricingContext {
  readonly index: ResourceIndex;
  readonly assumptions: Assumptions;
  /** Records something that cannot be priced. */
  readonly unpriced: (item: Unpriced) => void;
}

export interface Pricer {
  /** The resource types this pricer owns (each type has exactly one owner or a free reason). */
  readonly types: readonly string[];
  readonly lines: (ctx: PricingContext) => LineDraft[];
}

export interface CostLine extends Omit<LineDraft, 'priceKey'> {
  readonly priceKey: string | null;
  readonly unitUsd: number;
  readonly monthlyUsd: number;
  readonly source?: string;
}

export interface Estimate {
  /** The region whose prices were used. */
  readonly region: string;
  readonly lines: readonly CostLine[];
  readonly unpriced: readonly Unpriced[];
  /** Sum of the priced lines, to the cent. */
  readonly monthlyUsd: number;
  /** Resource types present and free, with why (for --json and the coverage test). */
  readonly freeTypes: ReadonlyArray<{ readonly type: string; readonly count: number; readonly reason: string }>;
  readonly assumptions: Assumptions;
}

/** Logical id without the CDK hash suffix: ApiServiceD5B4A50A -> ApiService. */
export function baseName(id: string): string {
  return id.replace(/[0-9A-F]{8}$/, '') || id;
}

export const round2 = (n: number): number => Math.round((n + Number.EPSILON) * 100) / 100;
