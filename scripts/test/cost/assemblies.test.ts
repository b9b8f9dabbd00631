/**
 * The estimator on the kit's own synthesized assemblies: both profiles, settings variants, and
 * coverage: every resource type the kit creates is priced or listed as free with a reason.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthApp } from '../../../infra/test/support.ts';
import { assemblyFromCloudAssembly, type AssemblyInput } from '../../lib/cost/assembly.ts';
import { FREE_TYPES, freeReason, PRICERS, pricerOf } from '../../lib/cost/catalogue.ts';
import { estimateAssembly } from '../../lib/cost/estimate.ts';
import { diffEstimates } from '../../lib/cost/report.ts';

const synth = (overrides: Record<string, string> = {}): AssemblyInput => {
  const s = synthApp(overrides);
  try {
    return assemblyFromCloudAssembly(s.app.synth());
  } finally {
    s.cleanup();
  }
};

let production: AssemblyInput;
let trial: AssemblyInput;
let variant: AssemblyInput;
beforeAll(() => {
  production = synth();
  trial = synth({ DEPLOY_PROFILE: 'trial' });
  variant = synth({ NAT_GATEWAYS: '1', CPU_ARCHITECTURE: 'X86_64', DB_MULTI_AZ: 'false', API_MIN_TASKS: '3', REDIS_REPLICATION_ENABLED: 'false' });
}, 240_000);
afterAll(() => undefined);

const line = (a: AssemblyInput, key: string, region?: string) => estimateAssembly(a, { priceRegion: region }).lines.find((l) => l.key === key);

describe('the production profile', () => {
  it('counts a NAT gateway per AZ, four public IPv4 addresses and the load balancer', () => {
    expect(line(production, 'nat-gateway')).toMatchObject({ count: 2, monthlyUsd: 70.08 });
    expect(line(production, 'public-ipv4')).toMatchObject({ count: 4, detail: '2 Elastic IP + 2 load balancer = 4 × 730 h' });
    expect(line(production, 'load-balancer')).toMatchObject({ count: 1, monthlyUsd: 18.4 });
  });

  it('prices Multi-AZ RDS as two instances and two copies of the gp3 storage', () => {
    expect(line(production, 'database:DatabaseInstanceAA8A5FDE:instance', 'us-east-1')).toMatchObject({ label: 'RDS PostgreSQL db.t4g.medium Multi-AZ', count: 2, monthlyUsd: 94.9 });
    expect(line(production, 'database:DatabaseInstanceAA8A5FDE:storage')).toMatchObject({ quantity: 100, monthlyUsd: 12.7 });
  });

  it('runs two api and two web tasks on ARM64 at the minimum', () => {
    expect(line(production, 'fargate:api:vcpu')).toMatchObject({ count: 2, priceKey: 'fargate.ARM64.vcpuHour', monthlyUsd: 23.64 });
    expect(line(production, 'fargate:web:vcpu')).toMatchObject({ count: 2, monthlyUsd: 11.82 });
  });

  it('has a primary and a replica Redis node', () => {
    expect(line(production, 'cache:RedisReplicationGroup3B65AB4E', 'us-east-1')).toMatchObject({ count: 2, monthlyUsd: 46.72 });
  });

  it('reports the eu-west-1 prices the table lacks instead of pricing them at $0', () => {
    const e = estimateAssembly(production);
    expect(e.unpriced.map((u) => u.label)).toEqual(['load balancer capacity units × 1', 'RDS PostgreSQL db.t4g.medium Multi-AZ × 2', 'ElastiCache cache.t4g.small node × 2']);
  });
});

describe('the trial profile', () => {
  it('has one NAT gateway, a single-AZ database, one cache node and one task per service', () => {
    expect(line(trial, 'nat-gateway')).toMatchObject({ count: 1, monthlyUsd: 35.04 });
    expect(line(trial, 'database:DatabaseInstanceAA8A5FDE:instance')).toMatchObject({ label: 'RDS PostgreSQL db.t4g.small Single-AZ', count: 1, monthlyUsd: 25.55 });
    expect(line(trial, 'cache:RedisReplicationGroup3B65AB4E', 'us-east-1')).toMatchObject({ count: 1, monthlyUsd: 11.68 });
    expect(line(trial, 'fargate:api:vcpu')).toMatchObject({ count: 1 });
  });

  it('costs less than production', () => {
    expect(estimateAssembly(trial, { priceRegion: 'us-east-1' }).monthlyUsd).toBeLessThan(estimateAssembly(production, { priceRegion: 'us-east-1' }).monthlyUsd);
  });
});

describe('settings variants change exactly the lines they drive', () => {
  it('one NAT gateway, X86_64, single-AZ database, three api tasks', () => {
    const diff = diffEstimates(estimateAssembly(production, { priceRegion: 'us-east-1' }), estimateAssembly(variant, { priceRegion: 'us-east-1' }));
    const text = diff.lines.map((l) => l.text);
    expect(text).toContain('-$32.85/mo: NAT gateway × 1 (2 → 1)');
    expect(text).toContain('-$3.65/mo: public IPv4 address × 1 (4 → 3)');
    expect(text).toContain('-$47.45/mo: RDS PostgreSQL db.t4g.medium Single-AZ × 1 (2 → 1)');
    expect(line(variant, 'fargate:api:vcpu')).toMatchObject({ count: 3, label: 'Fargate api vCPU (X86_64)', priceKey: 'fargate.X86_64.vcpuHour' });
  });
});

describe('coverage of resource types', () => {
  const TYPES = () => [...new Set([production, trial, variant].flatMap((a) => a.stacks.flatMap((s) => Object.values(s.template.Resources ?? {}).map((r) => r.Type))))].sort();

  it('every resource type the kit creates is priced or free with a reason', () => {
    expect(TYPES().filter((t) => !pricerOf(t) && !freeReason(t))).toEqual([]);
  });

  it('no type is both priced and free, and each priced type has one pricer', () => {
    const priced = PRICERS.flatMap((p) => p.types);
    expect(priced.filter((t, i) => priced.indexOf(t) !== i)).toEqual([]);
    expect(priced.filter((t) => t in FREE_TYPES)).toEqual([]);
  });

  it.each([
    'AWS::WAFv2::WebACL', 'AWS::WAFv2::WebACLAssociation', 'AWS::WAFv2::RuleGroup', 'AWS::WAFv2::IPSet', 'AWS::WAFv2::LoggingConfiguration',
    'AWS::ElasticLoadBalancingV2::TargetGroup', 'AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::Lambda::Function', 'AWS::Lambda::Permission', 'AWS::IAM::Role',
    'AWS::EC2::VPCEndpoint', 'AWS::CodeDeploy::DeploymentGroup', 'Custom::AnyHandler',
  ])('is ready for %s (being added to the kit)', (type) => {
    expect(Boolean(pricerOf(type) || freeReason(type))).toBe(true);
  });
});

describe('the documented estimates match the estimator', () => {
  const docs = ['README.md', 'infra/README.md', 'runbooks/first-deploy.md'].map((f) => [f, readFileSync(resolve(import.meta.dirname, '../../..', f), 'utf8')] as const);

  it.each(docs)('%s shows both default profiles at us-east-1 prices', (file, text) => {
    for (const [name, a] of [['production', production], ['trial', trial]] as const) {
      const total = `$${estimateAssembly(a, { priceRegion: 'us-east-1' }).monthlyUsd.toFixed(2)}`;
      expect(text, `${file} must show the ${name} estimate ${total} (npm run cost -- --profile both --price-region us-east-1)`).toContain(total);
    }
  });
});
