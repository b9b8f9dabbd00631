import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { allOptions, runCommand } from '../../lib/cli.ts';
import type { AssemblyInput } from '../../lib/cost/assembly.ts';
import { COST_SPEC, costFlow } from '../../lib/cost/command.ts';
import { deployedAssembly, synthesizeRevision } from '../../lib/cost/synth.ts';
import { fakeRunner } from '../support/fake-runner.ts';
import { testConfig } from '../support/world.ts';
import { handAssembly, HAND_TEMPLATE, synthTinyApp } from './fixtures.ts';

const withNats = (n: number): AssemblyInput => ({
  stacks: [{ stackName: 'net', region: 'eu-west-1', template: { Resources: Object.fromEntries(Array.from({ length: n }, (_, i) => [`Nat${i}`, { Type: 'AWS::EC2::NatGateway' }])) } }],
});

async function run(argv: string[], over: { budget?: string; synth?: (c: Record<string, string>) => AssemblyInput; revision?: AssemblyInput; deployed?: AssemblyInput } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const contexts: Array<Record<string, string>> = [];
  const config = testConfig(over.budget ? { COST_BUDGET_USD: over.budget } : {});
  const code = await runCommand(COST_SPEC, { argv, env: {}, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } }, (flags, reporter) =>
    costFlow(flags, {
      config,
      reporter,
      synth: async (c) => (contexts.push(c), (over.synth ?? (() => withNats(2)))(c)),
      synthRevision: async () => over.revision ?? withNats(1),
      deployed: async () => over.deployed ?? withNats(1),
    }),
  );
  return { code, out: out.join(''), err: err.join(''), contexts };
}

describe('npm run cost', () => {
  it('--help lists every flag and the assumptions with their defaults', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--profile NAME', '--against REF', '--assume K=V,...', '--assumptions FILE', '--prices FILE', '--price-region REGION', '--json']) expect(r.out).toContain(flag);
    expect(r.out).toContain('natGbPerMonth=20: GB processed by all NAT gateways together');
  });

  it('prints a table per profile with the total, synthesizing each profile', async () => {
    const r = await run(['--profile', 'both']);
    expect(r.code).toBe(0);
    expect(r.contexts).toEqual([{ DEPLOY_PROFILE: 'production' }, { DEPLOY_PROFILE: 'trial' }]);
    expect(r.out).toContain('slipway production (eu-west-1 prices)');
    expect(r.out).toMatch(/NAT gateway × 2 +\$70\.08 +fixed +2 × 730 h/);
    expect(r.err).toContain('✓ cost: production $71.04/mo, trial $71.04/mo');
  });

  it('--json prints one document with every line and its source', async () => {
    const r = await run(['--json']);
    const doc = JSON.parse(r.out);
    expect(doc.ok).toBe(true);
    expect(doc.profiles[0].profile).toBe('production');
    expect(doc.profiles[0].estimate.lines[0]).toMatchObject({ key: 'nat-gateway', count: 2, monthlyUsd: 70.08, unitUsd: 0.048, source: 'https://aws.amazon.com/vpc/pricing/' });
  });

  it('--against REF prints the monthly delta per line', async () => {
    const r = await run(['--against', 'main']);
    expect(r.out).toContain('Monthly cost change from main to the work tree:\n  +$35.04/mo: NAT gateway × 1 (1 → 2)');
  });

  it('--against deployed compares with the deployed templates', async () => {
    const r = await run(['--against', 'deployed'], { deployed: withNats(2) });
    expect(r.out).toContain('No monthly cost change from deployed to the work tree.');
  });

  it('overrides assumptions with --assume', async () => {
    const r = await run(['--assume', 'natGbPerMonth=100', '--json']);
    expect(JSON.parse(r.out).profiles[0].estimate.lines.find((l: { key: string }) => l.key === 'nat-data').monthlyUsd).toBe(4.8);
  });

  it.each([
    [['--profile', 'staging'], '--profile "staging" is not a profile: use production, trial or both'],
    [['--assume', 'natGb=5'], '--assume: unknown assumption "natGb". Fix: use one of hoursPerMonth, natGbPerMonth'],
    [['--assume', 'natGbPerMonth=-1'], '--assume: natGbPerMonth="-1" is not a number of at least 0. Fix: e.g. natGbPerMonth=20'],
    [['--assume', 'natGbPerMonth'], '--assume: "natGbPerMonth" is not KEY=VALUE. Fix: e.g. --assume natGbPerMonth=50,albLcu=2'],
    [['--profile', 'both', '--against', 'deployed'], '--against deployed compares the configured deployment: use it without --profile both'],
  ])('refuses %j with exit 2: %s', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('refuses a prices file that is not {REGION: {KEY: USD}}', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cost-prices-'));
    try {
      writeFileSync(join(dir, 'p.json'), '{"eu-west-1": {"alb.lcuHour": "cheap"}}');
      const r = await run(['--prices', join(dir, 'p.json')]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('expected {"REGION": {"PRICE KEY": USD, ...}} with numbers of at least 0');
      writeFileSync(join(dir, 'a.json'), '{"albLcu": "x"}');
      const a = await run(['--assumptions', join(dir, 'a.json')]);
      expect(a.err).toContain(`--assumptions ${join(dir, 'a.json')}: albLcu="x" is not a number of at least 0`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 over COST_BUDGET_USD, naming the largest lines', async () => {
    const r = await run([], { budget: '50' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('✗ cost budget: estimated $71.04/mo is over COST_BUDGET_USD=50; largest lines: NAT gateway × 2 $70.08, NAT data processed × 1 $0.96');
  });

  it('a --price-region the table does not have is refused with exit 2, also with a budget, naming the region meant', async () => {
    const typo = await run(['--price-region', 'us-east1'], { budget: '1000' });
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('--price-region "us-east1" is not a region of the price table, which has us-east-1, eu-west-1. Fix: --price-region us-east-1');
    expect(typo.out).not.toContain('within COST_BUDGET_USD');
    const far = await run(['--price-region', 'sa-east-1']);
    expect(far.code).toBe(2);
    expect(far.err).toContain('--price-region "sa-east-1" is not a region of the price table, which has us-east-1, eu-west-1. Fix: one of us-east-1, eu-west-1, or give its prices with --prices FILE');
  });

  it('--price-region may name a region the --prices file gives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cost-prices-'));
    try {
      writeFileSync(join(dir, 'p.json'), '{"sa-east-1": {"nat.hour": 0.093, "nat.gb": 0.093}}');
      const r = await run(['--price-region', 'sa-east-1', '--prices', join(dir, 'p.json'), '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).profiles[0].estimate.lines[0]).toMatchObject({ key: 'nat-gateway', monthlyUsd: 135.78 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 with a budget when a line has no price in the region, naming it, however low the rest is', async () => {
    const withCache = (): AssemblyInput => {
      const a = withNats(1);
      a.stacks[0]!.template.Resources!.Cache = { Type: 'AWS::ElastiCache::ReplicationGroup', Properties: { CacheNodeType: 'cache.t4g.micro', NumCacheClusters: 1 } };
      return a;
    };
    const r = await run([], { budget: '1000', synth: withCache });
    expect(r.code).toBe(1);
    expect(r.out).toContain('✗ cost budget: estimated $36.00/mo (eu-west-1 prices) cannot be checked against COST_BUDGET_USD=1000: 1 line(s) have no price and count as nothing in it: ElastiCache cache.t4g.micro node × 1 (elasticache.cache.t4g.micro in eu-west-1: not found');
    expect(r.out).toContain('fix: add the missing prices to scripts/lib/cost/price-table.ts');
    // Priced, the same templates pass.
    const dir = mkdtempSync(join(tmpdir(), 'cost-prices-'));
    try {
      writeFileSync(join(dir, 'p.json'), '{"eu-west-1": {"elasticache.cache.t4g.micro": 0.018}}');
      const priced = await run(['--prices', join(dir, 'p.json')], { budget: '1000', synth: withCache });
      expect(priced.code).toBe(0);
      expect(priced.out).toContain('✓ cost budget: estimated $49.14/mo is within COST_BUDGET_USD=1000');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the docs give npm run cost only flags it has', () => {
    const known = allOptions(COST_SPEC);
    const bad = ['README.md', 'infra/README.md', 'runbooks/first-deploy.md'].flatMap((f) => {
      const text = readFileSync(resolve(import.meta.dirname, '../../..', f), 'utf8').replace(/--\n\s*/g, '-- ');
      return [...text.matchAll(/npm run cost -- ([^`\n]*)/g)].flatMap((m) => [...m[1]!.matchAll(/--([a-z][a-z-]*)/g)].map((x) => x[1]!).filter((flag) => !(flag in known)).map((flag) => `${f}: --${flag}`));
    });
    expect(bad).toEqual([]);
  });
});

describe('synthesizeRevision', () => {
  it('synthesizes REF in a temporary worktree with this checkout\'s node_modules, then removes it', async () => {
    let worktree = '';
    const runner = fakeRunner([
      { match: /^git rev-parse/, result: { stdout: 'abc123\n' } },
      { match: /^git worktree add/, respond: (line) => ((worktree = line.split(' ')[4]!), mkdirSync(worktree), {}) },
      { match: /^npx cdk synth/, respond: (line, options) => (expect(options?.cwd).toBe(worktree), synthTinyApp(line.split(' -o ')[1]!.split(' ')[0]!, 3), {}) },
      { match: /^git worktree remove/, result: {} },
    ]);
    const assembly = await synthesizeRevision(runner, 'main', { cwd: mkdtempSync(join(tmpdir(), 'cost-checkout-')), context: { DEPLOY_PROFILE: 'trial' } });
    expect(assembly.stacks[0]!.template.Resources).toHaveProperty('Nat2');
    expect(runner.calls[2]).toMatch(/ -c DEPLOY_PROFILE=trial$/);
    expect(runner.calls[3]).toBe(`git worktree remove --force ${worktree}`);
    rmSync(worktree, { recursive: true, force: true });
  });

  it('a ref git does not know is a clear error', async () => {
    const runner = fakeRunner([{ match: /^git rev-parse/, result: { exitCode: 1 } }]);
    await expect(synthesizeRevision(runner, 'nope')).rejects.toThrow('--against nope: not a git revision here. Fix: a branch, tag or commit (e.g. main, HEAD~1), or "deployed"');
  });
});

describe('deployedAssembly', () => {
  const cfn = new CloudFormationClient({ region: 'us-east-1' });
  const mock = mockClient(cfn);
  afterEach(() => mock.reset());

  it('reads the templates and parameters of the deployed stacks, skipping those not deployed', async () => {
    mock.on(DescribeStacksCommand).rejects(new Error('Stack with id x does not exist'));
    mock.on(DescribeStacksCommand, { StackName: 'slipway-service' }).resolves({ Stacks: [{ StackName: 'slipway-service', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Parameters: [{ ParameterKey: 'ImageTag', ParameterValue: 'abc' }] }] });
    mock.on(GetTemplateCommand, { StackName: 'slipway-service' }).resolves({ TemplateBody: JSON.stringify(HAND_TEMPLATE) });
    const assembly = await deployedAssembly(cfn, 'slipway', 'us-east-1');
    expect(assembly.stacks.map((s) => [s.stackName, s.region, s.parameters])).toEqual([['slipway-service', 'us-east-1', { ImageTag: 'abc' }]]);
    expect(Object.keys(assembly.stacks[0]!.template.Resources!)).toEqual(Object.keys(handAssembly().stacks[0]!.template.Resources!));
  });

  it('nothing deployed is an error naming the app and region', async () => {
    mock.on(DescribeStacksCommand).rejects(new Error('Stack with id x does not exist'));
    await expect(deployedAssembly(cfn, 'slipway', 'us-east-1')).rejects.toThrow('--against deployed: no slipway-* stack is deployed in us-east-1');
  });
});
