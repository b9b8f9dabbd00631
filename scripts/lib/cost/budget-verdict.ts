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

export interface BudgetVerdict {
  readonly over: boolean;
  readonly budgetUsd: number;
  readonly estimateUsd: number;
  /** One line: the estimate, the budget and (when over) the largest lines. */
  readonly message: string;
}

export function budgetVerdict(estimate: Estimate, budgetUsd: number): BudgetVerdict {
  const over = estimate.monthlyUsd > budgetUsd;
  const lower = estimate.unpriced.length ? ` (a lower bound: ${estimate.unpriced.length} line(s) not priced)` : '';
  const top = largestLines(estimate).map((l) => `${l.label} × ${l.count} ${usd(l.monthlyUsd)}`).join(', ');
  const message = over
    ? `estimated ${usd(estimate.monthlyUsd)}/mo${lower} is over COST_BUDGET_USD=${budgetUsd}; largest lines: ${top}`
    : `estimated ${usd(estimate.monthlyUsd)}/mo${lower} is within COST_BUDGET_USD=${budgetUsd}`;
  return { over, budgetUsd, estimateUsd: estimate.monthlyUsd, message };
}

/** After `app.synth()`: a warning on stderr when over budget. Never fails the synth. */
export function warnIfOverBudget(assembly: CloudAssembly, config: SlipwayConfig, warn: (text: string) => void = console.warn): BudgetVerdict | undefined {
  if (config.costBudgetUsd === undefined) return undefined;
  try {
    const verdict = budgetVerdict(estimateAssembly(assemblyFromCloudAssembly(assembly)), config.costBudgetUsd);
    if (verdict.over) warn(`Cost: ${verdict.message}. Preflight and deploy will refuse. Fix: ${BUDGET_FIX}`);
    return verdict;
  } catch (error) {
    warn(`Cost: could not estimate the synthesized templates against COST_BUDGET_USD (${(error as Error).message})`);
    return undefined;
  }
}

