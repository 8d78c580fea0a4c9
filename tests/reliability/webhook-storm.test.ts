import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous } from '../helpers/auth.js';
import { startFakeStripe, type FakeStripe } from '../helpers/fake-stripe.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { scale, SEED, seededRandom } from './scale.js';

/**
 * Stripe delivers every event at least once, sometimes several times at once, in no particular
 * order. N Stripe orders each get a signed checkout.session.completed; every event is delivered
 * three times, all deliveries shuffled and sent in parallel (about fifty in flight) to a listening
 * server. Each order is paid exactly once, the ledger balances, and each event is recorded once.
 */

const { orders: ORDERS, deliveries: DELIVERIES, concurrency: CONCURRENCY } = scale.webhookStorm;
const SLUG = 'gulou-shiitake';

let fake: FakeStripe;
let server: LiveServer;
let agent: Agent;

beforeAll(async () => {
  fake = await startFakeStripe();
  server = await startLiveServer({ env: fake.env, stripe: fake.client });
  agent = new Agent({ connections: CONCURRENCY });
});
afterAll(async () => {
  await agent?.close();
  await server?.close();
  await fake?.close();
});

/** Runs `tasks` with at most `limit` in flight. */
async function bounded<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

describe(`a storm of Stripe webhooks: ${ORDERS} orders, each event delivered ${DELIVERIES} times in parallel (${scale.name} scale)`, () => {
  it(
    'pays every order exactly once, records each event once and keeps the ledger balanced',
    async () => {
      const db = server.db.sqlite;
      const product = db.prepare(`SELECT id, sold_count AS sold FROM products WHERE slug = ?`).get(SLUG) as { id: number; sold: number };
      db.prepare(`UPDATE products SET stock = ? WHERE id = ?`).run(ORDERS + 10, product.id);

      // N buyers' orders, each paid by Stripe Checkout: each buyer (their own browser, phone and
      // address: unpaid orders may hold only so much per person) puts a box in the cart and checks out.
      const placing = performance.now();
      for (let i = 0; i < ORDERS; i++) {
        const buyer = anonymous(server.app, { remoteAddress: `10.${Math.floor(i / 250)}.${i % 250}.1` });
        expect((await buyer.post('/cart/items', { productId: String(product.id), quantity: '1' }, { csrfFrom: '/login' })).statusCode).toBe(303);
        const contact = {
          name: '林晓',
          phone: `138${String(i).padStart(8, '0')}`,
          province: '广东省',
          city: '深圳市',
          district: '福田区',
          address: '深南大道 1 号',
          paymentMethod: 'stripe',
        };
        const placed = await buyer.post('/checkout', contact, { csrfFrom: '/cart' });
        expect(placed.statusCode).toBe(303);
        expect(String(placed.headers.location)).toMatch(/^https:\/\/checkout\.stripe\.test\//);
      }
      const placingSeconds = (performance.now() - placing) / 1000;

      const orders = db.prepare(`SELECT id, total_fen AS totalFen FROM orders WHERE payment_method = 'stripe' ORDER BY id`).all() as {
        id: number;
        totalFen: number;
      }[];
      expect(orders).toHaveLength(ORDERS);
      const sessionByOrder = new Map([...fake.sessions.values()].map((s) => [Number(s.params.client_reference_id), s]));
      const events = orders.map((o) => {
        const session = sessionByOrder.get(o.id);
        if (!session) throw new Error(`order ${o.id} has no Checkout Session at the fake Stripe`);
        return fake.event('checkout.session.completed', fake.session(session.id));
      });

      // Every event three times, shuffled, at most CONCURRENCY requests in flight.
      const random = seededRandom(SEED);
      const deliveries = events.flatMap((e) => Array.from({ length: DELIVERIES }, () => e));
      for (let i = deliveries.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
      }
      const storm = performance.now();
      const answers = await bounded(
        deliveries.map((e) => async () => {
          const res = await request(`${server.url}/webhooks/stripe`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json', 'stripe-signature': e.signature },
            body: e.payload,
          });
          const body = (await res.body.json()) as { received: boolean; message: string };
          return { status: res.statusCode, message: body.message };
        }),
        CONCURRENCY,
      );
      const stormSeconds = (performance.now() - storm) / 1000;

      expect(
        answers.filter((a) => a.status !== 200),
        'deliveries not answered 200',
      ).toEqual([]);
      const messages: Record<string, number> = {};
      for (const a of answers) messages[a.message] = (messages[a.message] ?? 0) + 1;
      expect(messages).toEqual({ paid: ORDERS, duplicate: ORDERS * (DELIVERIES - 1) });

      // Each order paid once: one 'order-paid:<id>' posting, one succeeded payment, status paid.
      const postings = new Map(
        (
          db.prepare(`SELECT idempotency_key AS k, count(*) AS n FROM ledger_transactions WHERE kind = 'order_payment' GROUP BY idempotency_key`).all() as {
            k: string;
            n: number;
          }[]
        ).map((r) => [r.k, r.n]),
      );
      expect(postings.size).toBe(ORDERS);
      for (const o of orders) expect(postings.get(`order-paid:${o.id}`), `order ${o.id}'s payment postings`).toBe(1);
      expect(db.prepare(`SELECT count(*) FROM orders WHERE payment_method = 'stripe' AND status = 'paid'`).pluck().get()).toBe(ORDERS);
      expect(db.prepare(`SELECT count(*) FROM payments WHERE channel = 'stripe' AND status = 'succeeded'`).pluck().get()).toBe(ORDERS);
      expect(db.prepare(`SELECT count(*) FROM payments`).pluck().get(), 'payment rows').toBe(ORDERS);
      expect(db.prepare(`SELECT count(*) FROM ledger_transactions WHERE kind = 'processor_fee'`).pluck().get(), 'fee postings').toBe(ORDERS);
      expect(db.prepare(`SELECT count(*) FROM stripe_events`).pluck().get(), 'recorded Stripe events').toBe(ORDERS);
      expect(db.prepare(`SELECT sold_count FROM products WHERE id = ?`).pluck().get(product.id), 'units counted as sold').toBe(product.sold + ORDERS);

      // The money: Stripe's clearing account holds what was paid less the fees; the ledger balances.
      const fees = orders.reduce((a, o) => a + fake.feeFor(o.totalFen), 0);
      const clearing = db
        .prepare(`SELECT coalesce(sum(e.amount_fen), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.code = 'clearing:stripe'`)
        .pluck()
        .get() as number;
      expect(clearing).toBe(orders.reduce((a, o) => a + o.totalFen, 0) - fees);
      const transactions = await expectLedgerSound(server.db);
      expect(transactions).toBe(ORDERS * 2);

      console.info(
        `[webhook-storm] ${ORDERS} orders placed in ${placingSeconds.toFixed(1)} s; ${deliveries.length} deliveries (${CONCURRENCY} in flight) in ` +
          `${stormSeconds.toFixed(1)} s (${Math.round(deliveries.length / stormSeconds)}/s): ${JSON.stringify(messages)}; ${transactions} ledger transactions; seed ${SEED}`,
      );
    },
    scale.timeoutMs,
  );
});
