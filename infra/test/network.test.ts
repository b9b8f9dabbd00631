import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthApp, type SynthesizedApp } from './support.ts';

/** Each subnet's IPv4 and IPv6 CIDR by logical id. */
function subnetCidrs(app: SynthesizedApp): Record<string, string> {
  const subnets = app.templates.network.findResources('AWS::EC2::Subnet');
  return Object.fromEntries(
    Object.entries(subnets).map(([id, r]) => [id, `${r.Properties.CidrBlock} ${JSON.stringify(r.Properties.Ipv6CidrBlock)}`]),
  );
}

let prod: SynthesizedApp;
let trial: SynthesizedApp;
beforeAll(() => {
  prod = synthApp();
  trial = synthApp({ DEPLOY_PROFILE: 'trial' });
});
afterAll(() => {
  prod?.cleanup();
  trial?.cleanup();
});

describe('network stack', () => {
  it('spreads public, private-with-egress and isolated subnets over MAX_AZS zones', () => {
    const t = prod.templates.network;
    t.resourceCountIs('AWS::EC2::Subnet', 6);
    for (const type of ['Public', 'Private', 'Isolated']) {
      t.resourcePropertiesCountIs(
        'AWS::EC2::Subnet',
        { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: type }]) },
        2,
      );
    }
  });

  it('uses the example availability zones from cdk.json context (no lookups)', () => {
    prod.templates.network.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'eu-west-1a' });
    prod.templates.network.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'eu-west-1b' });
  });

  it('production has a NAT gateway per AZ', () => {
    prod.templates.network.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  it('trial has one NAT gateway', () => {
    trial.templates.network.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('has a free S3 gateway endpoint', () => {
    prod.templates.network.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
    });
  });

  it('sends flow logs of all traffic to a log group with retention', () => {
    prod.templates.network.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    prod.templates.network.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: prod.config.logRetentionDays });
  });

  it('gives the log group of the function that clears the default security group a retention', () => {
    const handler = Object.keys(prod.templates.network.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('default security group') } }));
    expect(handler).toHaveLength(1);
    prod.templates.network.hasResourceProperties('Custom::LogRetention', {
      LogGroupName: { 'Fn::Join': ['', ['/aws/lambda/', { Ref: handler[0] }]] },
      RetentionInDays: prod.config.logRetentionDays,
    });
  });

  it('is dual stack so the load balancer can answer AAAA', () => {
    prod.templates.network.resourceCountIs('AWS::EC2::VPCCidrBlock', 1);
  });

  it('exports the subnet ids for one-off tasks', () => {
    prod.templates.network.hasOutput('PrivateSubnetIds', {});
    prod.templates.network.hasOutput('IsolatedSubnetIds', {});
  });

  it('keeps the subnet addresses earlier releases gave a two-AZ network', () => {
    const cidrs = Object.values(subnetCidrs(prod)).map((c) => c.split(' ')[0]).sort();
    expect(cidrs).toEqual(['10.40.0.0/22', '10.40.16.0/20', '10.40.32.0/20', '10.40.4.0/22', '10.40.48.0/24', '10.40.49.0/24']);
  });

  it('adds the third AZ without moving any subnet of the first two (IPv4 and IPv6)', () => {
    const three = synthApp({ MAX_AZS: '3' });
    try {
      const before = subnetCidrs(prod);
      const after = subnetCidrs(three);
      for (const [id, cidr] of Object.entries(before)) expect(after[id], id).toBe(cidr);
      const added = Object.keys(after).filter((id) => !(id in before)).map((id) => after[id]!.split(' ')[0]).sort();
      expect(added).toEqual(['10.40.50.0/24', '10.40.64.0/20', '10.40.8.0/22']);
    } finally {
      three.cleanup();
    }
  });

  it('targets the configured account and region', () => {
    expect(prod.stacks.network.account).toBe('123456789012');
    expect(prod.stacks.network.region).toBe('eu-west-1');
    expect(prod.stacks.network.stackName).toBe('slipway-network');
  });
});
