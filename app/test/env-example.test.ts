/** .env.example documents every setting the app commands and the deployment kit read. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '../../infra/config.ts';
import { apiSchema } from '../src/config/api.ts';
import { migrateSchema } from '../src/config/migrate.ts';
import { SECRET_NAMES } from '../src/config/secrets.ts';
import { webSchema } from '../src/config/web.ts';

const example = readFileSync(join(import.meta.dirname, '../../.env.example'), 'utf8');
// A setting counts as documented when it appears as NAME= (set or commented out).
const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));

describe('.env.example', () => {
  it.each([
    ['api', Object.keys(apiSchema.shape)],
    ['web', Object.keys(webSchema.shape)],
    ['migrate', Object.keys(migrateSchema.shape)],
    ['secrets', [...SECRET_NAMES]],
    ['deployment', [...SETTING_NAMES]],
  ])('documents every %s setting', (_what, names) => {
    expect(names.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('gives every setting a one-line explanation above it', () => {
    const lines = example.split('\n');
    const bare = lines.flatMap((line, i) => {
      if (!/^[A-Z][A-Z0-9_]+=/.test(line)) return [];
      // Walk up past sibling settings to the comment that explains the group.
      let j = i - 1;
      while (j >= 0 && /^#?\s*[A-Z][A-Z0-9_]+=/.test(lines[j]!)) j--;
      return lines[j]?.startsWith('# ') ? [] : [line];
    });
    expect(bare).toEqual([]);
  });

  it('holds no real secret: every secret is empty', () => {
    for (const name of SECRET_NAMES) expect(example).toMatch(new RegExp(`^${name}=$`, 'm'));
  });
});
