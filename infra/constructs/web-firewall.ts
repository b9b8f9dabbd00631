import { Aws, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export type WebFirewallMode = 'block' | 'count';

export interface WebFirewallProps {
  /** ARN of the load balancer the web ACL protects. */
  readonly loadBalancerArn: string;
  /** Prefix of the web ACL and metric names, e.g. `slipway`. */
  readonly namePrefix: string;
  /** `count`: every rule only counts what it would block (to try the rules on real traffic first). */
  readonly mode: WebFirewallMode;
  /** Requests one IP address may make in 5 minutes before the rate rule acts. */
  readonly rateLimitPer5Minutes: number;
  /** Where WAF logs go (see `wafLogGroup`). */
  readonly logGroup: logs.ILogGroup;
}

/**
 * The WAF log group. WAF logs only to groups named aws-waf-logs-*; the stack id's last part
 * keeps the name unique, so a redeploy after a teardown does not collide with the retained
 * group. Created whether or not the web ACL exists, so switching WAF_ENABLED off and on again
 * never removes or re-creates a group of the same name.
 */
export function wafLogGroup(scope: Construct, id: string, namePrefix: string, retention: logs.RetentionDays): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    logGroupName: `aws-waf-logs-${namePrefix}-${Fn.select(2, Fn.split('/', Aws.STACK_ID))}`,
    retention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/** AWS managed rule groups, in evaluation order. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesCommonRuleSet',
] as const;

/**
 * A regional WAF web ACL on the load balancer: the AWS managed IP reputation, known bad
 * inputs and common rule groups, a rate-based rule per client IP, and logging to CloudWatch
 * Logs with credentials redacted.
 */
export class WebFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: WebFirewallProps) {
    super(scope, id);
    const counting = props.mode === 'count';
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${props.namePrefix}-${metricName}` });

    const managed = MANAGED_RULE_GROUPS.map((name, i): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority: 10 * (i + 1),
      overrideAction: counting ? { count: {} } : { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          // Issue descriptions and comments may be longer than the 8 KB body this rule allows;
          // the app bounds bodies itself (BODY_LIMIT_BYTES), so the rule only counts.
          ...(name === 'AWSManagedRulesCommonRuleSet'
            ? { ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }] }
            : {}),
        },
      },
      visibilityConfig: visibility(name),
    }));
    const rate: wafv2.CfnWebACL.RuleProperty = {
      name: 'RateLimitPerIp',
      priority: 40,
      action: counting ? { count: {} } : { block: {} },
      statement: { rateBasedStatement: { limit: props.rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
      visibilityConfig: visibility('rate-limit'),
    };

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${props.namePrefix}-web`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules: [...managed, rate],
      visibilityConfig: visibility('web'),
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', { resourceArn: props.loadBalancerArn, webAclArn: this.webAcl.attrArn });

    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the trailing `:*`.
      logDestinationConfigs: [Fn.select(0, Fn.split(':*', props.logGroup.logGroupArn))],
      // Bearer tokens and session cookies never reach the logs.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }, { singleHeader: { Name: 'x-metrics-token' } }],
    });
  }
}
