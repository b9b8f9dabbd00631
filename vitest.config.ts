import { defineConfig } from 'vitest/config';

// Two cores: CDK synth and real PostgreSQL/Redis servers need generous timeouts.
export default defineConfig({
  test: {
    include: ['{app,infra,scripts,test}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
