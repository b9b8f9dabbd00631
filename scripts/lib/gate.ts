/** The smoke gate as deploy, rollback, restart and cutover run it: options from the stacks, ✓/✗ lines. */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SlipwayConfig } from '../../infra/config.ts';
import { readSecret } from './aws.ts';
import { formatDuration, MARKS, type Reporter } from './cli.ts';
import { runSmoke, smokeSummary, type CheckResult, type SmokeOptions, type SmokeReport } from './smoke.ts';
import type { StackOutputs } from './stacks.ts';
import type { Clock } from './wait.ts';

export interface GateDeps {
  readonly clock: Clock;
  readonly reporter: Reporter;
  /** The smoke gate; tests replace it. @default runSmoke */
  readonly smoke?: (options: SmokeOptions) => Promise<SmokeReport>;
}

/** Everything the gate needs from the stacks: URL and metrics token. */
export async function smokeOptionsFor(
  outputs: StackOutputs,
  deps: { readonly secrets: SecretsManagerClient },
  config: SlipwayConfig,
  expectRelease: string,
  timeoutMs: number,
  token?: string,
): Promise<SmokeOptions> {
  const baseUrl = new URL((await outputs.find('appUrl')) ?? config.appUrl);
  const metricsArn = await outputs.find('metricsTokenSecretArn');
  const metricsToken = metricsArn ? await readSecret(deps.secrets, metricsArn) : undefined;
  return { baseUrl, expectRelease, timeoutMs, metricsToken, token };
}

export function formatCheck(check: CheckResult): string {
  const mark = check.status === 'pass' ? MARKS.pass : check.status === 'fail' ? MARKS.fail : MARKS.skip;
  const attempts = check.attempts > 1 ? `, ${check.attempts} attempts` : '';
  const fix = check.fix && check.status === 'fail' ? `\n    fix: ${check.fix}` : '';
  return `${mark} ${check.name}: ${check.detail} (${formatDuration(check.durationMs)}${attempts})${fix}`;
}

export async function gate(deps: GateDeps, options: SmokeOptions): Promise<SmokeReport> {
  deps.reporter.line(`  smoke gate against ${options.baseUrl.href}, expecting release ${options.expectRelease}`);
  const report = await (deps.smoke ?? ((o) => runSmoke(o, { clock: deps.clock })))(options);
  for (const check of report.checks) deps.reporter.line(`    ${formatCheck(check)}`);
  deps.reporter.step(report.ok ? 'pass' : 'fail', 'smoke gate', smokeSummary(report));
  return report;
}
