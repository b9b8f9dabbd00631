import { readFileSync } from 'node:fs';
import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge, arnOf, iam5Resource, refOf, partitionOf } from '../policies/acknowledge.ts';
import type { MigrateTask } from './migrate-task.ts';

export interface MigrateBeforeRollProps {
  /** Cluster the migrate task runs in. */
  readonly cluster: ecs.ICluster;
  /** The migrate task definition (at the release being deployed) and its security group. */
  readonly migrate: MigrateTask;
  /** The release being deployed; a change runs the migrations again. */
  readonly imageTag: string;
  /**
   * The PostgreSQL major version (DB_ENGINE_VERSION). A change runs `migrate up` again after
   * the data stack's upgrade, with the release unchanged, and migrate analyzes the tables the
   * upgrade left without planner statistics (app/src/migrate/statistics.ts).
   */
  readonly databaseEngineVersion: string;
  /** Subnets of the migrate task (private, with a route to ECR and Secrets Manager). */
  readonly subnets: ec2.ISubnet[];
  /** How long `migrate up` may take before the deploy fails. */
  readonly timeout: Duration;
  /** Retention of the handler logs. */
  readonly logRetention: logs.RetentionDays;
}

const code = (file: string) =>
  lambda.Code.fromInline(readFileSync(new URL(`../lambda/${file}`, import.meta.url), 'utf8'));

/**
 * Runs `migrate up` with the new image and waits for exit code 0 before anything that
 * depends on it (the services) is updated. A failure fails the stack update, so
 * CloudFormation keeps the services on their current task definitions.
 */
export class MigrateBeforeRoll extends Construct {
  readonly resource: CustomResource;
  readonly onEventFunction: lambda.Function;
  readonly isCompleteFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: MigrateBeforeRollProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const taskDefinition = props.migrate.taskDefinition;
    const family = taskDefinition.family;

    // Roles with only what each function needs (no managed policies): its own log group.
    const logGroup = (name: string) =>
      new logs.LogGroup(this, name, { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    const role = (name: string, group: logs.ILogGroup) => {
      const r = new iam.Role(this, name, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      group.grantWrite(r);
      return r;
    };
    const fn = (name: string, file: string) => {
      const logs = logGroup(`${name}Logs`);
      return new lambda.Function(this, name, {
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code: code(file),
        timeout: Duration.seconds(30),
        memorySize: 256,
        logGroup: logs,
        role: role(`${name}Role`, logs),
      });
    };
    this.onEventFunction = fn('OnEvent', 'migrate-on-event.cjs');
    this.isCompleteFunction = fn('IsComplete', 'migrate-is-complete.cjs');

    // Least privilege: run only the migrate family, in this cluster, passing only its roles.
    this.onEventFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${family}:*` })],
        conditions: { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } },
      }),
    );
    this.onEventFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [taskDefinition.taskRole.roleArn, taskDefinition.obtainExecutionRole().roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    this.onEventFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }),
    );
    this.isCompleteFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
        resources: [
          stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${props.cluster.clusterName}/*` }),
        ],
      }),
    );

    const providerLogs = logGroup('ProviderLogs');
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.onEventFunction,
      isCompleteHandler: this.isCompleteFunction,
      queryInterval: Duration.seconds(10),
      totalTimeout: props.timeout,
      logGroup: providerLogs,
      frameworkOnEventRole: role('FrameworkOnEventRole', providerLogs),
      frameworkCompleteAndTimeoutRole: role('FrameworkWaitRole', providerLogs),
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: logGroup('WaiterLogs'), level: sfn.LogLevel.ALL },
    });
    this.acknowledgeFindings(provider, family, props.cluster);

    this.resource = new CustomResource(this, 'Migration', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SlipwayMigrateBeforeRoll',
      properties: {
        ImageTag: props.imageTag,
        DatabaseEngineVersion: props.databaseEngineVersion,
        Cluster: props.cluster.clusterArn,
        TaskDefinition: taskDefinition.taskDefinitionArn,
        ContainerName: props.migrate.containerName,
        Subnets: props.subnets.map((s) => s.subnetId),
        SecurityGroups: [props.migrate.securityGroup.securityGroupId],
        LogGroup: props.migrate.logGroup.logGroupName,
        StreamPrefix: props.migrate.streamPrefix,
        TimeoutSeconds: String(props.timeout.toSeconds()),
      },
    });
  }

  private acknowledgeFindings(provider: cr.Provider, family: string, cluster: ecs.ICluster): void {
    const stack = Stack.of(this);
    const policy = (fn: lambda.Function) => fn.role!.node.findChild('DefaultPolicy');
    const arn = (resource: string) => `arn:${partitionOf(this)}:ecs:${stack.region}:${stack.account}:${resource}`;

    acknowledge(
      policy(this.onEventFunction),
      iam5Resource(arn(`task-definition/${family}:*`)),
      'RunTask may start any revision of the migrate family only (the revision changes with each release), and only in this cluster (ecs:cluster condition)',
    );
    acknowledge(
      policy(this.isCompleteFunction),
      iam5Resource(arn(`task/${refOf(cluster)}/*`)),
      'DescribeTasks and StopTask (of a migration past its timeout) act on tasks of this cluster only; task ids are random, so the ARN cannot be narrowed further',
    );

    // The provider framework grants invoke on every version (`:*`) of the handlers it calls:
    // its two Lambda roles call ours, the waiter state machine calls its own two.
    const invokeAll = (policy: IConstruct, handlers: IConstruct[]) => {
      for (const handler of handlers) {
        acknowledge(
          policy,
          iam5Resource(`${arnOf(handler)}:*`),
          `The custom resource provider framework may invoke every version of its handler ${handler.node.id}, nothing else`,
        );
      }
    };
    for (const roleId of ['FrameworkOnEventRole', 'FrameworkWaitRole']) {
      invokeAll(this.node.findChild(roleId).node.findChild('DefaultPolicy'), [this.onEventFunction, this.isCompleteFunction]);
    }
    const waiterRole = provider.node.findChild('waiter-state-machine').node.findChild('Role');
    invokeAll(waiterRole.node.findChild('DefaultPolicy'), [
      provider.node.findChild('framework-isComplete'),
      provider.node.findChild('framework-onTimeout'),
    ]);
    const stateMachine = provider.node.findAll().find((c) => c instanceof sfn.CfnStateMachine);
    if (stateMachine) {
      acknowledge(
        waiterRole.node.findChild('DefaultPolicy'),
        iam5Resource('*'),
        'Step Functions log delivery (logs:CreateLogDelivery and related) has no resource-level permissions; the waiter logs to its own group',
      );
      acknowledge(
        stateMachine,
        'AwsSolutions-SF2',
        'The waiter state machine only polls the migrate task every 10 s; every execution is logged in full, so X-Ray tracing adds nothing',
      );
    }
  }

  /** Makes `dependent` wait for a successful migration. */
  gate(dependent: Construct): void {
    dependent.node.addDependency(this.resource);
  }
}
