import { describe, expect, it } from 'vitest';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { ConfigError, parseSettings } from '../../../infra/config.ts';
import { EXAMPLE_SETTINGS } from '../../../infra/test/support.ts';
import { Reporter } from '../../lib/cli.ts';
import { checkBudget, guardBudget, OverBudgetError } from '../../lib/cost/budget.ts';
import { warnIfOverBudget } from '../../lib/cost/budget-verdict.ts';
import type { PreflightContext } from '../../lib/preflight.ts';
import { fakeRunner } from '../support/fake-runner.ts';
import { testConfig } from '../support/world.ts';
import { synthTinyApp } from './fixtures.ts';

/** A runner whose `cdk synth` writes an assembly of `nats` NAT gateways in eu-west-1 ($35.04 each). */
const synthRunner = (nats: number) => fakeRunner([{ match: /^npx cdk synth/, respond: (line) => (synthTinyApp(line.split(' -o ')[1]!.split(' ')[0]!, nats), {}) }]);
const quiet = () => new Reporter({ json: false, stdout: { write: () => true } });

describe('COST_BUDGET_USD', () => {
  it('is optional and parses dollars and cents', () => {
    expect(parseSettings(EXAMPLE_SETTINGS).costBudgetUsd).toBeUndefined();
    expect(parseSettings({ ...EXAMPLE_SETTINGS, COST_BUDGET_USD: '99.50' }).costBudgetUsd).toBe(99.5);
  });

  it.each([
    ['lots', 'COST_BUDGET_USD="lots" is not an amount of US dollars. Fix: a monthly budget such as 250 or 99.50, or unset it'],
    ['-5', 'COST_BUDGET_USD="-5" is not an amount of US dollars. Fix: a monthly budget such as 250 or 99.50, or unset it'],
    ['0', 'COST_BUDGET_USD="0" must be above 0. Fix: a monthly budget such as 250, or unset it'],
  ])('refuses %s', (value, message) => {
    try {
      parseSettings({ ...EXAMPLE_SETTINGS, COST_BUDGET_USD: value });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues).toEqual([message]);
    }
  });
});

describe('preflight cost budget check', () => {
  const ctx = (budget: string | undefined, nats: number, allowOverBudget = false) =>
    ({ config: testConfig(budget ? { COST_BUDGET_USD: budget } : {}), runner: synthRunner(nats), allowOverBudget }) as unknown as PreflightContext;

  it('is skipped without a budget, without synthesizing', async () => {
    const c = ctx(undefined, 1);
    expect(await checkBudget.run(c)).toEqual({ status: 'skip', detail: 'COST_BUDGET_USD is not set (npm run cost prints the estimate)' });
    expect((c.runner as ReturnType<typeof fakeRunner>).calls).toEqual([]);
  });

  it('passes within the budget', async () => {
    expect(await checkBudget.run(ctx('100', 2))).toMatchObject({ status: 'pass', detail: 'estimated $71.04/mo is within COST_BUDGET_USD=100' });
  });

  it('fails over the budget, naming the largest lines and the fix', async () => {
    expect(await checkBudget.run(ctx('50', 2))).toEqual({
      status: 'fail',
      detail: 'estimated $71.04/mo is over COST_BUDGET_USD=50; largest lines: NAT gateway × 2 $70.08, NAT data processed × 1 $0.96',
      fix: 'lower the settings that drive the largest lines (npm run cost shows every line), raise COST_BUDGET_USD, or pass --allow-over-budget',
    });
  });

  it('only warns with --allow-over-budget', async () => {
    expect(await checkBudget.run(ctx('50', 2, true))).toMatchObject({ status: 'warn' });
  });
});

describe('a line without a price is not a pass', () => {
  /** `cdk synth` of one NAT gateway and a Redis node, whose eu-west-1 price the table does not have. */
  const unpricedRunner = () => fakeRunner([{
    match: /^npx cdk synth/,
    respond: (line) => {
      const app = new App({ outdir: line.split(' -o ')[1]!.split(' ')[0]! });
      const stack = new Stack(app, 'tiny', { env: { account: '123456789012', region: 'eu-west-1' } });
      new CfnResource(stack, 'Nat', { type: 'AWS::EC2::NatGateway' });
      new CfnResource(stack, 'Cache', { type: 'AWS::ElastiCache::ReplicationGroup', properties: { CacheNodeType: 'cache.t4g.micro', NumCacheClusters: 2 } });
      app.synth();
      return {};
    },
  }]);
  const detail = 'estimated $36.00/mo (eu-west-1 prices) cannot be checked against COST_BUDGET_USD=500: 1 line(s) have no price and count as nothing in it: ElastiCache cache.t4g.micro node × 2 (elasticache.cache.t4g.micro in eu-west-1: not found in the stored price references on the date read; add it with --prices FILE)';
  const fix = 'add the missing prices to scripts/lib/cost/price-table.ts (npm run cost -- --prices FILE shows the total with them first), or pass --allow-over-budget';

  it('preflight fails naming the line, and only warns with --allow-over-budget', async () => {
    const ctx = (allowOverBudget: boolean) => ({ config: testConfig({ COST_BUDGET_USD: '500' }), runner: unpricedRunner(), allowOverBudget }) as unknown as PreflightContext;
    expect(await checkBudget.run(ctx(false))).toEqual({ status: 'fail', detail, fix });
    expect(await checkBudget.run(ctx(true))).toMatchObject({ status: 'warn', detail: `${detail} (--allow-over-budget)` });
  });

  it('deploy refuses unless allowed', async () => {
    const config = testConfig({ COST_BUDGET_USD: '500' });
    await expect(guardBudget(config, unpricedRunner(), false, quiet())).rejects.toThrow(`refusing to deploy: ${detail}. Fix: ${fix}`);
    await expect(guardBudget(config, unpricedRunner(), true, quiet())).resolves.toMatchObject({ status: 'unpriced', ok: false, over: false });
  });

  it('a total over the budget is over, whatever the missing prices', async () => {
    const verdict = await guardBudget(testConfig({ COST_BUDGET_USD: '20' }), unpricedRunner(), true, quiet());
    expect(verdict).toMatchObject({ status: 'over', message: expect.stringMatching(/^estimated \$36\.00\/mo \(a lower bound: 1 line\(s\) not priced\) is over COST_BUDGET_USD=20/) });
  });
});

describe('deploy budget guard', () => {
  it('refuses over the budget', async () => {
    const config = testConfig({ COST_BUDGET_USD: '50' });
    await expect(guardBudget(config, synthRunner(2), false, quiet())).rejects.toThrow(OverBudgetError);
    await expect(guardBudget(config, synthRunner(2), false, quiet())).rejects.toThrow('refusing to deploy: estimated $71.04/mo is over COST_BUDGET_USD=50');
  });

  it('goes ahead with --allow-over-budget, and does nothing without a budget', async () => {
    await expect(guardBudget(testConfig({ COST_BUDGET_USD: '50' }), synthRunner(2), true, quiet())).resolves.toMatchObject({ over: true });
    const runner = synthRunner(2);
    await expect(guardBudget(testConfig(), runner, false, quiet())).resolves.toBeUndefined();
    expect(runner.calls).toEqual([]);
  });
});

describe('synth warning', () => {
  const assembly = () => {
    const app = new App();
    const stack = new Stack(app, 's', { env: { account: '123456789012', region: 'eu-west-1' } });
    new CfnResource(stack, 'Nat', { type: 'AWS::EC2::NatGateway' });
    return app.synth();
  };

  it('warns over the budget and stays quiet under it', () => {
    const warnings: string[] = [];
    warnIfOverBudget(assembly(), testConfig({ COST_BUDGET_USD: '10' }), (t) => warnings.push(t));
    warnIfOverBudget(assembly(), testConfig({ COST_BUDGET_USD: '1000' }), (t) => warnings.push(t));
    expect(warnings).toEqual([
      'Cost: estimated $36.00/mo is over COST_BUDGET_USD=10; largest lines: NAT gateway × 1 $35.04, NAT data processed × 1 $0.96. Preflight and deploy will refuse. Fix: lower the settings that drive the largest lines (npm run cost shows every line), raise COST_BUDGET_USD, or pass --allow-over-budget',
    ]);
  });
});
