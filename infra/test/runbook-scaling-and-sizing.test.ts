/**
 * runbooks/scaling-and-sizing.md names settings, profile defaults, stack outputs and the
 * autoscaling targets: each is held here to infra/config.ts and the synthesized stacks, so the
 * runbook cannot drift from them.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILE_DEFAULTS, SETTING_NAMES } from '../config.ts';
import { OUTPUT_KEYS, OUTPUT_STACK, type OutputName } from '../outputs.ts';
import { synthApp, type SynthesizedApp } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TEXT = readFileSync(join(ROOT, 'runbooks/scaling-and-sizing.md'), 'utf8');
const PROSE = TEXT.replace(/```[\s\S]*?```/g, '').replace(/\n\s*/g, ' ');
const CODE = [...TEXT.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n');
const SPANS = [...PROSE.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
const row = (label: string) => TEXT.split('\n').find((l) => l.startsWith(`| ${label} |`))!.split('|').slice(2, 4).map((c) => c.trim());

describe('scaling-and-sizing runbook', () => {
  let synth: SynthesizedApp;
  beforeAll(() => {
    synth = synthApp();
  });
  afterAll(() => synth?.cleanup());

  it('names only settings the kit reads', () => {
    const inProse = SPANS.flatMap((s) => [...s.matchAll(/^([A-Z][A-Z0-9_]+)(=|$)/g)].map((m) => m[1]!));
    const inEnv = [...CODE.matchAll(/^\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    const wildcard = PROSE.includes('(and `WEB_*`)') ? SETTING_NAMES.filter((n) => n.startsWith('WEB_')) : [];
    expect(wildcard).toEqual(expect.arrayContaining(['WEB_MIN_TASKS', 'WEB_MAX_TASKS']));
    const named = [...new Set([...inProse, ...inEnv])];
    expect(named).toEqual(expect.arrayContaining(['API_MIN_TASKS', 'MAX_AZS', 'NAT_GATEWAYS', 'DEPLOY_STRATEGY', 'DEPLOY_PROFILE']));
    expect(named.filter((n) => !(SETTING_NAMES as readonly string[]).includes(n))).toEqual([]);
  });

  it('gives each profile its defaults', () => {
    const { trial, production } = PROFILE_DEFAULTS;
    const db = (p: typeof trial) => `\`${p.DB_INSTANCE_CLASS}\`, ${p.DB_MULTI_AZ === 'true' ? 'Multi-AZ' : 'single-AZ'}`;
    expect(row('database')[0]).toBe(`${db(trial)}, ${trial.DB_BACKUP_RETENTION_DAYS} days of backups`);
    expect(row('database')[1]).toBe(`${db(production)}, ${production.DB_BACKUP_RETENTION_DAYS} days`);
    expect(trial.REDIS_REPLICATION_ENABLED).toBe('false');
    expect(row('Redis')[0]).toBe(`one \`${trial.REDIS_NODE_TYPE}\` node`);
    expect(production.REDIS_REPLICATION_ENABLED).toBe('true');
    expect(row('NAT gateways')[0]).toBe(trial.NAT_GATEWAYS);
    // production leaves NAT_GATEWAYS to follow MAX_AZS: one per AZ
    expect(production.NAT_GATEWAYS).toBeUndefined();
    expect(row('api / web tasks')).toEqual([
      `${trial.API_MIN_TASKS}-${trial.API_MAX_TASKS} each`,
      `${production.API_MIN_TASKS}-${production.API_MAX_TASKS} api, ${production.WEB_MIN_TASKS}-${production.WEB_MAX_TASKS} web`,
    ]);
    // "each": trial gives web the same range as the api
    expect([trial.WEB_MIN_TASKS, trial.WEB_MAX_TASKS]).toEqual([trial.API_MIN_TASKS, trial.API_MAX_TASKS]);
  });

  it('says how task size changes roll out under each profile strategy', () => {
    expect(PROFILE_DEFAULTS.production.DEPLOY_STRATEGY).toBe('blue-green');
    expect(PROFILE_DEFAULTS.trial.DEPLOY_STRATEGY).toBe('rolling');
    expect(PROSE).toContain('rolled out the way `DEPLOY_STRATEGY` says: blue/green in production');
    expect(PROSE).toContain('a rolling deployment with min healthy 100% in trial');
    const [service] = Object.values(synth.templates.service.findResources('AWS::ECS::Service')) as any[];
    expect(service.Properties.DeploymentConfiguration.MinimumHealthyPercent).toBe(100);
  });

  it('names stack outputs the stacks export', () => {
    const named = SPANS.filter((s) => /^[A-Z][a-z]+[A-Za-z]*Name$/.test(s));
    expect(named).toEqual(expect.arrayContaining(['ClusterName', 'ApiServiceName', 'WebServiceName', 'DashboardName']));
    for (const output of named) {
      const key = (Object.keys(OUTPUT_KEYS) as OutputName[]).find((k) => OUTPUT_KEYS[k] === output);
      expect(key, output).toBeDefined();
      expect(Object.keys(synth.templates[OUTPUT_STACK[key!]].toJSON().Outputs), output).toContain(output);
    }
    expect(CODE).toContain('--resource-id service/<ClusterName>/<ApiServiceName>');
  });

  it('gives the autoscaling targets and cooldowns the service stack sets', () => {
    const policies = Object.values(synth.templates.service.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map((p: any) => p.Properties.TargetTrackingScalingPolicyConfiguration);
    const cpu = policies.filter((p) => p.PredefinedMetricSpecification?.PredefinedMetricType === 'ECSServiceAverageCPUUtilization');
    const requests = policies.filter((p) => p.CustomizedMetricSpecification);
    expect(cpu).toHaveLength(2);
    expect(requests).toHaveLength(2);
    expect(new Set(cpu.map((p) => p.TargetValue))).toEqual(new Set([60]));
    expect(new Set(requests.map((p) => p.TargetValue))).toEqual(new Set([1000]));
    expect(new Set(policies.map((p) => p.ScaleInCooldown))).toEqual(new Set([300]));
    expect(PROSE).toContain('average CPU at 60%, and 1000 requests per running task per minute');
    expect(PROSE).toContain('at most every 5 minutes');
  });
});
