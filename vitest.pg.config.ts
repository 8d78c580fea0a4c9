import { defineConfig } from 'vitest/config';

// The tests that need a PostgreSQL server (TEST_DATABASE_URL, an account that may create
// databases): `npm run test:pg`, run by .ci/run after `npm test`.
export default defineConfig({
  test: {
    include: ['tests/pg/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
