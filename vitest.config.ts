import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The tests that need a PostgreSQL server run apart: `npm run test:pg` (vitest.pg.config.ts).
    exclude: [...configDefaults.exclude, 'tests/pg/**'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores in CI: run two files at a time.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
