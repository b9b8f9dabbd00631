/**
 * `npm run X` prints its `> pkg@version X` banner on stdout, so a runbook or workflow command that pipes an
 * npm script's `--json` into another program must silence npm (`--silent` or `-s`), or the
 * program reads the banner first and fails (jq: "Invalid numeric literal").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = [
  ...readdirSync(join(ROOT, 'runbooks')).filter((f) => f.endsWith('.md')).map((f) => `runbooks/${f}`),
  'infra/README.md',
  ...readdirSync(join(ROOT, '.github/workflows')).filter((f) => f.endsWith('.yml')).map((f) => `.github/workflows/${f}`),
];

/** Every `npm run …` whose output goes into a pipe, a file or a command substitution without --silent/-s. */
export function unsilencedPipes(text: string): string[] {
  const lines = text.replace(/\\\n\s*/g, ' ').split('\n');
  return lines.flatMap((line) =>
    // A redirect is a '>' after a space; a placeholder such as <tag> is not one.
    [...line.matchAll(/(\$\(\s*)?npm run ([^|`\n;&)]*?)(\||\)|\s>)/g)]
      .filter((m) => m[1] !== undefined || m[3] !== ')')
      .filter((m) => !/(^|\s)(-s|--silent)(\s|$)/.test(m[2]!.split(' -- ')[0]!))
      .map((m) => m[0]!.trim()),
  );
}

describe('runbook and workflow commands that pipe npm output', () => {
  it.each(DOCS)('%s silences npm wherever a program reads its output', (file) => {
    expect(unsilencedPipes(readFileSync(join(ROOT, file), 'utf8'))).toEqual([]);
  });

  it('finds an unsilenced pipe and accepts a silenced one', () => {
    expect(unsilencedPipes('npm run smoke -- --json | jq -r .summary')).toHaveLength(1);
    expect(unsilencedPipes('x=$(npm run smoke -- --json)')).toHaveLength(1);
    expect(unsilencedPipes('npm run smoke --silent -- --json | jq -r .summary')).toEqual([]);
    expect(unsilencedPipes('npm run -s smoke -- --json | jq')).toEqual([]);
    expect(unsilencedPipes('run: npm run deploy -- --json > deploy.json')).toHaveLength(1);
    expect(unsilencedPipes('run: npm run --silent deploy -- --json > deploy.json')).toEqual([]);
    expect(unsilencedPipes('`npm run smoke -- --expect-release <tag>` and more')).toEqual([]);
    expect(unsilencedPipes('`npm run deploy -- --dry-run`')).toEqual([]);
  });
});
