/** The figures of one run, the targets as ratios between them, and the table printed at the end. */
export interface Figure {
  readonly scenario: string;
  readonly rps: number;
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  readonly p99Ms: number | null;
  readonly errors: number;
  readonly note?: string;
}

export interface Target {
  readonly target: string;
  readonly measured: number;
  readonly bound: string;
  /** null: a reading, not a target (printed as "-"). */
  readonly met: boolean | null;
}

/** The scenario name of the node floor anchor (bare-pg.ts). */
export const NODE_FLOOR = 'node floor: bare node:http + pg, the API\'s SELECT';

const find = (figures: Figure[], scenario: string) => figures.find((f) => f.scenario === scenario);
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? Math.round((a / b) * 100) / 100 : NaN);

export function targetsOf(figures: Figure[], coldStart: { medianMs: number; bareMedianMs: number }, small: number, large: number): Target[] {
  const targets: Target[] = [];
  const add = (target: string, measured: number, bound: string, met: boolean | null) => targets.push({ target, measured, bound, met });
  const page = find(figures, `list ${small}: first page of 50`)?.rps;
  const pgbenchRps = find(figures, `list ${small}: pgbench, the API's SELECT`)?.rps;
  const floor = find(figures, `list ${small}: ${NODE_FLOOR}`)?.rps;
  const list = ratio(page, pgbenchRps);
  add('list first page ÷ pgbench same SELECT (req/s)', list, '≥ 0.4', list >= 0.4);
  // What bounds the line above: no node process reaches pgbench here, however little it does.
  add('node floor (bare node:http + pg, same SELECT) ÷ pgbench (req/s)', ratio(floor, pgbenchRps), 'the most any node server reaches', null);
  add('list first page ÷ node floor (req/s)', ratio(page, floor), 'our share of what node can do', null);
  const health = ratio(find(figures, 'health: GET /api/health')?.rps, find(figures, 'health: bare node:http')?.rps);
  add('GET /api/health ÷ bare node:http (req/s)', health, '≥ 0.8', health >= 0.8);
  for (const [name, bound] of [
    ['list', 1.5],
    ['search', 2],
    ['filter', 1.5],
  ] as const) {
    for (const figure of figures.filter((f) => f.scenario.startsWith(`${name} ${large}:`) && f.p50Ms !== null)) {
      const label = figure.scenario.slice(`${name} ${large}: `.length);
      const p50 = ratio(figure.p50Ms, find(figures, `${name} ${small}: ${label}`)?.p50Ms);
      add(`${name} ${label}: p50 at ${large} ÷ at ${small}`, p50, `≤ ${bound}`, p50 <= bound);
    }
  }
  add('cold start to readyz 200 (ms)', coldStart.medianMs, '< 500', coldStart.medianMs < 500);
  add('cold start ÷ bare node:http start (same machine, same moment)', ratio(coldStart.medianMs, coldStart.bareMedianMs), 'for reading the ms', null);
  return targets;
}

export function printReport(figures: Figure[], targets: Target[], info: { bundle: string; bundleBytes: number; coldStartMs: number; bareStartMs: number }): void {
  const lines = [
    '',
    '| scenario | req/s | p50 ms | p90 ms | p99 ms | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...figures.map((f) => `| ${f.scenario} | ${f.rps} | ${f.p50Ms ?? ''} | ${f.p90Ms ?? ''} | ${f.p99Ms ?? ''} | ${f.errors} |`),
    '',
    '| target | measured | bound | met |',
    '| --- | ---: | --- | --- |',
    ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.bound} | ${t.met === null ? '-' : t.met ? 'yes' : 'no'} |`),
    '',
    `bundle ${info.bundle}: ${(info.bundleBytes / 1_048_576).toFixed(1)} MiB; cold start ${info.coldStartMs} ms (bare node:http ${info.bareStartMs} ms)`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
