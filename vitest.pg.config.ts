import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The tests that need a PostgreSQL server (TEST_DATABASE_URL, an account that may create
 * databases): `npm run test:pg`, run by .ci/run after `npm test`. tests/pg/ holds the engine's own
 * tests; the HTTP test files listed below run again here, each test app on its own copy of a seeded
 * template database (tests/pg/global-setup.ts, tests/helpers/test-app.ts).
 */
export const HTTP_FILES_ON_POSTGRES: string[] = [
  'tests/accounts/sessions.test.ts',
  'tests/accounts/sign-in-throttle-figures.test.ts',
  'tests/api/openapi.test.ts',
  'tests/catalog/phone-first.test.ts',
  'tests/coordinator/clawbacks.test.ts',
  'tests/coordinator/confirmations.test.ts',
  'tests/coordinator/disclosure.test.ts',
  'tests/coordinator/payout-approvals.test.ts',
  'tests/coordinator/projects.test.ts',
  'tests/coordinator/ship-on-behalf.test.ts',
  'tests/coordinator/statements.test.ts',
  'tests/i18n/english.test.ts',
  'tests/ledger/attribution.test.ts',
  'tests/notifications/order-notices.test.ts',
  'tests/orders/after-sale.test.ts',
  'tests/orders/checkout.test.ts',
  'tests/orders/holds.test.ts',
  'tests/orders/lifecycle.test.ts',
  'tests/payments/settlement-fee.test.ts',
  'tests/payments/stripe.test.ts',
  'tests/plugins/language-negotiation.test.ts',
  'tests/plugins/request-log.test.ts',
  'tests/secretary/consent.test.ts',
  'tests/secretary/console.test.ts',
  'tests/views/console-tables.test.ts',
];

export default defineConfig({
  test: {
    include: ['tests/pg/**/*.test.ts', ...HTTP_FILES_ON_POSTGRES],
    exclude: [...configDefaults.exclude],
    globalSetup: ['tests/pg/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
