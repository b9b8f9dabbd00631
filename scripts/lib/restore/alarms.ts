/**
 * The database alarms follow the instance the app uses: a cutover deploys the observability
 * stack with MonitoredDbInstanceId set to the copy, its rollback sets it back. Through CDK, so
 * CloudFormation stays the source of truth (and keeps the value across plain deploys).
 */
import { MONITORED_DB_PARAMETER, stackNames } from '../../../infra/outputs.ts';
import type { Reporter } from '../cli.ts';
import type { CommandRunner } from '../runner.ts';

export async function pointAlarmsAt(deps: { runner: CommandRunner; reporter: Reporter }, appName: string, instance: string, timeoutMs: number): Promise<boolean> {
  const stack = stackNames(appName).observability;
  const args = ['cdk', 'deploy', stack, '--exclusively', '--parameters', `${stack}:${MONITORED_DB_PARAMETER}=${instance}`, '--require-approval', 'never', '--no-color'];
  deps.reporter.line(`  $ npx ${args.join(' ')}`);
  const result = await deps.runner.run('npx', args, { timeoutMs, stream: { write: (t) => deps.reporter.line(t.replace(/\n$/, '')) } });
  if (result.exitCode === 0) {
    deps.reporter.step('pass', 'database alarms', `watch ${instance}`);
    return true;
  }
  const tail = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-2).join(' | ');
  deps.reporter.step('warn', 'database alarms', `still watch the previous instance: cdk deploy ${stack} exited ${result.exitCode}${tail ? ` (${tail})` : ''}`, `npx ${args.join(' ')}`);
  return false;
}
