import { describe, expect, it } from 'vitest';
import { withAssumptions } from '../../lib/cost/assumptions.ts';
import { estimateAssembly } from '../../lib/cost/estimate.ts';
import { diffEstimates } from '../../lib/cost/report.ts';
import { HAND_ASSUMPTIONS, handAssembly } from './fixtures.ts';

const assumptions = withAssumptions(HAND_ASSUMPTIONS);
const byKey = (e: ReturnType<typeof estimateAssembly>) => Object.fromEntries(e.lines.map((l) => [l.key, l.monthlyUsd]));

describe('estimateAssembly on a hand-computed assembly (us-east-1, 730 h)', () => {
  const estimate = estimateAssembly(handAssembly(), { assumptions });

  it('prices every line as worked out by hand', () => {
    expect(byKey(estimate)).toEqual({
      'nat-gateway': 32.85, // 730 h × $0.045
      'nat-data': 0.45, // 10 GB × $0.045
      'public-ipv4': 10.95, // (1 Elastic IP + 2 load balancer subnets) × 730 h × $0.005
      'load-balancer': 16.43, // 730 h × $0.0225
      'load-balancer-lcu': 5.84, // 1 LCU × 730 h × $0.008
      'vpc-endpoint:Endpoint': 14.6, // 2 AZ × 730 h × $0.01
      'vpc-endpoint-data:Endpoint': 0.1, // 10 GB × $0.01
      'fargate:api:vcpu': 23.64, // 2 tasks × 730 h × 0.5 vCPU × $0.03238
      'fargate:api:memory': 5.2, // 2 tasks × 730 h × 1 GB × $0.00356
      'database:Db:instance': 23.36, // 730 h × $0.032
      'database:Db:storage': 2.3, // 20 GiB × $0.115
      'database:Db:backup': 0, // 5 GB + 7 × 0.5 GB = 8.5 GB, inside the 20 GB allowance
      secrets: 0.8, // 2 × $0.40
      'secrets-api': 0.1, // 20,000 calls × $0.05 / 10,000
      'kms-keys': 1,
      'waf:Acl': 5,
      'waf-rules:Acl': 3, // 2 rules + 1 managed rule group
      'waf-requests:Acl': 1.2, // 2 million × $0.60
      alarms: 0.3, // 1 + 2 metrics (the expression is free) × $0.10
      dashboards: 3,
      'logs:app': 1, // 2 tasks × 1 GB × $0.50
      'logs:storage': 0.06, // 2 GB × 30 days / 30 × $0.03
    });
  });

  it('totals the lines to the cent', () => {
    expect(estimate.monthlyUsd).toBe(151.18);
    expect(estimate.unpriced).toEqual([]);
  });

  it('counts the Fargate tasks at the scaling minimum, not the desired count', () => {
    expect(estimate.lines.find((l) => l.key === 'fargate:api:vcpu')).toMatchObject({ count: 2, detail: '2 task(s) × 730 h × 0.5 vCPU' });
  });

  it('lists the free types present with why', () => {
    expect(estimate.freeTypes).toEqual([
      { type: 'AWS::ApplicationAutoScaling::ScalableTarget', count: 1, reason: 'scaling bounds, no charge (its minimum sets the Fargate task count)' },
    ]);
  });
});

describe('what cannot be priced is reported, never counted as $0', () => {
  it('a resource type outside the catalogue', () => {
    const e = estimateAssembly(handAssembly('us-east-1', { Thing: { Type: 'AWS::Foo::Bar' }, Thing2: { Type: 'AWS::Foo::Bar' } }), { assumptions });
    expect(e.unpriced).toEqual([{ key: 'type:AWS::Foo::Bar', label: 'AWS::Foo::Bar × 2', reason: "resource type not in the estimator's catalogue (scripts/lib/cost/catalogue.ts)" }]);
    expect(e.monthlyUsd).toBe(151.18);
  });

  it('a region without a price table', () => {
    const e = estimateAssembly(handAssembly('ap-south-1'), { assumptions });
    expect(e.lines.filter((l) => l.priceKey !== null)).toEqual([]);
    expect(e.unpriced[0]).toEqual({ key: 'nat-gateway', label: 'NAT gateway × 1', reason: 'no price table for region ap-south-1 (the table has us-east-1, eu-west-1); use --price-region or --prices' });
    expect(e.monthlyUsd).toBe(0);
  });

  it('a price region without a table is refused, not priced at $0', () => {
    expect(() => estimateAssembly(handAssembly(), { assumptions, priceRegion: 'us-east1' })).toThrow('--price-region "us-east1" is not a region of the price table, which has us-east-1, eu-west-1. Fix: --price-region us-east-1');
    expect(estimateAssembly(handAssembly(), { assumptions, priceRegion: 'ap-south-1', priceOverrides: { 'ap-south-1': { 'nat.hour': 0.056 } } }).lines.find((l) => l.key === 'nat-gateway')?.monthlyUsd).toBe(40.88);
  });

  it('a price the table records as not found', () => {
    const e = estimateAssembly(handAssembly('eu-west-1'), { assumptions });
    expect(e.unpriced.map((u) => u.key)).toEqual(['load-balancer-lcu', 'vpc-endpoint:Endpoint', 'vpc-endpoint-data:Endpoint']);
    expect(e.unpriced[0]!.reason).toContain('alb.lcuHour in eu-west-1: not found in the stored price references');
  });

  it('a price given with --prices fills the gap', () => {
    const e = estimateAssembly(handAssembly('eu-west-1'), { assumptions, priceOverrides: { 'eu-west-1': { 'alb.lcuHour': 0.008 } } });
    expect(e.lines.find((l) => l.key === 'load-balancer-lcu')).toMatchObject({ monthlyUsd: 5.84, source: 'given with --prices' });
  });

  it('stacks without a region are refused with the fix', () => {
    expect(() => estimateAssembly({ stacks: [{ stackName: 's', template: {} }] })).toThrow('the cost estimate needs every stack in one known region, found (no region). Fix: set AWS_REGION');
  });

  it('a Multi-AZ database doubles instance hours and storage', () => {
    const e = estimateAssembly(handAssembly('us-east-1', { Db: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres', DBInstanceClass: 'db.t4g.small', MultiAZ: true, AllocatedStorage: '20', StorageType: 'gp3', BackupRetentionPeriod: 7 } } }), { assumptions });
    expect(byKey(e)['database:Db:instance']).toBe(46.72);
    expect(byKey(e)['database:Db:storage']).toBe(4.6);
  });
});

describe('diffEstimates', () => {
  it('names the line and the count that changed, with the monthly delta', () => {
    const one = estimateAssembly(handAssembly('eu-west-1'), { assumptions });
    const two = estimateAssembly(handAssembly('eu-west-1', { Nat2: { Type: 'AWS::EC2::NatGateway', Properties: {} } }), { assumptions });
    const diff = diffEstimates(one, two);
    expect(diff.lines.map((l) => l.text)).toEqual(['+$35.04/mo: NAT gateway × 1 (1 → 2)']);
    expect(diff.monthlyUsd).toBe(35.04);
    expect(diffEstimates(two, one).lines.map((l) => l.text)).toEqual(['-$35.04/mo: NAT gateway × 1 (2 → 1)']);
  });
});
