/** Small assemblies for the estimator tests: hand-written templates and a tiny real CDK synth. */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import type { AssemblyInput, CfnTemplate } from '../../lib/cost/assembly.ts';

const subnets = [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }];

/** One of each priced kind, sized so every figure can be worked out by hand (see the test). */
export const HAND_TEMPLATE: CfnTemplate = {
  Resources: {
    Eip: { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } },
    Nat: { Type: 'AWS::EC2::NatGateway', Properties: { AllocationId: { 'Fn::GetAtt': ['Eip', 'AllocationId'] }, SubnetId: { Ref: 'SubnetA' } } },
    Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application', Scheme: 'internet-facing', IpAddressType: 'dualstack', Subnets: subnets } },
    Task: { Type: 'AWS::ECS::TaskDefinition', Properties: { Cpu: '512', Memory: '1024', RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' }, ContainerDefinitions: [{ LogConfiguration: { Options: { 'awslogs-group': { Ref: 'AppLogs' } } } }] } },
    ApiServiceD5B4A50A: { Type: 'AWS::ECS::Service', Properties: { LaunchType: 'FARGATE', TaskDefinition: { Ref: 'Task' } } },
    Scaling: { Type: 'AWS::ApplicationAutoScaling::ScalableTarget', Properties: { MinCapacity: 2, MaxCapacity: 4, ScalableDimension: 'ecs:service:DesiredCount', ResourceId: { 'Fn::Join': ['', ['service/c/', { 'Fn::GetAtt': ['ApiServiceD5B4A50A', 'Name'] }]] } } },
    AppLogs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } },
    Db: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres', DBInstanceClass: 'db.t4g.small', MultiAZ: false, AllocatedStorage: '20', StorageType: 'gp3', BackupRetentionPeriod: 7 } },
    SecretA: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    SecretB: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Acl: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [{ Name: 'a' }, { Name: 'b' }, { Name: 'common', Statement: { ManagedRuleGroupStatement: { Name: 'AWSManagedRulesCommonRuleSet' } } }] } },
    AlarmOne: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 300, MetricName: 'CPUUtilization' } },
    AlarmMath: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ Id: 'a', MetricStat: { Period: 300 } }, { Id: 'b', MetricStat: { Period: 300 } }, { Id: 'r', Expression: 'a/b' }] } },
    Board: { Type: 'AWS::CloudWatch::Dashboard', Properties: {} },
    Endpoint: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', ServiceName: 'com.amazonaws.us-east-1.secretsmanager', SubnetIds: subnets } },
  },
};

export const HAND_ASSUMPTIONS = {
  natGbPerMonth: 10,
  albLcu: 1,
  wafRequestsMillions: 2,
  secretApiCallsPerMonth: 20000,
  interfaceEndpointGbPerMonth: 10,
  appLogGbPerTask: 1,
  dbDataGb: 5,
  dbDailyChangeGb: 0.5,
} as const;

export function handAssembly(region = 'us-east-1', extra: CfnTemplate['Resources'] = {}): AssemblyInput {
  return { stacks: [{ stackName: 'hand', region, template: { Resources: { ...HAND_TEMPLATE.Resources, ...extra } } }] };
}

/** A real CDK synthesis of one stack with `natGateways` NAT gateways, into `outdir`. */
export function synthTinyApp(outdir: string, natGateways = 1, region = 'eu-west-1'): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'tiny', { env: { account: '123456789012', region } });
  for (let i = 0; i < natGateways; i++) {
    new CfnResource(stack, `Nat${i}`, { type: 'AWS::EC2::NatGateway', properties: { SubnetId: 'subnet-1', AllocationId: 'eipalloc-1' } });
  }
  app.synth();
}
