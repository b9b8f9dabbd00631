import { Duration, Tags } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../policies/acknowledge.ts';

export interface PublicLoadBalancerProps {
  /** The VPC; the load balancer goes into its public subnets. */
  readonly vpc: ec2.IVpc;
  /** Certificate for the HTTPS listener. */
  readonly certificate: acm.ICertificate;
  /** Public hosted zone for the alias records. */
  readonly hostedZone: route53.IHostedZone;
  /** Name people open, e.g. `tracker.example.com`; gets A and AAAA aliases. */
  readonly domainName: string;
  /** Bucket for access logs (SSE-S3). */
  readonly accessLogsBucket: s3.IBucket;
  /**
   * Seconds a connection may stay idle: above the 15 s server-sent events heartbeat, below the
   * app's keep-alive timeout (72 s).
   * @default 60
   */
  readonly idleTimeoutSeconds?: number;
}

/** An egress rule that matches no traffic (no host has 255.255.255.255; no such ICMP type), as aws-cdk-lib writes it. */
export const NO_TRAFFIC_EGRESS = { CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic', IpProtocol: 'icmp', FromPort: 252, ToPort: 86 };

/** The TLS policy of the HTTPS listener: TLS 1.3 and 1.2 only. */
export const TLS_POLICY = elbv2.SslPolicy.RECOMMENDED_TLS;

/**
 * An internet-facing, dual-stack ALB: HTTP:80 answers 301 to HTTPS, HTTPS:443 uses the
 * TLS 1.3/1.2 policy; access logs to S3; A and AAAA alias records for the domain.
 * Services attach their target groups to `httpsListener`.
 */
export class PublicLoadBalancer extends Construct implements ec2.IConnectable {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly httpsListener: elbv2.ApplicationListener;
  readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: PublicLoadBalancerProps) {
    super(scope, id);

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Public load balancer: HTTP and HTTPS from anywhere',
      // Out only to the task ports: each target group's registration adds an egress rule to its
      // tasks' security group (and the matching ingress there). The description stays, since
      // a new one would replace the group.
      allowAllOutbound: false,
    });
    // aws-cdk-lib drops its match-nothing placeholder once a rule exists, leaving the group with
    // no inline egress; name it anyway, so that on create EC2 adds no allow-all defaults (IPv4
    // and IPv6) and an update replaces the allow-all rule of earlier versions with it
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html).
    (securityGroup.node.defaultChild as ec2.CfnSecurityGroup).addPropertyOverride('SecurityGroupEgress', [NO_TRAFFIC_EGRESS]);
    acknowledge(
      securityGroup,
      'AwsSolutions-EC23',
      'The public load balancer of the app must accept HTTP (redirected) and HTTPS from any IPv4 and IPv6 address',
    );
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      ipAddressType: elbv2.IpAddressType.DUAL_STACK,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup,
      idleTimeout: Duration.seconds(props.idleTimeoutSeconds ?? 60),
      dropInvalidHeaderFields: true,
      http2Enabled: true,
    });
    this.loadBalancer.logAccessLogs(props.accessLogsBucket, 'alb');
    this.connections = this.loadBalancer.connections;

    this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: true,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    this.httpsListener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      open: true,
      certificates: [elbv2.ListenerCertificate.fromCertificateManager(props.certificate)],
      sslPolicy: TLS_POLICY,
    });
    // A created certificate's ARN reaches the listener through a stack output, which
    // CloudFormation resolves only when it updates the listener; the tag makes a domain rename
    // an update of the listener, so it picks up the new certificate.
    // Not on its rules (aws-cdk issue 36649: a rule update resets the actions ECS set).
    Tags.of(this.httpsListener).add('slipway:certificate-domain', props.domainName, {
      excludeResourceTypes: [elbv2.CfnListenerRule.CFN_RESOURCE_TYPE_NAME],
    });

    const target = route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer));
    new route53.ARecord(this, 'AliasA', { zone: props.hostedZone, recordName: `${props.domainName}.`, target });
    new route53.AaaaRecord(this, 'AliasAaaa', { zone: props.hostedZone, recordName: `${props.domainName}.`, target });
  }

  /** https://DOMAIN, the app URL. */
  get dnsName(): string {
    return this.loadBalancer.loadBalancerDnsName;
  }
}
