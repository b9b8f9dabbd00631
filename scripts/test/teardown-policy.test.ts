/**
 * What teardown reads from templates: deletion policies and their defaults, the log groups AWS
 * makes, the deletion order; then the same on the kit's own synthesized templates, so the
 * retained list and the order come from what CDK emits, not from a list kept by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthApp, type SynthesizedApp } from '../../infra/test/support.ts';
import type { CfnTemplate } from '../lib/cost/assembly.ts';
import { optionalNamed, retainedNames } from '../../infra/names.ts';
import { KINDS, kindOf } from '../lib/teardown/catalogue.ts';
import { costThatStops } from '../lib/teardown/cost.ts';
import type { StackRecord } from '../lib/teardown/inventory.ts';
import { sh } from '../lib/teardown/kinds.ts';
import { retainedBy, snapshottedBy } from '../lib/teardown/leftovers.ts';
import { actionFor } from '../lib/teardown/plan.ts';
import { classify, deletionOrder, effectiveDeletionPolicy, implicitLogGroups, referencedStacks } from '../lib/teardown/policy.ts';
import { STACK_KEYS, stackNames, type StackKey } from '../../infra/outputs.ts';

function record(key: StackKey, template: CfnTemplate, physical: (logicalId: string, type: string) => string = (id) => `${id}-physical`): StackRecord {
  const stackName = stackNames('slipway')[key];
  return {
    key, stackName, stackId: `arn:stack/${stackName}`, status: 'UPDATE_COMPLETE', deleted: false, terminationProtection: false, tags: {}, parameters: {}, template, nested: [],
    resources: Object.entries(template.Resources ?? {}).map(([logicalId, r]) => ({ logicalId, type: r.Type, physicalId: physical(logicalId, r.Type) })),
  };
}

describe('deletion policies', () => {
  it.each([
    [{ Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain' }, 'Retain'],
    [{ Type: 'AWS::S3::Bucket' }, 'Delete'],
    [{ Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'RetainExceptOnCreate' }, 'RetainExceptOnCreate'],
    [{ Type: 'AWS::RDS::DBInstance' }, 'Snapshot'],
    [{ Type: 'AWS::RDS::DBInstance', Properties: { DBClusterIdentifier: 'c' } }, 'Delete'],
    [{ Type: 'AWS::RDS::DBCluster' }, 'Snapshot'],
    [{ Type: 'AWS::RDS::DBInstance', DeletionPolicy: 'Delete' }, 'Delete'],
  ] as const)('%j goes by %s', (resource, policy) => {
    expect(effectiveDeletionPolicy(resource)).toBe(policy);
  });

  it('a Lambda function without a log group of its own and a Container Insights cluster leave AWS-made log groups', () => {
    const stack = record('service', {
      Resources: {
        Handler: { Type: 'AWS::Lambda::Function', Properties: {} },
        Logged: { Type: 'AWS::Lambda::Function', Properties: { LoggingConfig: { LogGroup: { Ref: 'Logs' } } } },
        Cluster: { Type: 'AWS::ECS::Cluster', Properties: { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] } },
        Quiet: { Type: 'AWS::ECS::Cluster', Properties: { ClusterSettings: [{ Name: 'containerInsights', Value: 'disabled' }] } },
      },
    }, (id) => (id === 'Cluster' ? 'slipway' : `fn-${id}`));
    expect(implicitLogGroups(stack).map((r) => r.physicalId)).toEqual(['/aws/lambda/fn-Handler', '/aws/ecs/containerinsights/slipway/performance']);
    expect(retainedBy(stack).every((l) => l.origin === 'aws-created' && !l.blocksDeploy)).toBe(true);
  });

  it('a stack goes after every stack that reads from it, by Fn::GetStackOutput or an older Fn::ImportValue', () => {
    const reads = (...names: string[]) => ({ Resources: { R: { Type: 'AWS::SSM::Parameter', Properties: { Value: names.map((n) => (n.startsWith('import:') ? { 'Fn::ImportValue': `${n.slice(7)}:ExportsOutputRefX` } : { 'Fn::GetStackOutput': { StackName: n, OutputName: 'X' } })) } } } });
    const order = deletionOrder([
      record('network', reads()),
      record('registry', reads()),
      record('data', reads('slipway-network')),
      // An old deployment's service reads the registry through an export.
      record('service', reads('slipway-data', 'import:slipway-registry')),
      record('edge', reads('slipway-service')),
    ]);
    expect(order.map((s) => s.key)).toEqual(['edge', 'service', 'registry', 'data', 'network']);
    expect([...referencedStacks(reads('import:slipway-registry', 'slipway-data'), ['slipway-registry', 'slipway-data'])]).toEqual(['slipway-registry', 'slipway-data']);
  });

  it('production keeps everything; a trial removes all but the database\'s final snapshot, which --no-final-snapshot removes too', () => {
    expect(actionFor('AWS::S3::Bucket', true, 'production', false)).toBe('keep');
    expect(actionFor('AWS::S3::Bucket', true, 'trial', false)).toBe('remove');
    expect(actionFor('RDS::DBSnapshot', true, 'trial', false)).toBe('keep');
    expect(actionFor('RDS::DBSnapshot', true, 'trial', true)).toBe('remove');
    expect(actionFor('ElastiCache::Snapshot', true, 'trial', false)).toBe('remove');
    expect(actionFor('AWS::Some::Unknown', false, 'trial', false)).toBe('keep');
  });

  it('commands quote what the shell would split, and only that', () => {
    expect(sh('/aws/rds/instance/slipway-db/postgresql')).toBe('/aws/rds/instance/slipway-db/postgresql');
    expect(sh("it's here")).toBe(`'it'\\''s here'`);
    const bucket = KINDS.find((k) => k.type === 'AWS::S3::Bucket')!;
    expect(bucket.commands('b-1', 'eu-west-1').at(-1)).toBe('aws s3api delete-bucket --bucket b-1 --region eu-west-1');
  });
});

describe('on the kit\'s synthesized templates', () => {
  let synth: SynthesizedApp;
  let stacks: StackRecord[];
  beforeAll(() => {
    synth = synthApp();
    stacks = STACK_KEYS.map((key) => record(key, synth.templates[key].toJSON() as CfnTemplate));
  }, 240_000);
  afterAll(() => synth?.cleanup());

  it('deletes in reverse dependency order', () => {
    expect(deletionOrder(stacks).map((s) => s.key)).toEqual(['observability', 'service', 'edge', 'registry', 'data', 'network']);
  });

  it('retains exactly what the templates mark Retain, and snapshots the database and Redis', () => {
    const retainedInTemplates = stacks.flatMap((s) => Object.entries(s.template.Resources ?? {}).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => `${s.key} ${id}`)).sort();
    const retained = stacks.flatMap((s) => classify(s).filter((r) => r.fate === 'retained').map((r) => `${s.key} ${r.logicalId}`)).sort();
    expect(retained).toEqual(retainedInTemplates);
    expect(retained.length).toBeGreaterThan(15);
    expect(stacks.flatMap((s) => snapshottedBy(s).map((r) => r.type)).sort()).toEqual(['AWS::ElastiCache::ReplicationGroup', 'AWS::RDS::DBInstance']);
  });

  it('knows how to remove every kind of resource the kit retains', () => {
    const types = new Set(stacks.flatMap((s) => retainedBy(s).map((l) => l.type)));
    expect([...types].filter((t) => !KINDS.some((k) => k.type === t))).toEqual([]);
  });

  it('names the retained resources that block a redeploy of the same APP_NAME', () => {
    const blocking = stacks.flatMap((s) => retainedBy(s).filter((l) => l.blocksDeploy).map((l) => l.logicalId)).sort();
    expect(blocking).toEqual([
      'AccessLogsBucketCD784A59', 'AppSecretsCredentialsEncryptionKeyDE22B80C', 'AppSecretsMetricsToken3E1355FB', 'AppSecretsSessionSecretB25E20F4',
      'AttachmentsBucket134755D7', 'DatabaseAppSecret2E50FD00', 'DatabasePostgresqlLogs0EEFD61B', 'DatabaseSecret3B817195', 'DatabaseUpgradeLogsA548C373',
      'EmailIdentityCD6BD173', 'RedisAuthToken9E34F6A5', 'RegistryRepositoryC6C96DCD',
    ]);
  });

  it('infra/names.ts retainedNames() lists exactly the fixed names the templates retain, with teardown\'s commands', () => {
    const { config } = synth;
    const offline = retainedNames(config.appName, config.account, config.region, config.email.sesDomain, optionalNamed(config));
    const named = stacks.flatMap((s) => retainedBy(s).filter((l) => l.blocksDeploy).map((l) => {
      const r = s.template.Resources![l.logicalId]!;
      return String(r.Properties![l.kind!.nameProperty!]);
    }));
    expect(offline.map((n) => n.name.replace(/^(s3:\/\/|secret |repository |log group |SES identity )/, '')).sort()).toEqual(named.sort());
    const bucket = offline[0]!;
    expect(bucket.clear).toBe(kindOf('AWS::S3::Bucket')!.commands(bucket.name.slice(5), config.region).join(' && '));
  });

  it('a trial stops the whole estimate; production keeps paying for what it retains', () => {
    const all = costThatStops(stacks, 'us-east-1', () => false)!;
    expect(all.stopsUsd).toBe(all.deployedUsd);
    expect(all.deployedUsd).toBeGreaterThan(250);
    const retained = new Set(stacks.flatMap((s) => classify(s).filter((r) => r.fate === 'retained').map((r) => `${s.stackName} ${r.logicalId}`)));
    const production = costThatStops(stacks, 'us-east-1', (s, id) => retained.has(`${s.stackName} ${id}`))!;
    expect(production.keepsUsd).toBeGreaterThan(0);
    expect(production.stopsUsd).toBeCloseTo(production.deployedUsd - production.keepsUsd, 2);
    expect(production.largest[0]).toMatch(/^-\$\d+\.\d\d\/mo: RDS PostgreSQL db\.t4g\.medium Multi-AZ/);
  });
});
