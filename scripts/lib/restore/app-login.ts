/**
 * The api's own login once its secret names another instance. The login is a role inside the
 * database: a restored copy has the password of its restore point, and a rotation while cut
 * over changes it on the copy only. So the migrate task (the master user, through the master
 * secret, which names the same instance by then) runs `migrate app-role`: the role is created
 * if missing, given the password the login's secret holds now, and its grants converge.
 */
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { oneLine } from '../cli.ts';
import type { StackOutputs } from '../stacks.ts';
import type { DatabaseSecret } from './database-secrets.ts';
import type { RestoreDeps } from './options.ts';
import { probeTarget, runProbe, type ProbeResult } from './validate.ts';

export const APP_ROLE_COMMAND = ['migrate', 'app-role'] as const;
const STEP = 'api login';

export type AppLoginOutcome = { readonly ok: true } | { readonly ok: false; readonly detail: string };

/** The app's last log line (pino's `msg`), which says what migrate did or why it stopped. */
function lastLine(result: ProbeResult): string | undefined {
  const msg = result.records.at(-1)?.msg;
  return typeof msg === 'string' ? msg : undefined;
}

/** Why a `migrate app-role` task on `instance` failed (exit code, stopped reason, last log line), or undefined when it exited 0. */
export function appRoleFailure(result: ProbeResult, instance: string): string | undefined {
  if (result.exitCode === 0) return undefined;
  const stopped = result.stoppedReason ? ` (${result.stoppedReason})` : '';
  return `${APP_ROLE_COMMAND.join(' ')} on ${instance} exited ${result.exitCode ?? 'without an exit code'}${stopped}; last log line: ${lastLine(result) ?? 'none'}`;
}

/**
 * Runs `migrate app-role` against `instance` (where the secrets point now) and requires exit 0.
 * `fix` is what the operator does when it fails. Skipped, and said so, without an api login.
 */
export async function keepAppLogin(
  deps: RestoreDeps,
  outputs: StackOutputs,
  secretsInUse: readonly DatabaseSecret[],
  instance: string,
  timeoutMs: number,
  fix: string,
): Promise<AppLoginOutcome> {
  if (!secretsInUse.some((s) => s.kind === 'login')) {
    deps.reporter.step('info', STEP, 'skipped: the data stack has no DbAppSecretArn output, so the api signs in as the master user');
    return { ok: true };
  }
  const command = APP_ROLE_COMMAND.join(' ');
  let detail: string;
  try {
    const family = await outputs.get('migrateTaskFamily');
    const td = (await deps.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }))).taskDefinition;
    if (!td) throw new Error(`task definition ${family} not found`);
    const probeDeps = { ecs: deps.ecs, logs: deps.logs, clock: deps.clock, progress: (l: string) => deps.reporter.line(l) };
    const result = await runProbe(probeDeps, await probeTarget(outputs), td.taskDefinitionArn ?? family, td, APP_ROLE_COMMAND, timeoutMs, 'api login task');
    const failed = appRoleFailure(result, instance);
    if (!failed) {
      const last = lastLine(result);
      deps.reporter.step('pass', STEP, `${command} on ${instance}${last ? `: ${last}` : ''}`);
      return { ok: true };
    }
    detail = failed;
  } catch (error) {
    detail = `${command} on ${instance} did not run: ${oneLine(error)}`;
  }
  deps.reporter.step('fail', STEP, detail, fix);
  return { ok: false, detail };
}
