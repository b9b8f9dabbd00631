/** What a preflight check is: a small function over the context, answering pass/warn/fail with the fix. */
import type { SlipwayConfig } from '../../infra/config.ts';
import type { AwsClients } from './aws.ts';
import type { StepStatus } from './cli.ts';
import type { CommandRunner } from './runner.ts';
import type { LeftoverClients } from './teardown/kinds.ts';
import type { Clock } from './wait.ts';

export interface CheckOutcome {
  readonly status: Exclude<StepStatus, 'info'>;
  readonly detail: string;
  readonly fix?: string;
}

export interface PreflightContext {
  readonly config: SlipwayConfig;
  readonly clients: Pick<AwsClients, 'sts' | 'ssm' | 'route53' | 'acm' | 'ses' | 'secrets' | 'quotas' | 'cfn' | 'iam'> & LeftoverClients;
  readonly runner: CommandRunner;
  readonly clock: Clock;
  /** Public NS records of a zone (dns.promises.resolveNs). */
  readonly resolveNs: (name: string) => Promise<string[]>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** --allow-over-budget: the cost budget check warns instead of failing. */
  readonly allowOverBudget?: boolean;
}

export interface PreflightCheck {
  readonly name: string;
  /** Calls AWS: skipped (not failed again) when the identity check found no usable credentials. */
  readonly aws?: boolean;
  readonly run: (ctx: PreflightContext) => Promise<CheckOutcome>;
}

export const pass = (detail: string): CheckOutcome => ({ status: 'pass', detail });
export const fail = (detail: string, fix: string): CheckOutcome => ({ status: 'fail', detail, fix });
export const warn = (detail: string, fix: string): CheckOutcome => ({ status: 'warn', detail, fix });
export const errorName = (e: unknown) => (e as Error)?.name ?? '';
