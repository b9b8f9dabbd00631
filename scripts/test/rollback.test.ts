import { UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { parseFlags, UsageError } from '../lib/cli.ts';
import { defaultDeployTimeoutMinutes, DEPLOY_SPEC, deployOptionsFrom, ROLLBACK_SPEC, rollbackOptionsFrom } from '../lib/commands.ts';
import { recordRelease, type ReleaseRecord } from '../lib/releases.ts';
import { listHistory, rollback, type RollbackOptions } from '../lib/rollback.ts';
import { makeWorld, testConfig, type WorldState } from './support/world.ts';
import { sampleTemplates } from './support/templates.ts';

const options = (o: Partial<RollbackOptions> = {}): RollbackOptions => ({
  config: testConfig(),
  dryRun: false,
  allowStatefulReplacement: false,
  timeouts: { deployMs: 3_600_000, stableMs: 600_000, smokeMs: 120_000 },
  ...o,
});

function rec(release: string, startedAt: string, outcome: ReleaseRecord['outcome'], smoke: ReleaseRecord['smoke'] = 'passed'): ReleaseRecord {
  return { release, kind: 'deploy', startedAt, finishedAt: startedAt, durationSeconds: 60, smoke, smokeFailures: [], outcome };
}

async function worldWithHistory(state: Partial<WorldState> = {}) {
  const world = makeWorld({ imageTag: 'r3', images: new Set(['r1', 'r2', 'r3']), ...state });
  for (const r of [rec('r1', '2026-02-01T10:00:00.000Z', 'live'), rec('r2', '2026-02-02T10:00:00.000Z', 'live'), rec('r2b', '2026-02-02T11:00:00.000Z', 'rolled-back', 'failed'), rec('r3', '2026-02-03T10:00:00.000Z', 'live')]) {
    await recordRelease(world.deps.ssm, '/slipway/releases', r);
  }
  world.state.ssm.set('/slipway/releases/garbage', 'not json');
  return world;
}

describe('rollback', () => {
  it('rolls the service stack back to the previous good release, gates it and records it', async () => {
    const world = await worldWithHistory();
    const result = await rollback(options(), world.deps);
    expect(result).toMatchObject({ ok: true, summary: 'rolled back to r2; smoke gate passed; running now: slipway-api runs r2 (2/2 tasks), slipway-web runs r2 (2/2 tasks)' });
    expect(world.runner.calls.filter((c) => c.startsWith('npx cdk diff'))).toEqual([
      'npx cdk diff slipway-service --exclusively --parameters slipway-service:ImageTag=r2 --no-color',
    ]);
    expect(world.runner.calls.filter((c) => c.startsWith('npx cdk deploy'))).toEqual([
      'npx cdk deploy slipway-service --exclusively --parameters slipway-service:ImageTag=r2 --require-approval never --progress events --no-color',
    ]);
    expect(world.smokeCalls.map((s) => s.expectRelease)).toEqual(['r2']);
    expect(world.records().at(-1)).toMatchObject({ release: 'r2', kind: 'rollback', outcome: 'live', previousRelease: 'r3', smoke: 'passed' });
    expect(world.out.join('')).toContain('! unreadable release record: /slipway/releases/garbage');
  });

  it('--list prints the history newest first and where a rollback would go', async () => {
    const world = await worldWithHistory();
    const result = await listHistory({ config: testConfig() }, world.deps);
    expect(result.summary).toBe('4 record(s); running r3; npm run rollback would go to r2');
    const lines = world.out.join('').split('\n').filter((l) => /^[* ] 2026/.test(l));
    expect(lines.map((l) => l.replace(/\s+/g, ' ').split(' ').slice(0, 5).join(' '))).toEqual([
      '* 2026-02-03T10:00:00Z r3 deploy live',
      ' 2026-02-02T11:00:00Z r2b deploy rolled-back',
      ' 2026-02-02T10:00:00Z r2 deploy live',
      ' 2026-02-01T10:00:00Z r1 deploy live',
    ]);
    expect(world.runner.calls).toEqual([]);
  });

  it('--to a named release', async () => {
    const world = await worldWithHistory();
    const result = await rollback(options({ to: 'r1' }), world.deps);
    expect(result.ok).toBe(true);
    expect(world.state.imageTag).toBe('r1');
  });

  it('refuses a release whose image is gone from ECR', async () => {
    const world = await worldWithHistory({ images: new Set(['r3']) });
    await expect(rollback(options({ to: 'r1' }), world.deps)).rejects.toThrow(
      'no image tagged r1 in ECR repository slipway (expired by the lifecycle rule?). Fix: pick another release with --to',
    );
    expect(world.runner.calls.some((c) => c.startsWith('npx cdk deploy'))).toBe(false);
  });

  it('does nothing when the target already runs', async () => {
    const world = await worldWithHistory();
    const result = await rollback(options({ to: 'r3' }), world.deps);
    expect(result).toMatchObject({ ok: true, summary: 'r3 is already the running release; nothing to do' });
    expect(world.runner.calls).toEqual([]);
  });

  it('says how to proceed when the history has no earlier good release', async () => {
    const world = makeWorld({ imageTag: 'r3' });
    await expect(rollback(options(), world.deps)).rejects.toThrow(
      'no release served before r3 in the history under /slipway/releases. Fix: name one with --to RELEASE (npm run rollback -- --list shows them)',
    );
  });

  it('rolling back twice walks back through history instead of returning to the release just left', async () => {
    const world = await worldWithHistory();
    await rollback(options(), world.deps);
    world.clock.advance(60_000);
    const second = await rollback(options(), world.deps);
    expect(second.summary).toMatch(/^rolled back to r1; smoke gate passed/);
    expect(world.state.imageTag).toBe('r1');
  });

  it('marks the release it rolled away from as replaced, so --list marks exactly one as serving', async () => {
    const world = await worldWithHistory();
    await rollback(options(), world.deps);
    const outcomes = Object.fromEntries(world.records().map((r) => [`${r.release} ${r.kind}`, r.outcome]));
    expect(outcomes).toMatchObject({ 'r3 deploy': 'replaced', 'r2 rollback': 'live', 'r1 deploy': 'replaced', 'r2 deploy': 'replaced' });
    expect(world.records().find((r) => r.release === 'r3')).toMatchObject({ replacedBy: 'r2' });
    world.out.length = 0;
    const list = await listHistory({ config: testConfig() }, world.deps);
    expect(world.out.join('').split('\n').filter((l) => l.startsWith('*'))).toHaveLength(1);
    expect(list.document).toMatchObject({ running: 'r2', live: 'r2', rollbackTarget: 'r1' });
  });

  it('exits non-zero when the rolled-back release fails its gate, saying what runs', async () => {
    const world = await worldWithHistory({ badReleases: new Set(['r2']) });
    const result = await rollback(options(), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/^rolled back to r2 but the smoke gate failed \(ready: .*\); running now: slipway-api runs r2/);
    expect(world.records().at(-1)).toMatchObject({ release: 'r2', outcome: 'failed', smoke: 'failed' });
  });

  it('a failed stack update during rollback is reported with the cause', async () => {
    const world = await worldWithHistory({ failingTags: new Set(['r2']) });
    const result = await rollback(options(), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      'rollback to r2 failed (slipway-service: MigrateBeforeRoll UPDATE_FAILED: migrate up exited 1: 0007_add_index.sql: relation "x" does not exist); running now: slipway-api runs r3 (2/2 tasks), slipway-web runs r3 (2/2 tasks)',
    );
  });

  it('a rollback CloudFormation cannot finish says the stack is stuck and how to free it', async () => {
    const world = await worldWithHistory();
    const run0 = world.deps.runner.run.bind(world.deps.runner);
    world.deps.runner.run = async (cmd, args, opts) => {
      if (args[1] !== 'deploy') return run0(cmd, args, opts);
      world.state.serviceStackStatus = 'UPDATE_ROLLBACK_FAILED';
      world.state.stackEvents.push({ LogicalResourceId: 'WebService', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'circuit breaker' });
      return { exitCode: 1, stdout: '', stderr: '' };
    };
    const result = await rollback(options(), world.deps);
    expect(result.summary).toBe(
      'rollback to r2 failed (slipway-service: WebService UPDATE_FAILED: circuit breaker; then CloudFormation could not roll slipway-service back: it is UPDATE_ROLLBACK_FAILED and takes no update until its rollback is continued. Fix: aws cloudformation continue-update-rollback --stack-name slipway-service (skip the resources it names if it fails again; see runbooks/rollback.md)); running now: slipway-api runs r3 (2/2 tasks), slipway-web runs r3 (2/2 tasks)',
    );
    expect(world.smokeCalls).toHaveLength(0);
  });

  it('--dry-run changes nothing', async () => {
    const world = await worldWithHistory();
    const before = world.state.ssm.size;
    const result = await rollback(options({ dryRun: true }), world.deps);
    expect(result).toMatchObject({ ok: true, summary: 'dry run: would roll back from r3 to r2 (image only: no template kept); nothing was changed' });
    expect(world.out.join('')).toContain('! service template: none was kept with r2 (deployed before releases kept them): only the image is rolled back');
    expect(world.runner.calls.some((c) => c.startsWith('npx cdk deploy'))).toBe(false);
    expect(world.state.ssm.size).toBe(before);
  });
});

describe('rollback to a kept template', () => {
  const kept = sampleTemplates()['slipway-service'];
  // r3's service template added a log group that r2's lacks
  const withLogs = { ...kept, Resources: { ...kept.Resources, AppLogs1234: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', Properties: {} } } };

  async function leaving(r3: ReleaseRecord['outcome'], smoke: ReleaseRecord['smoke']) {
    const world = makeWorld({ imageTag: 'r3', images: new Set(['r2', 'r3']), deployedTemplates: { ...sampleTemplates(), 'slipway-service': withLogs } });
    const key = 'releases/r2/slipway-service.template.json';
    world.objects.set(key, JSON.stringify(kept));
    await recordRelease(world.deps.ssm, '/slipway/releases', { ...rec('r2', '2026-02-02T10:00:00.000Z', 'live'), serviceTemplate: { bucket: 'slipway-attachments-123', key } });
    await recordRelease(world.deps.ssm, '/slipway/releases', rec('r3', '2026-02-03T10:00:00.000Z', r3, smoke));
    return world;
  }

  it('from a release that never served: what it added leaves with it, and the summary says it stays in the account', async () => {
    // a deploy of r3 that failed its gate and whose automatic rollback did not happen
    const world = await leaving('failed', 'failed');
    const result = await rollback(options(), world.deps);
    expect(result).toMatchObject({
      ok: true,
      summary: 'rolled back to r2; smoke gate passed; left in the account, outside the stack (DeletionPolicy Retain): AWS::Logs::LogGroup AppLogs1234; running now: slipway-api runs r2 (2/2 tasks), slipway-web runs r2 (2/2 tasks)',
    });
    expect(world.state.deployedTemplates['slipway-service']).toEqual(kept);
  });

  it('--dry-run prints the template diff and runs the same check, so it refuses what the real run refuses', async () => {
    const world = await leaving('live', 'passed');
    await expect(rollback(options({ dryRun: true }), world.deps)).rejects.toThrow(
      'refusing to roll slipway-service back to the template of r2: slipway-service: AWS::Logs::LogGroup AppLogs1234 would leave the stack (orphaned). Fix:',
    );
    const out = world.out.join('');
    expect(out).toContain('Diff of slipway-service, from the deployed template to the one r2 was deployed with:\nResources\n[-] AWS::Logs::LogGroup AppLogs1234 orphan');
    expect(out).toContain('✗ change safety: slipway-service: AWS::Logs::LogGroup AppLogs1234 would leave the stack (orphaned)');
    expect(world.state.ssm.size).toBe(2);
    expect(world.state.imageTag).toBe('r3');
  });

  it('--dry-run of a rollback the check allows says what it would leave behind, and changes nothing', async () => {
    const world = await leaving('failed', 'failed');
    const result = await rollback(options({ dryRun: true }), world.deps);
    expect(result).toMatchObject({ ok: true, summary: 'dry run: would roll back from r3 to r2 with its service template; nothing was changed' });
    expect(world.out.join('')).toContain('! change safety: AWS::Logs::LogGroup AppLogs1234 was added by r3, which never served: it leaves slipway-service and stays in the account (DeletionPolicy Retain)');
    expect(result.document.leftByRollback).toEqual([{ type: 'AWS::Logs::LogGroup', logicalId: 'AppLogs1234', retained: true }]);
    expect(world.mocks.cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
    expect(world.runner.calls).toEqual([]);
  });

  it('from a release that served: refuses to take its stateful resources out of the stack', async () => {
    const world = await leaving('live', 'passed');
    await expect(rollback(options(), world.deps)).rejects.toThrow(
      'refusing to roll slipway-service back to the template of r2: slipway-service: AWS::Logs::LogGroup AppLogs1234 would leave the stack (orphaned). Fix: roll back with a release whose template keeps these, or pass --allow-stateful-replacement if you have a snapshot',
    );
    expect(world.state.imageTag).toBe('r3');
  });
});

describe('deploy and rollback flags', () => {
  it.each([
    [DEPLOY_SPEC, ['--release', 'bad tag!'], '--release "bad tag!" is not an image tag (letters, digits, _ . -; at most 128), e.g. 3f2a9c1d0e4b'],
    [ROLLBACK_SPEC, ['--to', '-x'], '--to needs a value'],
    [ROLLBACK_SPEC, ['--to', 'a:b'], '--to "a:b" is not an image tag (letters, digits, _ . -; at most 128), e.g. 3f2a9c1d0e4b'],
    [DEPLOY_SPEC, ['--stable-timeout', 'soon'], '--stable-timeout must be a positive number of seconds, got "soon"'],
    // the same check as npm run smoke --token, so deploy does not gate with a token smoke refuses
    [DEPLOY_SPEC, ['--smoke-token', 'oops-not-a-pat'], '--smoke-token must be a personal access token starting with pat_ (create one under your profile)'],
    [ROLLBACK_SPEC, ['--smoke-token', 'ghp_123'], '--smoke-token must be a personal access token starting with pat_ (create one under your profile)'],
  ])('%#: %j is refused', (spec, argv, message) => {
    const map = spec === DEPLOY_SPEC ? deployOptionsFrom : rollbackOptionsFrom;
    expect(() => map(parseFlags(spec, argv as string[]), testConfig())).toThrow(new UsageError(message));
  });

  it('maps flags to options with the documented defaults', () => {
    expect(deployOptionsFrom(parseFlags(DEPLOY_SPEC, ['--no-rollback', '--dry-run']), testConfig())).toMatchObject({
      dryRun: true,
      autoRollback: false,
      allowDirty: false,
      // production: 30 + MIGRATE_TIMEOUT_MINUTES 15 + 2 × (10 + GREEN_TEST_BUDGET_SECONDS 5 min + BAKE_TIME_MINUTES 10) minutes
      timeouts: { deployMs: 95 * 60_000, stableMs: 1_200_000, smokeMs: 300_000 },
    });
    expect(deployOptionsFrom(parseFlags(DEPLOY_SPEC, ['--deploy-timeout', '600']), testConfig()).timeouts.deployMs).toBe(600_000);
  });

  it.each([
    ['production defaults', {}, 95],
    // a fixed hour was shorter than the longest migration the settings allow, before any service rolled
    ['the longest migration, rolling', { DEPLOY_PROFILE: 'trial', MIGRATE_TIMEOUT_MINUTES: '55' }, 30 + 55 + 2 * 10],
    ['a long bake', { BAKE_TIME_MINUTES: '60', GREEN_TEST_BUDGET_SECONDS: '90' }, 30 + 15 + 2 * (10 + 2 + 60)],
  ])('the default --deploy-timeout covers the migration bound and both services\' roll: %s', (_, settings, minutes) => {
    expect(defaultDeployTimeoutMinutes(testConfig(settings))).toBe(minutes);
    expect(rollbackOptionsFrom(parseFlags(ROLLBACK_SPEC, []), testConfig(settings)).timeouts.deployMs).toBe(minutes * 60_000);
  });
});
