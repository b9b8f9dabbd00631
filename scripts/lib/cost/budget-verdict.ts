/**
 * Estimate versus COST_BUDGET_USD, and the synth-time warning. Kept free of SDK and runner
 * imports so `cdk synth` (infra/main.ts) loads only the estimator.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { SlipwayConfig } from '../../../infra/config.ts';
import { assemblyFromCloudAssembly } from './assembly.ts';
import { estimateAssembly, largestLines } from './estimate.ts';
import type { Estimate } from './model.ts';
import { usd } from './report.ts';

export const BUDGET_FIX = 'lower the settings that drive the largest lines (npm run cost shows every line), raise COST_BUDGET_USD, or pass --allow-over-budget';
export const UNPRICED_FIX = 'add the missing prices to scripts/lib/cost/price-table.ts (npm run cost -- --prices FILE shows the total with them first), or pass --allow-over-budget';

export interface BudgetVerdict {
  /** `unpriced`: within the budget only because some lines have no price, so it cannot be checked. */
  readonly status: 'within' | 'over' | 'unpriced';
  /** The estimate is within the budget, every line priced. */
  readonly ok: boolean;
  readonly over: boolean;
  readonly budgetUsd: number;
  readonly estimateUsd: number;
  /** One line: the estimate, the budget and (when over) the largest lines or (unpriced) the lines without a price. */
  readonly message: string;
  /** What to do when not ok. */
  readonly fix?: string;
}

/**
 * A line without a price counts as nothing in the total, so a total under the budget with
 * unpriced lines says nothing about the budget: it is not a pass. Over the budget it is over
 * whatever the missing prices are.
 */
export function budgetVerdict(estimate: Estimate, budgetUsd: number): BudgetVerdict {
  const base = { budgetUsd, estimateUsd: estimate.monthlyUsd };
  const unpriced = estimate.unpriced.length;
  if (estimate.monthlyUsd > budgetUsd) {
    const lower = unpriced ? ` (a lower bound: ${unpriced} line(s) not priced)` : '';
    const top = largestLines(estimate).map((l) => `${l.label} × ${l.count} ${usd(l.monthlyUsd)}`).join(', ');
    return { ...base, status: 'over', ok: false, over: true, message: `estimated ${usd(estimate.monthlyUsd)}/mo${lower} is over COST_BUDGET_USD=${budgetUsd}; largest lines: ${top}`, fix: BUDGET_FIX };
  }
  if (unpriced) {
    const lines = estimate.unpriced.map((u) => `${u.label} (${u.reason})`).join('; ');
    return {
      ...base, status: 'unpriced', ok: false, over: false, fix: UNPRICED_FIX,
      message: `estimated ${usd(estimate.monthlyUsd)}/mo (${estimate.region} prices) cannot be checked against COST_BUDGET_USD=${budgetUsd}: ${unpriced} line(s) have no price and count as nothing in it: ${lines}`,
    };
  }
  return { ...base, status: 'within', ok: true, over: false, message: `estimated ${usd(estimate.monthlyUsd)}/mo is within COST_BUDGET_USD=${budgetUsd}` };
}

/** After `app.synth()`: a warning on stderr when over budget. Never fails the synth. */
export function warnIfOverBudget(assembly: CloudAssembly, config: SlipwayConfig, warn: (text: string) => void = console.warn): BudgetVerdict | undefined {
  if (config.costBudgetUsd === undefined) return undefined;
  try {
    const verdict = budgetVerdict(estimateAssembly(assemblyFromCloudAssembly(assembly)), config.costBudgetUsd);
    if (!verdict.ok) warn(`Cost: ${verdict.message}. Preflight and deploy will refuse. Fix: ${verdict.fix}`);
    return verdict;
  } catch (error) {
    warn(`Cost: could not estimate the synthesized templates against COST_BUDGET_USD (${(error as Error).message})`);
    return undefined;
  }
}

