import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenIn, encodeForm, type FormFields } from '../helpers/auth.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/**
 * The last jar of honey: ten buyers, each with their own browser session and the jar in their
 * cart, press "place order" at the same moment over real HTTP connections. One gets it.
 */

const BUYERS = 10;

let server: LiveServer;
let agent: Agent;

beforeAll(async () => {
  server = await startLiveServer();
  agent = new Agent({ connections: BUYERS * 2 });
});
afterAll(async () => {
  await agent?.close();
  await server?.close();
});

interface Answer {
  status: number;
  location: string | null;
  body: string;
}

/** One buyer's browser: its own cookie jar over real HTTP, redirects not followed. */
function browser(base: string) {
  const jar = new Map<string, string>();

  function remember(setCookie: string | string[] | undefined) {
    for (const header of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) <= Date.now()));
      if (value === '' || expired) jar.delete(name);
      else jar.set(name, value);
    }
  }

  async function send(method: 'GET' | 'POST', path: string, form?: FormFields): Promise<Answer> {
    const res = await request(`${base}${path}`, {
      method,
      dispatcher: agent,
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? encodeForm(form) : undefined,
    });
    remember(res.headers['set-cookie']);
    const location = res.headers.location;
    return { status: res.statusCode, location: typeof location === 'string' ? location : null, body: await res.body.text() };
  }

  return {
    get: (path: string) => send('GET', path),
    /** Posts a form with the CSRF token of `tokenFrom`, as the page the buyer is on would. */
    async post(path: string, form: FormFields, tokenFrom: string): Promise<Answer> {
      const page = await send('GET', tokenFrom);
      const token = csrfTokenIn(page.body);
      if (!token) throw new Error(`no _csrf token on ${tokenFrom}`);
      return send('POST', path, { ...form, _csrf: token });
    },
    /** Prepares a post whose token is fetched now, so that sending it later does nothing else first. */
    async prepare(path: string, form: FormFields, tokenFrom: string): Promise<() => Promise<Answer>> {
      const token = csrfTokenIn((await send('GET', tokenFrom)).body);
      if (!token) throw new Error(`no _csrf token on ${tokenFrom}`);
      return () => send('POST', path, { ...form, _csrf: token });
    },
  };
}

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

const cartLines = (html: string) => [...html.matchAll(/<input id="q-(\d+)" name="quantity"[^>]* value="(\d+)">/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe('ten buyers racing for the last jar of honey', () => {
  it('lets exactly one place the order; the others get "sold out" with their carts intact, and stock never goes below zero', async () => {
    const db = server.db.sqlite;
    const honey = db.prepare(`SELECT id FROM products WHERE slug = 'meiyaogou-honey'`).pluck().get() as number;
    db.prepare(`UPDATE products SET stock = 1 WHERE id = ?`).run(honey);

    const buyers = Array.from({ length: BUYERS }, () => browser(server.url));
    for (const buyer of buyers) {
      const added = await buyer.post('/cart/items', { productId: String(honey), quantity: '1' }, '/login');
      expect(added.status).toBe(303);
      expect(cartLines((await buyer.get('/cart')).body)).toEqual([[honey, 1]]);
    }

    const presses = await Promise.all(buyers.map((buyer, i) => buyer.prepare('/checkout', contact(i), '/checkout')));
    const answers = await Promise.all(presses.map((press) => press()));

    const placed = answers.filter((a) => a.status === 303);
    const refused = answers.filter((a) => a.status === 409);
    expect(answers.map((a) => a.status).sort()).toEqual([303, ...Array<number>(BUYERS - 1).fill(409)]);
    expect(placed).toHaveLength(1);
    expect(placed[0]!.location).toMatch(/^\/orders\/XY-\d{8}-\d{4}\?token=[A-Za-z0-9_-]+$/);
    for (const answer of refused) expect(answer.body).toContain('“煤窑沟土蜂蜜”刚刚卖完了。购物车没有变化，请调整后再结算。');

    expect(db.prepare(`SELECT stock FROM products WHERE id = ?`).pluck().get(honey)).toBe(0);
    expect(db.prepare(`SELECT count(*) FROM orders`).pluck().get()).toBe(1);
    expect(db.prepare(`SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE product_id = ?`).pluck().get(honey)).toBe(1);

    // The winner sees their order; everyone else still has the jar in their cart.
    const winner = answers.findIndex((a) => a.status === 303);
    const orderPage = await buyers[winner]!.get(placed[0]!.location!);
    expect(orderPage.status).toBe(200);
    expect(orderPage.body).toContain('待付款');
    for (const [i, buyer] of buyers.entries()) {
      expect(cartLines((await buyer.get('/cart')).body)).toEqual(i === winner ? [] : [[honey, 1]]);
    }
  });
});
