import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { seedDemoHistory, type HistorySummary } from '../../src/demo/history.js';
import { seedDemoData } from '../../src/demo/seed.js';
import { checkLedger } from '../../src/ledger/ledger-service.js';
import { rowsOf } from '../helpers/db-query.js';
import { freshTestDatabase, testConfig } from '../helpers/test-app.js';

/** The demo's months of history, made through the services on PostgreSQL as on SQLite (tests/demo/history.test.ts). */
describe('the demo history on PostgreSQL', () => {
  const NOW = Date.parse('2026-12-06T12:00:00+08:00');
  let fresh: Awaited<ReturnType<typeof freshTestDatabase>>;
  let config: Config;
  let story: HistorySummary;
  beforeAll(async () => {
    fresh = await freshTestDatabase(false);
    config = testConfig({}, fresh.path);
    const seeded = await seedDemoData(fresh.db, { now: NOW });
    if (!seeded.seeded) throw new Error('the empty database was not seeded');
    story = await seedDemoHistory(config, fresh.db, seeded.ids, { now: NOW });
  }, 180_000);
  afterAll(async () => {
    await fresh?.dispose();
  });

  it('tells the same story: orders in every state, payouts and the closed months', async () => {
    expect(story.orders).toBeGreaterThan(150);
    expect(story.closedMonths).toEqual(['2026-08', '2026-09', '2026-10', '2026-11']);
    const statuses = (await rowsOf<{ status: string }>(fresh.db, sql`SELECT DISTINCT status FROM orders`)).map((r) => r.status);
    expect(statuses).toEqual(expect.arrayContaining(['pending_payment', 'paid', 'shipped', 'completed', 'cancelled', 'partially_refunded']));
  });

  it('keeps the ledger balanced and its hash chain whole', async () => {
    const { transactions, problems } = await checkLedger(fresh.db);
    expect(problems).toEqual([]);
    expect(transactions).toBeGreaterThan(200);
  });
});
