import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FEATURE_FLAG_EXCEPTIONS } from '../policies/feature-flags.ts';
import { CDK_CONTEXT } from './support.ts';

const require = createRequire(import.meta.url);
const RECOMMENDED = JSON.parse(
  readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
) as Record<string, unknown>;
const README = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
const flagsInCdkJson = Object.fromEntries(Object.entries(CDK_CONTEXT).filter(([key]) => key.startsWith('@aws-cdk')));

describe('cdk.json feature flags', () => {
  it('are the recommended set, with only the documented exceptions changed', () => {
    const expected = { ...RECOMMENDED, ...Object.fromEntries(Object.entries(FEATURE_FLAG_EXCEPTIONS).map(([k, e]) => [k, e.value])) };
    expect(flagsInCdkJson).toEqual(expected);
  });

  it.each(Object.keys(FEATURE_FLAG_EXCEPTIONS))('list %s as an exception only while it differs from the recommendation', (flag) => {
    expect(flag in RECOMMENDED).toBe(true);
    expect(FEATURE_FLAG_EXCEPTIONS[flag]!.value).not.toEqual(RECOMMENDED[flag]);
  });

  it.each(Object.keys(FEATURE_FLAG_EXCEPTIONS))('explain the exception %s in infra/README.md', (flag) => {
    expect(README).toContain(`\`${flag}\``);
  });
});
