/**
 * The budget guard (COST_BUDGET_USD): synth warns, preflight and deploy refuse when the
 * estimate of the synthesized templates is over the budget, naming the largest lines, or when
 * lines without a price leave it unchecked, naming those lines.
 * `--allow-over-budget` turns the refusal into a warning.
 */
import type { SlipwayConfig } from '../../../infra/config.ts';
import type { OptionSpec, Reporter } from '../cli.ts';
import type { PreflightCheck } from '../preflight.ts';
import type { CommandRunner } from '../runner.ts';
import { budgetVerdict, type BudgetVerdict } from './budget-verdict.ts';
import { estimateAssembly } from './estimate.ts';
import { synthesize } from './synth.ts';

export const ALLOW_OVER_BUDGET_OPTION: OptionSpec = {
  type: 'boolean',
  env: 'ALLOW_OVER_BUDGET',
  description: 'Go ahead although the cost estimate is over COST_BUDGET_USD.',
};

/** Synthesizes the work tree and compares its estimate with the budget (undefined: no budget set). */
export async function checkBudgetOf(config: SlipwayConfig, runner: CommandRunner): Promise<BudgetVerdict | undefined> {
  if (config.costBudgetUsd === undefined) return undefined;
  return budgetVerdict(estimateAssembly(await synthesize(runner)), config.costBudgetUsd);
}

export class OverBudgetError extends Error {
  constructor(readonly verdict: BudgetVerdict) {
    super(`refusing to deploy: ${verdict.message}. Fix: ${verdict.fix}`);
    this.name = 'OverBudgetError';
  }
}

/** Deploy's guard: throws OverBudgetError when over budget, or not checkable for lines without a price, unless allowed. */
export async function guardBudget(config: SlipwayConfig, runner: CommandRunner, allowOverBudget: boolean, reporter: Reporter): Promise<BudgetVerdict | undefined> {
  const verdict = await checkBudgetOf(config, runner);
  if (!verdict) return undefined;
  if (!verdict.ok && !allowOverBudget) throw new OverBudgetError(verdict);
  reporter.step(verdict.ok ? 'pass' : 'warn', 'cost budget', verdict.ok ? verdict.message : `${verdict.message} (--allow-over-budget)`);
  return verdict;
}

/** Preflight's check: fail over budget (warn with --allow-over-budget), skip without a budget. */
export const checkBudget: PreflightCheck = {
  name: 'cost budget',
  run: async ({ config, runner, allowOverBudget }) => {
    if (config.costBudgetUsd === undefined) {
      return { status: 'skip', detail: 'COST_BUDGET_USD is not set (npm run cost prints the estimate)' };
    }
    const verdict = (await checkBudgetOf(config, runner))!;
    if (verdict.ok) return { status: 'pass', detail: verdict.message };
    return allowOverBudget
      ? { status: 'warn', detail: `${verdict.message} (--allow-over-budget)`, fix: verdict.fix }
      : { status: 'fail', detail: verdict.message, fix: verdict.fix };
  },
};
