/** `npm run cost`: flags, and the flow over injected synth/deployed readers. */
import { readFileSync } from 'node:fs';
import { PROFILES, type SlipwayConfig } from '../../../infra/config.ts';
import { stringFlag, UsageError, type CommandResult, type CommandSpec, type Flags, type Reporter } from '../cli.ts';
import type { AssemblyInput } from './assembly.ts';
import { ASSUMPTION_DOCS, ASSUMPTION_NAMES, parseAssumeFlag, readAssumptionsFile, withAssumptions } from './assumptions.ts';
import { budgetVerdict } from './budget-verdict.ts';
import { estimateAssembly, type EstimateOptions } from './estimate.ts';
import type { Estimate } from './model.ts';
import { PRICED_REGIONS, priceRegionProblem } from './price-table.ts';
import { diffEstimates, formatDiff, formatEstimate } from './report.ts';

export const COST_SPEC: CommandSpec = {
  name: 'cost',
  summary:
    'Estimate the monthly AWS cost of what the synthesized templates create (cdk synth, offline), one table per profile, from a pinned price table and stated usage assumptions. --against compares with another git revision or with what is deployed.',
  options: {
    profile: { type: 'string', valueName: 'NAME', description: 'production, trial or both. Default: the configured DEPLOY_PROFILE.' },
    against: { type: 'string', valueName: 'REF', description: 'Print the monthly change per line from REF (a git branch, tag or commit, synthesized in a temporary worktree) or from "deployed" (the templates CloudFormation holds).' },
    assume: { type: 'string', valueName: 'K=V,...', description: `Override usage assumptions, e.g. natGbPerMonth=50,albLcu=2. Keys: ${ASSUMPTION_NAMES.join(', ')}.` },
    assumptions: { type: 'string', valueName: 'FILE', description: 'JSON file of assumption overrides, e.g. {"natGbPerMonth": 50}.' },
    prices: { type: 'string', valueName: 'FILE', description: 'JSON file of extra or corrected prices by region, e.g. {"eu-west-1": {"rds.postgres.db.t4g.medium": 0.07}}.' },
    'price-region': { type: 'string', valueName: 'REGION', description: `Price with another region's table (an approximation for regions not in it): ${PRICED_REGIONS.join(', ')}, or a region given with --prices. Any other is refused.` },
  },
  examples: [
    'npm run cost',
    'npm run cost -- --profile both',
    'npm run cost -- --against main',
    'npm run cost -- --against deployed --json',
    'npm run cost -- --assume natGbPerMonth=100,appLogGbPerTask=3',
  ],
  notes: [
    'Assumptions (defaults):',
    ...ASSUMPTION_NAMES.map((n) => `  ${n}=${ASSUMPTION_DOCS[n][0]}: ${ASSUMPTION_DOCS[n][1]}`),
    'Prices: scripts/lib/cost/price-table.ts (each with its source and the date read). A line without a price is listed as not priced, never as $0.',
    'With COST_BUDGET_USD set, the total is compared with it: exit 1 when over, or when a line has no price (the total would leave it out).',
  ],
};

export interface CostDeps {
  readonly config: SlipwayConfig;
  /** Synthesizes the work tree with extra CDK context. */
  readonly synth: (context: Record<string, string>) => Promise<AssemblyInput>;
  /** Synthesizes another git revision. */
  readonly synthRevision: (ref: string, context: Record<string, string>) => Promise<AssemblyInput>;
  /** The deployed stacks' templates. */
  readonly deployed: () => Promise<AssemblyInput>;
  readonly reporter: Reporter;
}

function profilesFrom(flags: Flags, config: SlipwayConfig): string[] {
  const p = stringFlag(flags, 'profile');
  if (p === undefined) return [config.profile];
  if (p === 'both') return [...PROFILES];
  if (!(PROFILES as readonly string[]).includes(p)) throw new UsageError(`--profile ${JSON.stringify(p)} is not a profile: use production, trial or both`);
  return [p];
}

function readPrices(path: string): EstimateOptions['priceOverrides'] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--prices ${path}: cannot read it as JSON (${(error as Error).message})`);
  }
  const ok = json !== null && typeof json === 'object' && Object.values(json).every((r) => r !== null && typeof r === 'object' && Object.values(r).every((v) => typeof v === 'number' && v >= 0));
  if (!ok) throw new UsageError(`--prices ${path}: expected {"REGION": {"PRICE KEY": USD, ...}} with numbers of at least 0, e.g. {"eu-west-1": {"alb.lcuHour": 0.008}}`);
  return json as EstimateOptions['priceOverrides'];
}

export function estimateOptionsFrom(flags: Flags): EstimateOptions {
  const assumeFlag = stringFlag(flags, 'assume');
  const file = stringFlag(flags, 'assumptions');
  const prices = stringFlag(flags, 'prices');
  try {
    const priceOverrides = prices ? readPrices(prices) : undefined;
    const priceRegion = stringFlag(flags, 'price-region');
    const problem = priceRegion === undefined ? undefined : priceRegionProblem(priceRegion, Object.keys(priceOverrides ?? {}), ', or give its prices with --prices FILE');
    if (problem) throw new UsageError(problem);
    return {
      assumptions: withAssumptions(file ? readAssumptionsFile(file) : {}, assumeFlag ? parseAssumeFlag(assumeFlag) : {}),
      priceRegion,
      priceOverrides,
    };
  } catch (error) {
    if ((error as Error).name === 'AssumptionError') throw new UsageError((error as Error).message);
    throw error;
  }
}

export async function costFlow(flags: Flags, deps: CostDeps): Promise<CommandResult> {
  const { config, reporter } = deps;
  const options = estimateOptionsFrom(flags);
  const against = stringFlag(flags, 'against');
  const profiles = profilesFrom(flags, config);
  if (against === 'deployed' && profiles.length > 1) throw new UsageError('--against deployed compares the configured deployment: use it without --profile both');
  const results: Array<{ profile: string; estimate: Estimate; against?: ReturnType<typeof diffEstimates> }> = [];
  for (const profile of profiles) {
    const context = { DEPLOY_PROFILE: profile };
    const estimate = estimateAssembly(await deps.synth(context), options);
    formatEstimate(estimate, `${config.appName} ${profile}`).forEach((l) => reporter.line(l));
    let delta;
    if (against) {
      const before = estimateAssembly(against === 'deployed' ? await deps.deployed() : await deps.synthRevision(against, context), options);
      delta = diffEstimates(before, estimate);
      formatDiff(delta, against, 'the work tree').forEach((l) => reporter.line(l));
    }
    reporter.line('');
    results.push({ profile, estimate, against: delta });
  }
  const unpriced = results.reduce((n, r) => n + r.estimate.unpriced.length, 0);
  const totals = results.map((r) => `${r.profile} $${r.estimate.monthlyUsd.toFixed(2)}/mo`).join(', ');
  const lowerBound = unpriced ? ` (${unpriced} line(s) not priced: the totals are lower bounds)` : '';
  const configured = results.find((r) => r.profile === config.profile);
  const budget = config.costBudgetUsd !== undefined && configured ? budgetVerdict(configured.estimate, config.costBudgetUsd) : undefined;
  if (budget) reporter.step(budget.ok ? 'pass' : 'fail', 'cost budget', budget.message, budget.fix);
  return {
    ok: budget?.ok ?? true,
    summary: `${totals}${lowerBound}`,
    document: { profiles: results, budget: budget ?? null },
  };
}
