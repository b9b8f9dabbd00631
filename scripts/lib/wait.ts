/**
 * Waiting on AWS: poll with progress (what, elapsed, current status) until done, failed or
 * timed out. The clock is injected so tests never sleep for real.
 */
import { formatDuration } from './cli.ts';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A clock for tests: sleeping advances time instantly. */
export function fakeClock(start = Date.parse('2026-01-15T12:00:00Z')): Clock & { advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly elapsedMs: number,
    readonly lastStatus: string,
  ) {
    super(`timed out after ${formatDuration(elapsedMs)} waiting for ${what} (last status: ${lastStatus})`);
    this.name = 'WaitTimeoutError';
  }
}

export class WaitFailedError extends Error {
  constructor(
    readonly what: string,
    readonly reason: string,
  ) {
    super(`${what} failed: ${reason}`);
    this.name = 'WaitFailedError';
  }
}

export type PollResult<T> =
  | { readonly state: 'pending'; readonly status: string }
  | { readonly state: 'done'; readonly status: string; readonly value: T }
  | { readonly state: 'failed'; readonly status: string; readonly reason: string };

export interface WaitOptions<T> {
  /** Shown in progress lines: "waiting for <what>". */
  readonly what: string;
  readonly poll: () => Promise<PollResult<T>>;
  readonly timeoutMs: number;
  /** @default 15 s */
  readonly intervalMs?: number;
  readonly clock: Clock;
  /** Receives a progress line when the status changes, and at least every `heartbeatMs`. */
  readonly progress?: (line: string) => void;
  /** @default 60 s */
  readonly heartbeatMs?: number;
}

export async function waitFor<T>(options: WaitOptions<T>): Promise<T> {
  const { clock, what } = options;
  const interval = options.intervalMs ?? 15_000;
  const heartbeat = options.heartbeatMs ?? 60_000;
  const started = clock.now();
  let lastStatus = '(not read yet)';
  let lastReport = -Infinity;
  for (;;) {
    const result = await options.poll();
    const elapsed = clock.now() - started;
    if (result.status !== lastStatus || clock.now() - lastReport >= heartbeat) {
      options.progress?.(`  … waiting for ${what}: ${result.status} (${formatDuration(elapsed)} elapsed)`);
      lastReport = clock.now();
    }
    lastStatus = result.status;
    if (result.state === 'done') return result.value;
    if (result.state === 'failed') throw new WaitFailedError(what, result.reason);
    if (elapsed + interval > options.timeoutMs) throw new WaitTimeoutError(what, elapsed, lastStatus);
    await clock.sleep(interval);
  }
}
