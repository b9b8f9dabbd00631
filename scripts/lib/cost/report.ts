/** Human output of an estimate and of the difference between two. */
import { round2, type CostLine, type Estimate } from './model.ts';

export const usd = (n: number): string => `$${n.toFixed(2)}`;
const signed = (n: number): string => `${n < 0 ? '-' : '+'}$${Math.abs(n).toFixed(2)}`;

const lineLabel = (l: Pick<CostLine, 'label' | 'count'>) => `${l.label} × ${l.count}`;

/** One table: a row per line, the total, then what could not be priced. */
export function formatEstimate(estimate: Estimate, title: string): string[] {
  const rows = [...estimate.lines].sort((a, b) => b.monthlyUsd - a.monthlyUsd);
  const width = Math.max(20, ...rows.map((r) => lineLabel(r).length));
  const out = [`${title} (${estimate.region} prices)`, `  ${'line'.padEnd(width)}  ${'per month'.padStart(10)}  basis  how`];
  for (const r of rows) out.push(`  ${lineLabel(r).padEnd(width)}  ${usd(r.monthlyUsd).padStart(10)}  ${r.basis.padEnd(5)}  ${r.detail}`);
  out.push(`  ${'total'.padEnd(width)}  ${usd(estimate.monthlyUsd).padStart(10)}`);
  if (estimate.unpriced.length) {
    out.push(`  not priced (${estimate.unpriced.length}), so the total above is a lower bound:`);
    for (const u of estimate.unpriced) out.push(`    ! ${u.label}: ${u.reason}`);
  }
  return out;
}

export interface LineDelta {
  readonly key: string;
  readonly text: string;
  readonly monthlyUsd: number;
}

/** Lines whose monthly cost differs between `before` and `after`, biggest change first. */
export function diffEstimates(before: Estimate, after: Estimate): { lines: LineDelta[]; monthlyUsd: number } {
  const keys = [...new Set([...before.lines, ...after.lines].map((l) => l.key))];
  const find = (e: Estimate, key: string) => e.lines.find((l) => l.key === key);
  const lines: LineDelta[] = [];
  for (const key of keys) {
    const a = find(before, key);
    const b = find(after, key);
    const delta = round2((b?.monthlyUsd ?? 0) - (a?.monthlyUsd ?? 0));
    if (delta === 0) continue;
    const label = (b ?? a)!.label;
    const countDelta = (b?.count ?? 0) - (a?.count ?? 0);
    const what = countDelta !== 0 && a?.detail !== undefined && a.count > 0 && b !== undefined && b.count > 0
      ? `${label} × ${Math.abs(countDelta)} (${a.count} → ${b.count})`
      : countDelta !== 0
        ? `${label} × ${Math.abs(countDelta)}`
        : `${label} (${a?.detail} → ${b?.detail})`;
    lines.push({ key, text: `${signed(delta)}/mo: ${what}`, monthlyUsd: delta });
  }
  lines.sort((x, y) => Math.abs(y.monthlyUsd) - Math.abs(x.monthlyUsd));
  return { lines, monthlyUsd: round2(after.monthlyUsd - before.monthlyUsd) };
}

export function formatDiff(diff: ReturnType<typeof diffEstimates>, from: string, to: string): string[] {
  if (diff.lines.length === 0) return [`No monthly cost change from ${from} to ${to}.`];
  return [`Monthly cost change from ${from} to ${to}:`, ...diff.lines.map((l) => `  ${l.text}`), `  ${signed(diff.monthlyUsd)}/mo in total`];
}
