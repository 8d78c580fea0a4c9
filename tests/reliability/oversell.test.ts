import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FormFields } from '../helpers/auth.js';
import { httpBrowser, loopbackAgents, type HttpAnswer, type HttpBrowser } from '../helpers/http-browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { scale, SEED, seededRandom } from './scale.js';

/**
 * The last jar of honey, over and over: fifty buyers, each with their own browser session and one
 * jar in their cart, press "place order" at the same moment over real HTTP connections. Every round
 * exactly one order is placed; stock never dips below zero (a temporary trigger watches every write
 * to it); no reservation is lost (stock + units held by pending orders = what was stocked); and the
 * buyers who lost keep the jar in their cart for the next round.
 */

const { buyers: BUYERS, rounds: ROUNDS } = scale.oversell;
const SLUG = 'meiyaogou-honey';

let server: LiveServer;
/** Each buyer on a loopback address of their own: fifty people, not one address (which holds are limited per). */
let agents: ReturnType<typeof loopbackAgents>;

beforeAll(async () => {
  server = await startLiveServer();
  agents = loopbackAgents(BUYERS);
  // Watches every write to products.stock on the app's own connection: a negative value would be recorded here.
  server.db.sqlite.exec(`
    CREATE TEMP TABLE stock_writes (product_id INTEGER, stock INTEGER);
    CREATE TEMP TRIGGER stock_watch AFTER UPDATE OF stock ON main.products BEGIN
      INSERT INTO stock_writes VALUES (NEW.id, NEW.stock);
    END;
  `);
});
afterAll(async () => {
  await agents?.close();
  await server?.close();
});

const contact = (i: number): FormFields => ({
  name: `买家${i}`,
  phone: `1390000${String(1000 + i)}`,
  province: '广东省',
  city: '深圳市',
  district: '福田区',
  address: `福华路 ${i} 号`,
  note: '',
  paymentMethod: 'offline',
});

describe(`${BUYERS} buyers racing for the last jar of honey, ${ROUNDS} times (${scale.name} scale)`, () => {
  it(
    'places exactly one order per round, never sells stock that is not there, and loses no reservation or cart',
    async () => {
      const db = server.db.sqlite;
      const honey = db.prepare(`SELECT id FROM products WHERE slug = ?`).pluck().get(SLUG) as number;
      const stock = () => db.prepare(`SELECT stock FROM products WHERE id = ?`).pluck().get(honey) as number;
      const pendingUnits = () =>
        db
          .prepare(
            `SELECT coalesce(sum(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.product_id = ? AND o.status = 'pending_payment'`,
          )
          .pluck()
          .get(honey) as number;
      const cartUnits = (sessionHash: string) =>
        db
          .prepare(`SELECT coalesce(sum(i.quantity), 0) FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.session_id_hash = ? AND i.product_id = ?`)
          .pluck()
          .get(sessionHash, honey) as number;

      // One jar on the shelf; each round puts exactly one more there.
      db.prepare(`UPDATE products SET stock = 1 WHERE id = ?`).run(honey);
      let stocked = 1;
      const browsers: HttpBrowser[] = Array.from({ length: BUYERS }, (_, i) => httpBrowser(server.url, agents.of(i)));
      const tokens = new Map<HttpBrowser, string>();
      let emptyCarts = new Set(browsers);
      const winners: number[] = [];
      const random = seededRandom(SEED);
      const started = performance.now();

      for (let round = 1; round <= ROUNDS; round++) {
        if (round > 1) {
          db.prepare(`UPDATE products SET stock = stock + 1 WHERE id = ?`).run(honey);
          stocked += 1;
        }
        // Whoever has no jar in the cart (everyone at first, then the last winner) puts one in.
        for (const buyer of emptyCarts) {
          const added = await buyer.post('/cart/items', { productId: String(honey), quantity: '1' }, '/login');
          expect(added.status, `round ${round}: adding the jar to a cart`).toBe(303);
          // The session now exists; its token stays valid for every later round.
          tokens.set(buyer, await buyer.token('/cart'));
        }
        for (const buyer of browsers) expect(cartUnits(buyer.sessionHash()!), `round ${round}: every cart holds one jar before the race`).toBe(1);

        // Presses go out in a different order each round, so whoever's request lands first varies.
        const order = browsers.map((_, i) => i).sort(() => random() - 0.5);
        const answers = new Array<HttpAnswer>(BUYERS);
        await Promise.all(order.map(async (i) => (answers[i] = await browsers[i]!.postWith('/checkout', contact(i), tokens.get(browsers[i]!)!))));

        const statuses = answers.map((a) => a.status);
        const placed = answers.map((a, i) => [a, i] as const).filter(([a]) => a.status === 303);
        expect(placed, `round ${round}: statuses ${JSON.stringify(statuses)}`).toHaveLength(1);
        expect(
          statuses.filter((s) => s === 409),
          `round ${round}: everyone else is told it sold out`,
        ).toHaveLength(BUYERS - 1);
        const [win, winner] = placed[0]!;
        expect(win.location).toMatch(/^\/orders\/XY-\d{8}-\d{4,6}\?token=[A-Za-z0-9_-]+$/);
        winners.push(winner);

        // No oversell, no lost reservation: every jar ever stocked is on the shelf or held by a pending order.
        expect(stock(), `round ${round}: stock after the race`).toBe(0);
        expect(db.prepare(`SELECT count(*) FROM orders`).pluck().get(), `round ${round}: orders placed so far`).toBe(round);
        expect(stock() + pendingUnits(), `round ${round}: stock + reserved units`).toBe(stocked);
        // The winner's cart is empty; every loser still has the jar.
        for (const [i, buyer] of browsers.entries()) {
          expect(cartUnits(buyer.sessionHash()!), `round ${round}: buyer ${i}'s cart`).toBe(i === winner ? 0 : 1);
        }
        emptyCarts = new Set([browsers[winner]!]);
      }

      const lowest = db.prepare(`SELECT min(stock) FROM temp.stock_writes WHERE product_id = ?`).pluck().get(honey) as number;
      const writes = db.prepare(`SELECT count(*) FROM temp.stock_writes WHERE product_id = ?`).pluck().get(honey) as number;
      expect(lowest, 'the lowest stock ever written').toBe(0);
      expect(db.prepare(`SELECT count(*) FROM temp.stock_writes WHERE stock < 0`).pluck().get(), 'writes of negative stock').toBe(0);
      expect(db.prepare(`SELECT count(DISTINCT order_id) FROM order_lines WHERE product_id = ?`).pluck().get(honey)).toBe(ROUNDS);
      const seconds = (performance.now() - started) / 1000;
      console.info(
        `[oversell] ${ROUNDS} rounds × ${BUYERS} buyers: ${ROUNDS} orders, ${ROUNDS * (BUYERS - 1)} refusals, ${writes} stock writes (lowest ${lowest}), ` +
          `${new Set(winners).size} distinct winners, seed ${SEED}, ${seconds.toFixed(1)} s`,
      );
    },
    scale.timeoutMs,
  );
});
