import type { AuditService } from '../../src/audit/audit-service.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createReconciliationService } from '../../src/coordinator/reconciliation-service.js';
import { settle, type BucketTotals } from '../../src/ledger/attribution.js';
import { formatFen } from '../../src/money.js';
import { periodOf } from '../../src/time.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { revealedGroups, type PublishedSum, type Unknown } from '../helpers/disclosure-audit.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** The audit log the reconciliation service writes to (audit.add, a step of its unit of work), keeping nothing: these tests read reports. */
const noAudit: AuditService = {
  *add() {},
  // biome-ignore lint/correctness/useYield: nothing to redact in a log that keeps nothing
  *redactIn() {
    return 0;
  },
  *forgetAddressesOf() {},
  list: async () => ({ rows: [], total: 0 }),
};

/**
 * The public proof over generated histories: orders from several villages and projects, partial
 * refunds (before and after payouts), payouts, counter sales at an outlet and wish donations, with
 * 刘春梅 enrolled in two projects. After each history:
 * - platform totals = the sum of project totals = the sum of village totals, and paid out never
 *   exceeds credited for any project or village;
 * - every figure /impact shows is the ledger's, and the money of no group of one or two households
 *   can be computed from what it shows (an exact solver of the published sums);
 * - the month's reconciliation of this clean history lists no mismatch, and the ledger is sound.
 * CI runs a few histories with a fixed seed; RELIABILITY_SCALE=full runs more with a random one.
 */

const FULL = process.env.RELIABILITY_SCALE === 'full';
const SEED = Number(process.env.RELIABILITY_SEED ?? (FULL ? Date.now() % 1_000_000 : 20261204));

const PRODUCTS = [
  'meiyaogou-honey',
  'meiyaogou-eggs',
  'meiyaogou-yuba',
  'dengfeng-millet',
  'xiaoji-eggs-dozen',
  'xiaoji-free-range-chicken',
  'tuyao-tea',
  'yaoshan-winter-honey',
  'gulou-shiitake',
  'gulou-passion-fruit',
  'chashan-camellia-oil',
  'embroidered-insoles',
  'tiger-head-shoes',
] as const;

type Step =
  | { kind: 'order'; items: { product: number; times: number }[] }
  | { kind: 'counter'; product: number; channel: 'cash' | 'wechat' }
  | { kind: 'wish' }
  | { kind: 'refund'; order: number; share: number }
  | { kind: 'payout'; household: number; share: number };

const product = fc.integer({ min: 0, max: PRODUCTS.length - 1 });
const share = fc.integer({ min: 1, max: 100 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('order' as const),
      items: fc.array(fc.record({ product, times: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('counter' as const), product, channel: fc.constantFrom('cash' as const, 'wechat' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wish' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), order: fc.nat(), share }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('payout' as const), household: fc.nat(), share }) },
);

let ctx: TestContext | null = null;
afterEach(async () => {
  await ctx?.close();
  ctx = null;
});

describe('the public proof over generated histories', () => {
  it(`adds up, reconciles and reveals no small group (seed ${SEED})`, { timeout: FULL ? 1_800_000 : 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: FULL ? 24 : 12 }), async (steps) => {
        await ctx?.close();
        ctx = await createTestApp();
        await play(ctx, steps);
        await check(ctx);
      }),
      { numRuns: FULL ? 25 : 4, seed: SEED, endOnFailure: true },
    );
  });
});

async function play(c: TestContext, steps: readonly Step[]) {
  const get = <T>(sql: string, ...params: unknown[]) => c.db.sqlite.prepare(sql).get(...params) as T;
  const all = <T>(sql: string, ...params: unknown[]) => c.db.sqlite.prepare(sql).all(...params) as T[];
  const coordinator: TestBrowser = await signIn(c.app, 'coordinator@xiangyi.test');
  const staff = await signIn(c.app, 'outlet@xiangyi.test');
  const futian = get<{ id: number }>(`SELECT id FROM outlets WHERE slug = 'shenzhen-futian'`).id;
  const minQty = (slug: string) => get<{ q: number }>(`SELECT min_order_qty AS q FROM products WHERE slug = ?`, slug).q;
  let donors = 0;
  for (const s of steps) {
    if (s.kind === 'order') {
      const items = new Map<string, number>();
      for (const i of s.items) {
        const slug = PRODUCTS[i.product];
        if (slug === undefined) throw new Error(`no product ${i.product}`);
        items.set(slug, (items.get(slug) ?? 0) + minQty(slug) * i.times);
      }
      // What the shop still has: a sold-out product has no add-to-cart form.
      const wanted = [...items].filter(([slug, quantity]) => get<{ stock: number }>(`SELECT stock FROM products WHERE slug = ?`, slug).stock >= quantity);
      if (wanted.length)
        await placePaidOrder(
          c,
          wanted.map(([slug, quantity]) => ({ slug, quantity })),
        );
    } else if (s.kind === 'counter') {
      // The outlet sells from its shelf: only what it holds.
      const shelf = all<{ productId: number; quantity: number }>(
        `SELECT product_id AS productId, quantity FROM outlet_stock WHERE outlet_id = ? AND quantity > 0 ORDER BY product_id`,
        futian,
      );
      if (!shelf.length) continue;
      const item = shelf[s.product % shelf.length]!;
      const sold = await staff.post(`/outlet/${futian}/sales`, { channel: s.channel, [`qty_${item.productId}`]: '1' });
      expect(sold.statusCode, sold.body.slice(0, 300)).toBe(303);
    } else if (s.kind === 'wish') {
      const wish = get<{ id: number } | undefined>(`SELECT id FROM wishes WHERE status = 'open' ORDER BY id LIMIT 1`);
      if (!wish) continue;
      donors++;
      const phone = `1390000${String(donors).padStart(4, '0')}`;
      const claimed = await anonymous(c.app).post(
        `/wishes/${wish.id}/claim`,
        { name: `捐赠人${donors}`, phone, paymentMethod: 'offline' },
        { csrfFrom: `/wishes/${wish.id}` },
      );
      expect(claimed.statusCode, claimed.body.slice(0, 300)).toBe(303);
      const number = get<{ number: string }>(`SELECT o.number FROM wishes w JOIN orders o ON o.id = w.order_id WHERE w.id = ?`, wish.id).number;
      const paid = await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: `WISH-${donors}` }, { csrfFrom: '/coordinator' });
      expect(paid.statusCode).toBe(303);
    } else if (s.kind === 'refund') {
      const orders = all<{ number: string; left: number }>(
        `SELECT number, total_fen - refunded_fen AS left FROM orders WHERE status IN ('paid', 'shipped', 'completed', 'partially_refunded') AND total_fen > refunded_fen ORDER BY id`,
      );
      if (!orders.length) continue;
      const o = orders[s.order % orders.length]!;
      const fen = Math.max(1, Math.floor((o.left * s.share) / 100));
      const res = await coordinator.post(
        `/coordinator/orders/${o.number}/refund`,
        { amount: (fen / 100).toFixed(2), reason: '部分退款' },
        { csrfFrom: '/coordinator' },
      );
      expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    } else {
      const owed = all<{ id: number; owed: number }>(
        `SELECT a.household_id AS id, -sum(e.amount_fen) AS owed FROM ledger_accounts a JOIN ledger_entries e ON e.account_id = a.id
         WHERE a.household_id IS NOT NULL GROUP BY a.household_id HAVING -sum(e.amount_fen) > 0 ORDER BY a.household_id`,
      );
      if (!owed.length) continue;
      const h = owed[s.household % owed.length]!;
      const fen = Math.max(1, Math.floor((h.owed * s.share) / 100));
      const res = await coordinator.post(
        '/coordinator/payouts',
        { householdId: String(h.id), amount: (fen / 100).toFixed(2), method: 'bank_transfer', reference: `P-${h.id}` },
        { csrfFrom: '/coordinator' },
      );
      expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    }
  }
}

interface Money {
  sales: number;
  credited: number;
  paid: number;
}

async function check(c: TestContext) {
  const all = <T>(sql: string, ...params: unknown[]) => c.db.sqlite.prepare(sql).all(...params) as T[];
  await expectLedgerSound(c.db);

  // Reconciliation of the month: a clean history has nothing to explain.
  const reconciliation = createReconciliationService(c.db, {
    clock: () => c.clock.now,
    audit: noAudit,
  });
  const report = await reconciliation.report(periodOf(c.clock.now));
  expect(report.mismatches).toEqual([]);
  expect(report.channels.every((ch) => ch.unexplainedFen === 0)).toBe(true);

  // The ledger's figures per cell, computed here: sales and credits by order line, payouts by the
  // project and village of each part, settled per household by the documented rule.
  const cells = new Map<string, Money & { projectId: number; villageId: number; households: Set<number> }>();
  const cell = (projectId: number, villageId: number) => {
    const key = `${projectId}:${villageId}`;
    return cells.get(key) ?? cells.set(key, { projectId, villageId, sales: 0, credited: 0, paid: 0, households: new Set() }).get(key)!;
  };
  for (const r of all<{ projectId: number; villageId: number; fen: number }>(
    `SELECT ol.project_id AS projectId, ol.village_id AS villageId, -sum(e.amount_fen) AS fen FROM ledger_entries e JOIN order_lines ol ON ol.id = e.order_line_id GROUP BY 1, 2`,
  )) {
    cell(r.projectId, r.villageId).sales += r.fen;
  }
  const rows = all<{ householdId: number; projectId: number | null; villageId: number | null; credited: number; attributed: number }>(
    `SELECT a.household_id AS householdId, coalesce(e.project_id, ol.project_id) AS projectId, coalesce(e.village_id, ol.village_id) AS villageId,
            coalesce(-sum(CASE WHEN e.order_line_id IS NOT NULL THEN e.amount_fen END), 0) AS credited,
            coalesce(sum(CASE WHEN e.order_line_id IS NULL THEN e.amount_fen END), 0) AS attributed
     FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'household_payable'
     LEFT JOIN order_lines ol ON ol.id = e.order_line_id GROUP BY 1, 2, 3`,
  );
  expect(rows.filter((r) => r.projectId === null)).toEqual([]);
  const byHousehold = new Map<number, BucketTotals[]>();
  for (const r of rows)
    (byHousehold.get(r.householdId) ?? byHousehold.set(r.householdId, []).get(r.householdId)!).push({
      projectId: r.projectId!,
      villageId: r.villageId!,
      creditedFen: r.credited,
      attributedFen: r.attributed,
    });
  const unknowns: Unknown[] = [];
  for (const [householdId, buckets] of byHousehold) {
    for (const b of settle(buckets).buckets) {
      const x = cell(b.projectId, b.villageId);
      x.credited += b.creditedFen;
      x.paid += b.paidFen;
      if (b.creditedFen > 0) {
        x.households.add(householdId);
        unknowns.push({ householdId, projectId: b.projectId, villageId: b.villageId });
      }
    }
  }
  const sum = (match: (x: { projectId: number; villageId: number }) => boolean) => {
    const m: Money & { households: Set<number> } = { sales: 0, credited: 0, paid: 0, households: new Set() };
    for (const x of cells.values()) {
      if (!match(x)) continue;
      m.sales += x.sales;
      m.credited += x.credited;
      m.paid += x.paid;
      for (const h of x.households) m.households.add(h);
    }
    return m;
  };
  const projects = all<{ id: number; slug: string }>(`SELECT id, slug FROM projects ORDER BY id`);
  const villages = all<{ id: number; slug: string }>(`SELECT id, slug FROM villages ORDER BY id`);
  const platform = sum(() => true);
  const perProject = projects.map((p) => sum((x) => x.projectId === p.id));
  const perVillage = villages.map((v) => sum((x) => x.villageId === v.id));
  const money = (m: Money) => ({ sales: m.sales, credited: m.credited, paid: m.paid });
  const total = (list: Money[]) =>
    list.reduce((a, m) => ({ sales: a.sales + m.sales, credited: a.credited + m.credited, paid: a.paid + m.paid }), { sales: 0, credited: 0, paid: 0 });
  expect(total(perProject)).toEqual(money(platform));
  expect(total(perVillage)).toEqual(money(platform));
  for (const m of [platform, ...perProject, ...perVillage]) expect(m.paid).toBeLessThanOrEqual(m.credited);

  // What /impact shows is the ledger's; what it withholds keeps every small group out of reach.
  const html = (await anonymous(c.app).get('/impact')).body;
  const shown = (section: string) => Object.fromEntries([...section.matchAll(/<dd data-figure="([a-z-]+)">([^<]*)<\/dd>/g)].map((m) => [m[1]!, m[2]!]));
  const sectionOf = (url: string | null) => {
    if (url === null) return html.slice(0, html.indexOf('<h2 id="impact-projects">'));
    const start = html.indexOf(`<h3><a href="${url}">`);
    expect(start, url).toBeGreaterThan(-1);
    return html.slice(start, html.indexOf('</section>', start));
  };
  const published: PublishedSum[] = [];
  const scopes: [string | null, Money & { households: Set<number> }, PublishedSum][] = [
    [null, platform, () => true],
    ...projects.map((p, i): [string, Money & { households: Set<number> }, PublishedSum] => [
      `/projects/${p.slug}`,
      perProject[i]!,
      (u) => u.projectId === p.id,
    ]),
    ...villages.map((v, i): [string, Money & { households: Set<number> }, PublishedSum] => [
      `/villages/${v.slug}`,
      perVillage[i]!,
      (u) => u.villageId === v.id,
    ]),
  ];
  for (const [url, m, within] of scopes) {
    const figures = shown(sectionOf(url));
    expect(figures.households, url ?? 'platform').toBe(String(m.households.size));
    if (figures.withheld !== undefined) continue;
    expect(figures, url ?? 'platform').toEqual({
      sales: formatFen(m.sales),
      credited: formatFen(m.credited),
      'paid-out': formatFen(m.paid),
      households: String(m.households.size),
    });
    published.push(within);
  }
  expect(revealedGroups(unknowns, published)).toEqual([]);
  if (platform.households.size >= 3) expect(shown(sectionOf(null)).withheld).toBeUndefined();
}
