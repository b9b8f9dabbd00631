import { defineConfig } from 'vitest/config';

// Two cores: CDK synth and real PostgreSQL/Redis servers need generous timeouts.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'all', include: ['{app,bench,infra,scripts,test}/**/*.test.ts'] } },
      // The API suite again with a pool of one connection: a request that holds a connection
      // while waiting for another would hang here (the embedded database has one connection).
      { extends: true, test: { name: 'api, DATABASE_MAX_CONNS=1', include: ['app/test/v1/**/*.test.ts'], env: { DATABASE_MAX_CONNS: '1' } } },
    ],
  },
});
