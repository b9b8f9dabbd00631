/**
 * Runs cfn-lint (the independent CloudFormation schema and rule checker) over templates and
 * applies the exceptions in infra/cfn-lint-exceptions.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface LintFinding {
  readonly rule: string;
  readonly level: string;
  readonly file: string;
  readonly resource?: string;
  readonly resourceType?: string;
  /** Path inside the resource, e.g. `Properties/Tags`. */
  readonly path: string;
  readonly message: string;
}

export interface LintException {
  readonly rule: string;
  readonly resourceTypes: readonly string[];
  readonly path: string;
  readonly message?: string;
  readonly reason: string;
}

export const LINT_EXCEPTIONS: readonly LintException[] = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../cfn-lint-exceptions.json'), 'utf8'),
).exceptions;

const INSTALL_HINT = 'cfn-lint is not installed. Install it with Python 3.11: pip install cfn-lint==1.51.0 (the CI machines have it)';

/** Fails with an install hint when cfn-lint is missing; returns its version. */
export function cfnLintVersion(): string {
  const result = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) throw new Error(`${INSTALL_HINT} (${result.error?.message ?? result.stderr.trim()})`);
  return result.stdout.trim();
}

type RawFinding = { Filename: string; Level: string; Message: string; Rule: { Id: string }; Location: { Path: Array<string | number> } };

function lintProcess(files: readonly string[]): Promise<RawFinding[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('cfn-lint', ['--format', 'json', '--', ...files]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new Error(`${INSTALL_HINT} (${e.message})`)));
    child.on('close', (code) => {
      if (out.trim() === '') reject(new Error(`cfn-lint printed nothing (exit ${code}): ${err.trim()}`));
      else resolvePromise(JSON.parse(out) as RawFinding[]);
    });
  });
}

/** Every error and warning cfn-lint reports for the template files (two processes: two cores). */
export async function cfnLint(files: readonly string[]): Promise<LintFinding[]> {
  const half = Math.ceil(files.length / 2);
  const raw = (await Promise.all([files.slice(0, half), files.slice(half)].filter((f) => f.length > 0).map(lintProcess))).flat();
  const templates = new Map<string, { Resources?: Record<string, { Type: string }> }>();
  // Informational findings are advice, not defects.
  return raw
    .filter((f) => f.Level === 'Error' || f.Level === 'Warning')
    .map((f) => {
      if (!templates.has(f.Filename)) templates.set(f.Filename, JSON.parse(readFileSync(f.Filename, 'utf8')));
      const [section, resource, ...rest] = f.Location.Path.map(String);
      const inResource = section === 'Resources' && resource !== undefined;
      return {
        rule: f.Rule.Id,
        level: f.Level,
        file: f.Filename,
        resource: inResource ? resource : undefined,
        resourceType: inResource ? templates.get(f.Filename)?.Resources?.[resource]?.Type : undefined,
        path: (inResource ? rest : f.Location.Path.map(String)).join('/'),
        message: f.Message,
      };
    });
}

/** The exception that covers a finding, if any. */
export function exceptionFor(finding: LintFinding, exceptions: readonly LintException[] = LINT_EXCEPTIONS): LintException | undefined {
  return exceptions.find(
    (e) =>
      e.rule === finding.rule &&
      finding.resourceType !== undefined &&
      e.resourceTypes.includes(finding.resourceType) &&
      (finding.path === e.path || finding.path.startsWith(`${e.path}/`)) &&
      (e.message === undefined || new RegExp(e.message).test(finding.message)),
  );
}

export const describeLintFinding = (f: LintFinding) =>
  `${f.rule} ${f.file.split('/').pop()} ${f.resource ?? ''} (${f.resourceType ?? '-'}) ${f.path}: ${f.message}`;
