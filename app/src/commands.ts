/**
 * What every command shares: how it says that it failed to start (bad settings list every
 * problem, a database that cannot be reached names the setting to check, anything else prints
 * its stack trace) and how a server command stops on a signal.
 */
import { ConfigError } from './config/env.ts';

export function reportStartFailure(command: string | undefined, error: unknown): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  // Its message says what failed and which setting to check: no stack trace needed.
  if ((error as Error).name === 'DatabaseConnectError') {
    process.stderr.write(`slipway ${command}: ${(error as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`slipway ${command ?? ''} failed to start: ${(error as Error).stack ?? String(error)}\n`);
  return 1;
}

/** SIGTERM and SIGINT run `handler` once, then the process exits 0 (1 if the handler failed). */
export function onSignals(handler: (signal: string) => Promise<void>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      handler(signal).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
