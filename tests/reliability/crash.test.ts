import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAuditService } from '../../src/audit/audit-service.js';
import { migrateDatabase, openDatabase, type Database_ } from '../../src/db/client.js';
import { createLedgerService } from '../../src/ledger/ledger-service.js';
import { checkLedgerNow } from '../helpers/ledger.js';
import { fenToYuanInput } from '../../src/money.js';
import { createOrdersService } from '../../src/orders/orders-service.js';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { FAKE_WEBHOOK_SECRET, startFakeStripe, type FakeStripe } from '../helpers/fake-stripe.js';
import { httpBrowser, loopbackAgents, type HttpAnswer, type HttpBrowser } from '../helpers/http-browser.js';
import { scale, SEED, seededRandom } from './scale.js';

/**
 * The server process is killed (SIGKILL: no shutdown hook, requests cut off mid-way, a transaction
 * possibly half-written to the WAL) while many requests of one kind are in flight: checkouts,
 * payment confirmations (bank transfers marked paid and Stripe webhooks), refunds and payouts.
 * It is started again on the same database file, and the database must be as a coordinator expects:
 * intact, the ledger sound, stock and orders agreeing, every payment, refund and payout posted
 * exactly once or not at all. Then time is moved past expiry, and Stripe's retried webhooks arrive.
 */

const { roundsPerKind: ROUNDS, requestsPerRound: REQUESTS } = scale.crash;
const COORDINATOR = 'coordinator@xiangyi.test';
const random = seededRandom(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

let dir: string;
let dbPath: string;
let fake: FakeStripe;
let server: ChildServer;
let agent: Agent;
/** Buyers arrive from many loopback addresses, as different people do (holds on stock are limited per address). */
let buyerAgents: ReturnType<typeof loopbackAgents>;
let coordinator: HttpBrowser;
/** Each product's stock before any order: stock + units of every order not cancelled must stay equal to it. */
let initialStock: Map<number, number>;
/** Every Stripe event sent so far, by id, as Stripe would deliver it again. */
const sentEvents = new Map<string, { type: string; payload: string; orderId: number | null }>();
/** Offline buyers of the checkout rounds: their contact name and session. */
const offlineBuyers: { name: string; browser: HttpBrowser }[] = [];
const stripeBuyers: { name: string; browser: HttpBrowser }[] = [];
const report: string[] = [];

function startServer(port?: number) {
  return startChildServer({ databasePath: dbPath, env: fake.env, fakeStripePort: fake.port, port });
}

async function restart(): Promise<void> {
  const started = performance.now();
  server = await startServer(server.port);
  for (const b of [coordinator, ...offlineBuyers.map((x) => x.browser), ...stripeBuyers.map((x) => x.browser)]) b.moveTo(server.url);
  report.push(`restart ${Math.round(performance.now() - started)} ms`);
}

/** Opens the database as the next start would (recovering the WAL), runs `fn`, closes it. */
function withDatabase<T>(fn: (db: Database_) => T, path = dbPath): T {
  const db = openDatabase(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The same for work that awaits (the services answer with promises): the database closes once it is done. */
async function withDatabaseAsync<T>(fn: (db: Database_) => Promise<T>, path = dbPath): Promise<T> {
  const db = openDatabase(path);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/**
 * Fires every request at once and kills the server once a random number of them (at least one, never
 * all) has been answered, so the kill lands among requests still being worked on.
 */
async function fireAndKill(label: string, tasks: (() => Promise<HttpAnswer>)[]): Promise<HttpAnswer[]> {
  expect(tasks.length, `${label}: requests to fire`).toBeGreaterThan(1);
  const killAfter = 1 + Math.floor(random() * (tasks.length - 1));
  let answered = 0;
  let killing: Promise<void> | null = null;
  const kill = () => (killing ??= server.kill());
  const answers = await Promise.all(
    tasks.map(async (task) => {
      const answer = await task();
      if (answer.status !== 0 && ++answered >= killAfter) void kill();
      return answer;
    }),
  );
  await kill();
  const cut = answers.filter((a) => a.status === 0).length;
  report.push(`${label}: ${tasks.length} fired, killed after ${killAfter} answers, ${answers.length - cut} answered, ${cut} cut off`);
  const failures = answers.filter((a) => a.status >= 500);
  expect(
    failures.map((a) => `${a.status} ${a.body.slice(0, 200)}`),
    `${label}: server errors`,
  ).toEqual([]);
  return answers;
}

const count = (db: Database_, sql: string, ...params: unknown[]) =>
  db.sqlite
    .prepare(sql)
    .pluck()
    .get(...params) as number;
const column = <T>(db: Database_, sql: string, ...params: unknown[]) =>
  db.sqlite
    .prepare(sql)
    .pluck()
    .all(...params) as T[];

/** Everything a coordinator checks after a crash; each list of problems must be empty. */
function expectConsistent(label: string): void {
  withDatabase((db) => {
    expect(db.sqlite.pragma('integrity_check', { simple: true }), `${label}: integrity_check`).toBe('ok');
    expect(db.sqlite.pragma('foreign_key_check'), `${label}: foreign_key_check`).toEqual([]);
    expect(checkLedgerNow(db).problems, `${label}: ledger problems`).toEqual([]);

    // Stock and orders agree: what is not on the shelf is in an order that was not cancelled, on a
    // line not refunded whole before its parcel shipped (those units went back on sale).
    const held = new Map(
      (
        db.sqlite
          .prepare(
            `SELECT l.product_id AS id, sum(l.quantity) AS units FROM order_lines l JOIN orders o ON o.id = l.order_id
             WHERE o.status <> 'cancelled'
               AND NOT (o.delivery_method = 'ship' AND l.refunded_fen = l.line_total_fen
                        AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.village_id = l.village_id AND s.status <> 'pending'))
             GROUP BY l.product_id`,
          )
          .all() as { id: number; units: number }[]
      ).map((r) => [r.id, r.units]),
    );
    const stock = db.sqlite.prepare(`SELECT id, slug, stock FROM products`).all() as { id: number; slug: string; stock: number }[];
    const stockProblems = stock
      .filter((p) => p.stock < 0 || p.stock + (held.get(p.id) ?? 0) !== initialStock.get(p.id))
      .map((p) => `${p.slug}: stock ${p.stock} + held ${held.get(p.id) ?? 0} ≠ ${initialStock.get(p.id)}`);
    expect(stockProblems, `${label}: stock that does not add up`).toEqual([]);

    // No order without lines (donations to a wish have none by design), none without a parcel per village.
    expect(
      column(
        db,
        `SELECT number FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id) AND NOT EXISTS (SELECT 1 FROM wishes w WHERE w.order_id = o.id)`,
      ),
      `${label}: orders without lines`,
    ).toEqual([]);
    expect(
      column(
        db,
        `SELECT DISTINCT o.number FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.village_id = l.village_id)`,
      ),
      `${label}: orders missing a village's parcel`,
    ).toEqual([]);

    // Paid ⇔ posted once; a bank transfer marked paid has its payment row; a Stripe payment its succeeded row.
    expect(
      column(
        db,
        `SELECT number FROM orders o WHERE o.paid_at IS NOT NULL AND (SELECT count(*) FROM ledger_transactions t WHERE t.idempotency_key = 'order-paid:' || o.id) <> 1`,
      ),
      `${label}: paid orders without exactly one payment posting`,
    ).toEqual([]);
    expect(
      column(
        db,
        `SELECT t.idempotency_key FROM ledger_transactions t LEFT JOIN orders o ON o.id = t.order_id WHERE t.kind = 'order_payment' AND (o.id IS NULL OR o.paid_at IS NULL OR t.idempotency_key <> 'order-paid:' || o.id)`,
      ),
      `${label}: payment postings of orders that are not paid`,
    ).toEqual([]);
    expect(
      column(
        db,
        `SELECT number FROM orders o WHERE o.paid_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded' AND p.channel = CASE o.payment_method WHEN 'offline' THEN 'bank' ELSE 'stripe' END)`,
      ),
      `${label}: paid orders without a succeeded payment`,
    ).toEqual([]);
    expect(
      column(db, `SELECT o.number FROM orders o JOIN payments p ON p.order_id = o.id WHERE p.channel = 'bank' AND o.paid_at IS NULL`),
      `${label}: bank payments of unpaid orders`,
    ).toEqual([]);

    // Refunds: a succeeded refund is posted once, a pending or failed one not at all; orders carry their sum.
    expect(
      column(
        db,
        `SELECT r.id FROM refunds r WHERE (SELECT count(*) FROM ledger_transactions t WHERE t.idempotency_key = 'refund:' || r.id) <> CASE r.status WHEN 'succeeded' THEN 1 ELSE 0 END`,
      ),
      `${label}: refunds posted a wrong number of times`,
    ).toEqual([]);
    expect(
      column(
        db,
        `SELECT t.idempotency_key FROM ledger_transactions t WHERE t.kind = 'refund' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE 'refund:' || r.id = t.idempotency_key)`,
      ),
      `${label}: refund postings without a refund`,
    ).toEqual([]);
    expect(
      column(
        db,
        `SELECT number FROM orders o WHERE o.refunded_fen <> (SELECT coalesce(sum(amount_fen), 0) FROM refunds r WHERE r.order_id = o.id AND r.status = 'succeeded') OR (o.status = 'refunded') <> (o.refunded_fen = o.total_fen AND o.total_fen > 0)`,
      ),
      `${label}: orders whose refunded amount or status disagrees with their refunds`,
    ).toEqual([]);

    // Payouts: each row posted once, each posting with its row; nobody is paid more than they are owed.
    expect(
      column(db, `SELECT p.id FROM payouts p WHERE (SELECT count(*) FROM ledger_transactions t WHERE t.payout_id = p.id) <> 1`),
      `${label}: payouts without exactly one posting`,
    ).toEqual([]);
    expect(
      column(
        db,
        `SELECT t.id FROM ledger_transactions t WHERE t.kind IN ('payout', 'payout_reversal') AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.id = t.payout_id)`,
      ),
      `${label}: payout postings without a payout`,
    ).toEqual([]);
    expect(
      column(
        db,
        `SELECT a.code FROM ledger_accounts a JOIN ledger_entries e ON e.account_id = a.id WHERE a.kind = 'household_payable' GROUP BY a.id HAVING sum(e.amount_fen) > 0`,
      ),
      `${label}: households paid out more than they earned`,
    ).toEqual([]);
    expect(count(db, `SELECT count(*) FROM stripe_events`), `${label}: Stripe events recorded`).toBeLessThanOrEqual(sentEvents.size);
  });
}

const contact = (name: string, paymentMethod: 'offline' | 'stripe') => ({
  name,
  phone: `139${String(Math.floor(random() * 1e8)).padStart(8, '0')}`,
  province: '广东省',
  city: '深圳市',
  district: '南山区',
  address: '科技园 2 号',
  paymentMethod,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xiangyi-crash-'));
  dbPath = join(dir, 'shop.db');
  copyFileSync(inject('templateDbPath'), dbPath);
  initialStock = withDatabase((db) => {
    migrateDatabase(db);
    return new Map((db.sqlite.prepare(`SELECT id, stock FROM products`).all() as { id: number; stock: number }[]).map((p) => [p.id, p.stock]));
  });
  fake = await startFakeStripe();
  agent = new Agent({ connections: REQUESTS * 2 });
  buyerAgents = loopbackAgents(250);
  const started = performance.now();
  server = await startServer();
  report.push(`first start ${Math.round(performance.now() - started)} ms`);
  coordinator = httpBrowser(server.url, agent);
  const signedIn = await coordinator.post('/login', { email: COORDINATOR, password: 'xiangyi-demo' }, '/login');
  expect(signedIn.status).toBe(303);
}, 60_000);

afterAll(async () => {
  await server?.kill();
  await agent?.close();
  await buyerAgents?.close();
  await fake?.close();
  console.info(`[crash] ${scale.name} scale, seed ${SEED}\n  ${report.join('\n  ')}`);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Posts a Stripe event to the webhook endpoint, signed now (Stripe signs every delivery afresh). */
function deliver(event: { payload: string }): Promise<HttpAnswer> {
  const signature = fake.client.webhooks.generateTestHeaderString({ payload: event.payload, secret: FAKE_WEBHOOK_SECRET });
  return request(`${server.url}/webhooks/stripe`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: event.payload,
  }).then(
    async (res) => ({ status: res.statusCode, location: null, body: await res.body.text() }),
    (error: unknown) => ({ status: 0, location: null, body: String(error) }),
  );
}

/** A checkout.session.completed for an order's Checkout Session, remembered for Stripe's retries. */
function paymentEvent(orderId: number): { payload: string } | null {
  const session = fake.sessionOfOrder(orderId);
  if (!session) return null;
  const event = fake.event('checkout.session.completed', fake.session(session.id));
  sentEvents.set(event.id, { type: 'checkout.session.completed', payload: event.payload, orderId });
  return event;
}

/** Places orders the ordinary way (no kill), half by bank transfer and half through Stripe, for rounds that need more to act on. */
async function placeOrders(count: number): Promise<void> {
  const products = withDatabase(
    (db) => db.sqlite.prepare(`SELECT id FROM products WHERE published = 1 AND min_order_qty = 1 AND stock >= 10`).pluck().all() as number[],
  );
  for (let i = 0; i < count; i++) {
    const browser = httpBrowser(server.url, buyerAgents.next());
    expect((await browser.post('/cart/items', { productId: String(pick(products)), quantity: '1' }, '/login')).status).toBe(303);
    expect((await browser.post('/checkout', contact(`补单${i}-${Math.floor(random() * 1e6)}`, i % 2 === 0 ? 'offline' : 'stripe'), '/checkout')).status).toBe(
      303,
    );
  }
  report.push(`topped up with ${count} orders placed without a kill`);
}

/** Confirms bank transfers the ordinary way (no kill), so that refund and payout rounds have paid orders. */
async function markSomePaid(count: number): Promise<void> {
  let pending = withDatabase((db) =>
    column<string>(db, `SELECT number FROM orders WHERE status = 'pending_payment' AND payment_method = 'offline' ORDER BY id LIMIT ?`, count),
  );
  if (pending.length < count) {
    await placeOrders(2 * (count - pending.length));
    pending = withDatabase((db) =>
      column<string>(db, `SELECT number FROM orders WHERE status = 'pending_payment' AND payment_method = 'offline' ORDER BY id LIMIT ?`, count),
    );
  }
  const token = await coordinator.token('/coordinator');
  for (const number of pending)
    expect((await coordinator.postWith(`/coordinator/orders/${number}/mark-paid`, { reference: `TOPUP-${number}` }, token)).status).toBe(303);
  report.push(`topped up with ${pending.length} orders marked paid without a kill`);
}

describe(`SIGKILL in the middle of money-moving requests (${scale.name} scale: ${ROUNDS} round(s) per kind, ${REQUESTS} requests each)`, () => {
  it(
    'checkout: every order is whole (lines, parcels, stock taken) or absent, and an offline buyer either has the order or still has the cart',
    async () => {
      for (let round = 1; round <= ROUNDS; round++) {
        const products = withDatabase(
          (db) =>
            db.sqlite.prepare(`SELECT id, max_retail_qty AS max FROM products WHERE published = 1 AND min_order_qty = 1 AND stock >= 10`).all() as {
              id: number;
              max: number | null;
            }[],
        );
        const presses: (() => Promise<HttpAnswer>)[] = [];
        const buyers: { name: string; browser: HttpBrowser; method: 'offline' | 'stripe' }[] = [];
        for (let i = 0; i < REQUESTS; i++) {
          const browser = httpBrowser(server.url, buyerAgents.next());
          const product = pick(products);
          const quantity = 1 + Math.floor(random() * Math.min(3, product.max ?? 3));
          const added = await browser.post('/cart/items', { productId: String(product.id), quantity: String(quantity) }, '/login');
          expect(added.status, 'adding to the cart').toBe(303);
          const method = i % 2 === 0 ? 'offline' : 'stripe';
          const name = `崩溃${round}号${i}`;
          buyers.push({ name, browser, method });
          presses.push(await browser.prepare('/checkout', contact(name, method), '/checkout'));
        }
        await fireAndKill(`checkout round ${round}`, presses);
        expectConsistent(`after the kill in checkout round ${round}`);

        withDatabase((db) => {
          for (const b of buyers) {
            const orders = count(db, `SELECT count(*) FROM orders WHERE contact_name = ?`, b.name);
            const cartUnits = count(
              db,
              `SELECT coalesce(sum(i.quantity), 0) FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.session_id_hash = ?`,
              b.browser.sessionHash(),
            );
            expect(orders, `${b.name}: orders placed`).toBeLessThanOrEqual(1);
            // Offline: the order and the emptied cart commit together. Stripe: the cart empties only once the session exists.
            if (b.method === 'offline')
              expect(orders + (cartUnits > 0 ? 1 : 0), `${b.name} (offline): has the order (${orders}) and a full cart (${cartUnits} units), or neither`).toBe(
                1,
              );
            else expect(orders === 1 || cartUnits > 0, `${b.name} (Stripe): lost both the order and the cart`).toBe(true);
          }
        });
        offlineBuyers.push(...buyers.filter((b) => b.method === 'offline'));
        stripeBuyers.push(...buyers.filter((b) => b.method === 'stripe'));
        await restart();
        expectConsistent(`after the restart of checkout round ${round}`);
      }
    },
    scale.timeoutMs,
  );

  it(
    'payment confirmation: an order marked paid or paid by webhook is posted once, or is still pending with nothing posted',
    async () => {
      for (let round = 1; round <= ROUNDS; round++) {
        const pendingNow = () =>
          withDatabase(
            (db) =>
              db.sqlite.prepare(`SELECT id, number, payment_method AS method FROM orders WHERE status = 'pending_payment' ORDER BY id`).all() as {
                id: number;
                number: string;
                method: string;
              }[],
          );
        // The kill in checkout may have left only a few orders: make sure there is a crowd to confirm.
        if (pendingNow().length < REQUESTS / 2) await placeOrders(Math.ceil(REQUESTS / 2) - pendingNow().length);
        const pending = pendingNow();
        const token = await coordinator.token('/coordinator');
        const tasks: (() => Promise<HttpAnswer>)[] = [];
        for (const o of pending.slice(0, REQUESTS)) {
          if (o.method === 'offline')
            tasks.push(() => coordinator.postWith(`/coordinator/orders/${o.number}/mark-paid`, { reference: `BANK-${o.number}` }, token));
          else {
            const event = paymentEvent(o.id);
            if (event) tasks.push(() => deliver(event));
          }
        }
        tasks.sort(() => random() - 0.5);
        await fireAndKill(`payment confirmation round ${round}`, tasks);
        expectConsistent(`after the kill in payment confirmation round ${round}`);
        await restart();
      }
    },
    scale.timeoutMs,
  );

  it(
    'refunds: a refund is recorded and posted together (or, through Stripe, settled later), never twice',
    async () => {
      for (let round = 1; round <= ROUNDS; round++) {
        const refundable = () => withDatabase((db) => count(db, `SELECT count(*) FROM orders WHERE status IN ('paid', 'partially_refunded')`));
        if (refundable() < REQUESTS / 3) await markSomePaid(Math.ceil(REQUESTS / 3) - refundable());
        const paid = withDatabase(
          (db) =>
            db.sqlite
              .prepare(
                `SELECT number, total_fen - refunded_fen AS left, payment_method AS method FROM orders WHERE status IN ('paid', 'partially_refunded') ORDER BY id`,
              )
              .all() as { number: string; left: number; method: string }[],
        );
        const token = await coordinator.token('/coordinator');
        const tasks = paid.slice(0, REQUESTS).flatMap((o, i) => {
          // Whole refunds, small partial ones, and now and then two at once for the same order.
          const amount = i % 3 === 0 ? o.left : Math.min(o.left, 100);
          const one = () =>
            coordinator.postWith(`/coordinator/orders/${o.number}/refund`, { amount: fenToYuanInput(amount), reason: `崩溃测试退款 ${round}` }, token);
          return i % 4 === 1 ? [one, one] : [one];
        });
        tasks.sort(() => random() - 0.5);
        await fireAndKill(`refund round ${round}`, tasks);
        expectConsistent(`after the kill in refund round ${round}`);
        await restart();
      }
    },
    scale.timeoutMs,
  );

  it(
    'payouts: a payout row and its posting commit together, and concurrent payouts never overdraw a household',
    async () => {
      for (let round = 1; round <= ROUNDS; round++) {
        const owedCount = () =>
          withDatabase((db) =>
            count(
              db,
              `SELECT count(*) FROM (SELECT a.id FROM ledger_accounts a JOIN ledger_entries e ON e.account_id = a.id WHERE a.kind = 'household_payable' GROUP BY a.id HAVING sum(e.amount_fen) < 0)`,
            ),
          );
        if (owedCount() < 3) await markSomePaid(4);
        const owed = withDatabase(
          (db) =>
            db.sqlite
              .prepare(
                `SELECT a.household_id AS id, -sum(e.amount_fen) AS owed FROM ledger_accounts a JOIN ledger_entries e ON e.account_id = a.id WHERE a.kind = 'household_payable' GROUP BY a.id HAVING -sum(e.amount_fen) > 0`,
              )
              .all() as { id: number; owed: number }[],
        );
        expect(owed.length, 'households owed money (from the paid orders)').toBeGreaterThan(0);
        const token = await coordinator.token('/coordinator');
        const tasks: (() => Promise<HttpAnswer>)[] = [];
        for (let i = 0; tasks.length < REQUESTS; i++) {
          const h = owed[i % owed.length]!;
          // Now and then a payout of everything owed, racing the small ones for the same household.
          const amount = i % 5 === 0 ? h.owed : Math.min(h.owed, 1 + Math.floor(random() * 300));
          tasks.push(() =>
            coordinator.postWith(
              '/coordinator/payouts',
              { householdId: String(h.id), amount: fenToYuanInput(amount), method: 'cash', reference: `KILL-${round}-${i}` },
              token,
            ),
          );
        }
        await fireAndKill(`payout round ${round}`, tasks);
        expectConsistent(`after the kill in payout round ${round}`);
        await restart();
      }
    },
    scale.timeoutMs,
  );

  it(
    'expiry after a crash: moving time past the holds releases every unpaid reservation exactly once',
    async () => {
      await server.kill();
      const copy = join(dir, 'expiry.db');
      const live = openDatabase(dbPath);
      try {
        await live.sqlite.backup(copy);
      } finally {
        live.close();
      }
      await withDatabaseAsync(async (db) => {
        const clock = { now: Date.now() + 31 * 24 * 3600_000 };
        const ledger = createLedgerService(db, { clock: () => clock.now });
        const orders = createOrdersService(db, {
          clock: () => clock.now,
          ledger,
          audit: createAuditService(db, () => clock.now),
          expiry: { stripeMs: 30 * 60_000, offlineMs: 72 * 3600_000, offlineAnonymousMs: 24 * 3600_000, wishClaimMs: 12 * 3600_000 },
        });
        const stockOf = () =>
          new Map((db.sqlite.prepare(`SELECT id, stock FROM products`).all() as { id: number; stock: number }[]).map((p) => [p.id, p.stock]));
        const pendingUnits = new Map(
          (
            db.sqlite
              .prepare(
                `SELECT l.product_id AS id, sum(l.quantity) AS units FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.status = 'pending_payment' GROUP BY l.product_id`,
              )
              .all() as { id: number; units: number }[]
          ).map((r) => [r.id, r.units]),
        );
        const pending = count(db, `SELECT count(*) FROM orders WHERE status = 'pending_payment'`);
        const transactions = count(db, `SELECT count(*) FROM ledger_transactions`);
        const before = stockOf();
        expect(pending, 'orders left unpaid by the kills (to expire)').toBeGreaterThan(0);

        expect(await orders.expireDue(10_000), 'orders expired').toBe(pending);
        const after = stockOf();
        for (const [id, stock] of before) expect(after.get(id), `product ${id}: stock released`).toBe(stock + (pendingUnits.get(id) ?? 0));
        expect(count(db, `SELECT count(*) FROM orders WHERE status = 'pending_payment'`)).toBe(0);
        // Exactly once: a second sweep finds nothing and releases nothing; expiry posts nothing to the ledger.
        expect(await orders.expireDue(10_000)).toBe(0);
        expect(stockOf()).toEqual(after);
        expect(count(db, `SELECT count(*) FROM ledger_transactions`)).toBe(transactions);
        expect(checkLedgerNow(db).problems).toEqual([]);
        report.push(`expiry: ${pending} unpaid orders cancelled, ${[...pendingUnits.values()].reduce((a, b) => a + b, 0)} units released`);
      }, copy);
      // The shop itself (not the copy) still agrees with itself after this kill.
      expectConsistent('after the final kill');
    },
    scale.timeoutMs,
  );

  it(
    "after the restart, Stripe's retried webhooks complete every Stripe order exactly once and settle every Stripe refund",
    async () => {
      await restart();
      report.push(
        withDatabase(
          (db) =>
            `before the replay: ${count(db, `SELECT count(*) FROM orders WHERE payment_method = 'stripe' AND status = 'pending_payment'`)} Stripe orders pending ` +
            `(${count(db, `SELECT count(*) FROM orders o WHERE payment_method = 'stripe' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id)`)} without a payment row), ` +
            `${count(db, `SELECT count(*) FROM refunds WHERE status = 'pending'`)} refunds pending, ${count(db, `SELECT count(*) FROM stripe_events`)} of ${sentEvents.size} events recorded`,
        ),
      );
      // Stripe delivers again every event it has not seen acknowledged (here: all of them, in a new order),
      // plus the first delivery for sessions whose payment was never reported before the kills.
      const paid = withDatabase((db) => new Set(column<number>(db, `SELECT id FROM orders WHERE paid_at IS NOT NULL`)));
      const stripeOrders = withDatabase((db) => column<number>(db, `SELECT id FROM orders WHERE payment_method = 'stripe' ORDER BY id`));
      const replays = [...sentEvents.values()];
      for (const id of stripeOrders)
        if (!paid.has(id) && ![...sentEvents.values()].some((e) => e.orderId === id)) {
          const event = paymentEvent(id);
          if (event) replays.push({ ...event, type: 'checkout.session.completed', orderId: id });
        }
      replays.sort(() => random() - 0.5);
      const answers = await Promise.all(replays.map((e) => deliver(e)));
      expect(
        answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body}`),
        'replayed payment events',
      ).toEqual([]);

      // Refunds made at Stripe whose answer the killed server never saw: Stripe reports them by charge.refunded.
      const charges = [...new Set(fake.refunds.map((r) => r.charge))];
      const refundEvents = charges.map((charge) => fake.event('charge.refunded', fake.charge(charge)));
      const refundAnswers = await Promise.all(refundEvents.map((e) => deliver(e)));
      expect(
        refundAnswers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body}`),
        'charge.refunded events',
      ).toEqual([]);
      for (const e of refundEvents) sentEvents.set(e.id, { type: 'charge.refunded', payload: e.payload, orderId: null });
      await server.stop();

      withDatabase((db) => {
        const withSession = stripeOrders.filter((id) => fake.sessionOfOrder(id));
        const unpaid = withSession.filter((id) => count(db, `SELECT count(*) FROM orders WHERE id = ? AND paid_at IS NOT NULL`, id) !== 1);
        expect(unpaid, 'Stripe orders with a Checkout Session still unpaid').toEqual([]);
        for (const id of withSession)
          expect(count(db, `SELECT count(*) FROM ledger_transactions WHERE idempotency_key = ?`, `order-paid:${id}`), `order ${id}'s payment postings`).toBe(1);
        const recorded = new Set(column<string>(db, `SELECT id FROM stripe_events`));
        expect(
          [...sentEvents.keys()].filter((id) => !recorded.has(id)),
          'events never recorded',
        ).toEqual([]);
        expect(recorded.size).toBe(sentEvents.size);
        // Every refund Stripe made is posted once, by its refund row.
        for (const r of fake.refunds) {
          const row = db.sqlite.prepare(`SELECT id, status FROM refunds WHERE stripe_refund_id = ? OR id = ?`).get(r.id, Number(r.metadata.refundId ?? 0)) as
            | { id: number; status: string }
            | undefined;
          expect(row?.status, `Stripe refund ${r.id}`).toBe('succeeded');
          expect(count(db, `SELECT count(*) FROM ledger_transactions WHERE idempotency_key = ?`, `refund:${row!.id}`)).toBe(1);
        }
        report.push(
          `replay: ${replays.length} payment events and ${refundEvents.length} charge.refunded delivered; ${withSession.length} Stripe orders paid, ${fake.refunds.length} Stripe refunds settled; ` +
            `${count(db, `SELECT count(*) FROM orders`)} orders, ${count(db, `SELECT count(*) FROM ledger_transactions`)} ledger transactions, ${count(db, `SELECT count(*) FROM payouts`)} payouts in all`,
        );
      });
      expectConsistent('after the replay');
    },
    scale.timeoutMs,
  );
});
