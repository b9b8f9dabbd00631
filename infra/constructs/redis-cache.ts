import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../policies/acknowledge.ts';

export interface RedisCacheProps {
  /** The VPC; nodes go into its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** Replication group id (at most 40 characters), e.g. `slipway-redis`. */
  readonly replicationGroupId: string;
  /** Name of the generated AUTH token secret, e.g. `slipway/redis/auth-token`. */
  readonly authTokenSecretName: string;
  /** Node type, e.g. `cache.t4g.small`. */
  readonly nodeType: string;
  /** A replica in another AZ, automatic failover and Multi-AZ. */
  readonly replicationEnabled: boolean;
  /**
   * Redis OSS engine version.
   * @default '7.1'
   */
  readonly engineVersion?: string;
  /**
   * Days of daily snapshots kept.
   * @default 1
   */
  readonly snapshotRetentionDays?: number;
}

/** The port Redis listens on (TLS). */
export const REDIS_PORT = 6379;

/**
 * ElastiCache for Redis: a replication group with TLS in transit, encryption at rest and an
 * AUTH token generated in Secrets Manager and passed to CloudFormation by dynamic reference.
 */
export class RedisCache extends Construct implements ec2.IConnectable {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly authToken: secretsmanager.Secret;
  readonly securityGroup: ec2.SecurityGroup;
  readonly connections: ec2.Connections;
  /** Cache cluster ids of the members, primary first (for per-node metrics). */
  readonly memberClusterIds: string[];

  constructor(scope: Construct, id: string, props: RedisCacheProps) {
    super(scope, id);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Redis: reachable only from the api tasks',
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({
      securityGroups: [this.securityGroup],
      defaultPort: ec2.Port.tcp(REDIS_PORT),
    });

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: 'Isolated subnets for Redis',
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
    });

    // Alphanumeric only: ElastiCache refuses @, " and / in AUTH tokens.
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      secretName: props.authTokenSecretName,
      description: 'Redis AUTH token',
      removalPolicy: RemovalPolicy.RETAIN,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });

    const nodes = props.replicationEnabled ? 2 : 1;
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupId: props.replicationGroupId,
      replicationGroupDescription: 'Slipway cache, sessions and rate limits',
      engine: 'redis',
      engineVersion: props.engineVersion ?? '7.1',
      cacheNodeType: props.nodeType,
      numCacheClusters: nodes,
      automaticFailoverEnabled: props.replicationEnabled,
      multiAzEnabled: props.replicationEnabled,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      // A dynamic reference: the token never appears in the template.
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      port: REDIS_PORT,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      autoMinorVersionUpgrade: true,
      snapshotRetentionLimit: props.snapshotRetentionDays ?? 1,
    });
    this.replicationGroup.applyRemovalPolicy(RemovalPolicy.SNAPSHOT);
    acknowledge(
      this.replicationGroup,
      'AwsSolutions-AEC5',
      'Redis keeps port 6379: the cache sits in isolated subnets, its security group admits only the api tasks, and it requires TLS plus an AUTH token',
    );
    if (!props.replicationEnabled) {
      acknowledge(
        this.replicationGroup,
        'AwsSolutions-AEC4',
        'One node by choice (REDIS_REPLICATION_ENABLED=false, the trial profile): the cache holds only sessions and rate limits',
      );
    }
    acknowledge(
      this.authToken,
      'AwsSolutions-SMG4',
      'The Redis AUTH token is rotated by the operator runbook (ElastiCache ROTATE strategy, then a service roll); automatic rotation would disconnect the api',
    );

    this.memberClusterIds = Array.from({ length: nodes }, (_, i) => `${props.replicationGroupId}-00${i + 1}`);
  }

  /** Primary endpoint address (TLS). */
  get endpointAddress(): string {
    return this.replicationGroup.attrPrimaryEndPointAddress;
  }
}
