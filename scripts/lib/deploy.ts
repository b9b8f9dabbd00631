/**
 * `npm run deploy`: build and push the image tagged with the commit, roll it through CDK
 * (migrate before roll), wait for stable services, smoke-gate the public URL; on a failed gate
 * roll back to the previous release the same way and gate again. Every attempt is recorded in
 * the SSM release history.
 */
import type { SlipwayConfig } from '../../infra/config.ts';
import { releaseHistoryPrefix, stackNames } from '../../infra/outputs.ts';
import { formatDuration, oneLine, type CommandResult } from './cli.ts';
import { guardBudget } from './cost/budget.ts';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { refusalOf, reportPhases, watchDeployments, watchTargetFor, type ServicePhases, type WatchTarget } from './deploy-phases.ts';
import { summarizeDeploy, type SummaryDeps } from './deploy-summary.ts';
import { describeRunning } from './ecs.ts';
import { gate, smokeOptionsFor } from './gate.ts';
import { buildAndPush, detectBuilder, gitState, imageDigest, platformOf, releaseTag, type Builder } from './image.ts';
import { distinctStart, listReleases, liveStack, markReplaced, migrationOf, recordRelease, type ReleaseRecord, type StoredRelease } from './releases.ts';
import { cdkDiff, guardDiff, readRunning, rollRelease, type ReleaseDeps, type RollOutcome, type RollTarget, type Timeouts } from './release-flow.ts';
import { clearFailedCreates } from './failed-create.ts';
import { restartServices } from './restart.ts';
import { readCutover } from './restore/cutover-record.ts';
import { runOrThrow } from './runner.ts';
import type { SmokeOptions, SmokeReport } from './smoke.ts';
import { assertStackIdle, currentImageTag, StackOutputs } from './stacks.ts';
import { deployTargets } from './targets.ts';
import { keptNote, planRollBack, rollBack, storeServiceTemplate, type RollBack, type StoredTemplate } from './template-release.ts';

export interface DeployOptions {
  readonly config: SlipwayConfig;
  readonly dryRun: boolean;
  readonly allowDirty: boolean;
  readonly allowStatefulReplacement: boolean;
  /** Go ahead although the cost estimate is over COST_BUDGET_USD. @default false */
  readonly allowOverBudget?: boolean;
  /** Deploy this image tag, already in ECR, instead of building the work tree. */
  readonly release?: string;
  /** Personal access token for the gate's authenticated checks. */
  readonly smokeToken?: string;
  /** Roll back automatically when the gate fails. @default true */
  readonly autoRollback: boolean;
  readonly timeouts: Timeouts;
}

export type DeployDeps = ReleaseDeps & Omit<SummaryDeps, 'reporter'> & {
  /** Reads the green gate's verdicts. @default - a refusal is reported without its checks */
  readonly logs?: CloudWatchLogsClient;
};

interface Attempt {
  release: string;
  phases?: ReleaseRecord['phases'];
  kind: ReleaseRecord['kind'];
  startedAt: number;
  commit?: string;
  imageDigest?: string;
  previousRelease?: string;
}

function record(deps: DeployDeps, prefix: string, a: Attempt, fields: Pick<ReleaseRecord, 'outcome' | 'smoke'> & Partial<ReleaseRecord>, report?: SmokeReport) {
  const finished = deps.clock.now();
  const rec: ReleaseRecord = {
    release: a.release,
    kind: a.kind,
    commit: a.commit,
    imageDigest: a.imageDigest,
    previousRelease: a.previousRelease,
    startedAt: new Date(a.startedAt).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationSeconds: Math.round((finished - a.startedAt) / 1000),
    migration: migrationOf(report?.version),
    smokeFailures: report ? [...report.failed] : [],
    ...(a.phases ? { phases: a.phases } : {}),
    ...fields,
  };
  return recordRelease(deps.ssm, prefix, rec).then((name) => {
    deps.reporter.step('pass', 'release recorded', `${name} (${rec.outcome})`);
    return name;
  });
}

/** The release a failed gate rolls back to: the newest that served other than `tag`. */
export function previousRelease(history: readonly ReleaseRecord[], running: string | undefined, tag: string): string | undefined {
  const served = liveStack(history).filter((r) => r !== tag);
  if (served.length) return served.at(-1);
  // No history yet (stacks deployed before the kit kept one): what runs, unless it is this.
  return running !== tag ? running : undefined;
}

/** The deployed service template, kept for rollbacks to this release; a failure to keep it is a warning. */
async function keepServiceTemplate(deps: DeployDeps, outputs: StackOutputs, stack: string, tag: string): Promise<ReleaseRecord['serviceTemplate']> {
  const bucket = await outputs.find('attachmentsBucketName');
  if (!bucket) return undefined;
  try {
    const stored = await storeServiceTemplate(deps, stack, bucket, tag);
    deps.reporter.step('pass', 'service template', `kept for rollbacks in s3://${stored.bucket}/${stored.key}`);
    return stored;
  } catch (error) {
    deps.reporter.step('warn', 'service template', `not kept (${oneLine(error)}): a rollback to ${tag} will roll back the image only`, 'grant s3:PutObject on the attachments bucket to the deploying role');
    return undefined;
  }
}

/** A `started` record left by a run that never finished: it did not serve. */
async function markInterrupted(deps: DeployDeps, prefix: string, history: readonly StoredRelease[]): Promise<void> {
  for (const r of history.filter((h) => h.outcome === 'started')) {
    const { parameterName, ...rec } = r;
    await recordRelease(deps.ssm, prefix, { ...rec, outcome: 'failed', note: 'interrupted: the run that started it did not finish' });
    deps.reporter.step('warn', 'interrupted deploy', `${parameterName} never finished; recorded as failed`);
  }
}

export async function deploy(o: DeployOptions, deps: DeployDeps): Promise<CommandResult> {
  const { reporter, clock, runner } = deps;
  const { config } = o;
  const names = stackNames(config.appName);
  const prefix = releaseHistoryPrefix(config.appName);
  let startedAt = clock.now();
  const doc: Record<string, unknown> = { dryRun: o.dryRun };

  // 1. Preconditions: what are we deploying, from where, over what.
  let commit: string | undefined;
  let tag: string;
  if (o.release) {
    tag = o.release;
    reporter.step('pass', 'release', `${tag} (an image already pushed; no build)`);
  } else {
    const git = await gitState(runner);
    commit = git.commit;
    if (git.dirty && !o.allowDirty) {
      throw new Error('the work tree has uncommitted changes, so the image would not match any commit. Fix: commit or stash them, or pass --allow-dirty');
    }
    tag = releaseTag(git, new Date(clock.now()));
    reporter.step(git.dirty ? 'warn' : 'pass', 'release', `${tag} from commit ${git.commit}${git.dirty ? ' with uncommitted changes (--allow-dirty)' : ''}`);
  }
  doc.release = tag;
  await assertStackIdle(deps.cfn, names.service);
  doc.failedCreatesCleared = await clearFailedCreates(deps, { appName: config.appName, region: config.region, dryRun: o.dryRun, timeoutMs: o.timeouts.deployMs });
  const running = await currentImageTag(deps.cfn, config.appName);
  const history = await listReleases(deps.ssm, prefix, (name, reason) => reporter.step('warn', 'unreadable release record', `${name}: ${reason}`));
  startedAt = distinctStart(history, prefix, tag, startedAt);
  // Where a failed gate comes back to: what served last by the history, never this release
  // (an interrupted deploy may already have set the stack to it).
  const previous = previousRelease(history, running, tag);
  doc.previousRelease = previous ?? null;
  reporter.step('info', 'running now', running ? `release ${running}${previous && previous !== running ? `; the last release that served is ${previous}` : ''}` : 'nothing: this is the first deploy');

  let outputs = new StackOutputs(deps.cfn, config.appName);
  const allTargets = deployTargets(deps, config.appName);
  const cutover = await readCutover(deps.ssm, config.appName);
  const releaseTarget = cutover ? allTargets.allButData : allTargets.all;
  if (cutover) {
    reporter.step('warn', 'cutover active', `the app uses ${cutover.restoredInstance} (drill ${cutover.drillId}): the data stack is left out of this deploy, because updating it can point the database secret back at ${cutover.previousInstance ?? 'the original instance'}`, 'data stack changes wait until the cutover ends (npm run restore-drill -- --rollback; see runbooks/point-in-time-restore.md)');
    doc.dataStackSkipped = `cutover to ${cutover.restoredInstance} active`;
  }
  const targets = { ...allTargets, all: releaseTarget };

  // 2. The plan.
  reporter.line('');
  reporter.line(`Plan: deploy ${tag} to ${config.appName} in ${config.account}/${config.region} (${config.profile})`);
  reporter.line(`  1. ${o.release ? 'use the image already in ECR' : `build the image for ${platformOf(config.services.cpuArchitecture)} and push it to ECR`}`);
  reporter.line(`  2. cdk deploy ${cutover ? `${releaseTarget.stacks.join(' ')} --exclusively (not ${names.data}: cutover active)` : '--all'} with ${names.service}:ImageTag=${tag} (migrate up runs before the services roll)`);
  reporter.line('  3. wait for the api and web services to be stable');
  reporter.line(`  4. smoke gate ${config.appUrl} expecting release ${tag}`);
  reporter.line(`  5. ${o.autoRollback && previous ? `if the gate fails: roll back to ${previous} and gate again` : 'if the gate fails: stop (no automatic rollback)'}`);
  reporter.line('');

  const diff = await cdkDiff(deps, targets.all, tag);
  reporter.line(diff.output.trim());
  doc.diff = { changes: diff.changes, risks: diff.risks };
  guardDiff(diff, o.allowStatefulReplacement, reporter);
  doc.costBudget = (await guardBudget(config, runner, Boolean(o.allowOverBudget), reporter)) ?? null;

  if (o.dryRun) {
    return { ok: true, summary: `dry run: would deploy ${tag} over ${previous ?? 'nothing'} with ${diff.changes.length} resource change(s); nothing was changed`, document: doc };
  }

  // 3. The image.
  let repositoryName = await outputs.find('repositoryName');
  let repositoryUri = await outputs.find('repositoryUri');
  if (!repositoryName || !repositoryUri) {
    reporter.line(`  the registry stack ${names.registry} is not deployed yet: deploying it first so the image has somewhere to go`);
    await runOrThrow(runner, 'npx', ['cdk', 'deploy', names.registry, '--exclusively', '--require-approval', 'never', '--no-color'], {
      timeoutMs: o.timeouts.deployMs,
      stream: { write: (t) => reporter.line(t.replace(/\n$/, '')) },
    });
    outputs = new StackOutputs(deps.cfn, config.appName);
    repositoryName = await outputs.get('repositoryName');
    repositoryUri = await outputs.get('repositoryUri');
  }
  let digest: string;
  if (o.release) {
    const found = await imageDigest(deps.ecr, repositoryName, tag);
    if (!found) throw new Error(`--release ${tag}: no image with that tag in ECR repository ${repositoryName}. Fix: push it first, or deploy from the work tree without --release`);
    digest = found;
  } else {
    const builder: Builder | undefined = await detectBuilder(runner);
    if (!builder) throw new Error('no container build tool: install docker (with a running engine), podman or buildah');
    ({ digest } = await buildAndPush({
      ecr: deps.ecr, runner, builder, repositoryName, repositoryUri, tag, commit: commit ?? tag,
      platform: platformOf(config.services.cpuArchitecture), log: (l) => reporter.line(l),
    }));
  }
  reporter.step('pass', 'image', `${repositoryUri}:${tag} ${digest}`);
  doc.imageDigest = digest;
  const attempt: Attempt = { release: tag, kind: 'deploy', startedAt, commit, imageDigest: digest, previousRelease: previous };
  await markInterrupted(deps, prefix, history);
  // Recorded first, so an interrupted run leaves a trace; the final record overwrites it.
  await record(deps, prefix, attempt, { outcome: 'started', smoke: 'not-run' });

  // 4. Roll through CDK; blue/green: time each phase as ECS reports it.
  const rollStarted = clock.now();
  const { result: rolled, phases } = await watchDeployments(deps, await watchTargetFor(outputs, config), rollStarted, () => rollRelease(deps, targets.all, tag, o.timeouts));
  reportPhases(reporter, phases);
  doc.phases = phases;
  if (phases.length > 0) attempt.phases = phases;
  outputs = new StackOutputs(deps.cfn, config.appName);
  const refusal = rolled.ok ? undefined : await refusalOf(deps, outputs, phases, rollStarted);
  if (refusal) {
    doc.runningNow = rolled.running;
    doc.refused = refusal.failed;
    reporter.step('fail', 'green gate', refusal.summary);
    await record(deps, prefix, attempt, { outcome: 'failed', smoke: 'failed', smokeFailures: [...refusal.failed], note: 'refused by the green gate: production never saw it' });
    return {
      ok: false,
      summary: `${tag} was refused: ${refusal.summary}; production never saw ${tag}; running now: ${describeRunning(rolled.running) || previous || 'nothing'}`,
      document: doc,
    };
  }
  if (!rolled.ok && rolled.stage !== 'services') {
    doc.runningNow = rolled.running;
    await record(deps, prefix, attempt, { outcome: 'failed', smoke: 'not-run', note: rolled.reason });
    // Only a stack that went back says the previous release is kept; a stuck or unsettled one says what to do.
    const where = {
      'stack-update': `failed during the stack update (${rolled.reason}); CloudFormation kept the previous release`,
      'stack-stuck': `failed during the stack update: ${rolled.reason}`,
      'stack-unsettled': `did not finish: ${rolled.reason}`,
    }[rolled.stage];
    return { ok: false, summary: `deploy of ${tag} ${where}; running now: ${describeRunning(rolled.running) || previous || 'nothing'}`, document: doc };
  }

  // 5. The gate.
  const smokeOptions = await smokeOptionsFor(outputs, deps, config, tag, o.timeouts.smokeMs, o.smokeToken);
  const report: SmokeReport | undefined = rolled.ok ? await gate(deps, smokeOptions) : undefined;
  doc.smoke = report ?? null;
  if (rolled.ok && report?.ok) {
    doc.runningNow = rolled.running;
    const serviceTemplate = await keepServiceTemplate(deps, outputs, names.service, tag);
    const unfinished = rolled.unfinished ? `cdk deploy did not finish: ${rolled.unfinished}` : undefined;
    await record(deps, prefix, attempt, { outcome: 'live', smoke: 'passed', serviceTemplate, ...(unfinished ? { note: unfinished } : {}) }, report);
    await markReplaced(deps.ssm, prefix, history, { release: tag, startedAt: new Date(startedAt).toISOString() });
    doc.nextSteps = (await summarizeDeploy(config, outputs, tag, o.smokeToken, deps)).nextSteps;
    const live = `${tag} is live: smoke gate passed in ${formatDuration(clock.now() - startedAt)} (migration ${migrationOf(report.version) ?? 'unknown'})`;
    if (unfinished) {
      // The release serves, gated; the stacks deployed after the service stack may not be up to date.
      doc.unfinished = rolled.unfinished;
      return { ok: false, summary: `${live}, but ${unfinished}; the stacks after ${names.service} may be behind: fix that and run npm run deploy again`, document: doc };
    }
    return { ok: true, summary: live, document: doc };
  }
  const whatFailed = report
    ? `failed the smoke gate (${report.failed.join('; ')})`
    : `did not become stable (${(rolled as { reason: string }).reason})`;

  // 6. Automatic rollback.
  if (!o.autoRollback || !previous) {
    const running = rolled.running;
    doc.runningNow = running;
    await record(deps, prefix, attempt, { outcome: 'failed', smoke: report ? 'failed' : 'not-run', note: previous ? 'automatic rollback disabled' : 'nothing served before this release' }, report);
    return { ok: false, summary: `${tag} ${whatFailed}; not rolled back (${previous ? '--no-rollback' : 'no earlier release served'}); running now: ${describeRunning(running)}`, document: doc };
  }
  reporter.line('');
  reporter.line(`Rolling back to ${previous} because the gate failed for ${tag}`);
  const rollbackStarted = clock.now();
  const stored = planRollBack(deps, history, previous);
  const { back, left, backReport, phases: backPhases } = await rollBackAfterFailedGate(deps, { ...o, previous, tag, stored, smokeOptions, target: targets.serviceOnly, watch: await watchTargetFor(outputs, config) });
  if (backPhases.length) doc.rollbackPhases = backPhases;
  doc.rolledBackTo = previous;
  doc.rollbackSmoke = backReport ?? null;
  doc.runningNow = back.running;
  if (left.length) doc.leftByRollback = left;
  await record(
    deps,
    prefix,
    attempt,
    back.ok
      ? { outcome: 'rolled-back', smoke: report ? 'failed' : 'not-run', rolledBackTo: previous, note: report ? undefined : whatFailed }
      : { outcome: 'failed', smoke: report ? 'failed' : 'not-run', note: `the automatic rollback to ${previous} failed: ${back.reason}` },
    report,
  );
  await record(
    deps,
    prefix,
    { release: previous, kind: 'rollback', startedAt: rollbackStarted, previousRelease: tag, ...(backPhases.length ? { phases: backPhases } : {}) },
    { serviceTemplate: stored, outcome: back.ok && backReport?.ok ? 'live' : 'failed', smoke: backReport ? (backReport.ok ? 'passed' : 'failed') : 'not-run', note: `automatic rollback after ${tag} failed the gate` },
    backReport,
  );
  if (back.ok && backReport?.ok) await markReplaced(deps.ssm, prefix, history, { release: previous, startedAt: new Date(rollbackStarted).toISOString() });
  const after = back.ok
    ? backReport?.ok
      ? `rolled back to ${previous} and its gate passed`
      : `rolled back to ${previous} but its gate failed too (${backReport?.failed.join('; ')})`
    : `the rollback to ${previous} failed too (${back.reason})`;
  return { ok: false, summary: `${tag} ${whatFailed}; ${after}${keptNote(left)}; running now: ${describeRunning(back.running) || 'unknown (the services could not be read)'}`, document: doc };
}

/**
 * The automatic rollback and its gate. Never throws: whatever stops it (a refused template
 * change, an unreadable kept template) is its outcome, so the deploy records the attempt and
 * says what runs instead of leaving it `started`.
 */
async function rollBackAfterFailedGate(
  deps: DeployDeps,
  a: Pick<DeployOptions, 'timeouts' | 'allowStatefulReplacement'> & { previous: string; tag: string; stored: StoredTemplate | undefined; smokeOptions: SmokeOptions; target: RollTarget; watch?: WatchTarget },
): Promise<{ back: RollOutcome; left: RollBack['left']; backReport?: SmokeReport; phases: ServicePhases[] }> {
  try {
    // The failed release never served: what it added to the service stack may go with it.
    const safety = { allowStateful: a.allowStatefulReplacement, leavingNeverServed: a.tag };
    // Blue/green: the rollback is a release of the older image, timed phase by phase as a deploy is.
    const { result, phases } = await watchDeployments(deps, a.watch, deps.clock.now(), () =>
      rollBack(deps, a.target, a.previous, a.stored, a.timeouts, safety, () => rollRelease(deps, a.target, a.previous, a.timeouts)),
    );
    reportPhases(deps.reporter, phases);
    const backReport = result.outcome.ok ? await gate(deps, { ...a.smokeOptions, expectRelease: a.previous }) : undefined;
    return { back: result.outcome, left: result.left, backReport, phases };
  } catch (error) {
    deps.reporter.step('fail', `rollback to ${a.previous}`, oneLine(error));
    return { back: { ok: false, stage: 'stack-update', reason: oneLine(error), running: await readRunning(deps, a.target) }, left: [], phases: [] };
  }
}

/** `npm run deploy -- --restart`: restart on the running release, then gate it. */
export async function restart(o: Pick<DeployOptions, 'config' | 'timeouts' | 'smokeToken' | 'allowStatefulReplacement'>, deps: DeployDeps): Promise<CommandResult> {
  const { release, rolloutId, outcome } = await restartServices(deps, o.config.appName, o.timeouts, o.allowStatefulReplacement);
  const doc: Record<string, unknown> = { release, rolloutId, runningNow: outcome.running };
  if (!outcome.ok) return { ok: false, summary: `restart on ${release} failed (${outcome.reason}); running now: ${describeRunning(outcome.running)}`, document: doc };
  const outputs = new StackOutputs(deps.cfn, o.config.appName);
  const report = await gate(deps, await smokeOptionsFor(outputs, deps, o.config, release, o.timeouts.smokeMs, o.smokeToken));
  doc.smoke = report;
  return report.ok
    ? { ok: true, summary: `restarted the services on ${release}; smoke gate passed`, document: doc }
    : { ok: false, summary: `restarted the services on ${release} but the smoke gate failed (${report.failed.join('; ')})`, document: doc };
}
