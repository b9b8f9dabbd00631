/**
 * Rolling a release through CDK, so CloudFormation stays the source of truth: the image tag
 * is the service stack's ImageTag parameter; the stack's migrate-before-roll resource runs
 * `migrate up` with the new image before the services change, and a failed migration fails
 * the update, leaving the services on the old release. Deploy, its automatic rollback and
 * `npm run rollback` all go through rollRelease().
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { IMAGE_TAG_PARAMETER } from '../../infra/outputs.ts';
import { formatDuration, type Reporter } from './cli.ts';
import { assemblyTemplates, describeRisk, guardDeployment, type DiffChange } from './diff-guard.ts';
import { describeRunning, runningReleases, waitServicesStable, type RunningRelease, type ServiceRef } from './ecs.ts';
import type { CommandRunner } from './runner.ts';
import { describeStack, stackFailureReason, stuckStackReason } from './stacks.ts';
import { waitFor, WaitTimeoutError } from './wait.ts';
import type { GateDeps } from './gate.ts';

export interface RollDeps extends GateDeps {
  readonly cfn: CloudFormationClient;
  readonly ecs: ECSClient;
  readonly runner: CommandRunner;
  /** The cloud assembly `cdk diff` synthesizes into, which the stateful guard reads. @default 'cdk.out' */
  readonly assemblyDir?: string;
}

/** What deploy, rollback and restart need: rolling, the release history, images and secrets. */
export interface ReleaseDeps extends RollDeps {
  readonly ecr: ECRClient;
  /** The attachments bucket keeps each release's service template. */
  readonly s3: S3Client;
  readonly ssm: SSMClient;
  readonly secrets: SecretsManagerClient;
}

export interface RollTarget {
  /** CDK stack selectors to deploy; with `exclusively`, only these. */
  readonly stacks: readonly string[];
  readonly exclusively: boolean;
  /** CloudFormation name of the service stack (owner of the ImageTag parameter). */
  readonly serviceStack: string;
  /** Stacks whose events explain a failure, service first. */
  readonly stackNames: readonly string[];
  /** Read after the stack update, so a first deploy finds its new services. */
  readonly services: () => Promise<ServiceRef>;
}

export interface Timeouts {
  readonly deployMs: number;
  readonly stableMs: number;
  readonly smokeMs: number;
}

/** Extra service-stack parameters, e.g. a new RolloutId to restart the tasks. */
export type StackParameters = Readonly<Record<string, string>>;

export function cdkParameterArgs(serviceStack: string, tag: string, extra: StackParameters = {}): string[] {
  return Object.entries({ [IMAGE_TAG_PARAMETER]: tag, ...extra }).flatMap(([key, value]) => ['--parameters', `${serviceStack}:${key}=${value}`]);
}

export interface DiffResult {
  readonly output: string;
  readonly changes: readonly DiffChange[];
  readonly risks: readonly DiffChange[];
}

/**
 * `cdk diff` for the release (shown to the operator), then the stateful guard: the templates it
 * synthesized against the ones CloudFormation holds (diff-guard.ts), never the diff text.
 */
export async function cdkDiff(deps: Pick<RollDeps, 'runner' | 'cfn' | 'assemblyDir'>, target: RollTarget, tag: string, extra: StackParameters = {}): Promise<DiffResult> {
  // `cdk diff` has no --all: no stack names means every stack.
  const stacks = target.stacks.filter((s) => s !== '--all');
  const args = ['cdk', 'diff', ...stacks, ...(target.exclusively ? ['--exclusively'] : []), ...cdkParameterArgs(target.serviceStack, tag, extra), '--no-color'];
  const result = await deps.runner.run('npx', args, { timeoutMs: 15 * 60_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  // cdk diff exits 1 only with --fail; anything else non-zero means it could not diff.
  if (result.exitCode !== 0) {
    const tail = output.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`cdk diff failed (exit ${result.exitCode}): ${tail}`);
  }
  const synthesized = assemblyTemplates(deps.assemblyDir ?? 'cdk.out');
  // With --exclusively only the named stacks deploy; otherwise CDK deploys their dependencies too.
  const deploying = target.exclusively ? Object.fromEntries(Object.entries(synthesized).filter(([name]) => stacks.includes(name))) : synthesized;
  const report = await guardDeployment(deps.cfn, deploying, Object.keys(synthesized));
  return { output, changes: report.changes, risks: report.risks };
}

export class StatefulChangeRefused extends Error {
  constructor(readonly risks: readonly DiffChange[]) {
    super(
      `refusing to deploy: ${risks.map(describeRisk).join('; ')}. Fix: change the code so the resource keeps its logical id and properties, or, if you really mean it and have a snapshot, pass --allow-stateful-replacement`,
    );
    this.name = 'StatefulChangeRefused';
  }
}

export function guardDiff(diff: DiffResult, allowStateful: boolean, reporter: Reporter): void {
  if (diff.risks.length === 0) {
    reporter.step('pass', 'stateful resources', `no database, cache, bucket or secret is replaced or deleted (${diff.changes.length} resource change(s))`);
    return;
  }
  for (const risk of diff.risks) reporter.step(allowStateful ? 'warn' : 'fail', 'stateful resource', describeRisk(risk));
  if (!allowStateful) throw new StatefulChangeRefused(diff.risks);
  reporter.step('warn', 'stateful resources', 'going ahead because --allow-stateful-replacement was given');
}

export type RollOutcome =
  | {
      readonly ok: true;
      readonly running: readonly RunningRelease[];
      /** cdk deploy failed although the service stack took the release (a later stack failed, or the CLI was stopped): why. */
      readonly unfinished?: string;
    }
  | {
      readonly ok: false;
      /**
       * stack-update: CloudFormation kept (or went back to) the previous release; stack-stuck: the
       * service stack is UPDATE_ROLLBACK_FAILED; stack-unsettled: it was still updating when the
       * wait ended; services: the stack took the release but the services did not settle.
       */
      readonly stage: 'stack-update' | 'stack-stuck' | 'stack-unsettled' | 'services';
      readonly reason: string;
      readonly running: readonly RunningRelease[];
    };

/** cdk deploy with the release's tag, then wait for the services to settle on it. */
export async function rollRelease(deps: RollDeps, target: RollTarget, tag: string, timeouts: Timeouts, extra: StackParameters = {}): Promise<RollOutcome> {
  const { reporter, clock } = deps;
  const started = clock.now();
  const args = [
    'cdk', 'deploy', ...target.stacks, ...(target.exclusively ? ['--exclusively'] : []),
    ...cdkParameterArgs(target.serviceStack, tag, extra),
    '--require-approval', 'never', '--progress', 'events', '--no-color',
  ];
  reporter.line(`  $ npx ${args.join(' ')}`);
  const result = await deps.runner.run('npx', args, { timeoutMs: timeouts.deployMs, stream: { write: (t) => reporter.line(t.replace(/\n$/, '')) } });
  if (result.exitCode !== 0) {
    const stopped = clock.now() - started >= timeouts.deployMs ? `cdk deploy was stopped after --deploy-timeout ${Math.round(timeouts.deployMs / 1000)} s` : `cdk deploy exited ${result.exitCode}`;
    return afterFailedDeploy(deps, target, tag, { ...extra, [IMAGE_TAG_PARAMETER]: tag }, started, stopped, timeouts);
  }
  reporter.step('pass', `stack update to ${tag}`, `migrations ran before the roll (${formatDuration(clock.now() - started)})`);
  return settleServices(deps, target, timeouts);
}

/** The first failure any of the target's stacks recorded since `started`, with the stack's name. */
async function firstFailure(deps: Pick<RollDeps, 'cfn'>, target: RollTarget, started: number): Promise<string | undefined> {
  for (const stack of target.stackNames) {
    const reason = await stackFailureReason(deps.cfn, stack, new Date(started)).catch(() => undefined);
    if (reason) return `${stack}: ${reason}`;
  }
  return undefined;
}

const SETTLED_UPDATE = new Set(['UPDATE_COMPLETE', 'CREATE_COMPLETE']);

/**
 * A non-zero exit of `cdk deploy` says nothing about where the service stack is: the CLI may
 * have been stopped by --deploy-timeout while CloudFormation carries on, a stack deployed after
 * it (observability) may have failed once it took the release, or CloudFormation may have been
 * unable to roll it back. So the stack is read back: still updating, wait (up to --deploy-timeout
 * again) for it to settle; settled on the parameters asked for, the release runs and is gated like
 * any other; UPDATE_ROLLBACK_FAILED, say how to free it; else CloudFormation kept the previous release.
 */
async function afterFailedDeploy(deps: RollDeps, target: RollTarget, tag: string, asked: StackParameters, started: number, stopped: string, timeouts: Timeouts): Promise<RollOutcome> {
  const { reporter, clock } = deps;
  const stack = target.serviceStack;
  let found = await describeStack(deps.cfn, stack).catch(() => undefined);
  if (found?.StackStatus?.endsWith('_IN_PROGRESS')) {
    reporter.step('warn', `stack update to ${tag}`, `${stopped}, but ${stack} is still ${found.StackStatus}: waiting for CloudFormation to finish`);
    try {
      found = await waitFor({
        what: `${stack} to finish updating`,
        timeoutMs: timeouts.deployMs,
        intervalMs: 15_000,
        clock,
        progress: (l) => reporter.line(l),
        poll: async () => {
          const now = await describeStack(deps.cfn, stack);
          const status = now?.StackStatus ?? 'UNKNOWN';
          return status.endsWith('_IN_PROGRESS') ? { state: 'pending', status } : { state: 'done', status, value: now };
        },
      });
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error;
      const reason = `${stopped}; ${stack} was still ${error.lastStatus} ${formatDuration(error.elapsedMs)} later, so it may yet finish on ${tag} ungated. Fix: wait until aws cloudformation describe-stacks --stack-name ${stack} shows it settled, then gate what it runs (npm run smoke -- --expect-release ${tag}) or roll back (npm run rollback)`;
      reporter.step('fail', `stack update to ${tag}`, reason);
      return { ok: false, stage: 'stack-unsettled', reason, running: await readRunning(deps, target) };
    }
  }
  const status = found?.StackStatus;
  const cause = await firstFailure(deps, target, started);
  if (status === 'UPDATE_ROLLBACK_FAILED') {
    const reason = `${cause ?? stopped}; then ${stuckStackReason(stack)}`;
    reporter.step('fail', `stack update to ${tag}`, reason);
    return { ok: false, stage: 'stack-stuck', reason, running: await readRunning(deps, target) };
  }
  const runs = (found?.Parameters ?? []).reduce<Record<string, string | undefined>>((m, p) => ({ ...m, [p.ParameterKey ?? '']: p.ParameterValue }), {});
  if (status && SETTLED_UPDATE.has(status) && Object.entries(asked).every(([k, v]) => runs[k] === v)) {
    const unfinished = cause ?? stopped;
    reporter.step('warn', `stack update to ${tag}`, `${stack} took ${tag} (${status}) although cdk deploy failed (${unfinished}): it is gated like any release`);
    const settled = await settleServices(deps, target, timeouts);
    return settled.ok ? { ...settled, unfinished } : settled;
  }
  const reason = cause ?? stopped;
  reporter.step('fail', `stack update to ${tag}`, reason);
  return { ok: false, stage: 'stack-update', reason, running: await readRunning(deps, target) };
}

/** What the services run now, for a summary; empty when they cannot be read (no services yet). */
export function readRunning(deps: Pick<RollDeps, 'ecs'>, target: Pick<RollTarget, 'services'>): Promise<RunningRelease[]> {
  return target.services().then((ref) => runningReleases(deps.ecs, ref)).catch(() => []);
}

/** After a stack update: wait for the services to settle, and say what they run. */
export async function settleServices(deps: RollDeps, target: RollTarget, timeouts: Pick<Timeouts, 'stableMs'>): Promise<RollOutcome> {
  const { reporter, clock } = deps;
  const services = await target.services();
  try {
    await waitServicesStable(deps.ecs, services, { timeoutMs: timeouts.stableMs, clock, progress: (l) => reporter.line(l) });
  } catch (error) {
    const running = await runningReleases(deps.ecs, services).catch(() => []);
    reporter.step('fail', 'services stable', (error as Error).message);
    return { ok: false, stage: 'services', reason: (error as Error).message, running };
  }
  const running = await runningReleases(deps.ecs, services);
  reporter.step('pass', 'services stable', describeRunning(running));
  return { ok: true, running };
}
