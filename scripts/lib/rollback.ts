/**
 * `npm run rollback [-- --to RELEASE]`: roll to the previous good (or the named) release from
 * the release history through the same CDK path as deploy, gate it, record it.
 */
import type { SlipwayConfig } from '../../infra/config.ts';
import type { CommandResult } from './cli.ts';
import { reportPhases, watchDeployments, watchTargetFor } from './deploy-phases.ts';
import { describeRunning } from './ecs.ts';
import { imageDigest } from './image.ts';
import { listReleases, liveRecord, liveRelease, markReplaced, migrationOf, neverServed, recordRelease, rollbackTarget } from './releases.ts';
import { gate, smokeOptionsFor } from './gate.ts';
import { cdkDiff, guardDiff, rollRelease, type ReleaseDeps, type Timeouts } from './release-flow.ts';
import { assertStackIdle, currentImageTag, StackOutputs } from './stacks.ts';
import { checkRollBack, keptNote, planRollBack, rollBack, type RollBackCheck } from './template-release.ts';
import { releaseHistoryPrefix, stackNames } from '../../infra/outputs.ts';
import { deployTargets } from './targets.ts';

export interface RollbackOptions {
  readonly config: SlipwayConfig;
  readonly to?: string;
  readonly dryRun: boolean;
  readonly allowStatefulReplacement: boolean;
  readonly smokeToken?: string;
  readonly timeouts: Timeouts;
}

/** `--list`: the release history, newest first, marking the running release. */
export async function listHistory(o: Pick<RollbackOptions, 'config'>, deps: Pick<ReleaseDeps, 'cfn' | 'ssm' | 'reporter'>): Promise<CommandResult> {
  const prefix = releaseHistoryPrefix(o.config.appName);
  const current = await currentImageTag(deps.cfn, o.config.appName);
  const history = await listReleases(deps.ssm, prefix, (name, reason) => deps.reporter.step('warn', 'unreadable release record', `${name}: ${reason}`));
  const rows = [...history].reverse();
  const live = liveRecord(history);
  deps.reporter.line(`Release history under ${prefix} (newest first; * = serving now):`);
  if (live && current && live.release !== current) {
    deps.reporter.step('warn', 'history', `the history says ${live.release} serves, but the service stack runs ${current}`, 'someone deployed outside npm run deploy; npm run rollback goes from what the stack runs');
  }
  for (const r of rows) {
    const mark = r === live ? '*' : ' ';
    const back = r.rolledBackTo ? ` -> ${r.rolledBackTo}` : '';
    deps.reporter.line(`${mark} ${r.startedAt.slice(0, 19)}Z  ${r.release.padEnd(14)} ${r.kind.padEnd(8)} ${r.outcome.padEnd(11)} smoke ${r.smoke.padEnd(7)} migration ${r.migration ?? '-'}  ${r.durationSeconds}s${back}`);
  }
  const next = rollbackTarget(history, current);
  return {
    ok: true,
    summary: `${history.length} record(s); running ${current ?? 'nothing'}; npm run rollback would go to ${next ?? '(nothing recorded)'}`,
    document: { running: current ?? null, live: live?.release ?? null, rollbackTarget: next ?? null, releases: rows },
  };
}

export async function rollback(o: RollbackOptions, deps: ReleaseDeps): Promise<CommandResult> {
  const { reporter, clock, cfn } = deps;
  const { config } = o;
  const prefix = releaseHistoryPrefix(config.appName);
  const startedAt = clock.now();

  await assertStackIdle(cfn, stackNames(config.appName).service);
  const current = await currentImageTag(cfn, config.appName);
  if (!current) throw new Error(`the service stack of ${config.appName} is not deployed: nothing to roll back`);
  const history = await listReleases(deps.ssm, prefix, (name, reason) => reporter.step('warn', 'unreadable release record', `${name}: ${reason}`));
  reporter.step('info', 'running now', `release ${current}; ${history.length} record(s) under ${prefix}`);

  let target: string;
  if (o.to) {
    target = o.to;
    const known = history.find((r) => r.release === o.to);
    if (!known) reporter.step('warn', 'history', `${o.to} is not in the release history; rolling to it anyway because it was named`);
  } else {
    const found = rollbackTarget(history, current);
    if (!found) throw new Error(`no release served before ${current} in the history under ${prefix}. Fix: name one with --to RELEASE (npm run rollback -- --list shows them)`);
    target = found;
    const live = liveRelease(history);
    if (live !== current) reporter.step('warn', 'history', `the history says ${live ?? 'nothing'} serves, but the service stack runs ${current}; rolling back from what runs`);
  }
  if (target === current) {
    return { ok: true, summary: `${current} is already the running release; nothing to do`, document: { release: current, changed: false } };
  }

  const outputs = new StackOutputs(cfn, config.appName);
  const repositoryName = await outputs.get('repositoryName');
  const digest = await imageDigest(deps.ecr, repositoryName, target);
  if (!digest) throw new Error(`no image tagged ${target} in ECR repository ${repositoryName} (expired by the lifecycle rule?). Fix: pick another release with --to`);
  reporter.step('pass', 'image', `${target} is in ECR (${digest})`);

  const targets = deployTargets(deps, config.appName);
  reporter.line(`Plan: roll ${config.appName} from ${current} back to ${target} (service stack only), then smoke-gate it`);
  const stored = planRollBack(deps, history, target);
  // The same check before a dry run as before the real one: a dry run that passes means the rollback will not be refused.
  let checked: RollBackCheck | undefined;
  if (stored) {
    // What a release that never served added may go with it (a deploy whose automatic rollback did not happen).
    checked = await checkRollBack(deps, targets.serviceOnly.serviceStack, target, stored, { allowStateful: o.allowStatefulReplacement, leavingNeverServed: neverServed(history, current) ? current : undefined });
  } else {
    const diff = await cdkDiff(deps, targets.serviceOnly, target);
    reporter.line(diff.output.trim());
    guardDiff(diff, o.allowStatefulReplacement, reporter);
  }
  const doc: Record<string, unknown> = { release: target, previousRelease: current, imageDigest: digest, dryRun: o.dryRun, serviceTemplate: stored ?? null, imageOnly: !stored };
  if (checked?.left.length) doc.leftByRollback = checked.left;
  if (o.dryRun) return { ok: true, summary: `dry run: would roll back from ${current} to ${target}${stored ? ' with its service template' : ' (image only: no template kept)'}; nothing was changed`, document: doc };

  // Blue/green: the rollback is a release of the older image, with the same phases as a deploy.
  const rollStarted = clock.now();
  const { result: back, phases } = await watchDeployments(deps, await watchTargetFor(outputs, config), rollStarted, () =>
    rollBack(deps, targets.serviceOnly, target, stored, o.timeouts, checked ?? { allowStateful: o.allowStatefulReplacement }, () => rollRelease(deps, targets.serviceOnly, target, o.timeouts)),
  );
  reportPhases(reporter, phases);
  const { outcome: rolled, left } = back;
  if (left.length) doc.leftByRollback = left;
  if (phases.length) doc.phases = phases;
  doc.runningNow = rolled.running;
  const base = { release: target, kind: 'rollback' as const, imageDigest: digest, previousRelease: current, startedAt: new Date(startedAt).toISOString(), serviceTemplate: stored, ...(phases.length ? { phases } : {}) };
  const finish = () => ({ finishedAt: new Date(clock.now()).toISOString(), durationSeconds: Math.round((clock.now() - startedAt) / 1000) });
  if (!rolled.ok) {
    await recordRelease(deps.ssm, prefix, { ...base, ...finish(), outcome: 'failed', smoke: 'not-run', smokeFailures: [], note: rolled.reason });
    return { ok: false, summary: `rollback to ${target} failed (${rolled.reason}); running now: ${describeRunning(rolled.running) || current}`, document: doc };
  }
  const report = await gate(deps, await smokeOptionsFor(outputs, deps, config, target, o.timeouts.smokeMs, o.smokeToken));
  doc.smoke = report;
  const name = await recordRelease(deps.ssm, prefix, {
    ...base,
    ...finish(),
    outcome: report.ok ? 'live' : 'failed',
    smoke: report.ok ? 'passed' : 'failed',
    smokeFailures: [...report.failed],
    migration: migrationOf(report.version),
  });
  reporter.step('pass', 'release recorded', name);
  if (report.ok) await markReplaced(deps.ssm, prefix, history, base);
  const kept = keptNote(left);
  return report.ok
    ? { ok: true, summary: `rolled back to ${target}; smoke gate passed${kept}; running now: ${describeRunning(rolled.running)}`, document: doc }
    : { ok: false, summary: `rolled back to ${target} but the smoke gate failed (${report.failed.join('; ')})${kept}; running now: ${describeRunning(rolled.running)}`, document: doc };
}
