import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LambdaLogRetention } from './lambda-log-retention.ts';
import { StableSubnetLayout } from './subnet-layout.ts';

export interface NetworkProps {
  /**
   * Availability Zones to spread the subnets over (2 or 3).
   */
  readonly maxAzs: number;
  /**
   * NAT gateways for the private subnets: one per AZ survives an AZ outage, one is cheaper.
   */
  readonly natGateways: number;
  /**
   * Retention of the VPC flow logs, and of the logs of the function that clears the default
   * security group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * IPv4 range of the VPC.
   * @default '10.40.0.0/16'
   */
  readonly cidr?: string;
}

/**
 * A dual-stack VPC with public (load balancer), private-with-egress (tasks, Lambda) and
 * isolated (database, cache) subnets, a free S3 gateway endpoint and flow logs.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    // Fixed places per subnet and AZ: raising MAX_AZS adds subnets and moves none, so the
    // database and cache keep theirs.
    const layout = new StableSubnetLayout(props.cidr ?? '10.40.0.0/16');
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: layout,
      // Dual stack so the load balancer answers AAAA records.
      ipProtocol: ec2.IpProtocol.DUAL_STACK,
      ipv6Addresses: layout,
      maxAzs: props.maxAzs,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 22 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: {
        // Image layers and attachments reach S3 without NAT data charges.
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    // The function aws-cdk-lib adds to clear the default security group
    // (@aws-cdk/aws-ec2:restrictDefaultSecurityGroup) logs to /aws/lambda/NAME, with no expiry.
    const cleanup = Stack.of(this).node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider')?.node.tryFindChild('Handler');
    if (cleanup instanceof CfnResource) {
      new LambdaLogRetention(this, 'DefaultSecurityGroupCleanupLogRetention', {
        functionNames: [cleanup.ref],
        retention: props.flowLogRetention ?? logs.RetentionDays.THREE_MONTHS,
      });
    }
  }
}
