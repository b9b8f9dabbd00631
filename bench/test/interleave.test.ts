import { describe, expect, it } from 'vitest';
import { inTurns, median, mergePgbench, mergeSlices, mergeWrk } from '../interleave.ts';
import type { WrkResult } from '../wrk.ts';

const slice = (rps: number, p50Ms: number | null, requests = rps * 2, errors = 0): WrkResult => ({ rps, p50Ms, p90Ms: p50Ms === null ? null : p50Ms * 2, p99Ms: p50Ms === null ? null : p50Ms * 4, requests, errors });

describe('measuring in turns', () => {
  it('runs the sides one slice each, in turn, and returns each side its own slices in order', async () => {
    const calls: string[] = [];
    const side = (name: string) => {
      let n = 0;
      return async () => {
        calls.push(`${name}${++n}`);
        return `${name}${n}`;
      };
    };
    const results = await inTurns(3, [side('a'), side('b'), side('c')]);
    expect(calls).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'c2', 'a3', 'b3', 'c3']);
    expect(results).toEqual([
      ['a1', 'a2', 'a3'],
      ['b1', 'b2', 'b3'],
      ['c1', 'c2', 'c3'],
    ]);
  });

  it('refuses a slice count that is not a whole number of at least 1, naming it', async () => {
    await expect(inTurns(0, [async () => 1])).rejects.toThrow('slices must be a whole number of at least 1, not 0');
    await expect(inTurns(1.5, [async () => 1])).rejects.toThrow('not 1.5');
  });

  it('merges wrk slices: the mean rate, summed counts, the median of each percentile', () => {
    const merged = mergeWrk([slice(100, 1), slice(300, 5, 600, 2), slice(200, 3), slice(400, 2)]);
    expect(merged.rps).toBe(250);
    expect(merged.requests).toBe(200 + 600 + 400 + 800);
    expect(merged.errors).toBe(2);
    expect(merged.p50Ms).toBe(2.5); // median of 1, 2, 3, 5
    expect(merged.p90Ms).toBe(5);
    expect(mergeWrk([slice(10, 1), slice(20, 7), slice(30, 4)]).p50Ms).toBe(4);
  });

  it('reports no latency when any slice completed nothing, rather than a fast one', () => {
    expect(mergeWrk([slice(100, 1), slice(0, null)])).toMatchObject({ rps: 50, p50Ms: null, p99Ms: null });
  });

  it('merges pgbench slices as the mean of their rates and latencies', () => {
    expect(mergePgbench([{ tps: 9000, latencyAverageMs: 1.5 }, { tps: 11000, latencyAverageMs: 1.7 }])).toEqual({ tps: 10000, latencyAverageMs: 1.6 });
    expect(() => mergePgbench([])).toThrow('at least one slice');
    expect(() => mergeWrk([])).toThrow('at least one slice');
  });

  it('merges a side by the tool that measured it, and refuses a side of both', () => {
    expect(mergeSlices([slice(100, 1), slice(300, 3)])).toMatchObject({ rps: 200, p50Ms: 2 });
    expect(mergeSlices([{ tps: 10, latencyAverageMs: 1 }, { tps: 30, latencyAverageMs: 3 }])).toEqual({ tps: 20, latencyAverageMs: 2 });
    expect(() => mergeSlices([slice(100, 1), { tps: 10, latencyAverageMs: 1 }])).toThrow('from one tool');
  });

  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([290, 250, 340])).toBe(290);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
