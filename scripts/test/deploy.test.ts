import { DescribeStackResourceCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { parseFlags, UsageError } from '../lib/cli.ts';
import { DEPLOY_SPEC, deployOptionsFrom } from '../lib/commands.ts';
import { deploy, restart, type DeployOptions } from '../lib/deploy.ts';
import { StatefulChangeRefused } from '../lib/release-flow.ts';
import { recordRelease } from '../lib/releases.ts';
import { makeWorld, testConfig, type WorldState } from './support/world.ts';
import { sampleTemplates } from './support/templates.ts';

const NEW = 'bbbbbbbbbbbb';
const OLD = 'aaaaaaaaaaaa';

function options(overrides: Partial<DeployOptions> = {}): DeployOptions {
  return {
    config: testConfig(),
    dryRun: false,
    allowDirty: false,
    allowStatefulReplacement: false,
    autoRollback: true,
    timeouts: { deployMs: 3_600_000, stableMs: 600_000, smokeMs: 120_000 },
    ...overrides,
  };
}

async function run(state: Partial<WorldState> = {}, o: Partial<DeployOptions> = {}) {
  const world = makeWorld(state);
  const result = await deploy(options(o), world.deps);
  return { world, result };
}

const cdkDeploys = (calls: string[]) => calls.filter((c) => c.startsWith('npx cdk deploy'));

/** OLD served, and its service template was kept (as every deploy since templates were kept does). */
async function keptTemplate(world: ReturnType<typeof makeWorld>, template: Record<string, unknown> = sampleTemplates()['slipway-service']) {
  const key = `releases/${OLD}/slipway-service.template.json`;
  world.objects.set(key, JSON.stringify(template));
  await recordRelease(world.deps.ssm, '/slipway/releases', { release: OLD, kind: 'deploy', startedAt: '2026-03-01T10:00:00.000Z', finishedAt: '2026-03-01T10:10:00.000Z', durationSeconds: 600, smoke: 'passed', smokeFailures: [], outcome: 'live', serviceTemplate: { bucket: 'slipway-attachments-123', key } });
}

describe('deploy', () => {
  it('builds, pushes, rolls through CDK with the image tag, gates and records a live release', async () => {
    // Rolling: blue/green polls ECS while it deploys, which moves the fake clock (deploy-phases.test.ts).
    const { world, result } = await run({}, { config: testConfig({ DEPLOY_STRATEGY: 'rolling' }) });
    expect(result.ok).toBe(true);
    expect(result.summary).toBe(`${NEW} is live: smoke gate passed in 0s (migration 0007)`);
    expect(world.runner.calls).toContain(
      `docker buildx build --platform linux/arm64 -f app/Dockerfile -t 123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway:${NEW} --build-arg SLIPWAY_COMMIT=bbbbbbbbbbbbcccccccccccccccccccccccccccc --build-arg SLIPWAY_RELEASE=${NEW} --push .`,
    );
    // the registry password goes through stdin, never argv
    const login = world.runner.calls.findIndex((c) => c.startsWith('docker login'));
    expect(world.runner.calls[login]).toBe('docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    expect(world.runner.inputs[login]).toBe('registry-password');
    expect(world.runner.calls.filter((c) => c.startsWith('npx cdk diff'))).toEqual([
      `npx cdk diff --parameters slipway-service:ImageTag=${NEW} --no-color`,
    ]);
    expect(cdkDeploys(world.runner.calls)).toEqual([
      `npx cdk deploy --all --parameters slipway-service:ImageTag=${NEW} --require-approval never --progress events --no-color`,
    ]);
    expect(world.smokeCalls).toHaveLength(1);
    expect(world.smokeCalls[0]).toMatchObject({ expectRelease: NEW, metricsToken: 'metrics-token-value-0123456789abcdef' });
    expect(world.smokeCalls[0]!.baseUrl.href).toBe('https://tracker.example.com/');
    const [rec] = world.records();
    expect(rec).toMatchObject({
      name: `/slipway/releases/20260302T100000Z-${NEW}`,
      release: NEW,
      kind: 'deploy',
      outcome: 'live',
      smoke: 'passed',
      migration: '0007',
      previousRelease: OLD,
      imageDigest: expect.stringMatching(/^sha256:/),
      commit: 'bbbbbbbbbbbbcccccccccccccccccccccccccccc',
    });
  });

  it('while a restore-drill cutover is active, leaves the data stack out and says why', async () => {
    const cutover = JSON.stringify({ drillId: 'drill-x', restoredInstance: 'slipway-restore-x', restoredHost: 'x', restoredPort: 5432, previousInstance: 'slipway-db', previousHost: 'y', previousPort: 5432, at: '2026-03-01T00:00:00Z' });
    const { world, result } = await run({ ssm: new Map([['/slipway/restore/cutover', cutover]]) });
    expect(result.ok).toBe(true);
    expect(cdkDeploys(world.runner.calls)[0]).toBe(
      `npx cdk deploy slipway-network slipway-registry slipway-edge slipway-service slipway-observability --exclusively --parameters slipway-service:ImageTag=${NEW} --require-approval never --progress events --no-color`,
    );
    expect(world.out.join('')).toContain('! cutover active: the app uses slipway-restore-x (drill drill-x): the data stack is left out of this deploy, because updating it can point the database secret back at slipway-db');
    expect(result.document.dataStackSkipped).toBe('cutover to slipway-restore-x active');
  });

  it('keeps the deployed service template with a release that goes live, for rollbacks to it', async () => {
    const { world } = await run();
    const key = `releases/${NEW}/slipway-service.template.json`;
    expect(JSON.parse(world.objects.get(key)!)).toHaveProperty('Resources');
    expect(world.records()[0]).toMatchObject({ outcome: 'live', serviceTemplate: { bucket: 'slipway-attachments-123', key } });
  });

  it('refuses a dirty work tree unless --allow-dirty, and then tags the build as dirty', async () => {
    await expect(run({ dirty: true })).rejects.toThrow(
      'the work tree has uncommitted changes, so the image would not match any commit. Fix: commit or stash them, or pass --allow-dirty',
    );
    const { result } = await run({ dirty: true }, { allowDirty: true });
    expect(result.ok).toBe(true);
    expect(result.document.release).toBe(`${NEW}-dirty-20260302T100000`);
  });

  it('--dry-run prints the plan and the diff and changes nothing', async () => {
    const { world, result } = await run({}, { dryRun: true });
    expect(result).toMatchObject({ ok: true, summary: `dry run: would deploy ${NEW} over ${OLD} with 0 resource change(s); nothing was changed` });
    expect(world.runner.calls.some((c) => /^(docker|npx cdk deploy)/.test(c))).toBe(false);
    expect(world.state.ssm.size).toBe(0);
    expect(world.out.join('')).toContain('[~] Parameter ImageTag: aaaaaaaaaaaa to bbbbbbbbbbbb');
    expect(world.out.join('')).toContain('Plan: deploy bbbbbbbbbbbb to slipway in 123456789012/eu-west-1 (production)');
  });

  it('refuses when the deployed templates show a stateful resource replaced or deleted, unless explicitly allowed', async () => {
    const synthesizedTemplates = sampleTemplates();
    synthesizedTemplates['slipway-data'].Resources.DatabaseB269D8BB.Properties.DBName = 'renamed';
    delete synthesizedTemplates['slipway-data'].Resources.AttachmentsBucket1234;
    const refused = run({ synthesizedTemplates });
    await expect(refused).rejects.toBeInstanceOf(StatefulChangeRefused);
    await expect(run({ synthesizedTemplates })).rejects.toThrow(
      'refusing to deploy: slipway-data: AWS::S3::Bucket AttachmentsBucket1234 would leave the stack (orphaned); slipway-data: AWS::RDS::DBInstance DatabaseB269D8BB would be REPLACED (DBName). Fix:',
    );
    const allowed = await run({ synthesizedTemplates }, { allowStatefulReplacement: true });
    expect(allowed.result.ok).toBe(true);
  });

  it('a failed migration fails the stack update: non-zero, services still on the old release, recorded, no gate', async () => {
    const { world, result } = await run({ failingTags: new Set([NEW]) });
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      `deploy of ${NEW} failed during the stack update (slipway-service: MigrateBeforeRoll UPDATE_FAILED: migrate up exited 1: 0007_add_index.sql: relation "x" does not exist); CloudFormation kept the previous release; running now: slipway-api runs ${OLD} (2/2 tasks), slipway-web runs ${OLD} (2/2 tasks)`,
    );
    expect(world.smokeCalls).toHaveLength(0);
    expect(world.records()[0]).toMatchObject({ release: NEW, outcome: 'failed', smoke: 'not-run' });
  });

  describe('a cdk deploy that exits non-zero: the service stack is read back', () => {
    const HOUR = 3_600_000;
    /** cdk deploy of NEW exits 1 after `then` did to the account what CloudFormation did. */
    function failingDeploy(world: ReturnType<typeof makeWorld>, then: () => { stderr?: string }) {
      const run0 = world.deps.runner.run.bind(world.deps.runner);
      world.deps.runner.run = async (cmd, args, opts) => {
        if (args[1] === 'deploy' && args.join(' ').includes(`ImageTag=${NEW}`)) return { exitCode: 1, stdout: '', stderr: '', ...then() };
        return run0(cmd, args, opts);
      };
    }
    const rolling = (o: Partial<DeployOptions> = {}) => options({ config: testConfig({ DEPLOY_STRATEGY: 'rolling' }), timeouts: { deployMs: HOUR, stableMs: 600_000, smokeMs: 120_000 }, ...o });

    it('stopped by --deploy-timeout while CloudFormation goes on: waits for it, then gates the release it took', async () => {
      const world = makeWorld();
      failingDeploy(world, () => {
        // the runner's timeout stops the CLI; CloudFormation finishes the update 20 minutes later
        world.clock.advance(HOUR);
        world.state.serviceStackStatus = 'UPDATE_IN_PROGRESS';
        world.state.imageTag = NEW;
        world.state.serviceStackSettles = { at: world.clock.now() + 20 * 60_000, status: 'UPDATE_COMPLETE' };
        return {};
      });
      const result = await deploy(rolling(), world.deps);
      expect(result.ok).toBe(false);
      expect(result.summary).toMatch(
        new RegExp(`^${NEW} is live: smoke gate passed in 1h2\\dm \\(migration 0007\\), but cdk deploy did not finish: cdk deploy was stopped after --deploy-timeout 3600 s; the stacks after slipway-service may be behind: fix that and run npm run deploy again$`),
      );
      const out = world.out.join('');
      expect(out).toContain(`! stack update to ${NEW}: cdk deploy was stopped after --deploy-timeout 3600 s, but slipway-service is still UPDATE_IN_PROGRESS: waiting for CloudFormation to finish`);
      expect(out).toContain('… waiting for slipway-service to finish updating: UPDATE_IN_PROGRESS');
      expect(world.smokeCalls.map((c) => c.expectRelease)).toEqual([NEW]);
      expect(world.records()[0]).toMatchObject({ release: NEW, outcome: 'live', smoke: 'passed', note: 'cdk deploy did not finish: cdk deploy was stopped after --deploy-timeout 3600 s' });
    });

    it('says plainly when CloudFormation is still updating after the wait, instead of "kept the previous release"', async () => {
      const world = makeWorld();
      failingDeploy(world, () => {
        world.clock.advance(HOUR);
        world.state.serviceStackStatus = 'UPDATE_IN_PROGRESS';
        return {};
      });
      const result = await deploy(rolling(), world.deps);
      expect(result.summary).toMatch(
        /^deploy of bbbbbbbbbbbb did not finish: cdk deploy was stopped after --deploy-timeout 3600 s; slipway-service was still UPDATE_IN_PROGRESS 1h00m later, so it may yet finish on bbbbbbbbbbbb ungated\. Fix: wait until aws cloudformation describe-stacks --stack-name slipway-service shows it settled, then gate what it runs \(npm run smoke -- --expect-release bbbbbbbbbbbb\) or roll back \(npm run rollback\); running now: /,
      );
      expect(result.summary).not.toContain('kept the previous release');
      expect(world.records()[0]).toMatchObject({ release: NEW, outcome: 'failed', smoke: 'not-run' });
    });

    it('a later stack fails after the service stack took the release: the release is gated, and rolled back when it fails', async () => {
      const world = makeWorld({ badReleases: new Set([NEW]) });
      failingDeploy(world, () => {
        world.state.imageTag = NEW; // slipway-service: UPDATE_COMPLETE on NEW
        world.state.stackEvents.push({ StackName: 'slipway-observability', LogicalResourceId: 'ApiErrorsAlarm', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'Resource handler returned message: "Invalid metric"' });
        return { stderr: 'slipway-observability failed: Error: The stack named slipway-observability failed to deploy: UPDATE_ROLLBACK_COMPLETE' };
      });
      const result = await deploy(rolling(), world.deps);
      expect(result.summary).toBe(
        `${NEW} failed the smoke gate (ready: GET /api/readyz, every check ok (answered 200 but checks failed: redis (timeout))); rolled back to ${OLD} and its gate passed; running now: slipway-api runs ${OLD} (2/2 tasks), slipway-web runs ${OLD} (2/2 tasks)`,
      );
      expect(world.out.join('')).toContain(`! stack update to ${NEW}: slipway-service took ${NEW} (UPDATE_COMPLETE) although cdk deploy failed (slipway-observability: ApiErrorsAlarm UPDATE_FAILED: Resource handler returned message: "Invalid metric"): it is gated like any release`);
      expect(world.smokeCalls.map((c) => c.expectRelease)).toEqual([NEW, OLD]);
      expect(world.state.imageTag).toBe(OLD);
    });

    it('a later stack fails and the release passes its gate: live, but the command fails naming the stack', async () => {
      const world = makeWorld();
      failingDeploy(world, () => {
        world.state.imageTag = NEW;
        world.state.stackEvents.push({ StackName: 'slipway-observability', LogicalResourceId: 'ApiErrorsAlarm', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'Invalid metric' });
        return {};
      });
      const result = await deploy(rolling(), world.deps);
      expect(result.ok).toBe(false);
      expect(result.summary).toBe(`${NEW} is live: smoke gate passed in 0s (migration 0007), but cdk deploy did not finish: slipway-observability: ApiErrorsAlarm UPDATE_FAILED: Invalid metric; the stacks after slipway-service may be behind: fix that and run npm run deploy again`);
    });

    it('UPDATE_ROLLBACK_FAILED: says the stack is stuck and prints the command that frees it', async () => {
      const world = makeWorld();
      failingDeploy(world, () => {
        world.state.serviceStackStatus = 'UPDATE_ROLLBACK_FAILED';
        world.state.stackEvents.push({ LogicalResourceId: 'ApiService', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'circuit breaker' });
        return {};
      });
      const result = await deploy(rolling(), world.deps);
      expect(result.summary).toBe(
        `deploy of ${NEW} failed during the stack update: slipway-service: ApiService UPDATE_FAILED: circuit breaker; then CloudFormation could not roll slipway-service back: it is UPDATE_ROLLBACK_FAILED and takes no update until its rollback is continued. Fix: aws cloudformation continue-update-rollback --stack-name slipway-service (skip the resources it names if it fails again; see runbooks/rollback.md); running now: slipway-api runs ${OLD} (2/2 tasks), slipway-web runs ${OLD} (2/2 tasks)`,
      );
      expect(world.smokeCalls).toHaveLength(0);
    });

    it('rolled back by CloudFormation: the previous release is kept, as before', async () => {
      const { result } = await run({ failingTags: new Set([NEW]) }, { timeouts: { deployMs: HOUR, stableMs: 600_000, smokeMs: 1 } });
      expect(result.summary).toMatch(/CloudFormation kept the previous release; running now: slipway-api runs aaaaaaaaaaaa/);
    });
  });

  it('a failed gate rolls back to the previous release, gates it again and exits non-zero saying what failed and what runs', async () => {
    const { world, result } = await run({ badReleases: new Set([NEW]) });
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      `${NEW} failed the smoke gate (ready: GET /api/readyz, every check ok (answered 200 but checks failed: redis (timeout))); rolled back to ${OLD} and its gate passed; running now: slipway-api runs ${OLD} (2/2 tasks), slipway-web runs ${OLD} (2/2 tasks)`,
    );
    expect(cdkDeploys(world.runner.calls)).toEqual([
      `npx cdk deploy --all --parameters slipway-service:ImageTag=${NEW} --require-approval never --progress events --no-color`,
      `npx cdk deploy slipway-service --exclusively --parameters slipway-service:ImageTag=${OLD} --require-approval never --progress events --no-color`,
    ]);
    expect(world.smokeCalls.map((s) => s.expectRelease)).toEqual([NEW, OLD]);
    expect(world.records().map((r) => [r.release, r.kind, r.outcome, r.smoke])).toEqual([
      [NEW, 'deploy', 'rolled-back', 'failed'],
      [OLD, 'rollback', 'live', 'passed'],
    ]);
    expect(world.state.imageTag).toBe(OLD);
  });

  it('says so when the rollback release fails its gate too', async () => {
    const { result } = await run({ badReleases: new Set([NEW, OLD]) });
    expect(result.ok).toBe(false);
    expect(result.summary).toContain(`rolled back to ${OLD} but its gate failed too`);
  });

  it('a rollback to a kept template that fails its stack update says what runs', async () => {
    const world = makeWorld({ badReleases: new Set([NEW]), failingTags: new Set([OLD]) });
    await keptTemplate(world);
    const result = await deploy(options(), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      `${NEW} failed the smoke gate (ready: GET /api/readyz, every check ok (answered 200 but checks failed: redis (timeout))); the rollback to ${OLD} failed too (slipway-service: MigrateBeforeRoll UPDATE_FAILED: migrate up exited 1: 0007_add_index.sql: relation "x" does not exist); running now: slipway-api runs ${NEW} (2/2 tasks), slipway-web runs ${NEW} (2/2 tasks)`,
    );
  });

  describe('automatic rollback to a kept template, when the failed release added a stateful resource', () => {
    const base = sampleTemplates()['slipway-service'];
    const withSecret = (deletionPolicy?: string) => ({
      ...base,
      Resources: { ...base.Resources, NewSecret99: { Type: 'AWS::SecretsManager::Secret', ...(deletionPolicy ? { DeletionPolicy: deletionPolicy } : {}), Properties: {} } },
    });
    async function deployAdding(added: Record<string, unknown>) {
      const world = makeWorld({ badReleases: new Set([NEW]), synthesizedTemplates: { ...sampleTemplates(), 'slipway-service': added } });
      await keptTemplate(world);
      world.mocks.cfn.on(DescribeStackResourceCommand, { LogicalResourceId: 'NewSecret99' }).resolves({
        StackResourceDetail: { LogicalResourceId: 'NewSecret99', PhysicalResourceId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:new-AbCdEf', ResourceType: 'AWS::SecretsManager::Secret', ResourceStatus: 'UPDATE_COMPLETE', LastUpdatedTimestamp: new Date() },
      });
      const result = await deploy(options(), world.deps);
      return { world, result };
    }

    it('with Retain: rolls back by itself and says the resource stays in the account', async () => {
      const { world, result } = await deployAdding(withSecret('Retain'));
      expect(result.ok).toBe(false);
      expect(result.summary).toBe(
        `${NEW} failed the smoke gate (ready: GET /api/readyz, every check ok (answered 200 but checks failed: redis (timeout))); rolled back to ${OLD} and its gate passed; left in the account, outside the stack (DeletionPolicy Retain): AWS::SecretsManager::Secret NewSecret99 (arn:aws:secretsmanager:eu-west-1:123456789012:secret:new-AbCdEf); running now: slipway-api runs ${OLD} (2/2 tasks), slipway-web runs ${OLD} (2/2 tasks)`,
      );
      expect(world.out.join('')).toContain(`! change safety: AWS::SecretsManager::Secret NewSecret99 (arn:aws:secretsmanager:eu-west-1:123456789012:secret:new-AbCdEf) was added by ${NEW}, which never served: it leaves slipway-service and stays in the account (DeletionPolicy Retain)`);
      expect(world.mocks.cfn.commandCalls(UpdateStackCommand)).toHaveLength(1);
      expect(world.state.deployedTemplates['slipway-service']).toEqual(base);
      expect(world.records().map((r) => [r.release, r.kind, r.outcome])).toEqual([
        [OLD, 'deploy', 'replaced'],
        [NEW, 'deploy', 'rolled-back'],
        [OLD, 'rollback', 'live'],
      ]);
      expect(result.document.leftByRollback).toEqual([{ type: 'AWS::SecretsManager::Secret', logicalId: 'NewSecret99', retained: true, physicalId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:new-AbCdEf' }]);
    });

    it('without Retain: rolls back, and the resource the failed release created goes with it', async () => {
      const { world, result } = await deployAdding(withSecret());
      expect(result.summary).toContain(`rolled back to ${OLD} and its gate passed; running now:`);
      expect(world.out.join('')).toContain(`was added by ${NEW}, which never served: CloudFormation deletes it (${OLD} never had it)`);
      expect(world.state.imageTag).toBe(OLD);
    });

    it('still refuses to replace a resource the previous release had, and returns what runs instead of throwing', async () => {
      const logs = (name: string) => ({ ...base, Resources: { ...base.Resources, AppLogs: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { LogGroupName: name } } } });
      // The stack was changed outside the kit since OLD: its log group has another name now.
      const world = makeWorld({ badReleases: new Set([NEW]), deployedTemplates: { ...sampleTemplates(), 'slipway-service': logs('slipway-app-2') }, synthesizedTemplates: { ...sampleTemplates(), 'slipway-service': logs('slipway-app-2') } });
      await keptTemplate(world, logs('slipway-app'));
      const result = await deploy(options(), world.deps);
      expect(result.ok).toBe(false);
      expect(result.summary).toBe(
        `${NEW} failed the smoke gate (ready: GET /api/readyz, every check ok (answered 200 but checks failed: redis (timeout))); the rollback to ${OLD} failed too (refusing to roll slipway-service back to the template of ${OLD}: slipway-service: AWS::Logs::LogGroup AppLogs would be REPLACED (LogGroupName). Fix: roll back with a release whose template keeps these, or pass --allow-stateful-replacement if you have a snapshot); running now: slipway-api runs ${NEW} (2/2 tasks), slipway-web runs ${NEW} (2/2 tasks)`,
      );
      expect(world.mocks.cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
      expect(world.records().map((r) => [r.release, r.kind, r.outcome])).toEqual([
        [OLD, 'deploy', 'live'],
        [NEW, 'deploy', 'failed'],
        [OLD, 'rollback', 'failed'],
      ]);
      expect(world.records().find((r) => r.release === NEW)!.note).toMatch(/^the automatic rollback to aaaaaaaaaaaa failed: refusing to roll slipway-service back/);
    });
  });

  it('services that never settle time out and roll back', async () => {
    const world = makeWorld();
    const stuckDeploy = world.runner.run.bind(world.runner);
    world.deps.runner.run = async (cmd, args, opts) => {
      const result = await stuckDeploy(cmd, args, opts);
      if (args.join(' ').includes(`ImageTag=${NEW}`) && args[1] === 'deploy') world.state.servicesStuck = true;
      if (args.join(' ').includes(`ImageTag=${OLD}`) && args[1] === 'deploy') world.state.servicesStuck = false;
      return result;
    };
    const result = await deploy(options({ timeouts: { deployMs: 1, stableMs: 120_000, smokeMs: 1 } }), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/^bbbbbbbbbbbb did not become stable \(timed out after \dm\d\ds waiting for services slipway-api, slipway-web to be stable \(last status: slipway-api 2\/2 running, 2 deployment\(s\), IN_PROGRESS/);
    expect(result.summary).toContain(`rolled back to ${OLD} and its gate passed`);
    expect(world.out.join('')).toContain('… waiting for services slipway-api, slipway-web to be stable');
  });

  it('records a started entry before cdk deploy, overwritten by the outcome', async () => {
    const world = makeWorld();
    const seen: string[] = [];
    const run0 = world.deps.runner.run.bind(world.deps.runner);
    world.deps.runner.run = async (cmd, args, opts) => {
      if (args[1] === 'deploy') seen.push(...world.records().map((r) => `${r.release} ${r.outcome}`));
      return run0(cmd, args, opts);
    };
    await deploy(options(), world.deps);
    expect(seen).toEqual([`${NEW} started`]);
    expect(world.records().map((r) => `${r.release} ${r.outcome}`)).toEqual([`${NEW} live`]);
  });

  it('a rerun after an interrupted deploy rolls back to the last release that served, not to the one it is deploying', async () => {
    // the interrupted run got as far as setting the stack to NEW
    const world = makeWorld({ imageTag: NEW, images: new Set([OLD, NEW]), badReleases: new Set([NEW]) });
    await recordRelease(world.deps.ssm, '/slipway/releases', { release: OLD, kind: 'deploy', startedAt: '2026-03-01T10:00:00.000Z', finishedAt: '2026-03-01T10:10:00.000Z', durationSeconds: 600, smoke: 'passed', smokeFailures: [], outcome: 'live' });
    await recordRelease(world.deps.ssm, '/slipway/releases', { release: NEW, kind: 'deploy', startedAt: '2026-03-02T09:00:00.000Z', finishedAt: '2026-03-02T09:00:00.000Z', durationSeconds: 0, smoke: 'not-run', smokeFailures: [], outcome: 'started' });
    const result = await deploy(options(), world.deps);
    expect(result.summary).toContain(`rolled back to ${OLD} and its gate passed`);
    expect(cdkDeploys(world.runner.calls).at(-1)).toContain(`ImageTag=${OLD}`);
    expect(world.state.imageTag).toBe(OLD);
    expect(world.records().find((r) => r.startedAt === '2026-03-02T09:00:00.000Z')).toMatchObject({ outcome: 'failed', note: 'interrupted: the run that started it did not finish' });
  });

  it('never rolls back to the release it is deploying', async () => {
    const { world, result } = await run({ imageTag: NEW, images: new Set([NEW]), badReleases: new Set([NEW]) });
    expect(result.summary).toMatch(/not rolled back \(no earlier release served\)/);
    expect(cdkDeploys(world.runner.calls)).toHaveLength(1);
  });

  it('does not roll back on a first deploy; says nothing ran before', async () => {
    const { world, result } = await run({ imageTag: undefined, serviceStackDeployed: false, badReleases: new Set([NEW]) });
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/^bbbbbbbbbbbb failed the smoke gate \(.*\); not rolled back \(no earlier release served\); running now: slipway-api runs bbbbbbbbbbbb/);
    expect(cdkDeploys(world.runner.calls)).toHaveLength(1);
  });

  it('a first deploy creates the registry stack before pushing, then everything else', async () => {
    const { world, result } = await run({ imageTag: undefined, serviceStackDeployed: false, registryDeployed: false, images: new Set() });
    expect(result.ok).toBe(true);
    const order = world.runner.calls.filter((c) => /^(npx cdk deploy|docker (login|buildx))/.test(c)).map((c) => c.split(' --')[0]);
    expect(order).toEqual(['npx cdk deploy slipway-registry', 'docker login', 'docker buildx build', 'npx cdk deploy']);
    expect(world.records()[0]).toMatchObject({ outcome: 'live' });
    expect(world.records()[0]).not.toHaveProperty('previousRelease');
  });

  it('reuses an image already in ECR on a rerun instead of rebuilding', async () => {
    const { world, result } = await run({ images: new Set([OLD, NEW]) });
    expect(result.ok).toBe(true);
    expect(world.runner.calls.some((c) => c.startsWith('docker buildx'))).toBe(false);
  });

  it('refuses to start while another update runs or the stack is stuck', async () => {
    await expect(run({ serviceStackStatus: 'UPDATE_IN_PROGRESS' })).rejects.toThrow(
      'slipway-service is UPDATE_IN_PROGRESS: another deploy or rollback is running. Fix: wait for it to finish, then run this again',
    );
    await expect(run({ serviceStackStatus: 'UPDATE_ROLLBACK_FAILED' })).rejects.toThrow(
      'slipway-service is UPDATE_ROLLBACK_FAILED. Fix: aws cloudformation continue-update-rollback --stack-name slipway-service (skip the resources it names), then run this again',
    );
  });

  it('--release deploys an image already pushed, and refuses one that is not in ECR', async () => {
    await expect(run({}, { release: 'cccccccccccc' })).rejects.toThrow(
      '--release cccccccccccc: no image with that tag in ECR repository slipway. Fix: push it first, or deploy from the work tree without --release',
    );
    const { world, result } = await run({ images: new Set([OLD, 'cccccccccccc']) }, { release: 'cccccccccccc' });
    expect(result.ok).toBe(true);
    expect(world.runner.calls.some((c) => c.startsWith('git') || c.startsWith('docker'))).toBe(false);
  });
});

describe('deploy --restart', () => {
  it('replaces the tasks on the running release through CDK with a new RolloutId, then gates', async () => {
    const world = makeWorld();
    const result = await restart({ config: testConfig(), allowStatefulReplacement: false, timeouts: { deployMs: 1, stableMs: 60_000, smokeMs: 1 } }, world.deps);
    expect(result).toMatchObject({ ok: true, summary: `restarted the services on ${OLD}; smoke gate passed` });
    expect(cdkDeploys(world.runner.calls)).toEqual([
      `npx cdk deploy slipway-service --exclusively --parameters slipway-service:ImageTag=${OLD} --parameters slipway-service:RolloutId=restart-20260302T100000 --require-approval never --progress events --no-color`,
    ]);
    expect(world.smokeCalls.map((s) => s.expectRelease)).toEqual([OLD]);
    expect(world.runner.calls.some((c) => /^(git|docker)/.test(c))).toBe(false);
  });

  it('refuses flags that belong to a release', () => {
    expect(() => deployOptionsFrom(parseFlags(DEPLOY_SPEC, ['--restart', '--release', 'x1']), testConfig())).toThrow(
      new UsageError('--restart restarts the running release; it takes no --release'),
    );
  });
});
