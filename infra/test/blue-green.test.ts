/**
 * Blue/green releases in the templates: strategy, bake time and alarms per service, the gate at
 * POST_TEST_TRAFFIC_SHIFT, alternate target groups, test listeners open only to the gate,
 * forward-only listener actions, untagged rules, and least-privilege roles.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyResource, synthApp, type SynthesizedApp } from './support.ts';

let prod: SynthesizedApp;
let rolling: SynthesizedApp;
let withToken: SynthesizedApp;
beforeAll(() => {
  prod = synthApp();
  rolling = synthApp({ DEPLOY_STRATEGY: 'rolling' });
  withToken = synthApp({ SMOKE_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/smoke-AbCdEf', BAKE_TIME_MINUTES: '3', GREEN_TEST_BUDGET_SECONDS: '600' });
});
afterAll(() => {
  prod?.cleanup();
  rolling?.cleanup();
  withToken?.cleanup();
});

const resources = (s: SynthesizedApp, type: string) =>
  Object.entries(s.templates.service.toJSON().Resources as Record<string, any>).filter(([, r]) => r.Type === type);
const serviceOf = (s: SynthesizedApp, container: string) =>
  onlyResource(s.templates.service, 'AWS::ECS::Service', { LoadBalancers: [Match.objectLike({ ContainerName: container })] }).resource.Properties;
const listenerOnPort = (s: SynthesizedApp, port: number) => onlyResource(s.templates.service, 'AWS::ElasticLoadBalancingV2::Listener', { Port: port });
const ref = (id: string) => ({ Ref: id });
const fnId = (s: SynthesizedApp) => onlyResource(s.templates.service, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('green tasks') }).id;

describe.each([
  ['api', 9016],
  ['web', 9015],
] as const)('%s service, blue/green', (container, testPort) => {
  it('deploys BLUE_GREEN with the bake time, the circuit breaker and its 5xx alarm rolling back', () => {
    expect(serviceOf(prod, container).DeploymentConfiguration).toMatchObject({
      Strategy: 'BLUE_GREEN',
      BakeTimeInMinutes: 10,
      MinimumHealthyPercent: 100,
      MaximumPercent: 200,
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      Alarms: { AlarmNames: [`slipway-${container}-deployment-5xx`], Enable: true, Rollback: true },
    });
  });

  it('runs the green gate at POST_TEST_TRAFFIC_SHIFT only, with its service, test port and the ImageTag release', () => {
    expect(serviceOf(prod, container).DeploymentConfiguration.LifecycleHooks).toEqual([
      {
        HookTargetArn: { 'Fn::GetAtt': [fnId(prod), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^GreenGateInvokeRole/), 'Arn'] },
        LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
        HookDetails: { service: container, testPort, release: { Ref: 'ImageTag' } },
      },
    ]);
  });

  it('has an alternate target group, a production rule and a test rule on its own listener', () => {
    const [lb] = serviceOf(prod, container).LoadBalancers;
    const test = listenerOnPort(prod, testPort);
    const testRule = onlyResource(prod.templates.service, 'AWS::ElasticLoadBalancingV2::ListenerRule', { ListenerArn: ref(test.id) });
    expect(lb.AdvancedConfiguration).toEqual({
      AlternateTargetGroupArn: ref(expect.stringMatching(/BlueGreenAlternateTargetGroup/)),
      ProductionListenerRule: ref(expect.stringMatching(new RegExp(`^EdgeLoadBalancerHttps${container}Rule`))),
      TestListenerRule: ref(testRule.id),
      RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/BlueGreenInfrastructureRole/), 'Arn'] },
    });
    expect(lb.AdvancedConfiguration.AlternateTargetGroupArn).not.toEqual(lb.TargetGroupArn);
    expect(test.resource.Properties).toMatchObject({ Protocol: 'HTTP', DefaultActions: [{ Type: 'forward', TargetGroupArn: lb.AdvancedConfiguration.AlternateTargetGroupArn }] });
    expect(testRule.resource.Properties).toMatchObject({ Priority: 1, Actions: [{ Type: 'forward', TargetGroupArn: lb.AdvancedConfiguration.AlternateTargetGroupArn }] });
  });

  it('gives the alternate target group the same port and health check as the primary', () => {
    const [lb] = serviceOf(prod, container).LoadBalancers;
    const props = (id: string) => {
      const { Port, Protocol, TargetType, HealthCheckPath, HealthCheckIntervalSeconds, HealthyThresholdCount, TargetGroupAttributes } =
        prod.templates.service.toJSON().Resources[id].Properties;
      return { Port, Protocol, TargetType, HealthCheckPath, HealthCheckIntervalSeconds, HealthyThresholdCount, TargetGroupAttributes };
    };
    expect(props(lb.AdvancedConfiguration.AlternateTargetGroupArn.Ref)).toEqual(props(lb.TargetGroupArn.Ref));
  });

  it('sums 5xx over both target groups for the deployment alarm: production is on either', () => {
    const [lb] = serviceOf(prod, container).LoadBalancers;
    const alarm = onlyResource(prod.templates.service, 'AWS::CloudWatch::Alarm', { AlarmName: `slipway-${container}-deployment-5xx` }).resource.Properties;
    expect(alarm.Metrics.find((m: any) => m.Expression)?.Expression).toBe('FILL(primary, 0) + FILL(alternate, 0)');
    const dims = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => JSON.stringify(m.MetricStat.Metric.Dimensions));
    expect(dims.some((d: string) => d.includes(lb.TargetGroupArn.Ref))).toBe(true);
    expect(dims.some((d: string) => d.includes(lb.AdvancedConfiguration.AlternateTargetGroupArn.Ref))).toBe(true);
  });

  it('lets the ECS infrastructure role change only its rules and register targets only in its two groups', () => {
    const [lb] = serviceOf(prod, container).LoadBalancers;
    const roleId = lb.AdvancedConfiguration.RoleArn['Fn::GetAtt'][0];
    const role = prod.templates.service.toJSON().Resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const policy = onlyResource(prod.templates.service, 'AWS::IAM::Policy', { Roles: [ref(roleId)] }).resource.Properties.PolicyDocument.Statement;
    const byAction = (action: string) => {
      const resource = policy.find((s: any) => [s.Action].flat().includes(action))?.Resource;
      return Array.isArray(resource) ? resource.map((r) => r.Ref).sort() : resource;
    };
    const refs = (...values: Array<{ Ref: string }>) => values.map((v) => v.Ref).sort();
    expect(byAction('elasticloadbalancing:RegisterTargets')).toEqual(refs(lb.TargetGroupArn, lb.AdvancedConfiguration.AlternateTargetGroupArn));
    expect(byAction('elasticloadbalancing:ModifyRule')).toEqual(refs(lb.AdvancedConfiguration.ProductionListenerRule, lb.AdvancedConfiguration.TestListenerRule));
    expect(byAction('elasticloadbalancing:ModifyListener')).toEqual(refs(ref(listenerOnPort(prod, 443).id), ref(listenerOnPort(prod, testPort).id)));
    expect(byAction('elasticloadbalancing:DescribeRules')).toBe('*');
  });

  it('opens the test listener to the gate security group only', () => {
    const ingress = resources(prod, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties.FromPort === testPort);
    expect(ingress).toHaveLength(1);
    expect(ingress[0]![1].Properties).toMatchObject({
      ToPort: testPort,
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^GreenGateSecurityGroup/), 'GroupId'] },
      GroupId: { 'Fn::GetAtt': [expect.stringMatching(/^EdgeSecurityGroup/), 'GroupId'] },
    });
    const lbGroup = resources(prod, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('EdgeSecurityGroup'))![1];
    const open = (lbGroup.Properties.SecurityGroupIngress ?? []).map((r: any) => r.FromPort);
    expect(open).not.toContain(testPort);
  });
});

describe('listeners ECS manages', () => {
  it('use forward actions only: blue/green fails on rules that mix forward with other actions', () => {
    const managed = new Set([listenerOnPort(prod, 443).id, listenerOnPort(prod, 9016).id, listenerOnPort(prod, 9015).id]);
    for (const id of managed) {
      expect(prod.templates.service.toJSON().Resources[id].Properties.DefaultActions.map((a: any) => a.Type)).toEqual(['forward']);
    }
    const rules = resources(prod, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(rules).toHaveLength(4);
    for (const [, rule] of rules) {
      expect(managed.has(rule.Properties.ListenerArn.Ref)).toBe(true);
      expect(rule.Properties.Actions.map((a: any) => a.Type)).toEqual(['forward']);
    }
  });

  it('route web by a /* rule below the api rule, not only by the default action', () => {
    const httpsId = listenerOnPort(prod, 443).id;
    const rules = resources(prod, 'AWS::ElasticLoadBalancingV2::ListenerRule').filter(([, r]) => r.Properties.ListenerArn.Ref === httpsId);
    expect(rules.map(([, r]) => [r.Properties.Priority, r.Properties.Conditions[0].PathPatternConfig.Values])).toEqual([
      [10, ['/api', '/api/*']],
      [20, ['/*']],
    ]);
  });

  it('leave listener rules untagged, so no tag change updates a rule and resets its actions', () => {
    for (const [, rule] of resources(prod, 'AWS::ElasticLoadBalancingV2::ListenerRule')) expect(rule.Properties.Tags).toBeUndefined();
  });
});

describe('the gate function', () => {
  const fn = () => onlyResource(prod.templates.service, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('green tasks') }).resource.Properties;

  it('runs on Node.js 24 in the private subnets with its own security group and log group', () => {
    expect(fn()).toMatchObject({
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Timeout: 120,
      VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^GreenGateSecurityGroup/), 'GroupId'] }] },
      LoggingConfig: { LogGroup: ref(expect.stringMatching(/^GreenGateLogs/)) },
    });
    expect(JSON.stringify(fn().VpcConfig.SubnetIds)).toMatch(/privateSubnet/i);
  });

  it('knows the load balancer, the metrics token secret and its budget; no smoke token unless set', () => {
    const env = fn().Environment.Variables;
    expect(env).toMatchObject({
      LOAD_BALANCER_FULL_NAME: { 'Fn::GetAtt': [expect.stringMatching(/^EdgeLoadBalancer/), 'LoadBalancerFullName'] },
      GATE_BUDGET_SECONDS: '300',
    });
    expect(JSON.stringify(env.METRICS_TOKEN_SECRET_ARN)).toMatch(/AppSecretsMetricsToken/);
    expect(env.SMOKE_TOKEN_SECRET_ARN).toBeUndefined();
    const other = onlyResource(withToken.templates.service, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('green tasks') }).resource.Properties;
    expect(other.Environment.Variables).toMatchObject({
      SMOKE_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/smoke-AbCdEf',
      GATE_BUDGET_SECONDS: '600',
    });
    expect(serviceOf(withToken, 'api').DeploymentConfiguration.BakeTimeInMinutes).toBe(3);
  });

  it('may read only the metrics token and, when set, the smoke token secret', () => {
    const policyOf = (s: SynthesizedApp) => {
      const roleId = onlyResource(s.templates.service, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('green tasks') }).resource.Properties.Role['Fn::GetAtt'][0];
      return onlyResource(s.templates.service, 'AWS::IAM::Policy', { Roles: [ref(roleId)] }).resource.Properties.PolicyDocument.Statement;
    };
    const reads = (s: SynthesizedApp) => policyOf(s).filter((st: any) => [st.Action].flat().includes('secretsmanager:GetSecretValue')).map((st: any) => JSON.stringify(st.Resource));
    expect(reads(prod)).toHaveLength(1);
    expect(reads(prod)[0]).toMatch(/AppSecretsMetricsToken/);
    expect(reads(withToken)).toContain('"arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/smoke-AbCdEf"');
    const ec2 = policyOf(prod).find((st: any) => [st.Action].flat().includes('ec2:DescribeNetworkInterfaces'));
    expect([ec2.Action].flat().every((a: string) => a.startsWith('ec2:'))).toBe(true);
  });

  it('may be invoked by ECS through a role that invokes this function only', () => {
    const roleId = serviceOf(prod, 'api').DeploymentConfiguration.LifecycleHooks[0].RoleArn['Fn::GetAtt'][0];
    const role = prod.templates.service.toJSON().Resources[roleId].Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'ecs.amazonaws.com' });
    const policy = onlyResource(prod.templates.service, 'AWS::IAM::Policy', { Roles: [ref(roleId)] }).resource.Properties.PolicyDocument.Statement;
    expect(policy).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [fnId(prod), 'Arn'] } }]);
  });

  it('ships the smoke gate bundled from scripts/lib/smoke.ts, not a copy', () => {
    const assetPath = prod.app.outdir;
    const code = fn().Code.S3Key as string;
    const hash = code.replace(/\.zip$/, '');
    const bundle = readFileSync(join(assetPath, `asset.${hash}`, 'index.mjs'), 'utf8');
    expect(bundle).toContain('// scripts/lib/smoke.ts');
    expect(bundle).toContain('ready: GET /api/readyz, every check ok');
    expect(bundle).not.toMatch(/from "@aws-sdk\/client-ec2\/dist/);
  });
});

describe('DEPLOY_STRATEGY=rolling', () => {
  it('rolls in place: ROLLING, no bake time, and the lifecycle hooks cleared', () => {
    for (const container of ['api', 'web']) {
      const config = serviceOf(rolling, container).DeploymentConfiguration;
      expect(config.Strategy).toBe('ROLLING');
      expect(config.BakeTimeInMinutes).toBeUndefined();
      expect(config.LifecycleHooks).toEqual([]);
      expect(config.DeploymentCircuitBreaker).toEqual({ Enable: true, Rollback: true });
    }
  });

  it('keeps the blue/green load balancer resources, so switching either way creates and deletes none', () => {
    const ids = (s: SynthesizedApp) => Object.keys(s.templates.service.toJSON().Resources).sort();
    expect(ids(rolling)).toEqual(ids(prod));
    expect(serviceOf(rolling, 'api').LoadBalancers).toEqual(serviceOf(prod, 'api').LoadBalancers);
  });
});
