/**
 * The blue/green gate driven the way ECS drives it: invoked at POST_TEST_TRAFFIC_SHIFT, invoked
 * again with the hookDetails it handed back while it answers IN_PROGRESS, against a stand-in
 * for the green tasks on loopback that breaks the ways the smoke gate must catch.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runGreenGate, type GateDeps, type GateLogLine, type GatedService, type HookEvent, type HookResponse } from '../lib/green-gate.ts';
import { fakeClock } from '../lib/wait.ts';
import { freePort } from '../../test/support/servers.ts';
import { HEALTHY, startFakeApp, type FakeApp, type FakeAppBehaviour } from './support/fake-app.ts';
import { quoted, quotePattern } from './support/runbook-text.ts';

const DEPLOYMENT = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/slipway/slipway-api/EZe5RNVLH6PPzHXINuP28';

let app: FakeApp | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
});

function event(service: GatedService, hookDetails: Record<string, unknown> = {}, stage = 'POST_TEST_TRAFFIC_SHIFT'): HookEvent {
  return {
    executionId: 'e8d5a28f-eb01-4f3c-9454-a30ba6dc54bc',
    lifecycleStage: stage,
    resourceArn: DEPLOYMENT,
    executionDetails: { serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/slipway/slipway-api', testTrafficWeights: {}, productionTrafficWeights: {} },
    hookDetails: { service, testPort: 9016, release: 'r-new', ...hookDetails },
  };
}

interface Harness {
  readonly deps: GateDeps;
  readonly lines: GateLogLine[];
  readonly clock: ReturnType<typeof fakeClock>;
}

function harness(urls: () => URL[], overrides: Partial<GateDeps> = {}): Harness {
  const lines: GateLogLine[] = [];
  const clock = fakeClock(Date.now());
  const deps: GateDeps = {
    clock,
    budgetSeconds: 300,
    invocationMs: 20_000,
    log: (line) => lines.push(line),
    testUrls: async () => urls(),
    tokens: async () => ({ metricsToken: HEALTHY.metricsToken, smokeToken: HEALTHY.token }),
    ...overrides,
  };
  return { deps, lines, clock };
}

/** Invokes like ECS: again after callBackDelay with the returned hookDetails, until a final status. */
async function driveLikeEcs(first: HookEvent, h: Harness, between?: (n: number) => void): Promise<{ statuses: HookResponse['hookStatus'][]; last: HookResponse }> {
  const statuses: HookResponse['hookStatus'][] = [];
  let current = first;
  for (let n = 1; n <= 100; n += 1) {
    const response = await runGreenGate(current, h.deps);
    statuses.push(response.hookStatus);
    if (response.hookStatus !== 'IN_PROGRESS') return { statuses, last: response };
    h.clock.advance((response.callBackDelay ?? 30) * 1000);
    between?.(n);
    current = { ...current, hookDetails: { ...current.hookDetails, ...response.hookDetails } };
  }
  throw new Error('the gate never finished');
}

async function fake(behaviour: Partial<FakeAppBehaviour> = {}): Promise<FakeApp> {
  app = await startFakeApp(behaviour);
  return app;
}

const verdicts = (lines: GateLogLine[]) => lines.filter((l) => l.hookStatus);

describe('green gate: healthy green tasks', () => {
  it('answers SUCCEEDED and logs every check with the deployment it belongs to', async () => {
    const a = await fake();
    const h = harness(() => [a.baseUrl]);
    const response = await runGreenGate(event('web'), h.deps);
    expect(response).toEqual({ hookStatus: 'SUCCEEDED' });
    const checks = h.lines.filter((l) => l.check);
    expect(checks.map((l) => `${l.check}:${l.status}`)).toEqual([
      'ready:pass', 'health:pass', 'web:pass', 'version:pass', 'metrics-token:pass', 'metrics-refused:pass',
      'tls-certificate:skip', 'tls-redirect:skip', 'api-list:pass', 'api-events:pass',
    ]);
    expect(checks.every((l) => l.deployment === DEPLOYMENT && l.service === 'web' && l.release === 'r-new')).toBe(true);
    expect(verdicts(h.lines)).toEqual([
      expect.objectContaining({ hookStatus: 'SUCCEEDED', invocation: 1, reason: '8 checks passed against the green tasks', failed: [] }),
    ]);
  });

  it('leaves the web page to the web gate when it gates the api', async () => {
    const a = await fake({ webContentType: 'application/json' });
    const h = harness(() => [a.baseUrl]);
    expect(await runGreenGate(event('api'), h.deps)).toEqual({ hookStatus: 'SUCCEEDED' });
    expect(h.lines.find((l) => l.check === 'web')).toMatchObject({ status: 'skip', detail: 'the web page is checked by the web service gate, through its own green tasks' });
    expect(a.requests).not.toContain('GET /');
  });
});

describe('green gate: broken releases fail before production traffic', () => {
  it('wrong release: FAILED on the first invocation, naming the check', async () => {
    const a = await fake({ release: 'r-old' });
    const h = harness(() => [a.baseUrl]);
    expect(await runGreenGate(event('api'), h.deps)).toEqual({ hookStatus: 'FAILED' });
    expect(verdicts(h.lines)).toEqual([
      expect.objectContaining({
        hookStatus: 'FAILED',
        failed: ['version: /api/version (release is "r-old", expected "r-new")'],
        reason: 'a check failed against the green tasks; ECS rolls back before any production traffic',
      }),
    ]);
  });

  it('metrics open to anyone: FAILED', async () => {
    const a = await fake({ metricsOpen: true });
    const h = harness(() => [a.baseUrl]);
    expect(await runGreenGate(event('api'), h.deps)).toEqual({ hookStatus: 'FAILED' });
    expect(verdicts(h.lines)[0]!.failed).toEqual([
      'metrics: refused without the token (/api/metrics with no token answered 200, expected 401 or 404: metrics are open to anyone)',
    ]);
  });

  it('HTML replaced: the web gate answers FAILED', async () => {
    const a = await fake({ webContentType: 'application/json' });
    const h = harness(() => [a.baseUrl]);
    expect(await runGreenGate(event('web'), h.deps)).toEqual({ hookStatus: 'FAILED' });
    expect(verdicts(h.lines)[0]!.failed).toEqual(['web: GET / is HTML (GET / answered content-type application/json, expected text/html)']);
  });

  it('readiness 503: IN_PROGRESS while the budget lasts, then FAILED naming the failing check', async () => {
    const a = await fake({ readyStatus: 503 });
    const h = harness(() => [a.baseUrl], { budgetSeconds: 120 });
    const { statuses } = await driveLikeEcs(event('api'), h);
    expect(statuses.at(-1)).toBe('FAILED');
    expect(statuses.slice(0, -1).every((s) => s === 'IN_PROGRESS')).toBe(true);
    expect(statuses.length).toBeGreaterThan(1);
    const last = verdicts(h.lines).at(-1)!;
    expect(last.reason).toMatch(/^still failing after the 120 s budget: /);
    expect(last.failed?.[0]).toMatch(/^ready: GET \/api\/readyz, every check ok \(still failing at the deadline after \d+ attempt\(s\): not ready: db \(connection refused\)\)$/);
    // routine-deploy.md quotes both: the check as the deploy line names it, the reason as the log gives it
    const [inLine, inLog] = quoted('runbooks/routine-deploy.md', 'still failing');
    expect(last.failed?.[0]).toMatch(quotePattern(inLine!));
    expect(last.reason).toMatch(quotePattern(inLog!));
  });

  it('hands back when it started, so the budget spans invocations', async () => {
    const a = await fake({ readyStatus: 503 });
    const h = harness(() => [a.baseUrl]);
    const started = h.clock.now();
    const response = await runGreenGate(event('api'), h.deps);
    expect(response).toMatchObject({ hookStatus: 'IN_PROGRESS', callBackDelay: 15, hookDetails: { service: 'api', testPort: 9016, release: 'r-new', firstInvokedAt: started, invocation: 1 } });
  });
});

describe('green gate: transient failures are retried', () => {
  it('slow readiness: IN_PROGRESS until the tasks are ready, then SUCCEEDED', async () => {
    const a = await fake({ readyFailuresFirst: 1_000_000 });
    const h = harness(() => [a.baseUrl], { invocationMs: 5_000 });
    const { statuses } = await driveLikeEcs(event('api'), h, (n) => {
      if (n === 2) a.behaviour.readyFailuresFirst = 0;
    });
    expect(statuses).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'SUCCEEDED']);
  });

  it('connection refused: IN_PROGRESS, then SUCCEEDED once the tasks listen', async () => {
    const a = await fake();
    const closedPort = await freePort();
    let target = new URL(`http://127.0.0.1:${closedPort}`);
    const h = harness(() => [target], { invocationMs: 3_000 });
    const { statuses } = await driveLikeEcs(event('api'), h, () => {
      target = a.baseUrl;
    });
    expect(statuses).toEqual(['IN_PROGRESS', 'SUCCEEDED']);
    const firstVerdict = verdicts(h.lines)[0]!;
    expect(firstVerdict.hookStatus).toBe('IN_PROGRESS');
    expect(firstVerdict.failed?.[0]).toMatch(/ECONNREFUSED/);
  });

  it('a connection reset mid-request is transient too', async () => {
    const port = await freePort();
    blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker!.listen(port, '127.0.0.1', resolve));
    const h = harness(() => [new URL(`http://127.0.0.1:${port}`)], { invocationMs: 2_000 });
    const response = await runGreenGate(event('api'), h.deps);
    expect(response.hookStatus).toBe('IN_PROGRESS');
    expect(h.lines.filter((l) => l.status === 'fail').every((l) => l.transient)).toBe(true);
  });

  it('the load balancer lookup failing is retried, not a verdict on the release', async () => {
    const h = harness(() => {
      throw new Error('Rate exceeded');
    });
    expect(await runGreenGate(event('api'), h.deps)).toMatchObject({ hookStatus: 'IN_PROGRESS' });
    expect(verdicts(h.lines)[0]!.reason).toBe('retrying in 15 s: could not prepare the checks: Rate exceeded');
  });
});

describe('green gate: misconfiguration fails closed', () => {
  it.each([
    ['an unknown service', { service: 'worker' }, 'the hook is misconfigured: hookDetails.service="worker" is not api or web'],
    ['no test port', { testPort: 'x' }, 'the hook is misconfigured: hookDetails.testPort="x" is not a port'],
    ['no release', { release: '' }, 'the hook is misconfigured: hookDetails.release="" is not a release'],
  ])('%s: FAILED with the reason', async (_label, details, reason) => {
    const h = harness(() => []);
    expect(await runGreenGate(event('api', details), h.deps)).toEqual({ hookStatus: 'FAILED' });
    expect(verdicts(h.lines)[0]!.reason).toBe(reason);
  });

  it('a stage other than POST_TEST_TRAFFIC_SHIFT: FAILED', async () => {
    const h = harness(() => []);
    expect(await runGreenGate(event('api', {}, 'TEST_TRAFFIC_SHIFT'), h.deps)).toEqual({ hookStatus: 'FAILED' });
    expect(verdicts(h.lines)[0]!.reason).toBe('invoked at TEST_TRAFFIC_SHIFT; the gate runs only at POST_TEST_TRAFFIC_SHIFT');
  });
});
