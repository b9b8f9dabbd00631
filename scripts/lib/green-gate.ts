/**
 * The blue/green release gate: ECS invokes it at POST_TEST_TRAFFIC_SHIFT, when the green
 * tasks serve 100% of the test route and no production request has reached them yet. It runs
 * the production smoke checks (scripts/lib/smoke.ts, the same code as `npm run smoke`) through
 * the test route and answers with a hook status:
 * - SUCCEEDED when no check failed;
 * - FAILED at once when a check failed for good (a wrong release, open metrics, no HTML...),
 *   so ECS rolls back and production never sees the release;
 * - IN_PROGRESS while the only failures are transient (refused, 502/503/504, readiness 503)
 *   and the budget lasts; ECS invokes it again after `callBackDelay`, then FAILED.
 * Every check's outcome and the verdict are JSON lines in the hook's log (GateLogLine).
 * Contract: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html
 * (not at TEST_TRAFFIC_SHIFT: ECS re-invokes that stage during a rollback).
 */
import { runSmoke, type CheckResult, type SmokeCheckId, type SmokeOptions, type SmokeReport } from './smoke.ts';
import type { Clock } from './wait.ts';

export const GATE_STAGE = 'POST_TEST_TRAFFIC_SHIFT';

/** The two services; each has its own test listener port. */
export const GATED_SERVICES = ['api', 'web'] as const;
export type GatedService = (typeof GATED_SERVICES)[number];

/** What the service's lifecycle-hook configuration passes (HookDetails), plus our own state. */
export interface GateDetails {
  readonly service: GatedService;
  /** Port of the service's test listener on the load balancer. */
  readonly testPort: number;
  /** The release the green tasks must report (the ImageTag parameter). */
  readonly release: string;
  /** Set by the first invocation and handed back by ECS with IN_PROGRESS. */
  readonly firstInvokedAt?: number;
  readonly invocation?: number;
}

/** The payload ECS sends a Lambda hook. */
export interface HookEvent {
  readonly executionId: string;
  readonly lifecycleStage: string;
  /** The service deployment ARN. */
  readonly resourceArn: string;
  readonly executionDetails?: {
    readonly serviceArn?: string;
    readonly targetServiceRevisionArn?: string;
    readonly testTrafficWeights?: Readonly<Record<string, number>>;
    readonly productionTrafficWeights?: Readonly<Record<string, number>>;
  };
  readonly hookDetails?: Readonly<Record<string, unknown>>;
}

export type HookStatus = 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';

export interface HookResponse {
  readonly hookStatus: HookStatus;
  readonly callBackDelay?: number;
  readonly hookDetails?: GateDetails;
}

/** One JSON log line: a check's outcome (`check`) or the verdict of an invocation (`hookStatus`). */
export interface GateLogLine {
  readonly gate: 'green';
  /** The service deployment ARN (the event's resourceArn). */
  readonly deployment: string;
  readonly service: string;
  readonly release: string;
  readonly invocation: number;
  readonly check?: SmokeCheckId;
  readonly name?: string;
  readonly status?: CheckResult['status'];
  readonly detail?: string;
  readonly attempts?: number;
  readonly durationMs?: number;
  readonly transient?: boolean;
  readonly hookStatus?: HookStatus;
  /** With a verdict: the failed checks, `name (detail)`, as the smoke report words them. */
  readonly failed?: readonly string[];
  readonly reason?: string;
}

export interface GateDeps {
  readonly clock: Clock;
  /** Base URLs of the test listener for a port (one per load balancer node). */
  readonly testUrls: (port: number) => Promise<URL[]>;
  /** Tokens read from Secrets Manager; either may be absent. */
  readonly tokens: () => Promise<{ readonly metricsToken?: string; readonly smokeToken?: string }>;
  readonly log: (line: GateLogLine) => void;
  /** Seconds the gate may keep retrying transient failures, from its first invocation. */
  readonly budgetSeconds: number;
  /** Longest smoke run in one invocation. @default 60 s */
  readonly invocationMs?: number;
  /** Seconds ECS waits before the next invocation after IN_PROGRESS. @default 15 */
  readonly callBackDelaySeconds?: number;
  /** The smoke gate; tests may wrap it. @default runSmoke */
  readonly smoke?: (options: SmokeOptions) => Promise<SmokeReport>;
}

/** Checks one service's hook leaves to the other: the web page is the web service's. */
const SKIPPED: Record<GatedService, SmokeOptions['skip']> = {
  api: { web: 'the web page is checked by the web service gate, through its own green tasks' },
  web: {},
};

function detailsOf(event: HookEvent): GateDetails | string {
  const d = event.hookDetails ?? {};
  const service = d.service;
  const testPort = Number(d.testPort);
  if (!GATED_SERVICES.includes(service as GatedService)) return `hookDetails.service=${JSON.stringify(service)} is not api or web`;
  if (!Number.isInteger(testPort) || testPort < 1 || testPort > 65535) return `hookDetails.testPort=${JSON.stringify(d.testPort)} is not a port`;
  if (typeof d.release !== 'string' || d.release === '') return `hookDetails.release=${JSON.stringify(d.release)} is not a release`;
  return {
    service: service as GatedService,
    testPort,
    release: d.release,
    firstInvokedAt: typeof d.firstInvokedAt === 'number' ? d.firstInvokedAt : undefined,
    invocation: typeof d.invocation === 'number' ? d.invocation : undefined,
  };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function runGreenGate(event: HookEvent, deps: GateDeps): Promise<HookResponse> {
  const { clock } = deps;
  const now = clock.now();
  const parsed = detailsOf(event);
  const base = {
    gate: 'green' as const,
    deployment: event.resourceArn,
    service: typeof parsed === 'string' ? String(event.hookDetails?.service ?? 'unknown') : parsed.service,
    release: typeof parsed === 'string' ? String(event.hookDetails?.release ?? 'unknown') : parsed.release,
  };
  const verdict = (hookStatus: HookStatus, invocation: number, reason: string, failed: readonly string[] = []): void =>
    deps.log({ ...base, invocation, hookStatus, failed, reason });

  if (typeof parsed === 'string') {
    verdict('FAILED', 1, `the hook is misconfigured: ${parsed}`);
    return { hookStatus: 'FAILED' };
  }
  const invocation = (parsed.invocation ?? 0) + 1;
  if (event.lifecycleStage !== GATE_STAGE) {
    verdict('FAILED', invocation, `invoked at ${event.lifecycleStage}; the gate runs only at ${GATE_STAGE}`);
    return { hookStatus: 'FAILED' };
  }
  const firstInvokedAt = parsed.firstInvokedAt ?? now;
  const deadline = firstInvokedAt + deps.budgetSeconds * 1000;
  const delaySeconds = deps.callBackDelaySeconds ?? 15;
  const again = (reason: string, failed: readonly string[] = []): HookResponse => {
    if (clock.now() + delaySeconds * 1000 >= deadline) {
      verdict('FAILED', invocation, `still failing after the ${deps.budgetSeconds} s budget: ${reason}`, failed);
      return { hookStatus: 'FAILED' };
    }
    verdict('IN_PROGRESS', invocation, `retrying in ${delaySeconds} s: ${reason}`, failed);
    return { hookStatus: 'IN_PROGRESS', callBackDelay: delaySeconds, hookDetails: { ...parsed, firstInvokedAt, invocation } };
  };

  let urls: URL[];
  let tokens: Awaited<ReturnType<GateDeps['tokens']>>;
  try {
    [urls, tokens] = await Promise.all([deps.testUrls(parsed.testPort), deps.tokens()]);
  } catch (error) {
    return again(`could not prepare the checks: ${message(error)}`);
  }
  if (urls.length === 0) return again('the load balancer has no addresses yet');

  const report = await (deps.smoke ?? ((o) => runSmoke(o, { clock })))({
    // A different load balancer node on each invocation.
    baseUrl: urls[(invocation - 1) % urls.length]!,
    expectRelease: parsed.release,
    metricsToken: tokens.metricsToken,
    token: tokens.smokeToken,
    timeoutMs: Math.max(1_000, Math.min(deps.invocationMs ?? 60_000, deadline - now)),
    skip: SKIPPED[parsed.service],
  });
  for (const c of report.checks) {
    deps.log({ ...base, invocation, check: c.id, name: c.name, status: c.status, detail: c.detail, attempts: c.attempts, durationMs: c.durationMs, transient: c.transient });
  }
  if (report.ok) {
    const passed = report.checks.filter((c) => c.status === 'pass').length;
    verdict('SUCCEEDED', invocation, `${passed} checks passed against the green tasks`);
    return { hookStatus: 'SUCCEEDED' };
  }
  const failed = report.checks.filter((c) => c.status === 'fail');
  const lines = failed.map((c) => `${c.name} (${c.detail})`);
  if (failed.some((c) => !c.transient)) {
    verdict('FAILED', invocation, 'a check failed against the green tasks; ECS rolls back before any production traffic', lines);
    return { hookStatus: 'FAILED' };
  }
  return again(`${failed.length} check(s) failing transiently`, lines);
}
