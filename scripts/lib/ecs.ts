/** ECS: wait for services to settle on one deployment, and say which release each runs. */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import { waitFor, type Clock } from './wait.ts';

export interface ServiceRef {
  readonly cluster: string;
  readonly services: readonly string[];
}

async function describe(ecs: ECSClient, ref: ServiceRef): Promise<Service[]> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [...ref.services] }));
  const missing = (out.failures ?? []).map((f) => `${f.arn}: ${f.reason}`);
  if (missing.length) throw new Error(`ECS services not found: ${missing.join(', ')}`);
  return out.services ?? [];
}

function shortName(service: Service): string {
  return service.serviceName ?? service.serviceArn ?? '?';
}

/** A service is stable when one deployment remains, it is COMPLETED and running = desired. */
function serviceState(service: Service): { stable: boolean; failed?: string; status: string } {
  const deployments = service.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const status = `${shortName(service)} ${service.runningCount ?? 0}/${service.desiredCount ?? 0} running, ${deployments.length} deployment(s)${primary?.rolloutState ? `, ${primary.rolloutState}` : ''}`;
  if (primary?.rolloutState === 'FAILED') return { stable: false, failed: `${shortName(service)}: ${primary.rolloutStateReason ?? 'rollout failed'}`, status };
  const stable =
    deployments.length === 1 &&
    (primary?.rolloutState === undefined || primary.rolloutState === 'COMPLETED') &&
    service.runningCount === service.desiredCount;
  return { stable, status };
}

export async function waitServicesStable(
  ecs: ECSClient,
  ref: ServiceRef,
  options: { timeoutMs: number; clock: Clock; progress?: (line: string) => void; intervalMs?: number },
): Promise<void> {
  await waitFor({
    what: `services ${ref.services.join(', ')} to be stable`,
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs ?? 15_000,
    clock: options.clock,
    progress: options.progress,
    poll: async () => {
      const states = (await describe(ecs, ref)).map(serviceState);
      const status = states.map((s) => s.status).join('; ');
      const failed = states.find((s) => s.failed);
      if (failed?.failed) return { state: 'failed', status, reason: failed.failed };
      return states.every((s) => s.stable) ? { state: 'done', status, value: undefined } : { state: 'pending', status };
    },
  });
}

/** The image tag in a container image reference (`repo:tag` or `repo@sha256:…`). */
export function imageTagOf(image: string | undefined): string | undefined {
  if (!image) return undefined;
  if (image.includes('@')) return image.slice(image.indexOf('@') + 1);
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : undefined;
}

export interface RunningRelease {
  readonly service: string;
  readonly release?: string;
  readonly running: number;
  readonly desired: number;
}

/** Which release each service's primary deployment runs: "what is running now". */
export async function runningReleases(ecs: ECSClient, ref: ServiceRef): Promise<RunningRelease[]> {
  const services = await describe(ecs, ref);
  const result: RunningRelease[] = [];
  for (const service of services) {
    const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
    const taskDefinition = primary?.taskDefinition ?? service.taskDefinition;
    let release: string | undefined;
    if (taskDefinition) {
      const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
      release = imageTagOf(td.taskDefinition?.containerDefinitions?.[0]?.image);
    }
    result.push({ service: shortName(service), release, running: service.runningCount ?? 0, desired: service.desiredCount ?? 0 });
  }
  return result;
}

export function describeRunning(releases: readonly RunningRelease[]): string {
  return releases.map((r) => `${r.service} runs ${r.release ?? '(unknown)'} (${r.running}/${r.desired} tasks)`).join(', ');
}
