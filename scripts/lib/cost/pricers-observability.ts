/** Alarms, dashboards, log groups, mail, the web application firewall. */
import { literal, numberProp, refersTo } from './assembly.ts';
import type { LineDraft, Located, Pricer, PricingContext } from './model.ts';
import { minTasks, taskDefinitionOf } from './pricers-compute.ts';

/** Alarms are billed per metric they evaluate; math expressions themselves are free. */
function alarmMetrics(alarm: Located): { metrics: number; highRes: boolean; anomaly: boolean } {
  const p = alarm.resource.Properties ?? {};
  const list = p.Metrics as Array<{ MetricStat?: { Period?: number }; Expression?: string }> | undefined;
  const anomaly = Boolean(p.ThresholdMetricId) && (list ?? []).some((m) => /ANOMALY_DETECTION_BAND/.test(m.Expression ?? ''));
  const periods = list ? list.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Period ?? 60) : [numberProp(p.Period, alarm.stack) ?? 60];
  const metrics = list ? periods.length : 1;
  // An anomaly detection alarm counts 3 metrics: the metric and the band's two bounds.
  return { metrics: anomaly ? metrics * 3 : metrics, highRes: periods.some((s) => s < 60), anomaly };
}

export const alarmPricer: Pricer = {
  types: ['AWS::CloudWatch::Alarm'],
  lines: (ctx) => {
    const alarms = ctx.index.ofType('AWS::CloudWatch::Alarm').map(alarmMetrics);
    const standard = alarms.filter((a) => !a.highRes);
    const high = alarms.filter((a) => a.highRes);
    const sum = (xs: typeof alarms) => xs.reduce((n, a) => n + a.metrics, 0);
    const out: LineDraft[] = [];
    if (standard.length) out.push({ key: 'alarms', label: 'CloudWatch alarm', count: standard.length, quantity: sum(standard), priceKey: 'cloudwatch.alarmMetricMonth', basis: 'fixed', detail: `${standard.length} alarm(s), ${sum(standard)} alarm metric(s)` });
    if (high.length) out.push({ key: 'alarms-high-resolution', label: 'CloudWatch high-resolution alarm', count: high.length, quantity: sum(high), priceKey: 'cloudwatch.highResAlarmMetricMonth', basis: 'fixed', detail: `${high.length} alarm(s), ${sum(high)} alarm metric(s)` });
    return out;
  },
};

export const dashboardPricer: Pricer = {
  types: ['AWS::CloudWatch::Dashboard'],
  lines: (ctx) => {
    const n = ctx.index.ofType('AWS::CloudWatch::Dashboard').length;
    return n === 0 ? [] : [{ key: 'dashboards', label: 'CloudWatch dashboard', count: n, quantity: n, priceKey: 'cloudwatch.dashboardMonth', basis: 'fixed', detail: `${n} dashboard(s); the account's first 3 are free, not counted here` }];
  },
};

type LogKind = 'app' | 'flow' | 'database' | 'other';

/** What feeds a log group, and so how much it ingests per month. */
function classify(ctx: PricingContext, group: Located): { kind: LogKind; gb: number } {
  const a = ctx.assumptions;
  if (ctx.index.ofType('AWS::EC2::FlowLog').some((f) => f.stack === group.stack && refersTo(f.resource.Properties?.LogGroupName, group.id))) {
    return { kind: 'flow', gb: a.flowLogGbPerMonth };
  }
  const services = ctx.index.ofType('AWS::ECS::Service').filter((s) => s.stack === group.stack);
  const tasks = services.filter((s) => refersTo(taskDefinitionOf(ctx, s)?.resource.Properties?.ContainerDefinitions, group.id));
  if (tasks.length) return { kind: 'app', gb: tasks.reduce((n, s) => n + minTasks(ctx, s), 0) * a.appLogGbPerTask };
  const name = literal(group.resource.Properties?.LogGroupName, group.stack);
  if (typeof name === 'string' && name.startsWith('/aws/rds/')) return { kind: 'database', gb: a.databaseLogGbPerGroup };
  return { kind: 'other', gb: a.otherLogGbPerGroup };
}

const LOG_LABELS: Record<LogKind, string> = {
  app: 'log ingestion: app tasks',
  flow: 'log ingestion: VPC flow logs',
  database: 'log ingestion: database',
  other: 'log ingestion: handlers, ECS Exec, one-off tasks',
};

const LOG_ASSUMPTION: Record<LogKind, string> = {
  app: 'appLogGbPerTask × minimum tasks',
  flow: 'flowLogGbPerMonth',
  database: 'databaseLogGbPerGroup',
  other: 'otherLogGbPerGroup',
};

export const logPricer: Pricer = {
  types: ['AWS::Logs::LogGroup'],
  lines: (ctx) => {
    const groups = ctx.index.ofType('AWS::Logs::LogGroup').map((g) => ({ g, ...classify(ctx, g) }));
    if (groups.length === 0) return [];
    const out: LineDraft[] = [];
    for (const kind of ['app', 'flow', 'database', 'other'] as const) {
      const of = groups.filter((x) => x.kind === kind);
      if (!of.length) continue;
      const gb = of.reduce((n, x) => n + x.gb, 0);
      out.push({ key: `logs:${kind}`, label: LOG_LABELS[kind], count: of.length, quantity: gb, priceKey: 'logs.ingestGb', basis: 'usage', detail: `${+gb.toFixed(3)} GB from ${of.length} log group(s) (assumption ${LOG_ASSUMPTION[kind]})` });
    }
    // Steady state: each group holds `retention` days of its monthly ingestion (uncompressed, an upper bound).
    const stored = groups.reduce((n, x) => n + x.gb * ((numberProp(x.g.resource.Properties?.RetentionInDays, x.g.stack) ?? 365) / 30), 0);
    out.push({ key: 'logs:storage', label: 'log storage', count: groups.length, quantity: stored, priceKey: 'logs.storageGbMonth', basis: 'usage', detail: `${+stored.toFixed(2)} GB kept for each group's retention (groups that never expire counted as 365 days)` });
    return out;
  },
};

export const mailPricer: Pricer = {
  types: ['AWS::SES::EmailIdentity'],
  lines: (ctx) => {
    if (ctx.index.ofType('AWS::SES::EmailIdentity').length === 0) return [];
    const mails = ctx.assumptions.emailsPerMonth;
    return [{ key: 'ses-mail', label: 'SES mail sent', count: 1, quantity: mails / 1000, priceKey: 'ses.per1000Emails', basis: 'usage', detail: `${mails} mails (assumption emailsPerMonth)` }];
  },
};

/** Managed rule groups with a subscription fee of their own, which the table does not hold. */
const PAID_RULE_GROUPS = /AWSManagedRulesBotControlRuleSet|AWSManagedRulesATPRuleSet|AWSManagedRulesACFPRuleSet|AWSManagedRulesAntiDDoSRuleSet/;

export const firewallPricer: Pricer = {
  types: ['AWS::WAFv2::WebACL'],
  lines: (ctx) =>
    ctx.index.ofType('AWS::WAFv2::WebACL').flatMap((acl): LineDraft[] => {
      const rules = (acl.resource.Properties?.Rules as unknown[] | undefined) ?? [];
      const paid = rules.filter((r) => PAID_RULE_GROUPS.test(JSON.stringify(r)));
      if (paid.length) {
        ctx.unpriced({ key: `waf-paid-rules:${acl.id}`, label: 'WAF paid managed rule groups', reason: `${paid.length} rule group(s) with their own subscription and request fees (Bot Control, fraud control) are not in the price table` });
      }
      const millions = ctx.assumptions.wafRequestsMillions;
      return [
        { key: `waf:${acl.id}`, label: 'WAF web ACL', count: 1, quantity: 1, priceKey: 'waf.webAclMonth', basis: 'fixed', detail: '1 web ACL' },
        { key: `waf-rules:${acl.id}`, label: 'WAF rule', count: rules.length, quantity: rules.length, priceKey: 'waf.ruleMonth', basis: 'fixed', detail: `${rules.length} rule(s); a rule group counts as one` },
        { key: `waf-requests:${acl.id}`, label: 'WAF requests inspected', count: 1, quantity: millions, priceKey: 'waf.perMillionRequests', basis: 'usage', detail: `${millions} million requests (assumption wafRequestsMillions)` },
      ];
    }),
};
