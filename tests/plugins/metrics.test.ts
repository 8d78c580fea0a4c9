import { afterEach, describe, expect, it } from 'vitest';
import { createOutbox } from '../../src/notifications/outbox.js';
import { createMetrics } from '../../src/plugins/metrics.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** Prometheus metrics on GET /metrics, for a scraper holding METRICS_TOKEN. */

const TOKEN = 'metrics-token-for-tests-0123456789';
let ctx: TestContext;
afterEach(async () => ctx?.close());

const scrape = (token: string | null = TOKEN) =>
  ctx.app.inject({ method: 'GET', url: '/metrics', headers: token === null ? {} : { authorization: `Bearer ${token}` } });

/** The value of one series (name plus exact label set) in Prometheus's text format, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the metrics endpoint', () => {
  it('does not exist when METRICS_TOKEN is not set', async () => {
    ctx = await createTestApp();
    expect((await scrape()).statusCode).toBe(404);
  });

  it('refuses a scraper without the token, or with another one, and shows it nothing', async () => {
    ctx = await createTestApp({ env: { METRICS_TOKEN: TOKEN } });
    for (const token of [null, 'wrong-token-0123456789abcdef', `${TOKEN}x`]) {
      const res = await scrape(token);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.body).not.toContain('xiangyi_');
    }
  });

  it('after a checkout and its payment, counts the order placed and paid, the posting, the request and the page cache', async () => {
    ctx = await createTestApp({ env: { METRICS_TOKEN: TOKEN } });
    const before = (await scrape()).body;
    // Twice the same anonymous catalogue page: rendered once (a miss), then answered from the cache (a hit).
    await ctx.app.inject({ method: 'GET', url: '/products?category=honey' });
    await ctx.app.inject({ method: 'GET', url: '/products?category=honey' });
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);

    const res = await scrape();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = res.body;
    const grew = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
    expect(grew('xiangyi_orders_placed_total')).toBe(1);
    expect(grew('xiangyi_orders_paid_total')).toBe(1);
    expect(grew('xiangyi_ledger_postings_total')).toBe(1);
    expect(grew('xiangyi_page_cache_lookups_total{result="hit"}')).toBeGreaterThanOrEqual(1);
    expect(grew('xiangyi_page_cache_lookups_total{result="miss"}')).toBeGreaterThanOrEqual(1);
    // The buyer's cart and checkout writes go through the group commit: its batches and time are counted.
    expect(grew('xiangyi_db_group_commit_transactions_total')).toBeGreaterThanOrEqual(2);
    expect(grew('xiangyi_db_group_commit_batches_total')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'xiangyi_db_group_commit_seconds_total')).toBeGreaterThan(0);
    // Durations by route as registered, never by address.
    expect(sample(after, 'xiangyi_http_request_duration_seconds_count{method="POST",route="/checkout",status_code="303"}')).toBe(1);
    expect(sample(after, 'xiangyi_http_request_duration_seconds_count{method="POST",route="/coordinator/orders/:number/mark-paid",status_code="303"}')).toBe(1);
    expect(after).not.toMatch(/route="\/orders\/XY-/);
    // The process's own series come along (memory, event loop).
    expect(after).toContain('process_resident_memory_bytes');
    expect(after).toContain('nodejs_eventloop_lag_seconds');
  });

  it('awaits the database totals at each scrape, and counts no group commits where the engine has none', async () => {
    let totals = { ordersPlaced: 7, ordersPaid: 5, ledgerPostings: 6 };
    const metrics = createMetrics({
      totals: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return totals;
      },
      groupCommit: () => null,
      backup: () => null,
      outbox: async () => ({ pending: 0, failed: 0, oldestPendingAt: null }),
    });
    let text = await metrics.registry.metrics();
    expect(sample(text, 'xiangyi_orders_placed_total')).toBe(7);
    expect(sample(text, 'xiangyi_orders_paid_total')).toBe(5);
    expect(sample(text, 'xiangyi_ledger_postings_total')).toBe(6);
    expect(sample(text, 'xiangyi_db_group_commit_batches_total')).toBe(0);
    totals = { ordersPlaced: 8, ordersPaid: 6, ledgerPostings: 7 };
    text = await metrics.registry.metrics();
    expect([sample(text, 'xiangyi_orders_placed_total'), sample(text, 'xiangyi_orders_paid_total'), sample(text, 'xiangyi_ledger_postings_total')]).toEqual([
      8, 6, 7,
    ]);
  });

  it('reports the e-mail waiting in the outbox and when the oldest was written', async () => {
    ctx = await createTestApp({ env: { METRICS_TOKEN: TOKEN } });
    const before = sample((await scrape()).body, 'xiangyi_outbox_backlog{state="pending"}') ?? 0;
    const outbox = createOutbox(ctx.db, { clock: () => ctx.clock.now });
    await ctx.db.uow.write((tx) => outbox.add(tx, { kind: 'test_notice', to: 'a@example.test', locale: 'en', subject: 's', text: 't', html: '<p>t</p>' }));
    const after = (await scrape()).body;
    expect(sample(after, 'xiangyi_outbox_backlog{state="pending"}')).toBe(before + 1);
    expect(sample(after, 'xiangyi_outbox_backlog{state="failed"}')).toBe(0);
    expect(sample(after, 'xiangyi_outbox_oldest_pending_timestamp_seconds')).toBeLessThanOrEqual(ctx.clock.now / 1000);
  });
});
