/**
 * Latency quantiles over the last few minutes, per method and route: what `/api/metrics/red`
 * reports and `/api/metrics` exports as a summary (quantiles, `_sum`, `_count`).
 *
 * prom-client's Summary pushes every observation into one t-digest per age bucket (five for a
 * five-minute window), which was about 14 µs of each request on the issue list. Here an
 * observation adds 1 to one counter: durations fall into buckets whose bounds grow by a
 * constant ratio, so a quantile read back is within RELATIVE_ACCURACY of the duration observed
 * at that rank, however skewed the distribution (the DDSketch construction: Masson, Rim and
 * Lee, "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with Relative-Error Guarantees",
 * VLDB 2019). The window slides one age bucket at a time, as prom-client's does.
 */
export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Durations are kept between these; anything faster counts as the floor, slower as the ceiling. */
export const FLOOR_SECONDS = 1e-6;
export const CEILING_SECONDS = 3600;
const BUCKETS = Math.ceil(Math.log(CEILING_SECONDS / FLOOR_SECONDS) / LOG_GAMMA) + 1;

/** Bucket i holds durations in (FLOOR·γ^(i-1), FLOOR·γ^i]; bucket 0 everything up to FLOOR. */
function bucketOf(seconds: number): number {
  if (!(seconds > FLOOR_SECONDS)) return 0;
  const i = Math.ceil(Math.log(seconds / FLOOR_SECONDS) / LOG_GAMMA);
  return i < BUCKETS ? i : BUCKETS - 1;
}

/** The value whose relative distance to every duration in bucket i is at most RELATIVE_ACCURACY. */
function valueOf(bucket: number): number {
  return bucket === 0 ? FLOOR_SECONDS : (FLOOR_SECONDS * 2 * GAMMA ** bucket) / (GAMMA + 1);
}

interface Series {
  readonly labels: { method: string; route: string };
  /** One histogram per age bucket, reused in turn; `epochs` says which window each one holds. */
  readonly windows: Uint32Array[];
  readonly epochs: number[];
  sum: number;
  count: number;
}

export interface RecentLatencyOptions {
  readonly name: string;
  readonly help: string;
  readonly percentiles: readonly number[];
  readonly maxAgeSeconds: number;
  readonly ageBuckets: number;
  readonly now?: () => number;
}

/** The value prom-client's registry reads from a metric (`get()`), as its own Summary gives it. */
interface SummaryValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

export class RecentLatency {
  readonly name: string;
  readonly help: string;
  readonly type = 'summary';
  readonly aggregator = 'sum';
  readonly percentiles: readonly number[];
  readonly #windowMs: number;
  readonly #ageBuckets: number;
  readonly #now: () => number;
  readonly #series = new Map<string, Series>();

  constructor(options: RecentLatencyOptions) {
    if (!Number.isInteger(options.ageBuckets) || options.ageBuckets < 1) throw new Error(`${options.name}: ageBuckets must be a whole number ≥ 1`);
    if (!(options.maxAgeSeconds > 0)) throw new Error(`${options.name}: maxAgeSeconds must be > 0`);
    const outside = options.percentiles.find((q) => !(q >= 0 && q <= 1));
    if (outside !== undefined) throw new Error(`${options.name}: percentiles must lie between 0 and 1 (got ${outside})`);
    this.name = options.name;
    this.help = options.help;
    this.percentiles = options.percentiles;
    this.#windowMs = (options.maxAgeSeconds * 1000) / options.ageBuckets;
    this.#ageBuckets = options.ageBuckets;
    this.#now = options.now ?? Date.now;
  }

  observe(method: string, route: string, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    const key = `${method} ${route}`;
    let series = this.#series.get(key);
    if (!series) {
      series = {
        labels: { method, route },
        windows: Array.from({ length: this.#ageBuckets }, () => new Uint32Array(BUCKETS)),
        epochs: new Array<number>(this.#ageBuckets).fill(-Infinity),
        sum: 0,
        count: 0,
      };
      this.#series.set(key, series);
    }
    const epoch = Math.floor(this.#now() / this.#windowMs);
    const slot = epoch % this.#ageBuckets;
    const window = series.windows[slot]!;
    if (series.epochs[slot] !== epoch) {
      window.fill(0);
      series.epochs[slot] = epoch;
    }
    window[bucketOf(seconds)]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** Quantiles (in seconds) of what the window holds for one route; null where it holds nothing. */
  quantiles(method: string, route: string): Map<number, number | null> {
    const series = this.#series.get(`${method} ${route}`);
    return series ? this.#quantilesOf(series) : new Map(this.percentiles.map((q) => [q, null]));
  }

  /** Every series seen since start, with its window's quantiles. */
  *entries(): Generator<{ method: string; route: string; quantiles: Map<number, number | null> }> {
    for (const series of this.#series.values()) yield { ...series.labels, quantiles: this.#quantilesOf(series) };
  }

  #quantilesOf(series: Series): Map<number, number | null> {
    const current = Math.floor(this.#now() / this.#windowMs);
    const merged = new Float64Array(BUCKETS);
    let total = 0;
    for (let slot = 0; slot < this.#ageBuckets; slot++) {
      if (series.epochs[slot]! <= current - this.#ageBuckets) continue;
      const window = series.windows[slot]!;
      for (let i = 0; i < BUCKETS; i++) {
        merged[i]! += window[i]!;
        total += window[i]!;
      }
    }
    const result = new Map<number, number | null>();
    for (const q of this.percentiles) {
      if (total === 0) {
        result.set(q, null);
        continue;
      }
      // The duration at rank ⌊q·(n-1)⌋ of the sorted window lies in the first bucket whose
      // cumulative count passes q·(n-1).
      // q ≤ 1, so the rank is below the total and the walk stops at a bucket that holds something.
      const rank = q * (total - 1);
      let bucket = 0;
      for (let seen = merged[0]!; seen <= rank; seen += merged[bucket]!) bucket++;
      result.set(q, valueOf(bucket));
    }
    return result;
  }

  /** What prom-client's registry reads: quantile lines, then `_sum` and `_count` (since start). */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: SummaryValue[] }> {
    const values: SummaryValue[] = [];
    for (const series of this.#series.values()) {
      for (const [quantile, value] of this.#quantilesOf(series)) values.push({ labels: { quantile, ...series.labels }, value: value ?? Number.NaN });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.#series.clear();
  }
}
