/**
 * An anchor and the API measured in alternating slices instead of one after the other. This
 * machine's speed drifts by up to ±20 % within a minute; measured back to back, a ratio took
 * whatever drift fell between its two halves (`GET /api/health` ÷ bare node:http read 1.42 in
 * one run because the bare server's 8 s fell in a slow spell). In turns, a slow spell lands on
 * every side alike: side A slice 1, side B slice 1, A slice 2, B slice 2, …
 */
import type { PgbenchResult } from './pgbench.ts';
import type { WrkResult } from './wrk.ts';

/** Runs every side `slices` times, in turn; returns each side's slices in order. */
export async function inTurns<T>(slices: number, sides: ReadonlyArray<() => Promise<T>>): Promise<T[][]> {
  if (!Number.isInteger(slices) || slices < 1) throw new Error(`slices must be a whole number of at least 1, not ${slices}`);
  const results: T[][] = sides.map(() => []);
  for (let slice = 0; slice < slices; slice++) {
    for (const [i, side] of sides.entries()) results[i]!.push(await side());
  }
  return results;
}

/** The middle value (the mean of the middle two for an even count). */
export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round(((sorted[mid - 1]! + sorted[mid]!) / 2) * 100) / 100;
};

/**
 * One figure from equal-length wrk slices: requests/s over the whole time (the mean, the slices
 * being equally long), requests and errors summed, each latency percentile the median of the
 * slices' (wrk gives no histogram to merge). A slice where nothing completed makes them null.
 */
export function mergeWrk(slices: readonly WrkResult[]): WrkResult {
  if (slices.length === 0) throw new Error('mergeWrk needs at least one slice');
  const requests = slices.reduce((sum, s) => sum + s.requests, 0);
  const errors = slices.reduce((sum, s) => sum + s.errors, 0);
  const rps = Math.round(slices.reduce((sum, s) => sum + s.rps, 0) / slices.length);
  const percentile = (key: 'p50Ms' | 'p90Ms' | 'p99Ms') => (slices.some((s) => s[key] === null) ? null : median(slices.map((s) => s[key]!)));
  return { rps, p50Ms: percentile('p50Ms'), p90Ms: percentile('p90Ms'), p99Ms: percentile('p99Ms'), requests, errors };
}

/** One pgbench figure from equal-length slices: the mean of the transactions/s and of the latencies. */
export function mergePgbench(slices: readonly PgbenchResult[]): PgbenchResult {
  if (slices.length === 0) throw new Error('mergePgbench needs at least one slice');
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return { tps: Math.round(mean(slices.map((s) => s.tps))), latencyAverageMs: Math.round(mean(slices.map((s) => s.latencyAverageMs)) * 1000) / 1000 };
}

/** One figure from one side's slices, whichever tool measured them. */
export function mergeSlices(slices: ReadonlyArray<WrkResult | PgbenchResult>): WrkResult | PgbenchResult {
  const pgbenchSlices = slices.filter((s): s is PgbenchResult => 'tps' in s);
  if (pgbenchSlices.length === 0) return mergeWrk(slices as WrkResult[]);
  if (pgbenchSlices.length !== slices.length) throw new Error('the slices of one side come from one tool: wrk or pgbench, not both');
  return mergePgbench(pgbenchSlices);
}
