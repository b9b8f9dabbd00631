/**
 * Deploy and rollback against the AWS API emulator: the image build and `cdk deploy` are the
 * emulator runner (support/emulator/cdk.ts), every AWS call is real HTTP to moto, and the
 * smoke gate is the real one against the app stand-in, which runs whatever release the api
 * service runs.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackNames } from '../../infra/outputs.ts';
import { deploy, type DeployOptions } from '../lib/deploy.ts';
import { listReleases } from '../lib/releases.ts';
import { listHistory, rollback, type RollbackOptions } from '../lib/rollback.ts';
import type { Clock } from '../lib/wait.ts';
import { startEmulator, type Emulator } from './support/emulator/emulator.ts';
import { flowDeps } from './support/emulator/flow.ts';
import { buildWorld, type World } from './support/emulator/world.ts';

let emulator: Emulator;
const worlds: World[] = [];
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  for (const w of worlds) await w.app.close();
  await emulator?.stop();
});

const timeouts = { deployMs: 600_000, stableMs: 600_000, smokeMs: 30_000 };
const deployOptions = (w: World, release: string, o: Partial<DeployOptions> = {}): DeployOptions => ({
  config: w.config, dryRun: false, allowDirty: false, allowStatefulReplacement: false, autoRollback: true, release, timeouts, ...o,
});
const rollbackOptions = (w: World, o: Partial<RollbackOptions> = {}): RollbackOptions => ({
  config: w.config, dryRun: false, allowStatefulReplacement: false, timeouts, ...o,
});

/** The emulator clock (sleeps skipped), starting at `start` instead of now. */
function clockFrom(start: number): Clock {
  const real = Date.now();
  let skipped = 0;
  return {
    now: () => start + (Date.now() - real) + skipped,
    sleep: async (ms) => {
      skipped += ms;
      await new Promise((r) => setTimeout(r, 5));
    },
  };
}

async function serviceStack(w: World) {
  const stack = (await emulator.clients.cfn.send(new DescribeStacksCommand({ StackName: stackNames(w.appName).service }))).Stacks![0]!;
  return {
    imageTag: stack.Parameters!.find((p) => p.ParameterKey === 'ImageTag')!.ParameterValue,
    templateVersion: stack.Outputs!.find((o) => o.OutputKey === 'TemplateVersion')!.OutputValue,
  };
}

async function world(appName: string): Promise<World> {
  const w = await buildWorld(emulator, { appName });
  worlds.push(w);
  for (const tag of ['ra', 'rb', 'rc', 'rd']) await w.pushImage(tag);
  return w;
}

/** Deploys `tag` from a checkout whose service template is `version`. */
async function deployFrom(w: World, tag: string, version: string, clock?: Clock) {
  w.checkout.templateVersion = version;
  const { deps, text } = flowDeps(w);
  if (clock) Object.assign(deps, { clock });
  const result = await deploy(deployOptions(w, tag), deps);
  expect(result.ok, `${result.summary}\n${text()}`).toBe(true);
  return result;
}

describe('releases against the emulator', { timeout: 300_000 }, () => {
  it('deploy, deploy, deploy, rollback, rollback, deploy: each rollback walks back, with the template its release had', async () => {
    const w = await world('rel-a');
    await deployFrom(w, 'ra', 'v1');
    await deployFrom(w, 'rb', 'v2');
    await deployFrom(w, 'rc', 'v3');
    expect(await serviceStack(w)).toEqual({ imageTag: 'rc', templateVersion: 'v3' });

    const first = await rollback(rollbackOptions(w), flowDeps(w).deps);
    expect(first.summary).toMatch(/^rolled back to rb; smoke gate passed/);
    expect(await serviceStack(w)).toEqual({ imageTag: 'rb', templateVersion: 'v2' });
    expect(w.app.behaviour.release).toBe('rb');

    const second = await rollback(rollbackOptions(w), flowDeps(w).deps);
    expect(second.summary).toMatch(/^rolled back to ra; smoke gate passed/);
    expect(await serviceStack(w)).toEqual({ imageTag: 'ra', templateVersion: 'v1' });

    await deployFrom(w, 'rd', 'v4');
    expect(await serviceStack(w)).toEqual({ imageTag: 'rd', templateVersion: 'v4' });

    const { deps, text } = flowDeps(w);
    const list = await listHistory({ config: w.config }, deps);
    expect(list.document).toMatchObject({ running: 'rd', live: 'rd', rollbackTarget: 'ra' });
    expect(text().split('\n').filter((l) => l.startsWith('*'))).toHaveLength(1);
    const history = await listReleases(emulator.clients.ssm, `/${w.appName}/releases`);
    expect(history.map((r) => `${r.release} ${r.kind} ${r.outcome}`)).toEqual([
      'ra deploy replaced',
      'rb deploy replaced',
      'rc deploy replaced',
      'rb rollback replaced',
      'ra rollback replaced',
      'rd deploy live',
    ]);
  });

  it('a rerun after an interrupted deploy rolls back to the last release that served, with its template', async () => {
    const w = await world('rel-b');
    // All three runs start within one second (the record names have second resolution), in
    // order: ra, then rb's interrupted run, then its rerun. ra has a clock of its own too, or it
    // could start later in that second than the runs after it.
    const second = Math.floor(Date.now() / 1000) * 1000;
    await deployFrom(w, 'ra', 'v1', clockFrom(second));
    // rb is broken, and its first run dies right after cdk deploy (the operator's laptop sleeps)
    w.badReleases.add('rb');
    w.checkout.templateVersion = 'v2';
    const interrupted = flowDeps(w);
    Object.assign(interrupted.deps, { clock: clockFrom(second + 100) });
    const run = interrupted.runner.run.bind(interrupted.runner);
    interrupted.runner.run = async (command, args, options) => {
      const result = await run(command, args, options);
      if (args[1] === 'deploy') throw new Error('interrupted');
      return result;
    };
    await expect(deploy(deployOptions(w, 'rb'), interrupted.deps)).rejects.toThrow('interrupted');
    expect((await serviceStack(w)).imageTag).toBe('rb');
    expect((await listReleases(emulator.clients.ssm, `/${w.appName}/releases`)).map((r) => `${r.release} ${r.outcome}`)).toEqual(['ra live', 'rb started']);

    // the rerun finds rb failing its gate: back to ra, not to rb, which "runs now"
    const { deps, text } = flowDeps(w);
    Object.assign(deps, { clock: clockFrom(second + 200) });
    const rerun = await deploy(deployOptions(w, 'rb'), deps);
    expect(rerun.ok).toBe(false);
    expect(rerun.summary, text()).toContain('rolled back to ra and its gate passed');
    expect(await serviceStack(w)).toEqual({ imageTag: 'ra', templateVersion: 'v1' });
    const outcomes = (await listReleases(emulator.clients.ssm, `/${w.appName}/releases`)).map((r) => `${r.release} ${r.kind} ${r.outcome}`);
    expect(outcomes).toEqual(['ra deploy replaced', 'rb deploy failed', 'rb deploy rolled-back', 'ra rollback live']);
  });

  it('a failed migration leaves the stack on the running release and records the attempt as failed', async () => {
    const w = await world('rel-c');
    await deployFrom(w, 'ra', 'v1');
    const { deps, runner } = flowDeps(w);
    runner.failingTags.add('rb');
    const result = await deploy(deployOptions(w, 'rb'), deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/^deploy of rb failed during the stack update/);
    expect(await serviceStack(w)).toEqual({ imageTag: 'ra', templateVersion: 'v1' });
    expect((await listReleases(emulator.clients.ssm, `/${w.appName}/releases`)).map((r) => `${r.release} ${r.outcome}`)).toEqual(['ra live', 'rb failed']);
  });
});
