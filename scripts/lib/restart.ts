/**
 * Replaces the api and web tasks on the running release, so they re-read their secrets (after a
 * rotation or a database cutover): the service stack gets a new RolloutId parameter through CDK,
 * so CloudFormation stays the source of truth and the next deploy keeps it.
 */
import { ROLLOUT_PARAMETER, stackNames } from '../../infra/outputs.ts';
import { cdkDiff, guardDiff, rollRelease, type RollDeps, type RollOutcome, type Timeouts } from './release-flow.ts';
import { assertStackIdle, currentImageTag } from './stacks.ts';
import { deployTargets } from './targets.ts';

export async function restartServices(
  deps: RollDeps,
  appName: string,
  timeouts: Timeouts,
  allowStatefulReplacement = false,
): Promise<{ release: string; rolloutId: string; outcome: RollOutcome }> {
  const release = await currentImageTag(deps.cfn, appName);
  if (!release) throw new Error(`the service stack of ${appName} is not deployed: nothing to restart`);
  await assertStackIdle(deps.cfn, stackNames(appName).service);
  const rolloutId = `restart-${new Date(deps.clock.now()).toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  const target = deployTargets(deps, appName).serviceOnly;
  const extra = { [ROLLOUT_PARAMETER]: rolloutId };
  const diff = await cdkDiff(deps, target, release, extra);
  guardDiff(diff, allowStatefulReplacement, deps.reporter);
  deps.reporter.line(`  restarting the api and web tasks on ${release} (${ROLLOUT_PARAMETER}=${rolloutId})`);
  const outcome = await rollRelease(deps, target, release, timeouts, extra);
  return { release, rolloutId, outcome };
}
