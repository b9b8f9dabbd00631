import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import type { GatedService } from '../../scripts/lib/green-gate.ts';
import { GATE_ENV } from '../../scripts/lib/green-gate-lambda.ts';
import { acknowledge, iam5Resource } from '../policies/acknowledge.ts';
import type { AppService } from './app-service.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = 'scripts/lib/green-gate-lambda.ts';

/**
 * The gate's code: scripts/lib/green-gate-lambda.ts and the smoke gate it imports, bundled by
 * esbuild in this process at synth (no Docker, offline, well under a second). The asset hash
 * is the bundle's, so a change to any imported file (smoke.ts included) ships a new version.
 * The SDK v3 comes with the Node.js runtime.
 */
export function greenGateCode(): lambda.Code {
  return lambda.Code.fromAsset(fileURLToPath(new URL('../../scripts/lib', import.meta.url)), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('unused-local-bundling'),
      local: {
        tryBundle(outputDir: string): boolean {
          buildSync({
            absWorkingDir: REPO_ROOT,
            entryPoints: [ENTRY],
            outfile: `${outputDir}/index.mjs`,
            bundle: true,
            platform: 'node',
            target: 'node22',
            format: 'esm',
            external: ['@aws-sdk/*'],
            legalComments: 'none',
            logLevel: 'error',
          });
          return true;
        },
      },
    },
  });
}

export interface GreenGateHookProps {
  readonly vpc: ec2.IVpc;
  /** The load balancer whose test listeners the gate calls (by its nodes' private addresses). */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The metrics token the green tasks run with (the metrics checks need it). */
  readonly metricsToken: secretsmanager.ISecret;
  /** Secret holding a personal access token for the authenticated checks. @default - they are skipped */
  readonly smokeTokenSecretArn?: string;
  /** Seconds the gate retries transient failures. */
  readonly budgetSeconds: number;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The POST_TEST_TRAFFIC_SHIFT lifecycle hook of both services: one function in the private
 * subnets, the only source the test listeners accept, with its own log group (each check's
 * outcome per deployment) and least-privilege roles for itself and for ECS to invoke it.
 */
export class GreenGateHook extends Construct {
  readonly function: lambda.Function;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  /** The role ECS assumes to invoke the function. */
  readonly invokeRole: iam.Role;
  private readonly loadBalancer: elbv2.ApplicationLoadBalancer;

  constructor(scope: Construct, id: string, props: GreenGateHookProps) {
    super(scope, id);
    this.loadBalancer = props.loadBalancer;
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(role);
    props.metricsToken.grantRead(role);
    if (props.smokeTokenSecretArn) {
      role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.smokeTokenSecretArn] }));
    }
    // A function in a VPC manages its network interfaces; DescribeNetworkInterfaces also finds
    // the load balancer's addresses. None of these actions has resource-level permissions:
    // https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: ['*'],
      }),
    );
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      iam5Resource('*'),
      'The EC2 network interface actions a VPC function needs (and the lookup of the load balancer addresses) have no resource-level permissions',
    );

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Slipway green-tasks gate: the only source the test listeners accept',
      allowAllOutbound: true,
    });
    this.function = new lambda.Function(this, 'Function', {
      description: 'Smoke checks against the green tasks before production traffic (ECS POST_TEST_TRAFFIC_SHIFT hook)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: greenGateCode(),
      // One invocation: at most 60 s of checks plus the event stream's first-event wait.
      timeout: Duration.minutes(2),
      memorySize: 256,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      logGroup: this.logGroup,
      role,
      environment: {
        [GATE_ENV.loadBalancerFullName]: props.loadBalancer.loadBalancerFullName,
        [GATE_ENV.metricsTokenSecretArn]: props.metricsToken.secretArn,
        [GATE_ENV.budgetSeconds]: String(props.budgetSeconds),
        ...(props.smokeTokenSecretArn ? { [GATE_ENV.smokeTokenSecretArn]: props.smokeTokenSecretArn } : {}),
      },
    });
    // Only the function itself (ECS invokes the unqualified ARN), not its versions.
    this.invokeRole = new iam.Role(this, 'InvokeRole', { assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com') });
    this.invokeRole.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }));
  }

  /** Opens a service's test listener to this function, and to nothing else. */
  allowTestListener(service: GatedService, testPort: number): void {
    new ec2.CfnSecurityGroupIngress(this, `${service}TestListenerIngress`, {
      groupId: this.loadBalancer.connections.securityGroups[0]!.securityGroupId,
      sourceSecurityGroupId: this.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: testPort,
      toPort: testPort,
      description: `green-tasks gate to the ${service} test listener`,
    });
  }

  /**
   * Gates `app` (blue-green only): the hook at POST_TEST_TRAFFIC_SHIFT with the service, its
   * test port and the release it must report.
   */
  gate(app: AppService, service: GatedService, testPort: number, release: string): void {
    app.service.addLifecycleHook(
      new ecs.DeploymentLifecycleLambdaTarget(this.function, `${service}GreenGate`, {
        role: this.invokeRole,
        lifecycleStages: [ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT],
      }),
    );
    // CDK's hook target has no HookDetails; ECS passes them to every invocation.
    const details = { service, testPort, release };
    (app.service.node.defaultChild as ecs.CfnService).addPropertyOverride('DeploymentConfiguration.LifecycleHooks.0.HookDetails', details);
  }
}

