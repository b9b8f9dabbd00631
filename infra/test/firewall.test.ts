import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyResource, synthApp, type SynthesizedApp } from './support.ts';

let prod: SynthesizedApp;
let counting: SynthesizedApp;
let trial: SynthesizedApp;
beforeAll(() => {
  prod = synthApp();
  counting = synthApp({ WAF_MODE: 'count', WAF_RATE_LIMIT_PER_5_MINUTES: '500' });
  trial = synthApp({ DEPLOY_PROFILE: 'trial' });
});
afterAll(() => {
  prod?.cleanup();
  counting?.cleanup();
  trial?.cleanup();
});

const rulesOf = (app: SynthesizedApp) => onlyResource(app.templates.service, 'AWS::WAFv2::WebACL').resource.Properties.Rules as any[];
const rule = (app: SynthesizedApp, name: string) => rulesOf(app).find((r) => r.Name === name);

describe('web application firewall', () => {
  it('protects the load balancer in production', () => {
    prod.templates.service.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: Match.stringLikeRegexp('^EdgeLoadBalancer') },
      WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FirewallWebAcl'), 'Arn'] },
    });
    prod.templates.service.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
  });

  it('is off in trial, whose WAF log group exists all the same (so switching it on creates no group)', () => {
    trial.templates.service.resourceCountIs('AWS::WAFv2::WebACL', 0);
    expect(JSON.stringify(trial.templates.service.toJSON())).toContain('aws-waf-logs-slipway-');
  });

  it('runs the AWS managed IP reputation, known bad inputs and common rule groups, then a rate rule per IP', () => {
    expect(rulesOf(prod).map((r) => [r.Priority, r.Name])).toEqual([
      [10, 'AWSManagedRulesAmazonIpReputationList'],
      [20, 'AWSManagedRulesKnownBadInputsRuleSet'],
      [30, 'AWSManagedRulesCommonRuleSet'],
      [40, 'RateLimitPerIp'],
    ]);
    expect(rule(prod, 'RateLimitPerIp').Statement).toEqual({ RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP' } });
  });

  it('blocks by default', () => {
    expect(rule(prod, 'AWSManagedRulesCommonRuleSet').OverrideAction).toEqual({ None: {} });
    expect(rule(prod, 'RateLimitPerIp').Action).toEqual({ Block: {} });
  });

  it('only counts in WAF_MODE=count, with the configured rate limit', () => {
    for (const r of rulesOf(counting).filter((r) => r.Name.startsWith('AWSManaged'))) expect(r.OverrideAction, r.Name).toEqual({ Count: {} });
    expect(rule(counting, 'RateLimitPerIp').Action).toEqual({ Count: {} });
    expect(rule(counting, 'RateLimitPerIp').Statement.RateBasedStatement.Limit).toBe(500);
  });

  it('lets long issue bodies through the common rule set (the app bounds bodies itself)', () => {
    expect(rule(prod, 'AWSManagedRulesCommonRuleSet').Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
    ]);
  });

  it('logs to an aws-waf-logs-* group unique to the stack, with tokens and cookies redacted', () => {
    const { resource } = onlyResource(prod.templates.service, 'AWS::Logs::LogGroup', { LogGroupName: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
    expect(JSON.stringify(resource.Properties.LogGroupName)).toContain('aws-waf-logs-slipway-');
    expect(JSON.stringify(resource.Properties.LogGroupName)).toContain('AWS::StackId');
    expect(resource.DeletionPolicy).toBe('Retain');
    prod.templates.service.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }, { SingleHeader: { Name: 'x-metrics-token' } }],
    });
  });
});
