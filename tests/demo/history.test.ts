import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { seedDemoHistory, type HistorySummary } from '../../src/demo/history.js';
import { seedDemoData } from '../../src/demo/seed.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { signIn } from '../helpers/auth.js';
import { freshDatabase, testConfig } from '../helpers/test-app.js';

/**
 * The demo's history: a new demo shop starts with a few months of orders, payments, shipments,
 * refunds, payouts and closed months, made through the services, so the ledger, reconciliation and
 * the public figures are real and agree from the first start.
 */

const NOW = Date.parse('2026-12-06T12:00:00+08:00');
let fresh: ReturnType<typeof freshDatabase>;
let config: Config;
let app: App;
let story: HistorySummary;

beforeAll(async () => {
  fresh = freshDatabase(false);
  config = testConfig({}, fresh.path);
  const seeded = await seedDemoData(fresh.db, { now: NOW });
  if (!seeded.seeded) throw new Error('the empty database was not seeded');
  story = await seedDemoHistory(config, fresh.db, seeded.ids, { now: NOW });
  app = await buildApp(config, { db: fresh.db, clock: () => NOW, logger: false });
}, 120_000);
afterAll(async () => {
  await app?.close();
  fresh?.dispose();
});

const count = (sql: string) => fresh.db.sqlite.prepare(sql).pluck().get() as number;

describe('the demo history', () => {
  it('tells months of a shop: orders in every state, refunds, counter sales, wish donations, payouts and closed months', () => {
    expect(story.orders).toBeGreaterThan(150);
    expect(story.paid).toBeLessThan(story.orders);
    expect(story.delivered).toBeGreaterThan(100);
    expect(story.refunded).toBeGreaterThan(5);
    expect(story.expired).toBeGreaterThan(0);
    expect(story.counterSales).toBeGreaterThan(5);
    expect(story.wishDonations).toBe(2);
    expect(story.payouts).toBeGreaterThan(10);
    expect(story.closedMonths).toEqual(['2026-08', '2026-09', '2026-10', '2026-11']);
    const statuses = fresh.db.sqlite.prepare('SELECT DISTINCT status FROM orders').pluck().all();
    expect(statuses).toEqual(expect.arrayContaining(['pending_payment', 'paid', 'shipped', 'completed', 'cancelled', 'partially_refunded', 'refunded']));
    // Nothing dated after the present.
    expect(count(`SELECT count(*) FROM orders WHERE created_at > ${NOW}`)).toBe(0);
    expect(count(`SELECT count(*) FROM ledger_transactions WHERE posted_at > ${NOW}`)).toBe(0);
  });

  it('keeps the ledger balanced and its hash chain whole', async () => {
    expect(await expectLedgerSound(fresh.db)).toBeGreaterThan(200);
  });

  it('leaves the closed months reconciled, and no message of the past waiting to be sent', async () => {
    const reconciliation = await import('../../src/coordinator/reconciliation-service.js');
    const service = reconciliation.createReconciliationService(fresh.db, {
      clock: () => NOW,
      audit: { add: function* () {} } as never,
    });
    for (const period of story.closedMonths) expect((await service.report(period)).unexplained, period).toBe(0);
    expect(count(`SELECT count(*) FROM outbox_messages WHERE status = 'pending' AND created_at < ${NOW - 2 * 86_400_000}`)).toBe(0);
  });

  it('shows the public its figures from the first start: sales, amounts credited and paid out to households', async () => {
    const page = await app.inject({ url: '/impact' });
    expect(page.statusCode).toBe(200);
    const sold = /累计销售额\s*(?:<[^>]+>\s*)*¥([\d,.]+)/.exec(page.body)?.[1];
    expect(sold).toBeDefined();
    expect(Number(sold!.replaceAll(',', ''))).toBeGreaterThan(10_000);
    expect(page.body).not.toContain('¥0.00');
  });

  it('leaves today’s work: a transfer for the coordinator to confirm and parcels for a secretary to ship', async () => {
    const waiting = fresh.db.sqlite.prepare(`SELECT number FROM orders WHERE status = 'pending_payment' ORDER BY id DESC`).pluck().all() as string[];
    expect(waiting.length).toBeGreaterThan(0);
    const coordinator = await signIn(app, 'coordinator@xiangyi.test');
    const dashboard = await coordinator.get('/coordinator');
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain(waiting[0]);
    expect(count(`SELECT count(*) FROM orders WHERE status = 'paid'`)).toBeGreaterThan(0);
  });
});
