/**
 * Independent checks over every synthesized variant: the change-safety replay (each day-2
 * change in replay-scenarios.ts, diffed with @aws-cdk/cloudformation-diff) and cfn-lint.
 * Each distinct variant is synthesized once; cfn-lint runs once over the distinct templates.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkChange, describeFinding, type StackTemplates } from '../policies/change-safety.ts';
import { cfnLint, cfnLintVersion, describeLintFinding, exceptionFor, LINT_EXCEPTIONS, type LintFinding } from './cfn-lint.ts';
import { SCENARIOS, type ReplaySide } from './replay-scenarios.ts';
import { stackTemplates, synthApp } from './support.ts';

/** Variants that other test files synthesize, linted here too. */
const OTHER_VARIANTS: readonly ReplaySide[] = [
  { settings: { DEPLOY_PROFILE: 'trial', DB_ENGINE_VERSION: '16', CPU_ARCHITECTURE: 'X86_64', DB_INSTANCE_PORT: '6543', ALARM_EMAIL: '' } },
  { settings: { APP_NAME: 'acme-issues' } },
];

const keyOf = (side: ReplaySide) => JSON.stringify([side.settings ?? {}, side.context ?? {}]);
const synthesized = new Map<string, StackTemplates>();
/** Variants with this release's cdk.json context; the others stand for earlier releases' templates. */
const current = new Set<string>();

function templatesOf(side: ReplaySide): StackTemplates {
  const key = keyOf(side);
  let templates = synthesized.get(key);
  if (!templates) {
    const app = synthApp({ ...side.settings }, { ...side.context });
    templates = stackTemplates(app);
    app.cleanup();
    synthesized.set(key, templates);
    if (!side.context) current.add(key);
  }
  return templates;
}

beforeAll(() => {
  for (const s of SCENARIOS) {
    templatesOf(s.from);
    templatesOf(s.to);
  }
  OTHER_VARIANTS.forEach(templatesOf);
}, 600_000);

describe('change-safety replay', () => {
  describe.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    const directions = scenario.oneWay ? (['forward'] as const) : (['forward', 'back'] as const);
    it.each(directions)(scenario.refusedWith ? 'is refused (%s)' : 'replaces or deletes no stateful resource and breaks no cross-stack reference (%s)', (direction) => {
      const [a, b] = direction === 'forward' ? [scenario.from, scenario.to] : [scenario.to, scenario.from];
      const report = checkChange(templatesOf(a), templatesOf(b));
      const findings = report.findings.map(describeFinding);
      if (scenario.refusedWith) expect(findings.some((f) => scenario.refusedWith!.test(f)), findings.join('\n')).toBe(true);
      else expect(findings).toEqual([]);
      scenario.check?.(report, direction);
    });
  });
});

describe('cfn-lint', () => {
  let dir: string;
  let findings: LintFinding[];
  beforeAll(async () => {
    cfnLintVersion();
    dir = mkdtempSync(join(tmpdir(), 'slipway-lint-'));
    const files = new Map<string, string>();
    for (const [key, templates] of synthesized) {
      if (!current.has(key)) continue;
      for (const [stack, template] of Object.entries(templates)) {
        const body = JSON.stringify(template, null, 1);
        const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
        if (files.has(hash)) continue;
        const file = join(dir, `${stack}-${hash}.template.json`);
        writeFileSync(file, body);
        files.set(hash, file);
      }
    }
    findings = await cfnLint([...files.values()]);
  }, 600_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('finds no error or warning in any synthesized template beyond the listed exceptions', () => {
    expect(findings.filter((f) => !exceptionFor(f)).map(describeLintFinding)).toEqual([]);
  });

  it.each(LINT_EXCEPTIONS.map((e) => [`${e.rule} on ${e.resourceTypes.join(', ')}`, e] as const))('exception %s still matches a finding', (_name, exception) => {
    expect(findings.some((f) => exceptionFor(f, [exception]) === exception)).toBe(true);
  });

  it.each(LINT_EXCEPTIONS.flatMap((e) => e.resourceTypes.map((type) => [`${e.rule} on ${type}`, e, type] as const)))(
    'exception %s is needed for that type',
    (_name, exception, type) => {
      expect(findings.some((f) => f.resourceType === type && exceptionFor(f, [exception]) === exception)).toBe(true);
    },
  );

  it('gives every exception a reason', () => {
    expect(LINT_EXCEPTIONS.filter((e) => e.reason.trim().length < 40).map((e) => e.rule)).toEqual([]);
  });
});
