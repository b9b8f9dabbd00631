/**
 * Checks that a body is Prometheus text exposition format (version 0.0.4): comment lines
 * (`# HELP`, `# TYPE`), samples `name{label="v",...} value [timestamp]`. Returns the number of
 * samples and metric families, or the first bad line.
 */
export type PrometheusParse =
  | { readonly ok: true; readonly samples: number; readonly families: number }
  | { readonly ok: false; readonly line: number; readonly reason: string };

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*"`;
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)|[+-]?Inf|NaN)';
const SAMPLE_RE = new RegExp(`^(${NAME})(?:\\{(?:${LABEL}(?:,${LABEL})*,?)?\\})?[ \\t]+${VALUE}(?:[ \\t]+-?\\d+)?$`);
const HELP_RE = new RegExp(`^#[ \\t]+HELP[ \\t]+${NAME}(?:[ \\t].*)?$`);
const TYPE_RE = new RegExp(`^#[ \\t]+TYPE[ \\t]+(${NAME})[ \\t]+(counter|gauge|histogram|summary|untyped)$`);

export function parsePrometheusText(body: string): PrometheusParse {
  let samples = 0;
  const families = new Set<string>();
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!.trimEnd();
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (/^#[ \t]+(HELP|TYPE)\b/.test(line)) {
        const type = TYPE_RE.exec(line);
        if (type) families.add(type[1]!);
        else if (!HELP_RE.test(line)) return { ok: false, line: i + 1, reason: `malformed comment: ${line.slice(0, 120)}` };
      }
      continue;
    }
    if (!SAMPLE_RE.test(line)) return { ok: false, line: i + 1, reason: `not a sample: ${line.slice(0, 120)}` };
    samples += 1;
  }
  if (samples === 0) return { ok: false, line: 0, reason: 'no samples at all' };
  return { ok: true, samples, families: families.size };
}
