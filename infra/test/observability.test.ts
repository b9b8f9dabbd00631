import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateMaxConnections } from '../constructs/alarm-specs.ts';
import { addSlipwayStacks } from '../app.ts';
import { ConfigError } from '../config.ts';
import { exampleConfig, synthApp, type SynthesizedApp } from './support.ts';

let prod: SynthesizedApp;
let trial: SynthesizedApp;
beforeAll(() => {
  prod = synthApp();
  trial = synthApp({ DEPLOY_PROFILE: 'trial', ALARM_EMAIL: '' });
});
afterAll(() => {
  prod?.cleanup();
  trial?.cleanup();
});

const obs = () => prod.templates.observability;
const alarm = (name: string) => Object.values(obs().findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: `slipway-${name}` } }))[0]?.Properties;

describe('alarm topic', () => {
  it('is encrypted with a rotating key CloudWatch may use', () => {
    obs().hasResourceProperties('AWS::SNS::Topic', { TopicName: 'slipway-alarms', KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmTopicKey'), 'Arn'] } });
    obs().hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  it('accepts publishing over TLS only', () => {
    obs().hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it("lets CloudWatch publish, only for this app's alarms in this account (the TLS Deny replaces SNS's default policy)", () => {
    obs().hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: Match.stringLikeRegexp('^AlarmTopic') },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '123456789012' },
              ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:slipway-*' },
            },
          }),
        ]),
      },
    });
  });

  it('names every alarm inside the publish condition', () => {
    const names = Object.values(obs().findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName as string);
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((n) => !n.startsWith('slipway-'))).toEqual([]);
  });

  it('subscribes the alarm email', () => {
    obs().hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('has no subscription without ALARM_EMAIL (trial)', () => {
    trial.templates.observability.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('is never built for production without ALARM_EMAIL: its alarms would reach nobody', () => {
    expect(() => addSlipwayStacks(new App(), exampleConfig({ ALARM_EMAIL: '' }))).toThrow(ConfigError);
    expect(() => addSlipwayStacks(new App(), exampleConfig({ ALARM_EMAIL: '' }))).toThrow(/ALARM_EMAIL=\(unset\) is required with DEPLOY_PROFILE=production/);
  });
});

describe('alarms', () => {
  it('watch the load balancer 5xx rate', () => {
    expect(alarm('alb-5xx-rate')).toMatchObject({
      Threshold: 5,
      Metrics: expect.arrayContaining([expect.objectContaining({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' })]),
    });
  });

  it.each(['api', 'web'])('watch %s target 5xx', (svc) => {
    const metrics = alarm(`${svc}-target-5xx`).Metrics;
    expect(metrics.find((m: any) => m.Expression)?.Expression).toBe('FILL(tg1, 0) + FILL(tg2, 0)');
    expect(metrics.filter((m: any) => m.MetricStat?.Metric.MetricName === 'HTTPCode_Target_5XX_Count' && m.MetricStat.Stat === 'Sum')).toHaveLength(2);
  });

  it('watch p99 latency', () => {
    expect(alarm('latency-p99')).toMatchObject({ MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Threshold: 2 });
  });

  it.each(['api', 'web'])('watch %s unhealthy hosts', (svc) => {
    const spec = alarm(`${svc}-unhealthy-hosts`);
    expect(spec.Threshold).toBe(1);
    expect(spec.Metrics.find((m: any) => m.Expression)?.Expression).toBe('MAX([FILL(tg1, 0), FILL(tg2, 0)])');
    expect(spec.Metrics.filter((m: any) => m.MetricStat?.Metric.MetricName === 'UnHealthyHostCount')).toHaveLength(2);
  });

  it.each(['api', 'web'])('watch %s running tasks below desired', (svc) => {
    const metrics = alarm(`${svc}-tasks-below-desired`).Metrics;
    expect(metrics).toContainEqual(expect.objectContaining({ Expression: 'desired - running' }));
    expect(JSON.stringify(metrics)).toContain('ECS/ContainerInsights');
  });

  it('watch RDS CPU, free storage and connections', () => {
    expect(alarm('rds-cpu')).toMatchObject({ MetricName: 'CPUUtilization', Namespace: 'AWS/RDS', Threshold: 80 });
    expect(alarm('rds-free-storage')).toMatchObject({ MetricName: 'FreeStorageSpace', ComparisonOperator: 'LessThanOrEqualToThreshold', Threshold: 5 * 1024 ** 3 });
    expect(alarm('rds-connections')).toMatchObject({ MetricName: 'DatabaseConnections', Threshold: 360 });
  });

  it('have no RDS replica-lag alarm: there is no read replica, and a Multi-AZ standby publishes no ReplicaLag', () => {
    expect(JSON.stringify(obs().findResources('AWS::CloudWatch::Alarm'))).not.toContain('ReplicaLag');
  });

  it('watch Redis CPU and memory on each node', () => {
    expect(alarm('redis-cpu-1')).toMatchObject({ MetricName: 'EngineCPUUtilization', Dimensions: [{ Name: 'CacheClusterId', Value: 'slipway-redis-001' }] });
    expect(alarm('redis-memory-2')).toMatchObject({ MetricName: 'DatabaseMemoryUsagePercentage', Dimensions: [{ Name: 'CacheClusterId', Value: 'slipway-redis-002' }] });
  });

  it('watch Redis replication lag on every node, so the replica stays watched after a failover swaps the roles', () => {
    const spec = alarm('redis-replication-lag');
    expect(spec.Threshold).toBe(30);
    expect(spec.Metrics.find((m: any) => m.Expression)?.Expression).toBe('MAX([FILL(node1, 0), FILL(node2, 0)])');
    const nodes = spec.Metrics.filter((m: any) => m.MetricStat?.Metric.MetricName === 'ReplicationLag' && m.MetricStat.Stat === 'Maximum');
    expect(nodes.map((m: any) => m.MetricStat.Metric.Dimensions)).toEqual([
      [{ Name: 'CacheClusterId', Value: 'slipway-redis-001' }],
      [{ Name: 'CacheClusterId', Value: 'slipway-redis-002' }],
    ]);
  });

  it('have no replication-lag alarm for a single Redis node', () => {
    const names = Object.values(trial.templates.observability.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
    expect(names).not.toContain('slipway-redis-replication-lag');
    expect(JSON.stringify(trial.templates.observability.findResources('AWS::CloudWatch::Alarm'))).not.toContain('ReplicationLag');
  });

  it('notify the topic on ALARM and OK', () => {
    const alarms = Object.values(obs().findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBe(16);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmTopic/) }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: expect.stringMatching(/^AlarmTopic/) }]);
    }
  });
});

describe('the database the alarms watch', () => {
  it('is a parameter defaulting to the stack\'s own instance, so a cutover can move the alarms to the copy in use', () => {
    expect(obs().toJSON().Parameters.MonitoredDbInstanceId).toMatchObject({ Type: 'String', Default: 'slipway-db' });
    for (const name of ['rds-cpu', 'rds-free-storage', 'rds-connections']) {
      expect(alarm(name)!.Dimensions).toEqual([{ Name: 'DBInstanceIdentifier', Value: { Ref: 'MonitoredDbInstanceId' } }]);
    }
  });
});

describe('dashboard', () => {
  it('has the region in its account-global name, so a second region does not collide', () => {
    obs().hasOutput('DashboardName', { Value: { Ref: Match.stringLikeRegexp('^Dashboard') } });
    obs().hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'slipway-eu-west-1' });
  });

  it('shows every alarm', () => {
    obs().hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'slipway-eu-west-1' });
    const body = JSON.stringify(Object.values(obs().findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    for (const id of Object.keys(obs().findResources('AWS::CloudWatch::Alarm'))) expect(body).toContain(id);
  });
});

describe('estimateMaxConnections', () => {
  it.each([
    ['db.t4g.micro', 112],
    ['db.t4g.medium', 450],
    ['db.r7g.large', 1802],
    ['db.m7g.24xlarge', 5000],
  ])('%s allows %i connections', (cls, expected) => {
    expect(estimateMaxConnections(cls)).toBe(expected);
  });

  it('returns undefined for an unknown size', () => {
    expect(estimateMaxConnections('db.t4g.nano9')).toBeUndefined();
  });
});
