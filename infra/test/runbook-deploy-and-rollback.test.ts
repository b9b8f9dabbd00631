/**
 * runbooks/routine-deploy.md and runbooks/rollback.md quote what deploy and rollback print,
 * name settings, stack outputs, alarms, ports and release-record fields, and say which release
 * a rollback goes to: each is held here to what the code prints (the real flows with the fake
 * account of scripts/test) and what the stacks synthesize, so the runbooks cannot drift.
 * The endings and the --list, --dry-run and rollback lines that scripts/test/runbooks.test.ts
 * holds are not repeated here.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServiceDeploymentsCommand, DescribeServicesCommand, ListServiceDeploymentsCommand, type ServiceDeploymentLifecycleStage, type ServiceDeploymentStatus } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare } from '../../app/src/migrate/runner.ts';
import { defaultMigrationsDir, readMigrations } from '../../app/src/migrate/files.ts';
import { Reporter, runCommand } from '../../scripts/lib/cli.ts';
import { DEPLOY_SPEC, defaultDeployTimeoutMinutes } from '../../scripts/lib/commands.ts';
import { PHASES, reportPhases } from '../../scripts/lib/deploy-phases.ts';
import { deploy, type DeployOptions } from '../../scripts/lib/deploy.ts';
import { waitServicesStable } from '../../scripts/lib/ecs.ts';
import type { GateLogLine } from '../../scripts/lib/green-gate.ts';
import { recordRelease, releaseRecordSchema, type ReleaseRecord } from '../../scripts/lib/releases.ts';
import { listHistory, rollback } from '../../scripts/lib/rollback.ts';
import { stuckStackReason } from '../../scripts/lib/stacks.ts';
import { quoted, quotePattern } from '../../scripts/test/support/runbook-text.ts';
import { sampleTemplates } from '../../scripts/test/support/templates.ts';
import { makeWorld, serviceStackRolledBack, testConfig } from '../../scripts/test/support/world.ts';
import { PROFILE_DEFAULTS } from '../config.ts';
import { OUTPUT_KEYS, releaseHistoryPrefix, stackNames } from '../outputs.ts';
import { TEST_PORTS } from '../stacks/service-stack.ts';
import { synthApp, type SynthesizedApp } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DEPLOY_MD = 'runbooks/routine-deploy.md';
const ROLLBACK_MD = 'runbooks/rollback.md';
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
/** A runbook without its code blocks, lines joined. */
const prose = (file: string) => read(file).replace(/```[\s\S]*?```/g, '').replace(/\n\s*/g, ' ');
const codeBlocks = (file: string) => [...read(file).matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
const spans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
/** The one quote of `file` that starts with `start`. */
function quote(file: string, start: string): string {
  const found = quoted(file, start);
  expect(found, `${file}: quotes starting ${JSON.stringify(start)}`).toHaveLength(1);
  return found[0]!;
}

const [ZERO, OLD, NOW] = ['0c9d8e7f6a5b', '1a2b3c4d5e6f', '3f2a9c1d0e4b'];
const PREFIX = releaseHistoryPrefix('slipway');
const TIMEOUTS = { deployMs: 3_600_000, stableMs: 600_000, smokeMs: 1_000 };
const KEY = `releases/${OLD}/slipway-service.template.json`;
const BUCKET = 'slipway-attachments-123';
type World = ReturnType<typeof makeWorld>;

const rec = (release: string, day: string, o: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  release, kind: 'deploy', startedAt: `2026-03-${day}T10:00:00.000Z`, finishedAt: `2026-03-${day}T10:09:00.000Z`, durationSeconds: 540, smoke: 'passed', smokeFailures: [], outcome: 'replaced', ...o,
});
const deployOptions = (o: Partial<DeployOptions> = {}): DeployOptions => ({
  config: testConfig({ DEPLOY_STRATEGY: 'rolling' }), dryRun: false, allowDirty: false, allowStatefulReplacement: false, autoRollback: true, release: NOW, timeouts: TIMEOUTS, ...o,
});
/** A deploy of NOW over OLD, which served and kept its template. */
async function overOld(state: Parameters<typeof makeWorld>[0] = {}): Promise<World> {
  const world = makeWorld({ imageTag: OLD, images: new Set([OLD, NOW]), ...state });
  world.objects.set(KEY, JSON.stringify(sampleTemplates(OLD)['slipway-service']));
  await recordRelease(world.deps.ssm, PREFIX, rec(OLD, '01', { outcome: 'live', serviceTemplate: { bucket: BUCKET, key: KEY } }));
  return world;
}
/** What runCommand prints for a flow: its step lines and the ✓/✗ summary line. */
async function printed(world: World, name: string, flow: () => Promise<{ ok: boolean; summary: string; document: Record<string, unknown> }>): Promise<string> {
  const io = { argv: [], env: {}, stdout: { write: (t: string) => world.out.push(t) }, stderr: { write: (t: string) => world.out.push(t) } };
  await runCommand({ ...DEPLOY_SPEC, name }, io, async () => flow());
  return world.out.join('');
}
/** The one api blue/green deployment ECS reports, with a final status. */
function oneApiDeployment(world: World, status: ServiceDeploymentStatus, stage: ServiceDeploymentLifecycleStage, productionWeight: number) {
  const arn = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/slipway/slipway-api/EZe5RNVLH6PPzHXINuP28';
  serviceStackRolledBack(world);
  world.mocks.ecs.on(ListServiceDeploymentsCommand).callsFake((input: { service: string }) => ({ serviceDeployments: input.service === 'slipway-api' ? [{ serviceDeploymentArn: arn }] : [] }));
  world.mocks.ecs.on(DescribeServiceDeploymentsCommand).resolves({
    serviceDeployments: [{ serviceDeploymentArn: arn, startedAt: new Date(world.clock.now()), lifecycleStage: stage, status, targetServiceRevision: { requestedProductionTrafficWeight: productionWeight } }],
  });
  return arn;
}
/** The green gate's FAILED verdict for `deployment` in its log group. */
function gateLog(deployment: string): CloudWatchLogsClient {
  const logs = new CloudWatchLogsClient({ region: 'eu-west-1' });
  const line: GateLogLine = { gate: 'green', deployment, service: 'api', release: NOW, invocation: 1, hookStatus: 'FAILED', failed: [`version: /api/version (release is "${OLD}", expected "${NOW}")`], reason: 'a check failed' };
  mockClient(logs).on(FilterLogEventsCommand).resolves({ events: [{ timestamp: 1, message: JSON.stringify(line) }] });
  return logs;
}
/** A deploy of NOW that the green gate refused before production traffic. */
async function refusedDeploy() {
  const world = await overOld({ failingTags: new Set([NOW]) });
  const arn = oneApiDeployment(world, 'ROLLBACK_SUCCESSFUL', 'POST_TEST_TRAFFIC_SHIFT', 0);
  const deps = Object.create(world.deps, { logs: { value: gateLog(arn) } });
  const result = await deploy(deployOptions({ config: testConfig() }), deps);
  return { world, line: `${result.ok ? '✓' : '✗'} deploy: ${result.summary}` };
}

describe('routine-deploy runbook', () => {
  let production: SynthesizedApp;
  beforeAll(() => {
    production = synthApp({ DEPLOY_PROFILE: 'production', ALARM_EMAIL: 'ops@example.com' });
  });
  afterAll(() => production?.cleanup());

  it('shows the refusal a replaced database gets, for the database the data stack has', async () => {
    const data = production.templates.data.toJSON();
    const [dbId] = Object.entries(data.Resources).find(([, r]: any) => r.Type === 'AWS::RDS::DBInstance')!;
    const renamed = structuredClone(data);
    renamed.Resources[dbId].Properties.DBName = 'renamed';
    const world = makeWorld({ deployedTemplates: { ...sampleTemplates(), 'slipway-data': data }, synthesizedTemplates: { ...sampleTemplates(), 'slipway-data': renamed } });
    const out = await printed(world, 'deploy', () => deploy({ ...deployOptions(), release: undefined, dryRun: true }, world.deps));
    const shown = codeBlocks(DEPLOY_MD).join('\n').split('\n').map((l) => l.trim()).filter((l) => /^✗ (stateful resource|deploy: refusing)/.test(l));
    expect(shown).toHaveLength(2);
    for (const line of shown) expect(out).toMatch(quotePattern(line));
  });

  it('shows the blue/green phase lines as the deploy prints them, api first', () => {
    const block = codeBlocks(DEPLOY_MD).find((b) => b.includes('green tasks up:'))!;
    const lines = block.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('✓'));
    const ms = (d: string) => (Number(/(\d+)m/.exec(d)?.[1] ?? 0) * 60 + Number(/(\d+)s/.exec(d)?.[1] ?? 0)) * 1000;
    const out: string[] = [];
    const reporter = new Reporter({ json: false, stdout: { write: (t: string) => out.push(t) } });
    for (const line of lines) {
      const [, service, name, duration] = /^✓ (\w+) (.+): (\S+)$/.exec(line)!;
      reportPhases(reporter, [{ service: service!, deployment: 'd', productionSaw: true, phases: [{ name: name as (typeof PHASES)[number], durationMs: ms(duration!) }] }]);
    }
    expect(out.join('').trim().split('\n')).toEqual(lines);
    expect(lines.slice(0, 4).map((l) => l.split(':')[0])).toEqual(PHASES.map((p) => `✓ api ${p}`));
    expect(lines[4]).toMatch(/^✓ web /);
  });

  it('gives the test listener ports the services\' green gate hooks use', () => {
    const [, a, b] = /through the test listeners \(ports (\d+) and (\d+)/.exec(prose(DEPLOY_MD))!;
    const listeners = Object.values(production.templates.service.findResources('AWS::ElasticLoadBalancingV2::Listener')).map((r: any) => r.Properties.Port).filter((p) => p !== 80 && p !== 443);
    const hooks = Object.values(production.templates.service.findResources('AWS::ECS::Service')).map((r: any) => r.Properties.DeploymentConfiguration.LifecycleHooks[0].HookDetails.testPort);
    expect(new Set([Number(a), Number(b)])).toEqual(new Set(listeners));
    expect(new Set(hooks)).toEqual(new Set(Object.values(TEST_PORTS)));
  });

  it('gives the green test budget and the production bake time', () => {
    const text = prose(DEPLOY_MD);
    const [, budget] = /up to `GREEN_TEST_BUDGET_SECONDS`, (\d+) minutes by default/.exec(text)!;
    const [, bake] = /bake `BAKE_TIME_MINUTES` \((\d+) in production\)/.exec(text)!;
    expect(Number(PROFILE_DEFAULTS.production.GREEN_TEST_BUDGET_SECONDS)).toBe(Number(budget) * 60);
    expect(Number(PROFILE_DEFAULTS.trial.GREEN_TEST_BUDGET_SECONDS)).toBe(Number(budget) * 60);
    const bakes = Object.values(production.templates.service.findResources('AWS::ECS::Service')).map((r: any) => r.Properties.DeploymentConfiguration.BakeTimeInMinutes);
    expect(bakes).toEqual([Number(bake), Number(bake)]);
  });

  it('gives the default --deploy-timeout the production settings make, as --help does', () => {
    const [, minutes] = /`BAKE_TIME_MINUTES`: (\d+) minutes with the production defaults/.exec(prose(DEPLOY_MD))!;
    expect(defaultDeployTimeoutMinutes(production.config)).toBe(Number(minutes));
    expect(DEPLOY_SPEC.options['deploy-timeout']!.description).toContain(`(${minutes} min with the production defaults)`);
  });

  it('names the deployment alarms the services roll back on, with their threshold', () => {
    const text = prose(DEPLOY_MD);
    const named = spans(text).filter((s) => s.endsWith('-deployment-5xx')).map((s) => s.replace('<APP_NAME>', production.config.appName));
    const [, count] = /: (\d+) or more 5xx answers a minute, two minutes in a row\)/.exec(text)!;
    const services = Object.values(production.templates.service.findResources('AWS::ECS::Service')) as any[];
    expect(named.sort()).toEqual(services.flatMap((s) => s.Properties.DeploymentConfiguration.Alarms.AlarmNames).sort());
    expect(services.every((s) => s.Properties.DeploymentConfiguration.Alarms.Rollback === true)).toBe(true);
    const alarms = Object.values(production.templates.service.findResources('AWS::CloudWatch::Alarm')).filter((a: any) => named.includes(a.Properties.AlarmName)) as any[];
    expect(alarms).toHaveLength(2);
    for (const { Properties: p } of alarms) {
      expect([p.Threshold, p.ComparisonOperator, p.EvaluationPeriods, p.DatapointsToAlarm]).toEqual([Number(count), 'GreaterThanOrEqualToThreshold', 2, 2]);
      expect(p.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Period)).toEqual([60, 60]);
    }
  });

  it('names every field of a release record, and only those and their values', () => {
    const paragraph = read(DEPLOY_MD).split('The release history is in SSM Parameter Store')[1]!.split('```')[0]!;
    const named = new Set(spans(paragraph.replace(/\n\s*/g, ' ')));
    const fields = Object.keys(releaseRecordSchema.shape);
    const values = ['kind', 'smoke', 'outcome'].flatMap((f) => (releaseRecordSchema.shape as any)[f].options as string[]);
    expect(fields.filter((f) => !named.has(f))).toEqual([]);
    expect([...named].filter((n) => !fields.includes(n) && !values.includes(n) && !['/APP_NAME/releases/', 'ReleaseHistoryPrefix', '/api/version'].includes(n))).toEqual([]);
  });

  it('gives where the history is and the service stack output that says so', () => {
    expect(prose(DEPLOY_MD)).toContain('under `/APP_NAME/releases/` (stack output `ReleaseHistoryPrefix`)');
    expect(`${releaseHistoryPrefix('APP_NAME')}/`).toBe('/APP_NAME/releases/');
    expect(OUTPUT_KEYS.releaseHistoryPrefix).toBe('ReleaseHistoryPrefix');
    expect(production.templates.service.toJSON().Outputs.ReleaseHistoryPrefix.Value).toBe(releaseHistoryPrefix(production.config.appName));
  });

  it('names the green gate log group output the service stack exports', () => {
    const named = spans(prose(DEPLOY_MD)).filter((s) => /^GreenGate[A-Za-z]+$/.test(s));
    expect(named).toEqual([OUTPUT_KEYS.greenGateLogGroupName]);
    expect(Object.keys(production.templates.service.toJSON().Outputs)).toContain(named[0]);
  });

  it('quotes the progress line the wait for stable services prints', async () => {
    const world = makeWorld({ servicesStuck: true });
    const until = world.clock.now() + 130_000;
    world.mocks.ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => {
      const stuck = world.clock.now() < until;
      return { services: input.services.map((serviceName) => ({ serviceName, runningCount: 2, desiredCount: 2, deployments: [{ status: 'PRIMARY', rolloutState: stuck ? 'IN_PROGRESS' : 'COMPLETED' }, ...(stuck ? [{ status: 'ACTIVE' }] : [])] })) };
    });
    const lines: string[] = [];
    await waitServicesStable(world.deps.ecs, { cluster: 'slipway', services: ['slipway-api', 'slipway-web'] }, { timeoutMs: 600_000, clock: world.clock, intervalMs: 10_000, progress: (l) => lines.push(l.trim()) });
    expect(lines.some((l) => quotePattern(quote(DEPLOY_MD, '… waiting for services')).test(l))).toBe(true);
  });

  it('quotes the ending of a release the green gate refused', async () => {
    const { line } = await refusedDeploy();
    expect(line).toMatch(new RegExp(`^${quotePattern(quote(DEPLOY_MD, `✗ deploy: ${NOW} was refused`)).source}`));
  });

  it('gives the record of a release the green gate refused', async () => {
    const { world } = await refusedDeploy();
    const text = prose(DEPLOY_MD);
    const [, outcome, smoke, note] = /The release record has `outcome` `(\w+)`, `smoke` `(\w+)`, `smokeFailures` with the same checks and `note` `([^`]+)`/.exec(text)!;
    const record = world.records().find((r) => r.release === NOW)!;
    expect(record).toMatchObject({ outcome, smoke, note, smokeFailures: [`api: version: /api/version (release is "${OLD}", expected "${NOW}")`] });
  });

  it('quotes the ending of a release that failed its gate with --no-rollback', async () => {
    const world = await overOld({ badReleases: new Set([NOW]) });
    const result = await deploy(deployOptions({ autoRollback: false }), world.deps);
    expect(`✗ deploy: ${result.summary}`).toMatch(quotePattern(quote(DEPLOY_MD, '… not rolled back')));
  });

  it('ECR keeps the number of images it says, counted over every image', () => {
    for (const file of [DEPLOY_MD, ROLLBACK_MD]) {
      const [, prod, trial] = /`ECR_KEEP_RELEASES` images pushed \((\d+) in production, (\d+) in trial\)/.exec(prose(file))!;
      expect([PROFILE_DEFAULTS.production.ECR_KEEP_RELEASES, PROFILE_DEFAULTS.trial.ECR_KEEP_RELEASES], file).toEqual([prod, trial]);
    }
    const [repo] = Object.values(production.templates.registry.findResources('AWS::ECR::Repository')) as any[];
    const rules = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText).rules;
    expect(rules.find((r: any) => r.selection.countType === 'imageCountMoreThan').selection).toEqual({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: production.config.release.keepReleases });
  });
});

describe('rollback runbook', () => {
  it('walks back through the history: after a rollback, the next one does not return to the release undone', async () => {
    const world = makeWorld({ imageTag: OLD, images: new Set([ZERO, OLD, NOW]) });
    await recordRelease(world.deps.ssm, PREFIX, rec(ZERO, '01'));
    await recordRelease(world.deps.ssm, PREFIX, rec(OLD, '02'));
    await recordRelease(world.deps.ssm, PREFIX, rec(NOW, '03', { replacedBy: OLD }));
    await recordRelease(world.deps.ssm, PREFIX, rec(OLD, '04', { kind: 'rollback', outcome: 'live', previousRelease: NOW }));
    const { summary } = await listHistory({ config: testConfig() }, world.deps);
    expect(`✓ rollback: ${summary}`).toBe(quote(ROLLBACK_MD, '✓ rollback: 4 record(s)'));
  });

  it('after a failed rollback, runs to the same target again', async () => {
    const world = makeWorld({ imageTag: NOW, images: new Set([OLD, NOW]) });
    await recordRelease(world.deps.ssm, PREFIX, rec(OLD, '01'));
    await recordRelease(world.deps.ssm, PREFIX, rec(NOW, '02', { outcome: 'live' }));
    await recordRelease(world.deps.ssm, PREFIX, rec(OLD, '03', { kind: 'rollback', outcome: 'failed', smoke: 'not-run', previousRelease: NOW }));
    const { document } = await listHistory({ config: testConfig() }, world.deps);
    expect(document.rollbackTarget).toBe(OLD);
    expect(prose(ROLLBACK_MD)).toContain('run `npm run rollback` again; it goes to the same target, since neither attempt made it serve');
  });

  it('quotes the change-safety line for what a release that never served added', async () => {
    const world = makeWorld({ imageTag: NOW, images: new Set([OLD, NOW]) });
    const kept = sampleTemplates(OLD)['slipway-service'];
    world.objects.set(KEY, JSON.stringify(kept));
    world.state.deployedTemplates = { ...world.state.deployedTemplates, 'slipway-service': { ...kept, Resources: { ...kept.Resources, NewSecret99: { Type: 'AWS::SecretsManager::Secret', DeletionPolicy: 'Retain', Properties: {} } } } };
    await recordRelease(world.deps.ssm, PREFIX, rec(OLD, '01', { outcome: 'live', serviceTemplate: { bucket: BUCKET, key: KEY } }));
    await recordRelease(world.deps.ssm, PREFIX, rec(NOW, '02', { outcome: 'failed', smoke: 'failed', note: 'the automatic rollback to x failed' }));
    const out = await printed(world, 'rollback', () => rollback({ config: testConfig(), dryRun: true, allowStatefulReplacement: false, timeouts: TIMEOUTS }, world.deps));
    expect(out).toMatch(quotePattern(quote(ROLLBACK_MD, '! change safety:')));
    expect(out).toContain(`would roll back from ${NOW} to ${OLD}`);
  });

  it('quotes the refusal when the target\'s image expired from ECR', async () => {
    const world = await overOld({ imageTag: NOW, images: new Set([NOW]) });
    await recordRelease(world.deps.ssm, PREFIX, rec(NOW, '02', { outcome: 'live' }));
    const out = await printed(world, 'rollback', () => rollback({ config: testConfig(), dryRun: true, allowStatefulReplacement: false, timeouts: TIMEOUTS }, world.deps));
    expect(out).toContain(`${quote(ROLLBACK_MD, '✗ rollback: no image tagged')}\n`);
  });

  it('quotes the refusal while a deploy still bakes', async () => {
    const world = await overOld({ imageTag: NOW, serviceStackStatus: 'UPDATE_IN_PROGRESS' });
    const out = await printed(world, 'rollback', () => rollback({ config: testConfig(), dryRun: false, allowStatefulReplacement: false, timeouts: TIMEOUTS }, world.deps));
    expect(out).toContain(`${quote(ROLLBACK_MD, '✗ rollback: slipway-service is UPDATE_IN_PROGRESS')}\n`);
  });

  it('updates the stack with the kept template through CloudFormation, not cdk deploy', async () => {
    const world = await overOld({ imageTag: NOW });
    await recordRelease(world.deps.ssm, PREFIX, rec(NOW, '02', { outcome: 'live' }));
    const result = await rollback({ config: testConfig(), dryRun: false, allowStatefulReplacement: false, timeouts: TIMEOUTS }, world.deps);
    expect(result.ok).toBe(true);
    expect(world.out.join('')).toMatch(quotePattern(quote(ROLLBACK_MD, 'updating slipway-service with the template kept for')));
    expect(world.runner.calls.filter((c) => c.startsWith('npx cdk deploy'))).toEqual([]);
  });

  it('a deployment ECS rolled back after production traffic ends as the failed stack update it quotes', async () => {
    const world = await overOld({ failingTags: new Set([NOW]) });
    const arn = oneApiDeployment(world, 'ROLLBACK_SUCCESSFUL', 'BAKE_TIME', 100);
    const result = await deploy(deployOptions({ config: testConfig() }), Object.create(world.deps, { logs: { value: gateLog(arn) } }));
    expect(`✗ deploy: ${result.summary}`).toMatch(new RegExp(`^${quotePattern(quote(ROLLBACK_MD, '✗ deploy: deploy of')).source}`));
  });

  it('the migrate resource follows ImageTag, so a rollback runs the target\'s migrate up', () => {
    const synth = synthApp();
    try {
      const [migrate] = Object.values(synth.templates.service.findResources('Custom::SlipwayMigrateBeforeRoll')) as any[];
      expect(migrate.Properties.ImageTag).toEqual({ Ref: 'ImageTag' });
    } finally {
      synth.cleanup();
    }
    expect(prose(ROLLBACK_MD)).toContain("the stack's migrate resource runs the target's `migrate up` first");
  });

  it('an older release\'s migrate up finds nothing to apply against the newer schema, and reverses nothing', () => {
    const files = readMigrations(defaultMigrationsDir());
    const older = files.slice(0, -1);
    const applied = files.map((f) => ({ version: f.version, name: f.name, checksum: f.checksum, appliedAt: new Date(), durationMs: 1 }));
    const status = compare(older, applied);
    expect([status.pending, status.changed, status.unknown.map((u) => u.version)]).toEqual([[], [], [files.at(-1)!.version]]);
    expect(prose(ROLLBACK_MD)).toContain('which finds nothing to apply (every migration it knows is applied) and leaves the newer release\'s migrations, which it does not know, as they are');
  });

  it('gives the command the stuck-stack line prints, for the line it quotes', () => {
    const stack = stackNames('slipway').service;
    const reason = stuckStackReason(stack);
    expect(codeBlocks(ROLLBACK_MD).map((b) => b.trim())).toContain(/Fix: (aws cloudformation continue-update-rollback --stack-name \S+)/.exec(reason)![1]);
    expect(`…; then ${reason}`).toMatch(quotePattern(quote(ROLLBACK_MD, '… then CloudFormation could not roll')));
  });

  it('names the service stack outputs its commands need', () => {
    const synth = synthApp();
    try {
      const outputs = Object.keys(synth.templates.service.toJSON().Outputs);
      const named = [...new Set([...read(ROLLBACK_MD).matchAll(/<([A-Z][A-Za-z]+Name)>/g)].map((m) => m[1]!))];
      expect(named).toEqual(expect.arrayContaining(['ClusterName', 'ApiServiceName', 'WebServiceName']));
      expect(named.filter((n) => !outputs.includes(n))).toEqual([]);
    } finally {
      synth.cleanup();
    }
  });
});
