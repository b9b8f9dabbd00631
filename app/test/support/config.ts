import { expect } from 'vitest';
import { ConfigError } from '../../src/config/env.ts';

/** The problems a settings loader reports; fails the test if it does not throw a ConfigError. */
export function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}
