import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { AlarmSpec } from './alarms.ts';

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);
const GiB = 1024 ** 3;

/** What the alarms watch. */
export interface AlarmTargets {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly clusterName: string;
  /**
   * Services by short name (`api`, `web`) with their target groups: the primary and the
   * alternate one, since blue/green releases move production between them.
   */
  readonly services: Readonly<Record<string, { serviceName: string; targetGroups: readonly elbv2.ApplicationTargetGroup[] }>>;
  readonly database: rds.IDatabaseInstance;
  readonly databaseInstanceClass: string;
  readonly databaseAllocatedStorageGiB: number;
  /** Redis member cluster ids (the first one was created as the primary; a failover swaps roles). */
  readonly redisMemberIds: readonly string[];
}

/** Memory (GiB) of an instance size in the general-purpose families (t, m); r doubles it. */
const SIZE_GIB: Record<string, number> = {
  micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32, '4xlarge': 64, '8xlarge': 128,
  '12xlarge': 192, '16xlarge': 256, '24xlarge': 384,
};

/**
 * RDS PostgreSQL's default max_connections, LEAST(memory / 9531392, 5000), for a class
 * like `db.t4g.medium`; undefined for a size it does not know.
 */
export function estimateMaxConnections(instanceClass: string): number | undefined {
  const [, family = '', size = ''] = instanceClass.split('.');
  const base = SIZE_GIB[size];
  if (base === undefined) return undefined;
  const memory = (family.startsWith('r') || family.startsWith('x') ? base * 2 : base) * GiB;
  return Math.min(Math.floor(memory / 9531392), 5000);
}

const cw = (namespace: string, metricName: string, dimensionsMap: Record<string, string>, statistic = 'Average', period = FIVE_MINUTES) =>
  new cloudwatch.Metric({ namespace, metricName, dimensionsMap, statistic, period });

/** The app's alarms as data: thresholds in one place, built by AppAlarms. */
export function appAlarmSpecs(t: AlarmTargets): Record<string, AlarmSpec> {
  const lb = t.loadBalancer.metrics;
  const specs: Record<string, AlarmSpec> = {
    'alb-5xx-rate': {
      description: 'More than 5% of requests end in a load-balancer 5xx (no healthy target, timeouts). Check target health and the api logs.',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum', period: FIVE_MINUTES }),
          requests: lb.requestCount({ statistic: 'Sum', period: FIVE_MINUTES }),
        },
        label: 'ALB 5xx %',
        period: FIVE_MINUTES,
      }),
      threshold: 5,
    },
    'latency-p99': {
      description: 'p99 target response time above 2 s for 15 minutes. Check database load and slow queries.',
      metric: lb.targetResponseTime({ statistic: 'p99', period: FIVE_MINUTES }),
      threshold: 2,
    },
    'rds-cpu': {
      description: 'Database CPU above 80% for 15 minutes. Check Performance Insights for the top queries.',
      metric: t.database.metricCPUUtilization({ period: FIVE_MINUTES }),
      threshold: 80,
    },
    'rds-free-storage': {
      description: 'Database free storage below 10% of the allocated size. Storage autoscaling may be at its ceiling.',
      metric: t.database.metricFreeStorageSpace({ period: FIVE_MINUTES }),
      threshold: Math.floor(t.databaseAllocatedStorageGiB * 0.1 * GiB),
      comparison: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    },
    'rds-connections': {
      description: 'Database connections above 80% of max_connections. Check pool sizes times task counts.',
      metric: t.database.metricDatabaseConnections({ period: FIVE_MINUTES }),
      threshold: Math.floor((estimateMaxConnections(t.databaseInstanceClass) ?? 100) * 0.8),
    },
  };

  // The load balancer's own LoadBalancerFullName, not the one the target group's metrics derive
  // by splitting the listener ARN: across stacks that split runs over a weak reference, which
  // cfn-lint cannot type. Dimensions per
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
  const targetGroupMetric = (tg: elbv2.ApplicationTargetGroup, metricName: string, props: cloudwatch.MetricOptions) =>
    new cloudwatch.Metric({
      namespace: 'AWS/ApplicationELB',
      metricName,
      dimensionsMap: { LoadBalancer: t.loadBalancer.loadBalancerFullName, TargetGroup: tg.targetGroupFullName },
      ...props,
    });

  for (const [name, svc] of Object.entries(t.services)) {
    // Over every target group: whichever serves production now.
    const across = (expression: (ids: string[]) => string, metric: (tg: elbv2.ApplicationTargetGroup) => cloudwatch.IMetric, label: string, period: Duration) => {
      const usingMetrics = Object.fromEntries(svc.targetGroups.map((tg, i) => [`tg${i + 1}`, metric(tg)]));
      return new cloudwatch.MathExpression({ expression: expression(Object.keys(usingMetrics)), usingMetrics, label, period });
    };
    specs[`${name}-target-5xx`] = {
      description: `The ${name} tasks answered 5xx more than 25 times in 5 minutes. Check the ${name} logs.`,
      metric: across(
        (ids) => ids.map((id) => `FILL(${id}, 0)`).join(' + '),
        (tg) => targetGroupMetric(tg, elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum', period: FIVE_MINUTES }),
        `${name} target 5xx`,
        FIVE_MINUTES,
      ),
      threshold: 25,
      evaluationPeriods: 1,
    };
    specs[`${name}-unhealthy-hosts`] = {
      description: `A ${name} target has failed health checks for 3 minutes.`,
      metric: across(
        (ids) => `MAX([${ids.map((id) => `FILL(${id}, 0)`).join(', ')}])`,
        (tg) => targetGroupMetric(tg, 'UnHealthyHostCount', { statistic: 'Maximum', period: ONE_MINUTE }),
        `${name} unhealthy targets`,
        ONE_MINUTE,
      ),
      threshold: 1,
    };
    const dims = { ClusterName: t.clusterName, ServiceName: svc.serviceName };
    specs[`${name}-tasks-below-desired`] = {
      description: `The ${name} service has run fewer tasks than desired for 10 minutes (tasks failing to start or crashing).`,
      metric: new cloudwatch.MathExpression({
        expression: 'desired - running',
        usingMetrics: {
          desired: cw('ECS/ContainerInsights', 'DesiredTaskCount', dims, 'Maximum', ONE_MINUTE),
          running: cw('ECS/ContainerInsights', 'RunningTaskCount', dims, 'Maximum', ONE_MINUTE),
        },
        label: `${name} missing tasks`,
        period: ONE_MINUTE,
      }),
      threshold: 1,
      evaluationPeriods: 10,
    };
  }

  t.redisMemberIds.forEach((id, i) => {
    const dims = { CacheClusterId: id };
    specs[`redis-cpu-${i + 1}`] = {
      description: `Redis engine CPU of ${id} above 80% for 15 minutes.`,
      metric: cw('AWS/ElastiCache', 'EngineCPUUtilization', dims),
      threshold: 80,
    };
    specs[`redis-memory-${i + 1}`] = {
      description: `Redis memory of ${id} above 80%: keys will be evicted.`,
      metric: cw('AWS/ElastiCache', 'DatabaseMemoryUsagePercentage', dims),
      threshold: 80,
    };
  });
  // Over every node, not one: only the node that is a replica now publishes ReplicationLag, and
  // a failover swaps the roles (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html).
  // FILL gives the primary's missing data 0.
  if (t.redisMemberIds.length > 1) {
    const usingMetrics = Object.fromEntries(
      t.redisMemberIds.map((id, i) => [`node${i + 1}`, cw('AWS/ElastiCache', 'ReplicationLag', { CacheClusterId: id }, 'Maximum')]),
    );
    specs['redis-replication-lag'] = {
      description: 'A Redis replica is more than 30 s behind the primary (whichever node is the replica since the last failover).',
      metric: new cloudwatch.MathExpression({
        expression: `MAX([${Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`).join(', ')}])`,
        usingMetrics,
        label: 'Redis replication lag (s)',
        period: FIVE_MINUTES,
      }),
      threshold: 30,
    };
  }
  return specs;
}
