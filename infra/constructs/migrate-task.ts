import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, iam5Resource } from '../policies/acknowledge.ts';

export interface MigrateTaskProps {
  /** VPC of the one-off tasks' security group. */
  readonly vpc: ec2.IVpc;
  /** The app image at the release being deployed. */
  readonly image: ecs.ContainerImage;
  /** Task definition family, e.g. `slipway-migrate` (the scripts find it in the outputs). */
  readonly family: string;
  /** Container name (the scripts override its command by name). */
  readonly containerName: string;
  /** Fargate CPU units. */
  readonly cpu: number;
  /** Fargate memory in MiB. */
  readonly memoryLimitMiB: number;
  /** CPU architecture of the image. */
  readonly cpuArchitecture: ecs.CpuArchitecture;
  /** Plain settings. */
  readonly environment: Record<string, string>;
  /** DB_* secrets, injected by reference. */
  readonly secrets: Record<string, ecs.Secret>;
  /** Retention of the task logs. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * The one-shot `migrate up` task definition and the security group of one-off tasks
 * (migrations, restore validation), which the database accepts.
 */
export class MigrateTask extends Construct implements ec2.IConnectable {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  readonly connections: ec2.Connections;
  readonly containerName: string;
  /** Log stream prefix; a task's stream is `${prefix}/${container}/${taskId}`. */
  readonly streamPrefix = 'migrate';

  constructor(scope: Construct, id: string, props: MigrateTaskProps) {
    super(scope, id);
    this.containerName = props.containerName;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: props.family,
      cpu: props.cpu,
      memoryLimitMiB: props.memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.taskDefinition.addContainer(props.containerName, {
      containerName: props.containerName,
      image: props.image,
      command: ['migrate', 'up'],
      environment: props.environment,
      secrets: props.secrets,
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: this.streamPrefix }),
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Slipway one-off tasks (migrate, restore validation)',
      allowAllOutbound: true,
    });
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup] });

    acknowledge(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'The migrate container gets only non-secret settings (TLS mode, timeout, release) as environment; the DB_* values come from Secrets Manager',
    );
    acknowledge(
      this.taskDefinition.obtainExecutionRole().node.findChild('DefaultPolicy'),
      iam5Resource('*'),
      'ecr:GetAuthorizationToken has no resource-level permissions; image pulls and secret reads are scoped to the repository and DB secret',
    );
  }
}
