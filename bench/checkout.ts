// Orders per second through the full HTTP checkout. K virtual buyers, each in a loop:
// GET a product page (the catalogue's token) → POST /cart/items → POST /checkout (offline) expecting
// 303, with the token of the checkout form, which a buyer opens once (the token stays theirs).
// node --import tsx bench/checkout.ts '<json CheckoutSpec>'  → prints one JSON CheckoutResult line.
import { Pool } from 'undici';
import { Browser, csrfTokenIn } from './browser.js';

export interface CheckoutSpec {
  origin: string;
  buyers: number;
  /** Measured seconds. */
  duration: number;
  /** Seconds of unmeasured buying first. */
  warmup: number;
  products: { id: number; slug: string }[];
}

export interface CheckoutResult {
  buyers: number;
  seconds: number;
  orders: number;
  ordersPerSecond: number;
  checkoutPost: { p50_ms: number; p90_ms: number; p99_ms: number; max_ms: number };
  addToCart: { p50_ms: number; p99_ms: number };
  productPage: { p50_ms: number; p99_ms: number };
  loop: { p50_ms: number; p99_ms: number };
  failures: Record<string, number>;
  sampleFailure: string | null;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as CheckoutSpec;
// Each buyer connects from a loopback address of their own (127.0.1.1 …), as different people do:
// what unpaid orders may hold is limited per client address, as well as per visitor and phone.
const pools = Array.from(
  { length: spec.buyers },
  (_, i) => new Pool(spec.origin, { connections: 1, pipelining: 1, localAddress: `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}` }),
);

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 100) / 100;
};

const start = performance.now();
const measureFrom = start + spec.warmup * 1000;
const deadline = measureFrom + spec.duration * 1000;
const checkoutMs: number[] = [];
const cartMs: number[] = [];
const pageMs: number[] = [];
const loopMs: number[] = [];
const failures: Record<string, number> = {};
let sampleFailure: string | null = null;
let orders = 0;
let n = 0;

function fail(step: string, status: number, body: string): void {
  const key = `${step}:${status}`;
  failures[key] = (failures[key] ?? 0) + 1;
  sampleFailure ??= `${key} ${body.replace(/\s+/g, ' ').slice(0, 300)}`;
}

async function buyer(index: number): Promise<void> {
  const browser = new Browser(pools[index]!);
  let checkoutToken: string | null = null;
  while (performance.now() < deadline) {
    const loopStarted = performance.now();
    const measured = loopStarted >= measureFrom;
    const product = spec.products[(index * 7919 + n++) % spec.products.length]!;
    const page = await browser.get(`/products/${product.slug}`);
    if (measured) pageMs.push(page.ms);
    const token = csrfTokenIn(page.body);
    if (page.status !== 200 || !token) {
      fail('product', page.status, page.body);
      continue;
    }
    const added = await browser.post('/cart/items', { productId: String(product.id), quantity: '1', _csrf: token });
    if (measured) cartMs.push(added.ms);
    if (added.status !== 303) {
      fail('cart', added.status, added.body);
      continue;
    }
    if (checkoutToken === null) {
      // A buyer new to the shop opens the checkout form once (the cart started their session).
      const form = await browser.get('/checkout');
      checkoutToken = csrfTokenIn(form.body);
      if (form.status !== 200 || !checkoutToken) {
        fail('checkout-form', form.status, form.body);
        continue;
      }
    }
    const placed = await browser.post('/checkout', {
      name: '张伟',
      phone: `138${String(10_000_000 + ((index * 1_000_003 + n) % 89_999_999))}`,
      province: '广东省',
      city: '深圳市',
      district: '福田区',
      address: '深南大道 1000 号',
      paymentMethod: 'offline',
      _csrf: checkoutToken,
    });
    const done = performance.now();
    if (placed.status !== 303 || !placed.location?.startsWith('/orders/')) {
      fail('checkout', placed.status, placed.body);
      continue;
    }
    if (measured && done <= deadline) {
      orders++;
      checkoutMs.push(placed.ms);
      loopMs.push(done - loopStarted);
    }
  }
}

await Promise.all(Array.from({ length: spec.buyers }, (_, i) => buyer(i)));
await Promise.all(pools.map((p) => p.close()));
const seconds = spec.duration;
const result: CheckoutResult = {
  buyers: spec.buyers,
  seconds,
  orders,
  ordersPerSecond: Math.round((orders / seconds) * 10) / 10,
  checkoutPost: {
    p50_ms: percentile(checkoutMs, 50),
    p90_ms: percentile(checkoutMs, 90),
    p99_ms: percentile(checkoutMs, 99),
    max_ms: percentile(checkoutMs, 100),
  },
  addToCart: { p50_ms: percentile(cartMs, 50), p99_ms: percentile(cartMs, 99) },
  productPage: { p50_ms: percentile(pageMs, 50), p99_ms: percentile(pageMs, 99) },
  loop: { p50_ms: percentile(loopMs, 50), p99_ms: percentile(loopMs, 99) },
  failures,
  sampleFailure,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
