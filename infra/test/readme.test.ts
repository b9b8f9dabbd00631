import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '../config.ts';
import { OUTPUT_KEYS, STACK_KEYS } from '../outputs.ts';

const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');

describe('infra/README.md', () => {
  it.each(SETTING_NAMES)('documents the setting %s', (name) => {
    expect(readme).toContain(`\`${name}\``);
  });

  it.each(Object.values(OUTPUT_KEYS))('documents the output %s', (key) => {
    expect(readme).toContain(`\`${key}\``);
  });

  it.each(STACK_KEYS)('describes the %s stack', (key) => {
    expect(readme).toContain(`\`slipway-${key}\``);
  });
});
