import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { SlipwayConfig } from '../config.ts';
import { Network } from '../constructs/network.ts';
import { OUTPUT_KEYS } from '../outputs.ts';

export interface NetworkStackProps extends StackProps {
  readonly config: SlipwayConfig;
}

/** The VPC: public, private-with-egress and isolated subnets, NAT, S3 endpoint, flow logs. */
export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;
    const network = new Network(this, 'Network', {
      maxAzs: config.network.maxAzs,
      natGateways: config.network.natGateways,
      flowLogRetention: config.logRetentionDays,
    });
    this.vpc = network.vpc;

    const ids = (type: ec2.SubnetType) => Fn.join(',', this.vpc.selectSubnets({ subnetType: type }).subnetIds);
    new CfnOutput(this, OUTPUT_KEYS.vpcId, { value: this.vpc.vpcId });
    new CfnOutput(this, OUTPUT_KEYS.vpcCidr, { value: this.vpc.vpcCidrBlock });
    new CfnOutput(this, OUTPUT_KEYS.privateSubnetIds, { value: ids(ec2.SubnetType.PRIVATE_WITH_EGRESS) });
    new CfnOutput(this, OUTPUT_KEYS.isolatedSubnetIds, { value: ids(ec2.SubnetType.PRIVATE_ISOLATED) });
  }
}
