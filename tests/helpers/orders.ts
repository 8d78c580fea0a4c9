import type { App } from '../../src/app.js';
import { eq } from 'drizzle-orm';
import type { Database_ } from '../../src/db/client.js';
import { orders } from '../../src/orders/schema.js';
import { anonymous, signIn, type TestBrowser } from './auth.js';
import { rowOf } from './db-query.js';

export interface OrderItem {
  /** Product slug, e.g. 'meiyaogou-honey'. */
  slug: string;
  quantity: number;
}

export interface PaidOrder {
  number: string;
  orderId: number;
}

/** The signed-in demo coordinator of each app, so a test placing many orders signs in once. */
const coordinators = new WeakMap<App, Promise<TestBrowser>>();

function coordinatorOf(app: App): Promise<TestBrowser> {
  let browser = coordinators.get(app);
  if (!browser) {
    browser = signIn(app, 'coordinator@xiangyi.test');
    coordinators.set(app, browser);
  }
  return browser;
}

/** The product id behind a slug, from the add-to-cart form of its public page. */
async function productIdOf(buyer: TestBrowser, slug: string): Promise<string> {
  const page = await buyer.get(`/products/${slug}`);
  const id = /name="productId" value="(\d+)"/.exec(page.body)?.[1];
  if (page.statusCode !== 200 || !id) throw new Error(`No add-to-cart form on /products/${slug} (status ${page.statusCode})`);
  return id;
}

/**
 * Places and pays an order the way people do: a visitor adds the items to the cart and checks out
 * by bank transfer (offline), then the demo coordinator confirms the payment
 * (POST /coordinator/orders/:number/mark-paid), which posts the proceeds to the ledger.
 * Takes the test context (or live server) because the order's id is only in the database.
 */
export async function placePaidOrder(
  target: { app: App; db: Database_ },
  items: readonly OrderItem[],
  options: { reference?: string; note?: string } = {},
): Promise<PaidOrder> {
  const { app, db } = target;
  const buyer = anonymous(app);
  for (const item of items) {
    const productId = await productIdOf(buyer, item.slug);
    const added = await buyer.post('/cart/items', { productId, quantity: String(item.quantity) }, { csrfFrom: `/products/${item.slug}` });
    if (added.statusCode !== 303) throw new Error(`Adding ${item.quantity} × ${item.slug} to the cart failed with status ${added.statusCode}`);
  }
  const placed = await buyer.post(
    '/checkout',
    {
      name: '林晓',
      phone: '13800138000',
      province: '广东省',
      city: '深圳市',
      district: '福田区',
      address: '深南大道 1 号',
      paymentMethod: 'offline',
      ...(options.note ? { note: options.note } : {}),
    },
    { csrfFrom: '/cart' },
  );
  const number = /^\/orders\/(XY-[0-9]{8}-[0-9]{4,6})\?/.exec(String(placed.headers.location ?? ''))?.[1];
  if (placed.statusCode !== 303 || !number) throw new Error(`Checkout failed with status ${placed.statusCode}`);

  const reference = options.reference ?? `BANK-${number}`;
  let paid = await (await coordinatorOf(app)).post(`/coordinator/orders/${number}/mark-paid`, { reference }, { csrfFrom: '/coordinator' }).catch(() => null);
  if (paid === null || paid.statusCode === 401 || paid.statusCode === 403) {
    // The test moved its clock past the staff session's idle limit: sign in again.
    coordinators.delete(app);
    paid = await (await coordinatorOf(app)).post(`/coordinator/orders/${number}/mark-paid`, { reference }, { csrfFrom: '/coordinator' });
  }
  if (paid.statusCode !== 303) throw new Error(`Marking ${number} paid failed with status ${paid.statusCode}`);
  const row = await rowOf(db, (tx) => tx.select({ id: orders.id }).from(orders).where(eq(orders.number, number)));
  if (!row) throw new Error(`Order ${number} is not in the database`);
  return { number, orderId: row.id };
}
