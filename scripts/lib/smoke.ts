/**
 * The production smoke gate. Each check has its own result and duration. Transient failures
 * (refused, reset, timeouts, 502/503/504) are retried with backoff until the gate's deadline;
 * a wrong answer fails at once and is never retried into a pass.
 */
import { connect, checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { formatDuration } from './cli.ts';
import {
  httpRequest,
  isTransientNetworkError,
  NetworkError,
  readFirstEvent,
  type HttpResponse,
} from './http.ts';
import { parsePrometheusText } from './prometheus.ts';
import type { Clock } from './wait.ts';

export interface SmokeOptions {
  /** The public URL, e.g. https://tracker.example.com. */
  readonly baseUrl: URL;
  readonly metricsToken?: string;
  /** A personal access token (pat_…) for the authenticated checks. */
  readonly token?: string;
  /** Workspace whose event stream is opened; default: the first the token can see. */
  readonly workspace?: string;
  readonly expectRelease?: string;
  /** Deadline for the whole gate; transient failures are retried until then. */
  readonly timeoutMs: number;
  /** @default 10 s */
  readonly requestTimeoutMs?: number;
  /** Port of the plain-HTTP listener for the redirect check. @default 80 */
  readonly httpPort?: number;
  /** Extra trusted CA (PEM) for private certificates. */
  readonly ca?: string;
  /** The certificate must stay valid for at least this many days. @default 14 */
  readonly minCertificateDays?: number;
  /** How long the event stream may stay silent before the first event. @default 20 s */
  readonly firstEventMs?: number;
  /** Checks not to run, each with the reason shown as its (skipped) detail. */
  readonly skip?: Readonly<Partial<Record<SmokeCheckId, string>>>;
}

/** Stable ids of the checks, in the order they run. */
export const SMOKE_CHECK_IDS = [
  'ready', 'health', 'web', 'version', 'metrics-token', 'metrics-refused', 'tls-certificate', 'tls-redirect', 'api-list', 'api-events',
] as const;
export type SmokeCheckId = (typeof SMOKE_CHECK_IDS)[number];

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly id: SmokeCheckId;
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly durationMs: number;
  readonly attempts: number;
  readonly fix?: string;
  /** A failed check that was still failing only transiently (refused, 503, ...) at the deadline: it may pass later. */
  readonly transient?: boolean;
}

export interface SmokeReport {
  readonly ok: boolean;
  readonly baseUrl: string;
  readonly checks: readonly CheckResult[];
  readonly durationMs: number;
  /** What /api/version answered, when it did. */
  readonly version?: { readonly release?: string; readonly commit?: string; readonly migration?: unknown };
  readonly failed: readonly string[];
}

export interface SmokeDeps {
  readonly clock: Clock;
  /** Called with each check's line as it finishes. */
  readonly onCheck?: (check: CheckResult) => void;
}

type Outcome =
  | { kind: 'pass'; detail: string }
  | { kind: 'fail'; detail: string; fix?: string }
  | { kind: 'skip'; detail: string }
  | { kind: 'transient'; detail: string };

const pass = (detail: string): Outcome => ({ kind: 'pass', detail });
const fail = (detail: string, fix?: string): Outcome => ({ kind: 'fail', detail, fix });
const skip = (detail: string): Outcome => ({ kind: 'skip', detail });
const transient = (detail: string): Outcome => ({ kind: 'transient', detail });

const TRANSIENT_STATUS = new Set([502, 503, 504]);

interface Context {
  readonly options: SmokeOptions;
  readonly deps: SmokeDeps;
  readonly deadline: number;
  /** Filled by the version and list checks for later ones. */
  version?: SmokeReport['version'];
  workspaces?: string[];
}

function requestTimeout(ctx: Context): number {
  const remaining = ctx.deadline - ctx.deps.clock.now();
  return Math.max(2_000, Math.min(ctx.options.requestTimeoutMs ?? 10_000, remaining));
}

function urlFor(ctx: Context, path: string): URL {
  const base = ctx.options.baseUrl;
  const prefix = base.pathname.replace(/\/$/, '');
  return new URL(`${prefix}${path}`, base.origin);
}

async function get(ctx: Context, path: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
  return httpRequest({ url: urlFor(ctx, path), headers, timeoutMs: requestTimeout(ctx), ca: ctx.options.ca });
}

function statusOutcome(res: HttpResponse, what: string): Outcome | undefined {
  if (TRANSIENT_STATUS.has(res.status)) return transient(`${what} answered ${res.status}`);
  return undefined;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// The checks, in order. Each returns one Outcome per attempt.
// ---------------------------------------------------------------------------

interface Check {
  readonly id: SmokeCheckId;
  readonly name: string;
  readonly run: (ctx: Context) => Promise<Outcome>;
}

const checkWeb: Check = {
  id: 'web',
  name: 'web: GET / is HTML',
  run: async (ctx) => {
    const res = await get(ctx, '/', { accept: 'text/html' });
    const t = statusOutcome(res, 'GET /');
    if (t) return t;
    const type = String(res.headers['content-type'] ?? '');
    if (res.status !== 200) return fail(`GET / answered ${res.status}, expected 200`);
    if (!type.includes('text/html')) return fail(`GET / answered content-type ${type || '(none)'}, expected text/html`);
    return pass('200 text/html');
  },
};

const checkHealth: Check = {
  id: 'health',
  name: 'health: GET /api/health',
  run: async (ctx) => {
    const res = await get(ctx, '/api/health');
    const t = statusOutcome(res, '/api/health');
    if (t) return t;
    return res.status === 200 ? pass('200') : fail(`/api/health answered ${res.status}, expected 200`);
  },
};

interface ReadyBody {
  status?: string;
  checks?: Record<string, { ok?: boolean; reason?: string }>;
}

function failedReadyChecks(body: ReadyBody | undefined): string[] {
  return Object.entries(body?.checks ?? {})
    .filter(([, c]) => c?.ok !== true)
    .map(([name, c]) => `${name}${c?.reason ? ` (${c.reason})` : ''}`);
}

const checkReady: Check = {
  id: 'ready',
  name: 'ready: GET /api/readyz, every check ok',
  run: async (ctx) => {
    const res = await get(ctx, '/api/readyz');
    const body = parseJson(res.body) as ReadyBody | undefined;
    const failing = failedReadyChecks(body);
    if (res.status === 503) {
      return transient(failing.length ? `not ready: ${failing.join(', ')}` : 'answered 503');
    }
    const t = statusOutcome(res, '/api/readyz');
    if (t) return t;
    if (res.status !== 200) return fail(`/api/readyz answered ${res.status}, expected 200`);
    if (!body?.checks || Object.keys(body.checks).length === 0) return fail('/api/readyz answered 200 without a checks object');
    if (failing.length) return fail(`answered 200 but checks failed: ${failing.join(', ')}`);
    return pass(`200, ${Object.keys(body.checks).join(', ')} ok`);
  },
};

const checkVersion: Check = {
  id: 'version',
  name: 'version: /api/version',
  run: async (ctx) => {
    const res = await get(ctx, '/api/version');
    const t = statusOutcome(res, '/api/version');
    if (t) return t;
    const body = parseJson(res.body) as SmokeReport['version'];
    if (res.status !== 200 || !body || typeof body !== 'object') {
      return fail(`/api/version answered ${res.status}, expected 200 JSON`);
    }
    ctx.version = { release: body.release, commit: body.commit, migration: body.migration };
    const expected = ctx.options.expectRelease;
    if (expected !== undefined && body.release !== expected) {
      return fail(
        `release is ${JSON.stringify(body.release)}, expected ${JSON.stringify(expected)}`,
        'the new release is not what serves: check the service events and which task definition is running',
      );
    }
    return pass(`release ${body.release ?? '(none)'}${expected !== undefined ? ' as expected' : ''}`);
  },
};

const checkMetricsWithToken: Check = {
  id: 'metrics-token',
  name: 'metrics: 200 Prometheus text with the token',
  run: async (ctx) => {
    const token = ctx.options.metricsToken;
    if (!token) return skip('no metrics token given (--metrics-token or SMOKE_METRICS_TOKEN)');
    const res = await get(ctx, '/api/metrics', { authorization: `Bearer ${token}` });
    const t = statusOutcome(res, '/api/metrics');
    if (t) return t;
    if (res.status !== 200) return fail(`/api/metrics with the token answered ${res.status}, expected 200`, 'check the token is the METRICS_TOKEN the tasks run with');
    const parsed = parsePrometheusText(res.body);
    if (!parsed.ok) return fail(`/api/metrics is not Prometheus text: line ${parsed.line}: ${parsed.reason}`);
    return pass(`${parsed.samples} samples in ${parsed.families} families`);
  },
};

const checkMetricsRefused: Check = {
  id: 'metrics-refused',
  name: 'metrics: refused without the token',
  run: async (ctx) => {
    const probes: Array<[string, Record<string, string>]> = [
      ['no token', {}],
      ['a wrong token', { authorization: 'Bearer smoke-wrong-token' }],
    ];
    for (const [label, headers] of probes) {
      const res = await get(ctx, '/api/metrics', headers);
      const t = statusOutcome(res, '/api/metrics');
      if (t) return t;
      if (res.status !== 401 && res.status !== 404) {
        return fail(
          `/api/metrics with ${label} answered ${res.status}, expected 401 or 404: metrics are open to anyone`,
          'set METRICS_TOKEN for the api service',
        );
      }
    }
    return pass('401/404 without it and with a wrong one');
  },
};

/** Reads the peer certificate; tests and operators may add a CA. */
async function peerCertificate(
  host: string,
  port: number,
  ca: string | undefined,
  timeoutMs: number,
): Promise<{ authorized: boolean; error?: string; cert: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      servername: isIP(host) ? undefined : host,
      ca: ca ? [...rootCertificates, ca] : undefined,
      rejectUnauthorized: false,
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error('no TLS handshake in time'), { code: 'TIMEOUT' })));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
      resolve({ authorized: socket.authorized, error: authorizationError, cert });
      socket.end();
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      reject(new NetworkError(error.code ?? 'UNKNOWN', `TLS connection to ${host}:${port} failed: ${error.message}`)),
    );
  });
}

const DAY_MS = 86_400_000;

const checkCertificate: Check = {
  id: 'tls-certificate',
  name: 'tls: certificate valid for the host',
  run: async (ctx) => {
    const url = ctx.options.baseUrl;
    if (url.protocol !== 'https:') return skip('the base URL is http://');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 443);
    const { authorized, error, cert } = await peerCertificate(host, port, ctx.options.ca, requestTimeout(ctx));
    const validTo = Date.parse(cert.valid_to);
    if (!authorized) {
      const when = Number.isNaN(validTo) ? '' : ` (valid until ${new Date(validTo).toISOString()})`;
      const reason = error === 'CERT_HAS_EXPIRED' ? `the certificate has expired${when}` : `the certificate is not trusted: ${error}`;
      return fail(reason, 'renew or re-import the certificate (see runbooks/https-certificate.md)');
    }
    const identity = checkServerIdentity(host, cert);
    if (identity) return fail(`the certificate does not cover ${host}: ${identity.message}`, 'use a certificate whose names include the domain');
    const daysLeft = Math.floor((validTo - ctx.deps.clock.now()) / DAY_MS);
    const minDays = ctx.options.minCertificateDays ?? 14;
    if (daysLeft < minDays) {
      return fail(`the certificate expires in ${daysLeft} days (${cert.valid_to}), under ${minDays}`, 'renew it now (see runbooks/https-certificate.md)');
    }
    return pass(`trusted, covers ${host}, ${daysLeft} days left`);
  },
};

const checkRedirect: Check = {
  id: 'tls-redirect',
  name: 'tls: http:// answers 301 to https://',
  run: async (ctx) => {
    const base = ctx.options.baseUrl;
    if (base.protocol !== 'https:') return skip('the base URL is http://');
    const target = urlFor(ctx, '/api/health?smoke=redirect');
    const plain = new URL(target);
    plain.protocol = 'http:';
    plain.port = String(ctx.options.httpPort ?? 80);
    const res = await httpRequest({ url: plain, timeoutMs: requestTimeout(ctx) });
    const t = statusOutcome(res, plain.origin);
    if (t) return t;
    if (res.status !== 301) {
      return fail(`${plain.origin} answered ${res.status}, expected 301 to https`, 'make the HTTP:80 listener redirect (HTTP_301) to HTTPS');
    }
    const location = String(res.headers.location ?? '');
    let to: URL | undefined;
    try {
      to = new URL(location, plain);
    } catch {
      to = undefined;
    }
    if (!to || to.href !== target.href) {
      return fail(`301 goes to ${location || '(no Location)'}, expected ${target.href}`, 'redirect to the same host, path and query on https');
    }
    return pass(`301 to ${to.href}`);
  },
};

const checkAuthenticatedList: Check = {
  id: 'api-list',
  name: 'api: authenticated list of workspaces',
  run: async (ctx) => {
    const token = ctx.options.token;
    if (!token) return skip('no token given (--token or SMOKE_TOKEN)');
    const res = await get(ctx, '/api/v1/workspaces', { authorization: `Bearer ${token}`, accept: 'application/json' });
    const t = statusOutcome(res, '/api/v1/workspaces');
    if (t) return t;
    if (res.status === 401) return fail('the token was refused (401)', 'create a new personal access token and pass it with --token');
    const body = parseJson(res.body) as { workspaces?: Array<{ slug?: string }> } | undefined;
    if (res.status !== 200 || !Array.isArray(body?.workspaces)) {
      return fail(`/api/v1/workspaces answered ${res.status}${body ? '' : ' (not JSON)'}, expected 200 {"workspaces":[…]}`);
    }
    ctx.workspaces = body.workspaces.map((w) => String(w.slug));
    return pass(`200, ${body.workspaces.length} workspace(s)`);
  },
};

const checkEvents: Check = {
  id: 'api-events',
  name: 'api: event stream sends a first event',
  run: async (ctx) => {
    const token = ctx.options.token;
    if (!token) return skip('no token given (--token or SMOKE_TOKEN)');
    const slug = ctx.options.workspace ?? ctx.workspaces?.[0];
    if (!slug) {
      return skip(
        ctx.workspaces ? 'the token sees no workspace, so there is no stream to open (pass --workspace SLUG)' : 'the workspace list did not load',
      );
    }
    const path = `/api/v1/workspaces/${encodeURIComponent(slug)}/events`;
    const firstEventMs = ctx.options.firstEventMs ?? 20_000;
    const res = await readFirstEvent(
      // The socket may stay idle until the first event: its timeout must outlast the wait.
      { url: urlFor(ctx, path), headers: { authorization: `Bearer ${token}` }, timeoutMs: Math.max(requestTimeout(ctx), firstEventMs + 1_000), ca: ctx.options.ca },
      firstEventMs,
    );
    if (TRANSIENT_STATUS.has(res.status)) return transient(`${path} answered ${res.status}`);
    if (res.status !== 200) return fail(`${path} answered ${res.status}, expected 200`);
    if (!res.contentType.startsWith('text/event-stream')) return fail(`${path} answered ${res.contentType || 'no content type'}, expected text/event-stream`);
    if (!res.first && res.closed) {
      return fail('the stream closed before its first event', 'the api ends the event-stream response instead of keeping it open: read the api logs for the events route');
    }
    if (!res.first) {
      return fail(
        `the stream opened but sent nothing within ${formatDuration(firstEventMs)}`,
        'something between the client and the api buffers the stream, or the idle timeout is too short',
      );
    }
    return pass(`workspace ${slug}: first event "${res.first}"`);
  },
};

export const SMOKE_CHECKS: readonly Check[] = [
  checkReady,
  checkHealth,
  checkWeb,
  checkVersion,
  checkMetricsWithToken,
  checkMetricsRefused,
  checkCertificate,
  checkRedirect,
  checkAuthenticatedList,
  checkEvents,
];

async function runCheck(ctx: Context, check: Check): Promise<CheckResult> {
  const { clock } = ctx.deps;
  const started = clock.now();
  let attempts = 0;
  let backoff = 500;
  // The last thing the app itself answered: an attempt cut short by the deadline (no answer in
  // time) must not hide why the attempts before it failed.
  let lastAnswer: string | undefined;
  for (;;) {
    attempts += 1;
    let outcome: Outcome;
    try {
      outcome = await check.run(ctx);
      if (outcome.kind === 'transient') lastAnswer = outcome.detail;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome = isTransientNetworkError(error) ? transient(message) : fail(message);
    }
    const done = (status: CheckStatus, detail: string, fix?: string): CheckResult => ({
      id: check.id,
      name: check.name,
      status,
      detail,
      fix,
      attempts,
      durationMs: clock.now() - started,
    });
    if (outcome.kind === 'pass') return done('pass', outcome.detail);
    if (outcome.kind === 'skip') return done('skip', outcome.detail);
    if (outcome.kind === 'fail') return done('fail', outcome.detail, outcome.fix);
    if (clock.now() + backoff > ctx.deadline) {
      const before = lastAnswer && lastAnswer !== outcome.detail ? ` (before that: ${lastAnswer})` : '';
      return { ...done('fail', `still failing at the deadline after ${attempts} attempt(s): ${outcome.detail}${before}`), transient: true };
    }
    await clock.sleep(backoff);
    backoff = Math.min(backoff * 2, 5_000);
  }
}

export async function runSmoke(options: SmokeOptions, deps: SmokeDeps): Promise<SmokeReport> {
  const started = deps.clock.now();
  const ctx: Context = { options, deps, deadline: started + options.timeoutMs };
  const checks: CheckResult[] = [];
  for (const check of SMOKE_CHECKS) {
    const reason = options.skip?.[check.id];
    const result: CheckResult = reason
      ? { id: check.id, name: check.name, status: 'skip', detail: reason, durationMs: 0, attempts: 0 }
      : await runCheck(ctx, check);
    checks.push(result);
    deps.onCheck?.(result);
  }
  const failed = checks.filter((c) => c.status === 'fail').map((c) => `${c.name} (${c.detail})`);
  return {
    ok: failed.length === 0,
    baseUrl: options.baseUrl.href,
    checks,
    durationMs: deps.clock.now() - started,
    version: ctx.version,
    failed,
  };
}

/** One line naming the failed checks, for summaries and deploy records. */
export function smokeSummary(report: SmokeReport): string {
  const passed = report.checks.filter((c) => c.status === 'pass').length;
  const skipped = report.checks.filter((c) => c.status === 'skip').length;
  if (report.ok) return `smoke gate passed: ${passed} passed, ${skipped} skipped in ${formatDuration(report.durationMs)}`;
  return `smoke gate failed: ${report.failed.join('; ')}`;
}
