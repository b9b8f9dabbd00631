/** `npm run smoke`: flags, report printing and the JSON document around runSmoke(). */
import { readFileSync } from 'node:fs';
import {
  formatDuration,
  MARKS,
  portFlag,
  secondsFlag,
  stringFlag,
  urlFlag,
  UsageError,
  type CommandResult,
  type CommandSpec,
  type Flags,
  type Reporter,
} from './cli.ts';
import { formatCheck } from './gate.ts';
import { runSmoke, smokeSummary, type CheckResult, type SmokeOptions, type SmokeReport } from './smoke.ts';
import type { Clock } from './wait.ts';

export const SMOKE_SPEC: CommandSpec = {
  name: 'smoke',
  summary:
    'The production smoke gate: checks the web page, health, readiness, version, metrics gating, HTTPS (certificate and redirect) and, with a token, an authenticated call and the event stream. Exit 0 only if no check failed.',
  options: {
    'base-url': { type: 'string', valueName: 'URL', env: 'SMOKE_BASE_URL', description: 'Public URL of the app, e.g. https://tracker.example.com (required).' },
    'metrics-token': { type: 'string', valueName: 'T', env: 'SMOKE_METRICS_TOKEN', description: 'Metrics token: /api/metrics must answer 200 with it.' },
    token: { type: 'string', valueName: 'PAT', env: 'SMOKE_TOKEN', description: 'Personal access token (pat_…) for the authenticated list call and the event stream.' },
    workspace: { type: 'string', valueName: 'SLUG', env: 'SMOKE_WORKSPACE', description: 'Workspace whose event stream is opened (default: the first the token sees).' },
    'expect-release': { type: 'string', valueName: 'R', env: 'SMOKE_EXPECT_RELEASE', description: '/api/version must report this release.' },
    timeout: { type: 'string', valueName: 'S', env: 'SMOKE_TIMEOUT', default: '120', description: 'Seconds to keep retrying transient failures (refused, 502/503) before failing.' },
    'http-port': { type: 'string', valueName: 'PORT', env: 'SMOKE_HTTP_PORT', default: '80', description: 'Port of the plain-HTTP listener for the redirect check.' },
    'ca-file': { type: 'string', valueName: 'PEM', env: 'SMOKE_CA_FILE', description: 'Extra CA certificate to trust (private CAs).' },
  },
  examples: [
    'npm run smoke -- --base-url https://tracker.example.com --metrics-token "$METRICS_TOKEN"',
    'npm run smoke -- --base-url https://tracker.example.com --token "$SMOKE_TOKEN" --expect-release 3f2a9c1d0e4b --json',
  ],
};

/** A token for the gate's authenticated checks; deploy and rollback take it too (--smoke-token). */
export function personalAccessTokenFlag(flags: Flags, name: string): string | undefined {
  const token = stringFlag(flags, name);
  if (token !== undefined && !token.startsWith('pat_')) {
    throw new UsageError(`--${name} must be a personal access token starting with pat_ (create one under your profile)`);
  }
  return token;
}

export function smokeOptionsFromFlags(flags: Flags): SmokeOptions {
  const baseUrl = urlFlag(flags, 'base-url');
  if (!baseUrl) throw new UsageError('--base-url is required: the public URL of the app (or set SMOKE_BASE_URL)');
  const caFile = stringFlag(flags, 'ca-file');
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new UsageError(`--ca-file ${caFile} cannot be read: ${(error as Error).message}`);
    }
  }
  const token = personalAccessTokenFlag(flags, 'token');
  return {
    baseUrl,
    metricsToken: stringFlag(flags, 'metrics-token'),
    token,
    workspace: stringFlag(flags, 'workspace'),
    expectRelease: stringFlag(flags, 'expect-release'),
    timeoutMs: secondsFlag(flags, 'timeout') * 1000,
    httpPort: portFlag(flags, 'http-port'),
    ca,
  };
}

export function smokeDocument(report: SmokeReport): Record<string, unknown> {
  return {
    baseUrl: report.baseUrl,
    durationMs: report.durationMs,
    version: report.version ?? null,
    checks: report.checks,
    failed: report.failed,
  };
}

export async function smokeFlow(flags: Flags, reporter: Reporter, deps: { clock: Clock }): Promise<CommandResult> {
  const options = smokeOptionsFromFlags(flags);
  reporter.line(`Smoke gate for ${options.baseUrl.href} (deadline ${formatDuration(options.timeoutMs)})`);
  const report = await runSmoke(options, { clock: deps.clock, onCheck: (c) => reporter.line(formatCheck(c)) });
  return { ok: report.ok, summary: smokeSummary(report), document: smokeDocument(report) };
}
