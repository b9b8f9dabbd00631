import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeployStrategy } from '../config.ts';
import { acknowledge, iam5Resource, refOf, partitionOf } from '../policies/acknowledge.ts';
import { BlueGreenTraffic } from './blue-green-traffic.ts';
import { RequestScaling } from './request-scaling.ts';

export interface AppServiceProps {
  /** Cluster the service runs in (its VPC's private subnets are used). */
  readonly cluster: ecs.ICluster;
  /** The app image at the release being deployed. */
  readonly image: ecs.ContainerImage;
  /** Prefix of resource names, e.g. `slipway`. */
  readonly namePrefix: string;
  /** Container name and log stream prefix: `api` or `web`. */
  readonly containerName: string;
  /** Command after the entrypoint, e.g. `['api']`. */
  readonly command: string[];
  /** Port the container listens on. */
  readonly containerPort: number;
  /**
   * Path the load balancer checks, e.g. `/api/health`: a liveness path that touches no
   * dependency (ECS replaces the tasks that fail it).
   */
  readonly healthCheckPath: string;
  /** Fargate CPU units. */
  readonly cpu: number;
  /** Fargate memory in MiB. */
  readonly memoryLimitMiB: number;
  /** Lower bound of the task count (autoscaling never goes below). */
  readonly minTasks: number;
  /** Upper bound of the task count. */
  readonly maxTasks: number;
  /** CPU architecture of the image. */
  readonly cpuArchitecture: ecs.CpuArchitecture;
  /** Plain settings. */
  readonly environment: Record<string, string>;
  /**
   * Secrets injected by reference.
   * @default - none
   */
  readonly secrets?: Record<string, ecs.Secret>;
  /** HTTPS listener the target group joins. */
  readonly listener: elbv2.ApplicationListener;
  /** The load balancer of `listener` (the test listener joins it too). */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Path patterns of the production rule that routes to this service (ECS moves it between target groups). */
  readonly pathPatterns: string[];
  /**
   * Also the listener's default action (never reached while a rule matches `/*`).
   * @default false
   */
  readonly listenerDefault?: boolean;
  /** Port of this service's test listener for blue/green releases. */
  readonly testPort: number;
  /** How releases reach production: the strategy and, for blue-green, the bake time. */
  readonly deployment: { readonly strategy: DeployStrategy; readonly bakeTimeMinutes: number };
  /**
   * Rule priority for `pathPatterns`.
   * @default 10
   */
  readonly priority?: number;
  /** Seconds the load balancer keeps in-flight requests of a deregistering task. */
  readonly deregistrationDelaySeconds: number;
  /** Seconds between SIGTERM and SIGKILL (longer than the app's shutdown hold plus drain). */
  readonly stopTimeoutSeconds: number;
  /** Retention of the container logs. */
  readonly logRetention: logs.RetentionDays;
  /** The cluster's ECS Exec session log group (the task role writes to it). */
  readonly execLogGroup: logs.LogGroup;
  /**
   * Service Connect: publish the container port under `containerName` (server), or only
   * resolve others (client) when false.
   * @default false
   */
  readonly serviceConnectServer?: boolean;
  /**
   * Target 5xx responses per minute that, for two minutes in a row, roll a deployment back.
   * @default 10
   */
  readonly rollbackOn5xxPerMinute?: number;
  /**
   * Requests per running task per minute that autoscaling keeps the service at (with CPU at 60%).
   * @default 1000
   */
  readonly requestsPerTaskPerMinute?: number;
}

/**
 * One Fargate service of the app image behind the HTTPS listener: its task definition and
 * logs, a target group with fast health checks, circuit breaker and a 5xx deployment alarm
 * that roll back, ECS Exec, and autoscaling on CPU and on requests per running task.
 */
export class AppService extends Construct implements ec2.IConnectable {
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The alternate target group, test listener and ECS infrastructure role. */
  readonly blueGreen: BlueGreenTraffic;
  /** The production listener rule ECS points at the live target group. */
  readonly productionRule: elbv2.ApplicationListenerRule;
  readonly logGroup: logs.LogGroup;
  readonly deploymentAlarm: cloudwatch.Alarm;
  readonly securityGroup: ec2.SecurityGroup;
  readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: AppServiceProps) {
    super(scope, id);
    const name = props.containerName;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.taskDefinition.addContainer(name, {
      containerName: name,
      image: props.image,
      command: props.command,
      environment: props.environment,
      secrets: props.secrets,
      essential: true,
      stopTimeout: Duration.seconds(props.stopTimeoutSeconds),
      portMappings: [{ name, containerPort: props.containerPort, appProtocol: ecs.AppProtocol.http }],
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: name }),
    });

    const securityGroup = (this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: `Slipway ${name} tasks`,
      allowAllOutbound: true,
    }));
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      assignPublicIp: false,
      // No desiredCount: autoscaling owns it, and a template value would reset it on each deploy.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      // Always explicit: a property left out would keep the previous strategy on an update.
      deploymentStrategy: props.deployment.strategy === 'blue-green' ? ecs.DeploymentStrategy.BLUE_GREEN : ecs.DeploymentStrategy.ROLLING,
      ...(props.deployment.strategy === 'blue-green' ? { bakeTime: Duration.minutes(props.deployment.bakeTimeMinutes) } : {}),
      enableExecuteCommand: true,
      healthCheckGracePeriod: Duration.seconds(60),
      serviceConnectConfiguration: props.serviceConnectServer
        ? { services: [{ portMappingName: name, dnsName: name, port: props.containerPort }] }
        : {},
    });
    this.connections = this.service.connections;

    const targetGroupProps: elbv2.ApplicationTargetGroupProps = {
      vpc: props.cluster.vpc,
      targetType: elbv2.TargetType.IP,
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: props.containerPort,
      deregistrationDelay: Duration.seconds(props.deregistrationDelaySeconds),
      healthCheck: {
        path: props.healthCheckPath,
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
        healthyHttpCodes: '200',
      },
    };
    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', targetGroupProps);
    props.listener.addTargetGroups(name, {
      targetGroups: [this.targetGroup],
      priority: props.priority ?? 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(props.pathPatterns)],
    });
    this.productionRule = props.listener.node.findChild(`${name}Rule`) as elbv2.ApplicationListenerRule;
    if (props.listenerDefault) props.listener.addAction(`${name}Default`, { action: elbv2.ListenerAction.forward([this.targetGroup]) });

    this.blueGreen = new BlueGreenTraffic(this, 'BlueGreen', {
      name,
      loadBalancer: props.loadBalancer,
      productionListener: props.listener,
      productionRule: this.productionRule,
      primary: this.targetGroup,
      targetGroupProps,
      testPort: props.testPort,
    });
    this.targetGroup.addTarget(
      this.service.loadBalancerTarget({ containerName: name, containerPort: props.containerPort, alternateTarget: this.blueGreen.alternateTarget }),
    );
    if (props.deployment.strategy === 'rolling') {
      // Clears hooks a blue-green configuration registered; ROLLING runs none.
      (this.service.node.defaultChild as ecs.CfnService).addPropertyOverride('DeploymentConfiguration.LifecycleHooks', []);
    }

    const deploymentAlarmName = `${props.namePrefix}-${name}-deployment-5xx`;
    this.deploymentAlarm = new cloudwatch.Alarm(this, 'Deployment5xx', {
      // A fixed name, so the service refers to it without a reference to the alarm resource.
      alarmName: deploymentAlarmName,
      alarmDescription: `Rolls back a ${name} deployment that answers 5xx`,
      // Production traffic is on either target group, depending on the last blue/green release.
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(primary, 0) + FILL(alternate, 0)',
        usingMetrics: Object.fromEntries(
          (
            [
              ['primary', this.targetGroup],
              ['alternate', this.blueGreen.alternateTargetGroup],
            ] as const
          ).map(([key, tg]) => [key, tg.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(1), statistic: 'Sum' })]),
        ),
        label: `${name} target 5xx`,
        period: Duration.minutes(1),
      }),
      threshold: props.rollbackOn5xxPerMinute ?? 10,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.service.enableDeploymentAlarms([deploymentAlarmName], {
      behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
    });

    this.service.node.addDependency(this.deploymentAlarm);
    acknowledge(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      `The ${name} container gets only non-secret settings (ports, URLs, flags) as environment; every secret is injected from Secrets Manager`,
    );
    acknowledge(
      this.taskDefinition.obtainExecutionRole().node.findChild('DefaultPolicy'),
      iam5Resource('*'),
      'ecr:GetAuthorizationToken has no resource-level permissions; image pulls and secret reads are scoped to the repository and secrets',
    );
    acknowledge(
      this.taskDefinition.taskRole.node.findChild('DefaultPolicy'),
      iam5Resource('*'),
      'ECS Exec needs ssmmessages channel actions and logs:DescribeLogGroups, which have no resource-level permissions',
    );
    const stack = Stack.of(this);
    acknowledge(
      this.taskDefinition.taskRole.node.findChild('DefaultPolicy'),
      iam5Resource(`arn:${partitionOf(this)}:logs:${stack.region}:${stack.account}:log-group:${refOf(props.execLogGroup)}:*`),
      'ECS Exec writes session logs to streams named per session inside the one exec log group',
    );

    const scaling = this.service.autoScaleTaskCount({ minCapacity: props.minTasks, maxCapacity: props.maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: 60,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
    // One policy over both target groups: production is on either, depending on the last release.
    new RequestScaling(this, 'RequestScaling', {
      taskCount: scaling,
      clusterName: props.cluster.clusterName,
      serviceName: this.service.serviceName,
      targetGroups: [this.targetGroup, this.blueGreen.alternateTargetGroup],
      requestsPerTaskPerMinute: props.requestsPerTaskPerMinute ?? 1000,
    });
  }
}
