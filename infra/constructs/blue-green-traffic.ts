import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, iam5Resource } from '../policies/acknowledge.ts';

export interface BlueGreenTrafficProps {
  /** Service short name (`api`, `web`), for descriptions. */
  readonly name: string;
  /** The load balancer both listeners belong to (a target group serves one load balancer). */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The production listener and the rule on it that routes this service's traffic. */
  readonly productionListener: elbv2.IApplicationListener;
  readonly productionRule: elbv2.ApplicationListenerRule;
  /** The primary target group (the one the service was created with). */
  readonly primary: elbv2.IApplicationTargetGroup;
  /** Props of the primary target group: the alternate one is its twin. */
  readonly targetGroupProps: elbv2.ApplicationTargetGroupProps;
  /** Port of this service's test listener (plain HTTP, inside the VPC only). */
  readonly testPort: number;
}

/**
 * What ECS needs to move a service's traffic between two revisions
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html):
 * an alternate target group, a test listener on its own port whose one rule ECS points at the
 * green tasks, and an infrastructure role that may change only these rules and register targets
 * only in these two groups. It exists with either DEPLOY_STRATEGY, so switching the strategy
 * creates and deletes nothing here.
 *
 * Every action on the listeners ECS manages is a plain forward: blue/green fails on rules that
 * mix forward with other actions. Nothing in this construct (or the production rule) may change
 * once deployed: CloudFormation resets a rule's actions whenever it updates the rule, which after
 * a completed release would send production back to the drained target group (aws-cdk issue
 * 36649); the change-safety replay asserts listener rules stay untouched.
 */
export class BlueGreenTraffic extends Construct {
  readonly alternateTargetGroup: elbv2.ApplicationTargetGroup;
  readonly testListener: elbv2.ApplicationListener;
  readonly testRule: elbv2.ApplicationListenerRule;
  readonly role: iam.Role;
  readonly alternateTarget: ecs.AlternateTarget;

  constructor(scope: Construct, id: string, props: BlueGreenTrafficProps) {
    super(scope, id);
    this.alternateTargetGroup = new elbv2.ApplicationTargetGroup(this, 'AlternateTargetGroup', props.targetGroupProps);

    // Reachable only from the gate's security group (see GreenGateHook.gate): no public back
    // door to unreleased tasks. The default action keeps the alternate group attached to the
    // load balancer, so its health checks run before ECS first routes test traffic to it.
    this.testListener = new elbv2.ApplicationListener(this, 'TestListener', {
      loadBalancer: props.loadBalancer,
      port: props.testPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.forward([this.alternateTargetGroup]),
    });
    this.testRule = new elbv2.ApplicationListenerRule(this, 'TestRule', {
      listener: this.testListener,
      priority: 1,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
      action: elbv2.ListenerAction.forward([this.alternateTargetGroup]),
    });

    // The permissions of AmazonECSInfrastructureRolePolicyForLoadBalancers, narrowed to this
    // service's listeners, rules and target groups:
    // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSInfrastructureRolePolicyForLoadBalancers.html
    this.role = new iam.Role(this, 'InfrastructureRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: `Lets ECS move ${props.name} traffic between its two target groups`,
    });
    const allow = (actions: string[], resources: string[]) => this.role.addToPolicy(new iam.PolicyStatement({ actions, resources }));
    allow(
      ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth'],
      ['*'],
    );
    allow(['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'], [props.primary.targetGroupArn, this.alternateTargetGroup.targetGroupArn]);
    allow(['elasticloadbalancing:ModifyListener'], [props.productionListener.listenerArn, this.testListener.listenerArn]);
    allow(['elasticloadbalancing:ModifyRule'], [props.productionRule.listenerRuleArn, this.testRule.listenerRuleArn]);
    acknowledge(
      this.role.node.findChild('DefaultPolicy'),
      iam5Resource('*'),
      'The Elastic Load Balancing Describe actions have no resource-level permissions; every changing action is limited to this service',
    );

    this.alternateTarget = new ecs.AlternateTarget('AlternateTarget', {
      alternateTargetGroup: this.alternateTargetGroup,
      productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(props.productionRule),
      testListener: ecs.ListenerRuleConfiguration.applicationListenerRule(this.testRule),
      role: this.role,
    });
  }
}
