import { Duration, Names } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';

export interface RequestScalingProps {
  /** The service's task count (from `autoScaleTaskCount`). */
  readonly taskCount: ecs.ScalableTaskCount;
  /** Cluster and service whose running tasks share the requests. */
  readonly clusterName: string;
  readonly serviceName: string;
  /**
   * Every target group the service's production traffic can be on: blue/green releases move it
   * between the primary and the alternate one.
   */
  readonly targetGroups: readonly elbv2.ApplicationTargetGroup[];
  /** Requests per running task per minute the policy keeps the service at. */
  readonly requestsPerTaskPerMinute: number;
  /**
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;
}

/** Id of the metric-math expression the policy tracks. */
export const REQUESTS_PER_TASK_ID = 'requestsPerTask';

/**
 * One target-tracking policy on requests per running task, summed over every target group of
 * the service: `(FILL(tg1, 0) + FILL(tg2, 0)) / tasks`.
 *
 * Not one ALBRequestCountPerTarget policy per target group: the idle group publishes no
 * RequestCountPerTarget, its policy stays in INSUFFICIENT_DATA, and Application Auto Scaling
 * scales in only when every policy is ready to
 * (https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html),
 * so the service never scaled in. FILL turns the idle group's missing RequestCount into 0.
 * Target tracking takes metric math in a customized metric specification
 * (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking-metric-math.html);
 * aws-cdk-lib's TargetTrackingScalingPolicy takes only a single metric, hence the L1 policy.
 * RunningTaskCount comes from Container Insights, which the cluster has on.
 */
export class RequestScaling extends Construct {
  readonly policy: appscaling.CfnScalingPolicy;

  constructor(scope: Construct, id: string, props: RequestScalingProps) {
    super(scope, id);
    const target = props.taskCount.node.findChild('Target') as appscaling.ScalableTarget;
    const groups = props.targetGroups.map((tg, i) => ({
      id: `tg${i + 1}`,
      metric: tg.metrics.requestCount({ statistic: 'Sum', period: Duration.minutes(1) }),
    }));
    const tasks = new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: props.clusterName, ServiceName: props.serviceName },
      statistic: 'Average',
      period: Duration.minutes(1),
    });
    const sum = groups.map((g) => `FILL(${g.id}, 0)`).join(' + ');

    this.policy = new appscaling.CfnScalingPolicy(this, 'Policy', {
      policyName: Names.uniqueId(this),
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.requestsPerTaskPerMinute,
        scaleInCooldown: (props.scaleInCooldown ?? Duration.minutes(5)).toSeconds(),
        scaleOutCooldown: (props.scaleOutCooldown ?? Duration.minutes(1)).toSeconds(),
        customizedMetricSpecification: {
          metrics: [
            ...groups.map((g) => ({ id: g.id, metricStat: metricStat(g.metric), returnData: false })),
            { id: 'tasks', metricStat: metricStat(tasks), returnData: false },
            { id: REQUESTS_PER_TASK_ID, expression: `(${sum}) / tasks`, label: 'Requests per running task per minute', returnData: true },
          ],
        },
      },
    });
  }
}

/** A CloudWatch metric as a target-tracking metric query's MetricStat. */
function metricStat(metric: cloudwatch.IMetric): appscaling.CfnScalingPolicy.TargetTrackingMetricStatProperty {
  const stat = metric.toMetricConfig().metricStat!;
  return {
    metric: {
      namespace: stat.namespace,
      metricName: stat.metricName,
      dimensions: (stat.dimensions ?? []).map((d) => ({ name: d.name, value: String(d.value) })),
    },
    stat: stat.statistic,
  };
}
