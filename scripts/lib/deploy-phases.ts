/**
 * The phases of a blue/green release, as ECS reports them: green tasks up, test checks passed,
 * traffic shifted, bake done, each with its duration. ECS tells only a deployment's current
 * lifecycle stage (DescribeServiceDeployments), so the deploy polls it while `cdk deploy`
 * runs and times the stage changes it sees (to within the poll interval):
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceDeployments.html
 * When the green gate refuses a release, its verdict in the hook's log says which checks failed.
 */
import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServiceDeploymentsCommand, ListServiceDeploymentsCommand, type ECSClient, type ServiceDeployment } from '@aws-sdk/client-ecs';
import { z } from 'zod';
import { formatDuration } from './cli.ts';
import type { GateLogLine } from './green-gate.ts';
import type { SlipwayConfig } from '../../infra/config.ts';
import type { Reporter } from './cli.ts';
import type { StackOutputs } from './stacks.ts';
import type { Clock } from './wait.ts';

export const PHASES = ['green tasks up', 'test checks passed', 'traffic shifted', 'bake done'] as const;
export type PhaseName = (typeof PHASES)[number];

/** The lifecycle stages that end each phase, in order (the stage names of the ECS API). */
const PHASE_ENDS: Readonly<Record<PhaseName, readonly string[]>> = {
  'green tasks up': ['TEST_TRAFFIC_SHIFT', 'POST_TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT', 'BAKE_TIME', 'CLEAN_UP'],
  'test checks passed': ['PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT', 'BAKE_TIME', 'CLEAN_UP'],
  'traffic shifted': ['BAKE_TIME', 'CLEAN_UP'],
  'bake done': ['CLEAN_UP'],
};

/** What one poll saw of one service deployment. */
export interface StageObservation {
  readonly at: number;
  readonly stage?: string;
  readonly status?: string;
  /** The green revision's share of production traffic ECS asked for. */
  readonly productionWeight?: number;
}

export const phaseSchema = z.object({
  name: z.enum(PHASES),
  /** Milliseconds the phase took; absent when it did not finish. */
  durationMs: z.number().optional(),
});
export const servicePhasesSchema = z.object({
  service: z.string(),
  deployment: z.string(),
  status: z.string().optional(),
  phases: z.array(phaseSchema),
  /** Whether the green revision ever got production traffic. */
  productionSaw: z.boolean(),
});
/** One definition: the release record stores these (scripts/lib/releases.ts). */
export type ServicePhases = z.infer<typeof servicePhasesSchema>;

/** The phases from a deployment's start, its stage observations (oldest first) and its end. */
export function phasesFrom(startedAt: number, observations: readonly StageObservation[], finishedAt?: number, succeeded = false): ServicePhases['phases'] {
  const out: ServicePhases['phases'] = [];
  let from = startedAt;
  for (const name of PHASES) {
    const ends = PHASE_ENDS[name];
    let end = observations.find((o) => o.stage && ends.includes(o.stage))?.at;
    if (end === undefined && name === 'bake done' && succeeded) end = finishedAt;
    if (end === undefined) {
      out.push({ name });
      break;
    }
    out.push({ name, durationMs: Math.max(0, end - from) });
    from = end;
  }
  return out;
}

export interface WatchDeps {
  readonly ecs: ECSClient;
  readonly clock: Clock;
}

export interface WatchTarget {
  readonly cluster: string;
  /** Service names by short name, e.g. { api: 'slipway-api', web: 'slipway-web' }. */
  readonly services: Readonly<Record<string, string>>;
}

const SUCCESSFUL = 'SUCCESSFUL';
const FINAL = new Set(['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED']);

async function deploymentsSince(ecs: ECSClient, target: WatchTarget, service: string, since: number): Promise<ServiceDeployment[]> {
  const listed = await ecs.send(new ListServiceDeploymentsCommand({ cluster: target.cluster, service, createdAt: { after: new Date(since) } }));
  const arns = (listed.serviceDeployments ?? []).map((d) => d.serviceDeploymentArn).filter((a): a is string => Boolean(a));
  if (arns.length === 0) return [];
  const described = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns }));
  return described.serviceDeployments ?? [];
}

/**
 * Runs `work` (the stack update) while polling the services' deployments started after
 * `since`; returns its result and each deployment's phases. A failed poll is skipped: the
 * phases are a report, never a reason to fail the release.
 */
export async function watchDeployments<T>(deps: WatchDeps, target: WatchTarget | undefined, since: number, work: () => Promise<T>, pollMs = 10_000): Promise<{ result: T; phases: ServicePhases[] }> {
  if (!target) return { result: await work(), phases: [] };
  const seen = new Map<string, { service: string; observations: StageObservation[]; last?: ServiceDeployment }>();
  const poll = async () => {
    for (const [short, name] of Object.entries(target.services)) {
      const deployments = await deploymentsSince(deps.ecs, target, name, since).catch(() => []);
      for (const d of deployments) {
        const arn = d.serviceDeploymentArn!;
        const entry = seen.get(arn) ?? { service: short, observations: [] };
        const previous = entry.observations.at(-1);
        const observation = { at: deps.clock.now(), stage: d.lifecycleStage, status: d.status, productionWeight: d.targetServiceRevision?.requestedProductionTrafficWeight };
        if (!previous || previous.stage !== observation.stage || previous.status !== observation.status || previous.productionWeight !== observation.productionWeight) {
          entry.observations.push(observation);
        }
        entry.last = d;
        seen.set(arn, entry);
      }
    }
  };
  let done = false;
  const watcher = (async () => {
    while (!done) {
      await poll();
      if (done) break;
      await deps.clock.sleep(pollMs);
    }
  })();
  let result: T;
  try {
    result = await work();
  } finally {
    done = true;
    await watcher;
  }
  await poll();
  const phases = [...seen.entries()].map(([arn, { service, observations, last }]) => {
    const startedAt = (last?.startedAt ?? last?.createdAt)?.getTime() ?? observations[0]?.at ?? since;
    const status = last?.status;
    return {
      service,
      deployment: arn,
      status,
      phases: phasesFrom(startedAt, observations, last?.finishedAt?.getTime(), status === SUCCESSFUL),
      productionSaw: observations.some((o) => (o.productionWeight ?? 0) > 0 || (o.stage !== undefined && PHASE_ENDS['test checks passed'].includes(o.stage))),
    };
  });
  return { result: result!, phases };
}

/** Whether every watched deployment reached a final status. */
export const allFinal = (phases: readonly ServicePhases[]) => phases.every((p) => p.status !== undefined && FINAL.has(p.status));

/** One line per phase: `api green tasks up: 1m 20s`, or `... did not finish`. */
export function phaseLines(p: ServicePhases): string[] {
  return p.phases.map((ph) => `${p.service} ${ph.name}: ${ph.durationMs === undefined ? 'did not finish' : formatDuration(ph.durationMs)}`);
}

export interface GateRefusal {
  readonly deployment: string;
  readonly service: string;
  readonly failed: readonly string[];
  readonly reason: string;
}

/** The green gate's FAILED verdict for a deployment, from the hook's log group. */
export async function gateRefusal(logs: CloudWatchLogsClient, logGroupName: string, deployment: string, since: number): Promise<GateRefusal | undefined> {
  let nextToken: string | undefined;
  let found: GateRefusal | undefined;
  do {
    const page = await logs.send(
      // Unquoted terms must all appear ("ERROR Exception" matches events with both):
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
      // (the emulator reads two quoted terms as one phrase, so the terms stay unquoted).
      new FilterLogEventsCommand({ logGroupName, startTime: since, filterPattern: 'hookStatus FAILED', nextToken }),
    );
    for (const event of page.events ?? []) {
      let line: GateLogLine | undefined;
      try {
        line = JSON.parse(event.message ?? '') as GateLogLine;
      } catch {
        continue;
      }
      if (line.gate === 'green' && line.deployment === deployment && line.hookStatus === 'FAILED') {
        found = { deployment, service: line.service, failed: line.failed ?? [], reason: line.reason ?? '' };
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

/** What to watch: blue-green only, and only once the services exist (not on a first deploy). */
export async function watchTargetFor(outputs: StackOutputs, config: SlipwayConfig): Promise<WatchTarget | undefined> {
  if (config.deployment.strategy !== 'blue-green') return undefined;
  const [cluster, api, web] = await Promise.all([outputs.find('clusterName'), outputs.find('apiServiceName'), outputs.find('webServiceName')]);
  return cluster && api && web ? { cluster, services: { api, web } } : undefined;
}

/** ✓ per finished phase, ✗ for the one that did not finish. */
export function reportPhases(reporter: Reporter, phases: readonly ServicePhases[]): void {
  for (const p of phases) {
    for (const ph of p.phases) {
      reporter.step(ph.durationMs === undefined ? 'fail' : 'pass', `${p.service} ${ph.name}`, ph.durationMs === undefined ? 'did not finish' : formatDuration(ph.durationMs));
    }
  }
}

export interface Refusal {
  /** The failed checks, per service: `api: version: /api/version (...)`. */
  readonly failed: readonly string[];
  readonly summary: string;
}

/**
 * Why a blue/green release was rolled back before production saw it: the gate's verdict for
 * each rolled-back deployment that never got production traffic.
 */
export async function refusalOf(
  deps: { readonly logs?: CloudWatchLogsClient },
  outputs: StackOutputs,
  phases: readonly ServicePhases[],
  since: number,
): Promise<Refusal | undefined> {
  const refused = phases.filter((p) => p.status?.startsWith('ROLLBACK') && !p.productionSaw);
  if (refused.length === 0 || !deps.logs) return undefined;
  const logGroup = await outputs.find('greenGateLogGroupName');
  if (!logGroup) return undefined;
  const failed: string[] = [];
  for (const p of refused) {
    const verdict = await gateRefusal(deps.logs, logGroup, p.deployment, since).catch(() => undefined);
    if (verdict) failed.push(...verdict.failed.map((f) => `${p.service}: ${f}`));
    else failed.push(`${p.service}: rolled back before production traffic (no gate verdict in ${logGroup})`);
  }
  return { failed, summary: `the green gate refused it before any production traffic: ${failed.join('; ')}` };
}
