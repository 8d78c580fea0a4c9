// New visitors adding to their carts at a steady rate, alongside a catalogue load: each add is a
// POST /cart/items with the product page's catalogue token and no cookie (a new session each time),
// as a visitor's first add from a cached page.
// node --import tsx bench/carts.ts '<json CartsSpec>'  → prints one JSON CartsResult line.
import { Pool } from 'undici';
import { csrfTokenIn } from './browser.js';

export interface CartsSpec {
  origin: string;
  /** Adds per second. */
  rate: number;
  /** Seconds (the catalogue load's warm-up and duration). */
  duration: number;
  slugs: string[];
}

export interface CartsResult {
  adds: number;
  ok: number;
  statusCodes: Record<string, number>;
  p50_ms: number;
  p99_ms: number;
  /** Adds per second achieved. */
  rate: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as CartsSpec;
const pool = new Pool(spec.origin, { connections: 16 });
const forms: { productId: string; token: string }[] = [];
for (const slug of spec.slugs) {
  const res = await pool.request({ method: 'GET', path: `/products/${slug}` });
  const html = await res.body.text();
  const token = csrfTokenIn(html);
  const productId = /name="productId" value="(\d+)"/.exec(html)?.[1];
  if (token && productId) forms.push({ productId, token });
}
if (forms.length === 0) throw new Error('no product page with an add-to-cart form');

const times: number[] = [];
const statusCodes: Record<string, number> = {};
const started = performance.now();
const pending: Promise<void>[] = [];
let sent = 0;
async function add(n: number): Promise<void> {
  const form = forms[n % forms.length]!;
  const t0 = performance.now();
  try {
    const res = await pool.request({
      method: 'POST',
      path: '/cart/items',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: spec.origin, 'sec-fetch-site': 'same-origin', 'user-agent': 'xiangyi-bench' },
      body: new URLSearchParams({ productId: form.productId, quantity: '1', _csrf: form.token }).toString(),
    });
    await res.body.dump();
    statusCodes[res.statusCode] = (statusCodes[res.statusCode] ?? 0) + 1;
  } catch {
    statusCodes.error = (statusCodes.error ?? 0) + 1;
  }
  times.push(performance.now() - t0);
}
// Open loop: an add is sent on schedule whether or not the earlier ones were answered.
while (performance.now() - started < spec.duration * 1000) {
  const due = started + (sent * 1000) / spec.rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  pending.push(add(sent++));
}
await Promise.all(pending);
await pool.close();
times.sort((a, b) => a - b);
const pct = (p: number) => Math.round((times[Math.min(times.length - 1, Math.floor(times.length * p))] ?? 0) * 10) / 10;
const result: CartsResult = {
  adds: sent,
  ok: statusCodes['303'] ?? 0,
  statusCodes,
  p50_ms: pct(0.5),
  p99_ms: pct(0.99),
  rate: Math.round((sent / ((performance.now() - started) / 1000)) * 10) / 10,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
