/**
 * The operator CLIs end to end against the AWS API emulator: `npm run deploy | rollback |
 * restore-drill -- --json` as child processes (support/emulator/cli.ts), their SDK calls real
 * HTTP to moto, git, docker and `cdk` the emulator runner's stand-ins. The flows' own emulator
 * tests (release-emulator, restore-drill-emulator) cover each path; these prove the entry points,
 * flags, exit codes and JSON documents on top of them. One emulator for the file.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_TAG_PARAMETER, stackNames } from '../../infra/outputs.ts';
import { listReleases } from '../lib/releases.ts';
import { runDrill } from '../lib/restore/drill.ts';
import { runCli, startToolBridge, type ToolBridge } from './support/emulator/cli.ts';
import { emulatorRunner } from './support/emulator/cdk.ts';
import { startEmulator, type Emulator } from './support/emulator/emulator.ts';
import { flowDeps } from './support/emulator/flow.ts';
import { buildWorld, worldSettingsEnv, type World } from './support/emulator/world.ts';

let emulator: Emulator;
let release: World;
let drill: World;
/** The tools of whichever world a test runs a CLI in. */
let current: World;
let tools: ToolBridge;
beforeAll(async () => {
  emulator = await startEmulator();
  release = await buildWorld(emulator, { appName: 'cli-rel' });
  drill = await buildWorld(emulator, { appName: 'cli-drill' });
  await release.pushImage('ra');
  let runner = emulatorRunner(release);
  let runnerOf = release;
  tools = await startToolBridge(() => {
    if (runnerOf !== current) [runner, runnerOf] = [emulatorRunner(current), current];
    return runner;
  });
}, 240_000);
afterAll(async () => {
  await tools?.close();
  for (const w of [release, drill]) await w?.app.close();
  await emulator?.stop();
});

const FAST = ['--smoke-timeout', '30', '--stable-timeout', '120'];
function cli(w: World, name: string, args: string[]) {
  current = w;
  return runCli(name, args, { endpoint: emulator.endpoint, settings: worldSettingsEnv(w.appName), tools });
}
const imageTag = async (w: World) =>
  (await emulator.clients.cfn.send(new DescribeStacksCommand({ StackName: stackNames(w.appName).service }))).Stacks![0]!.Parameters!.find((p) => p.ParameterKey === IMAGE_TAG_PARAMETER)!.ParameterValue;
const outcomes = async (w: World) => (await listReleases(emulator.clients.ssm, `/${w.appName}/releases`)).map((r) => `${r.release} ${r.kind} ${r.outcome}`);

describe('the operator CLIs against the emulator', { timeout: 300_000 }, () => {
  it('npm run deploy -- --release TAG --json: exit 0, the release live and recorded', async () => {
    const run = await cli(release, 'deploy', ['--release', 'ra', ...FAST]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ ok: true, release: 'ra', summary: expect.stringMatching(/^ra is live: smoke gate passed/) });
    expect(await imageTag(release)).toBe('ra');
    expect(release.app.behaviour.release).toBe('ra');
    expect(run.stderr.trim().split('\n').pop()).toMatch(/^✓ deploy: ra is live/);
  });

  it('npm run deploy -- --json builds the commit, pushes it to ECR and rolls it', async () => {
    const run = await cli(release, 'deploy', FAST);
    expect(run.exitCode, run.stderr).toBe(0);
    // the emulator runner's git answers commit c0ffee00…: the tag is its first 12 characters
    expect(run.json).toMatchObject({ ok: true, release: 'c0ffee00c0ff', previousRelease: 'ra' });
    const images = await emulator.clients.ecr.send(new DescribeImagesCommand({ repositoryName: release.repositoryName, imageIds: [{ imageTag: 'c0ffee00c0ff' }] }));
    expect(images.imageDetails).toHaveLength(1);
    expect(await imageTag(release)).toBe('c0ffee00c0ff');
    expect(await outcomes(release)).toEqual(['ra deploy replaced', 'c0ffee00c0ff deploy live']);
  });

  it('npm run rollback -- --json goes back to the release before, and --list --json shows it live', async () => {
    const run = await cli(release, 'rollback', FAST);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ ok: true, summary: expect.stringMatching(/^rolled back to ra; smoke gate passed/) });
    expect(await imageTag(release)).toBe('ra');
    const list = await cli(release, 'rollback', ['--list']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.json).toMatchObject({ ok: true, running: 'ra', live: 'ra' });
  });

  it('npm run deploy -- --release with no such image: exit 1, the reason and its fix in the document', async () => {
    const run = await cli(release, 'deploy', ['--release', 'nothere', ...FAST]);
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({
      ok: false,
      error: `--release nothere: no image with that tag in ECR repository ${release.repositoryName}. Fix: push it first, or deploy from the work tree without --release`,
      fix: 'push it first, or deploy from the work tree without --release',
    });
    expect(await imageTag(release)).toBe('ra');
  });

  it('npm run deploy with a bad flag: exit 2 and the flag named in the document', async () => {
    const run = await cli(release, 'deploy', ['--smoke-timeout', 'soon']);
    expect(run.exitCode).toBe(2);
    expect(run.json).toMatchObject({ ok: false, error: expect.stringContaining('--smoke-timeout') });
  });

  it('npm run restore-drill -- --dry-run --json restores nothing and says what it would', async () => {
    const run = await cli(drill, 'restore-drill', ['--dry-run']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json.summary).toMatch(new RegExp(`^dry run: would restore ${drill.sourceId} as cli-drill-restore-\\d{14}-[a-z0-9]{4}; nothing was changed$`));
    expect(await drillInstances()).toEqual([drill.sourceId]);
  });

  it('npm run restore-drill -- --json restores, validates with the app\'s commands, reports and deletes the copy', async () => {
    await drill.seed({ issues: 12 });
    const run = await cli(drill, 'restore-drill', FAST);
    expect(run.exitCode, run.stderr).toBe(0);
    const report = (run.json as { report: { validation: string; restoredInstance: string; rows: Array<{ table: string; source: number; restored: number }> } }).report;
    expect(report.validation).toBe('passed');
    expect(report.rows.find((r) => r.table === 'issues')).toMatchObject({ source: 12, restored: 12 });
    expect(await drillInstances()).toEqual([drill.sourceId]);
  });

  it('npm run restore-drill -- --cleanup --json deletes a kept drill copy, never the source', async () => {
    const kept = await runDrill({ config: drill.config, multiAz: false, keep: true, cutover: false, skipRowCounts: true, maxRowDrift: 100, dryRun: false, timeouts: { availableMs: 600_000, validateMs: 600_000, stableMs: 600_000, smokeMs: 30_000 } }, flowDeps(drill).deps);
    expect(kept.ok, kept.summary).toBe(true);
    const run = await cli(drill, 'restore-drill', ['--cleanup']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ ok: true, summary: 'deleted 1 drill instance(s)' });
    expect(await drillInstances()).toEqual([drill.sourceId]);
  });

  it('npm run restore-drill -- --cutover --json points the app at the copy; --rollback --json points it back', async () => {
    // The emulated api runs tasks, so writes after the restore point are given up on purpose.
    const cut = await cli(drill, 'restore-drill', ['--cutover', '--accept-newer-writes-lost', '--skip-row-counts', ...FAST]);
    expect(cut.exitCode, cut.stderr).toBe(0);
    const copy = (cut.json as { report: { restoredInstance: string } }).report.restoredInstance;
    expect((await dbSecret()).dbInstanceIdentifier).toBe(copy);
    const back = await cli(drill, 'restore-drill', ['--rollback', ...FAST]);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.json.ok).toBe(true);
    expect((await dbSecret()).dbInstanceIdentifier).toBe(drill.sourceId);
    expect((await drillInstances()).sort()).toEqual([copy, drill.sourceId].sort());
  });
});

const drillInstances = async () =>
  ((await emulator.clients.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map((i) => i.DBInstanceIdentifier!).filter((id) => id.startsWith('cli-drill-'));
const dbSecret = async () => JSON.parse((await emulator.clients.secrets.send(new GetSecretValueCommand({ SecretId: drill.dbSecretArn }))).SecretString!) as { dbInstanceIdentifier: string };
