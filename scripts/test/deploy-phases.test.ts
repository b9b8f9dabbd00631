/**
 * Blue/green phases as `npm run deploy` reports them: timed from the lifecycle stages ECS
 * reports while the stack updates, and a refusal by the green gate explained from its log.
 * ECS and CloudWatch Logs are aws-sdk-client-mock here: the AWS API emulator has no service
 * deployments (ListServiceDeployments, DescribeServiceDeployments).
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServiceDeploymentsCommand, ECSClient, ListServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { deploy } from '../lib/deploy.ts';
import { recordRelease } from '../lib/releases.ts';
import { rollback } from '../lib/rollback.ts';
import { gateRefusal, phaseLines, phasesFrom, watchDeployments, type StageObservation } from '../lib/deploy-phases.ts';
import type { GateLogLine } from '../lib/green-gate.ts';
import { fakeClock } from '../lib/wait.ts';
import { makeWorld, serviceStackRolledBack, testConfig } from './support/world.ts';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const s = (seconds: number) => T0 + seconds * 1000;
const DEPLOYMENT = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/slipway/slipway-api/EZe5RNVLH6PPzHXINuP28';

describe('phasesFrom', () => {
  const seen: StageObservation[] = [
    { at: s(10), stage: 'SCALE_UP' },
    { at: s(90), stage: 'TEST_TRAFFIC_SHIFT' },
    { at: s(100), stage: 'POST_TEST_TRAFFIC_SHIFT' },
    { at: s(130), stage: 'PRODUCTION_TRAFFIC_SHIFT' },
    { at: s(140), stage: 'BAKE_TIME' },
    { at: s(740), stage: 'CLEAN_UP' },
  ];

  it('times each phase from the stage that ends the one before', () => {
    expect(phasesFrom(T0, seen, s(760), true)).toEqual([
      { name: 'green tasks up', durationMs: 90_000 },
      { name: 'test checks passed', durationMs: 40_000 },
      { name: 'traffic shifted', durationMs: 10_000 },
      { name: 'bake done', durationMs: 600_000 },
    ]);
  });

  it('stops at the phase that did not finish', () => {
    expect(phasesFrom(T0, seen.slice(0, 3))).toEqual([{ name: 'green tasks up', durationMs: 90_000 }, { name: 'test checks passed' }]);
  });

  it('ends the bake at the finish time when the last poll missed CLEAN_UP', () => {
    expect(phasesFrom(T0, seen.slice(0, 5), s(745), true).at(-1)).toEqual({ name: 'bake done', durationMs: 605_000 });
  });

  it('reads as one line per phase', () => {
    const lines = phaseLines({ service: 'api', deployment: DEPLOYMENT, status: 'IN_PROGRESS', productionSaw: false, phases: phasesFrom(T0, seen.slice(0, 3)) });
    expect(lines).toEqual(['api green tasks up: 1m30s', 'api test checks passed: did not finish']);
  });
});

/** A deployment that moves through its stages as the (fake) clock advances. */
function ecsProgressing(clock: { now(): number }, stages: Array<[number, string, number]>, final: string) {
  const ecs = new ECSClient({ region: 'eu-west-1' });
  const mock = mockClient(ecs);
  mock.on(ListServiceDeploymentsCommand).callsFake((input: { service: string }) => ({
    serviceDeployments: input.service === 'slipway-api' ? [{ serviceDeploymentArn: DEPLOYMENT }] : [],
  }));
  mock.on(DescribeServiceDeploymentsCommand).callsFake(() => {
    const elapsed = (clock.now() - T0) / 1000;
    const current = [...stages].reverse().find(([at]) => elapsed >= at);
    const done = elapsed >= stages.at(-1)![0] + 10;
    return {
      serviceDeployments: [{
        serviceDeploymentArn: DEPLOYMENT,
        startedAt: new Date(T0),
        lifecycleStage: current?.[1] ?? 'RECONCILE_SERVICE',
        status: done ? final : 'IN_PROGRESS',
        finishedAt: done ? new Date(clock.now()) : undefined,
        targetServiceRevision: { requestedProductionTrafficWeight: current?.[2] ?? 0 },
      }],
    };
  });
  return { ecs, mock };
}

describe('watchDeployments', () => {
  const TARGET = { cluster: 'slipway', services: { api: 'slipway-api', web: 'slipway-web' } };

  it('times every phase of a release it watched to the end, within the poll interval', async () => {
    const clock = fakeClock(T0);
    const { ecs } = ecsProgressing(clock, [[0, 'SCALE_UP', 0], [60, 'TEST_TRAFFIC_SHIFT', 0], [70, 'POST_TEST_TRAFFIC_SHIFT', 0], [120, 'PRODUCTION_TRAFFIC_SHIFT', 100], [130, 'BAKE_TIME', 100], [730, 'CLEAN_UP', 100]], 'SUCCESSFUL');
    const work = async () => {
      while (clock.now() < s(800)) await clock.sleep(1_000);
      return 'deployed';
    };
    const { result, phases } = await watchDeployments({ ecs, clock }, TARGET, T0, work, 10_000);
    expect(result).toBe('deployed');
    expect(phases).toHaveLength(1);
    expect(phases[0]).toMatchObject({ service: 'api', deployment: DEPLOYMENT, status: 'SUCCESSFUL', productionSaw: true });
    const [up, checks, shifted, bake] = phases[0]!.phases.map((p) => p.durationMs!);
    expect(up).toBeGreaterThanOrEqual(60_000);
    expect(up).toBeLessThanOrEqual(80_000);
    expect(checks! + up!).toBeGreaterThanOrEqual(120_000);
    expect(checks! + up!).toBeLessThanOrEqual(140_000);
    expect(shifted).toBeLessThanOrEqual(30_000);
    expect(bake).toBeGreaterThanOrEqual(580_000);
    expect(bake).toBeLessThanOrEqual(620_000);
  });

  it('sees a release that never got production traffic', async () => {
    const clock = fakeClock(T0);
    const { ecs } = ecsProgressing(clock, [[0, 'SCALE_UP', 0], [60, 'POST_TEST_TRAFFIC_SHIFT', 0]], 'ROLLBACK_SUCCESSFUL');
    const work = async () => {
      while (clock.now() < s(200)) await clock.sleep(5_000);
    };
    const { phases } = await watchDeployments({ ecs, clock }, TARGET, T0, work, 10_000);
    expect(phases[0]).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', productionSaw: false });
    expect(phases[0]!.phases.map((p) => p.name)).toEqual(['green tasks up', 'test checks passed']);
    expect(phases[0]!.phases[1]!.durationMs).toBeUndefined();
  });

  it('does not fail the release when ECS cannot be read', async () => {
    const clock = fakeClock(T0);
    const ecs = new ECSClient({ region: 'eu-west-1' });
    mockClient(ecs).on(ListServiceDeploymentsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const { result, phases } = await watchDeployments({ ecs, clock }, TARGET, T0, async () => 42);
    expect(result).toBe(42);
    expect(phases).toEqual([]);
  });

  it('watches nothing for a rolling deploy', async () => {
    const clock = fakeClock(T0);
    const ecs = new ECSClient({ region: 'eu-west-1' });
    const mock = mockClient(ecs);
    await watchDeployments({ ecs, clock }, undefined, T0, async () => 1);
    expect(mock.calls()).toHaveLength(0);
  });
});

function gateLogs(lines: GateLogLine[]) {
  const logs = new CloudWatchLogsClient({ region: 'eu-west-1' });
  const mock = mockClient(logs);
  mock.on(FilterLogEventsCommand).callsFake(() => ({ events: lines.map((l, i) => ({ timestamp: T0 + i, message: JSON.stringify(l) })) }));
  return { logs, mock };
}

const verdict = (over: Partial<GateLogLine>): GateLogLine => ({
  gate: 'green', deployment: DEPLOYMENT, service: 'api', release: 'bbbbbbbbbbbb', invocation: 1, hookStatus: 'FAILED',
  failed: ['version: /api/version (release is "aaaaaaaaaaaa", expected "bbbbbbbbbbbb")'], reason: 'a check failed against the green tasks; ECS rolls back before any production traffic', ...over,
});

describe('gateRefusal', () => {
  it('finds the FAILED verdict of this deployment and only this one', async () => {
    const { logs, mock } = gateLogs([verdict({ deployment: 'arn:other', failed: ['other'] }), verdict({})]);
    expect(await gateRefusal(logs, '/slipway/green-gate', DEPLOYMENT, T0)).toEqual({
      deployment: DEPLOYMENT,
      service: 'api',
      failed: ['version: /api/version (release is "aaaaaaaaaaaa", expected "bbbbbbbbbbbb")'],
      reason: 'a check failed against the green tasks; ECS rolls back before any production traffic',
    });
    expect(mock.commandCalls(FilterLogEventsCommand)[0]!.args[0].input).toMatchObject({ logGroupName: '/slipway/green-gate', startTime: T0, filterPattern: 'hookStatus FAILED' });
  });

  it('finds nothing when the gate did not refuse it', async () => {
    const { logs } = gateLogs([verdict({ hookStatus: 'SUCCEEDED', failed: [] })]);
    expect(await gateRefusal(logs, '/slipway/green-gate', DEPLOYMENT, T0)).toBeUndefined();
  });
});

describe('npm run deploy, blue/green', () => {
  it('a release the gate refuses: says which check failed and that production never saw it, and records it', async () => {
    const world = makeWorld({ failingTags: new Set(['bbbbbbbbbbbb']) });
    serviceStackRolledBack(world);
    world.mocks.ecs.on(ListServiceDeploymentsCommand).callsFake((input: { service: string }) => ({
      serviceDeployments: input.service === 'slipway-api' ? [{ serviceDeploymentArn: DEPLOYMENT }] : [],
    }));
    world.mocks.ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: DEPLOYMENT, startedAt: new Date(T0), lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT', status: 'ROLLBACK_SUCCESSFUL', targetServiceRevision: { requestedProductionTrafficWeight: 0 } }],
    });
    const { logs } = gateLogs([verdict({})]);
    const result = await deploy(
      { config: testConfig(), dryRun: false, allowDirty: false, allowStatefulReplacement: false, autoRollback: true, timeouts: { deployMs: 3_600_000, stableMs: 600_000, smokeMs: 120_000 } },
      // The world's deps compute the cloud assembly lazily: keep them, add the logs client.
      Object.create(world.deps, { logs: { value: logs } }),
    );
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      'bbbbbbbbbbbb was refused: the green gate refused it before any production traffic: api: version: /api/version (release is "aaaaaaaaaaaa", expected "bbbbbbbbbbbb"); production never saw bbbbbbbbbbbb; running now: slipway-api runs aaaaaaaaaaaa (2/2 tasks), slipway-web runs aaaaaaaaaaaa (2/2 tasks)',
    );
    const [rec] = world.records();
    expect(rec).toMatchObject({
      release: 'bbbbbbbbbbbb',
      outcome: 'failed',
      smoke: 'failed',
      smokeFailures: ['api: version: /api/version (release is "aaaaaaaaaaaa", expected "bbbbbbbbbbbb")'],
      note: 'refused by the green gate: production never saw it',
      phases: [{ service: 'api', deployment: DEPLOYMENT, status: 'ROLLBACK_SUCCESSFUL', productionSaw: false }],
    });
    expect(world.out.join('')).toContain('✗ green gate');
    expect(world.out.join('')).toContain('api test checks passed');
  });
});

describe('rollbacks, blue/green: the same phase lines as a deploy', () => {
  /** Each change of the running release is one api deployment, which ECS reports finished. */
  function deploymentsPerRelease(world: ReturnType<typeof makeWorld>) {
    const arn = (release: string) => `${DEPLOYMENT}-${release}`;
    // What runs now has an old deployment; a new one starts when the stack moves to another release.
    let current = { release: world.state.imageTag!, createdAt: world.clock.now() - 86_400_000 };
    const deployment = () => {
      if (world.state.imageTag !== current.release) current = { release: world.state.imageTag!, createdAt: world.clock.now() };
      return current;
    };
    world.mocks.ecs.on(ListServiceDeploymentsCommand).callsFake((input: { service: string; createdAt?: { after?: Date } }) => {
      const d = deployment();
      const recent = d.createdAt >= (input.createdAt?.after?.getTime() ?? 0);
      return { serviceDeployments: input.service === 'slipway-api' && recent ? [{ serviceDeploymentArn: arn(d.release) }] : [] };
    });
    world.mocks.ecs.on(DescribeServiceDeploymentsCommand).callsFake((input: { serviceDeploymentArns: string[] }) => ({
      serviceDeployments: input.serviceDeploymentArns.map((a) => ({
        serviceDeploymentArn: a, startedAt: new Date(deployment().createdAt), finishedAt: new Date(world.clock.now()), lifecycleStage: 'CLEAN_UP', status: 'SUCCESSFUL',
        targetServiceRevision: { requestedProductionTrafficWeight: 100 },
      })),
    }));
    return arn;
  }
  const phaseLines = (text: string) => text.split('\n').filter((l) => /^[✓✗] api (green tasks up|test checks passed|traffic shifted|bake done)/.test(l));

  it('npm run rollback prints each phase and records them', async () => {
    const world = makeWorld({ imageTag: 'r3', images: new Set(['r2', 'r3']) });
    for (const [release, day] of [['r2', '02'], ['r3', '03']] as const) {
      await recordRelease(world.deps.ssm, '/slipway/releases', { release, kind: 'deploy', startedAt: `2026-02-${day}T10:00:00.000Z`, finishedAt: `2026-02-${day}T10:00:00.000Z`, durationSeconds: 60, smoke: 'passed', smokeFailures: [], outcome: 'live' });
    }
    const arn = deploymentsPerRelease(world);
    const result = await rollback({ config: testConfig(), dryRun: false, allowStatefulReplacement: false, timeouts: { deployMs: 3_600_000, stableMs: 600_000, smokeMs: 1_000 } }, world.deps);
    expect(result.ok).toBe(true);
    expect(phaseLines(world.out.join('')).map((l) => l.split(':')[0])).toEqual(['✓ api green tasks up', '✓ api test checks passed', '✓ api traffic shifted', '✓ api bake done']);
    expect(world.records().at(-1)).toMatchObject({ release: 'r2', kind: 'rollback', phases: [{ service: 'api', deployment: arn('r2'), status: 'SUCCESSFUL' }] });
  });

  it('the automatic rollback of a deploy prints them after the deploy\'s own', async () => {
    const world = makeWorld({ badReleases: new Set(['bbbbbbbbbbbb']) });
    const arn = deploymentsPerRelease(world);
    const result = await deploy({ config: testConfig(), dryRun: false, allowDirty: false, allowStatefulReplacement: false, autoRollback: true, timeouts: { deployMs: 3_600_000, stableMs: 600_000, smokeMs: 1_000 } }, world.deps);
    expect(result.summary).toContain('rolled back to aaaaaaaaaaaa and its gate passed');
    const [beforeRollback, afterRollback] = world.out.join('').split('Rolling back to aaaaaaaaaaaa');
    expect(phaseLines(beforeRollback!)).toHaveLength(4);
    expect(phaseLines(afterRollback!)).toHaveLength(4);
    expect(world.records().find((r) => r.kind === 'rollback')).toMatchObject({ phases: [{ deployment: arn('aaaaaaaaaaaa') }] });
  });
});
