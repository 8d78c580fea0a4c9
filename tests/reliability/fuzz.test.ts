import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse as Response } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/accounts/password.js';
import { buildApp, type App } from '../../src/app.js';
import type { Database_ } from '../../src/db/client.js';
import { FAKE_WEBHOOK_SECRET, startFakeStripe, type FakeStripe } from '../helpers/fake-stripe.js';
import { InjectClient } from '../helpers/inject-client.js';
import { jpegPhoto } from '../helpers/multipart.js';
import { placePaidOrder } from '../helpers/orders.js';
import { registeredRoutes } from '../helpers/routes.js';
import { STAFF_PASSWORD } from '../helpers/staff.js';
import { freshDatabase, testConfig } from '../helpers/test-app.js';
import { scale, SEED } from './scale.js';

/**
 * Bad input, generated (fast-check), at every form and every query string of the shop: wrong types
 * (JSON numbers, booleans, objects where strings belong), huge values, unicode (NUL, right-to-left
 * overrides, emoji, lone surrogates, invalid UTF-8 bytes), SQL and HTML injection, negative and
 * fractional quantities, overlong fields, arrays for scalars, duplicate and prototype-polluting keys,
 * malformed bodies. Console forms are posted as signed-in staff with a valid CSRF token, so the input
 * reaches the handler. Not one request may end in a 5xx. Afterwards every hostile string the fuzzer
 * got stored is found in the database, and every page that shows one shows it escaped.
 */

const RUNS = scale.fuzz.runsPerEndpoint;

type Actor = 'visitor' | 'buyer' | 'org buyer' | 'secretary' | 'coordinator' | 'outlet staff' | 'admin';
const ACCOUNTS: Record<Exclude<Actor, 'visitor'>, [string, string]> = {
  buyer: ['buyer@xiangyi.test', 'xiangyi-demo'],
  'org buyer': ['org@xiangyi.test', 'xiangyi-demo'],
  secretary: ['secretary.gulou@xiangyi.test', 'xiangyi-demo'],
  coordinator: ['coordinator@xiangyi.test', 'xiangyi-demo'],
  'outlet staff': ['outlet@xiangyi.test', 'xiangyi-demo'],
  admin: ['admin@xiangyi.test', 'xiangyi-demo'],
};

// ---------- What the fuzzer throws ----------

const XSS = [
  '<script>alert(1)</script>',
  '"><script>alert(document.cookie)</script>',
  '<img src=x onerror=alert(1)>',
  '<svg onload=alert(1)>',
  'javascript:alert(1)',
  '" onmouseover="alert(1)',
  "'><iframe src=javascript:alert(1)>",
  '<a href="javascript:alert(1)">点我</a>',
  '</textarea><script>alert(1)</script>',
  '<ScRiPt>alert(1)</sCrIpT>',
];
const INJECTION = [
  "' OR '1'='1",
  "'; DROP TABLE orders; --",
  '1; DELETE FROM products',
  '" OR 1=1 --',
  "1' UNION SELECT password_hash FROM users --",
  '%',
  '_',
  '\\',
  "''",
  '{{7*7}}',
  '{{{body}}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: template syntax is part of the hostile input
  '${7*7}',
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  "=cmd|' /C calc'!A0",
  '@SUM(1+1)',
];
const UNICODE = [
  '\u0000',
  'a\u0000b',
  '\u202Eevil\u202C',
  '\u200B',
  '\uFEFF',
  '🐉🧧',
  '👨‍👩‍👧‍👦',
  '\uD800',
  'x\uDC00y',
  '𠮷野家',
  'ｱｲｳ',
  'İı',
  'ß',
  '\u0301',
  '\r\n\r\n',
  '\u2028',
];
const NUMBERS = [
  '-1',
  '0',
  '-0',
  '1.5',
  '0.001',
  '-0.01',
  '1e9',
  '1e308',
  '-1e308',
  'NaN',
  'Infinity',
  '9007199254740993',
  '99999999999999999999',
  '0x10',
  '１２',
  '١٢٣',
  '+1',
  ' 1 ',
  '1,000',
  '¥100',
  '100元',
  '00001',
  '1e-7',
];
const ODD = [
  '',
  ' ',
  '\t\r\n',
  'true',
  'false',
  'null',
  'undefined',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'XY-20250101-0001',
  'a'.repeat(300),
  'x'.repeat(5_000),
  '中'.repeat(2_000),
];
const HOSTILE = [...XSS, ...INJECTION, ...UNICODE, ...NUMBERS, ...ODD];
const EXTRA_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__proto__[admin]',
  'constructor[prototype][admin]',
  'a[b]',
  'x[]',
  'role',
  'userId',
  'allProjects',
  'villageIds',
  'status',
  'priceFen',
  'totalFen',
  '\u0000',
  '中文键',
];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.constantFrom(20_000, 120_000).map((n) => 'y'.repeat(n)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...XSS), fc.string({ maxLength: 8 })).map(([x, s]) => `${s}${x}`) },
);

const MISSING = Symbol('missing');
type Value = string | string[] | typeof MISSING;
/** A form field: its valid value, something hostile, several values at once, or left out. */
const fieldValue = (valid: string | string[]): fc.Arbitrary<Value> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(valid) },
    { weight: 5, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.array(fc.oneof(hostileString, fc.constant(Array.isArray(valid) ? (valid[0] ?? '') : valid)), { minLength: 2, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant<Value>(MISSING) },
  );
/** For JSON bodies: the wrong types a script could send. */
const jsonTyped: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({ $gt: '' }),
  fc.constant({ toString: 'x' }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
);

type Encoding = 'urlencoded' | 'json' | 'raw' | 'multipart' | 'broken-multipart' | 'wrong-type';
const RAW_JUNK = ['', '&', '&&=&', '%', '%E0%A4%A', '%ZZ', '=%', 'a=%FF%FE', '%00=%00', 'x=1&x=2&x=3', '+++', 'a[b][c][d][e][f][g]=1'];

interface FormInput {
  pairs: [string, Value][];
  typed: [string, unknown][];
  encoding: Encoding;
  junk: string;
  file: 'none' | 'jpeg' | 'garbage' | 'empty' | 'png-header';
  filename: string;
}

/** Percent-encodes like a browser, except that lone surrogates go out as the invalid UTF-8 they would be. */
function percentEncode(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out +=
      ch.length === 1 && code >= 0xd800 && code <= 0xdfff
        ? `%ED%${(0xa0 | ((code >> 6) & 0x1f)).toString(16).toUpperCase()}%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`
        : encodeURIComponent(ch);
  }
  return out;
}

function flatPairs(pairs: [string, Value][]): [string, string][] {
  return pairs.flatMap(([k, v]) => (v === MISSING ? [] : Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : [[k, v] as [string, string]]));
}

function formArbitrary(fields: Record<string, string | string[]>, multipart: boolean): fc.Arbitrary<FormInput> {
  const entries = Object.entries(fields);
  // Many fields bad at once (validation), or the whole form valid but for one field (deep paths; stored text).
  const manyBad = fc.tuple(...entries.map(([k, v]) => fieldValue(v).map((value) => [k, value] as [string, Value]))).map((p) => [...p]);
  const oneBad =
    entries.length === 0
      ? manyBad
      : fc
          .tuple(fc.nat({ max: entries.length - 1 }), fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...XSS) }, { weight: 1, arbitrary: hostileString }))
          .map(([i, bad]) => entries.map(([k, v], j) => [k, j === i ? bad : v] as [string, Value]));
  return fc
    .record({
      pairs: fc.oneof(manyBad, oneBad),
      extra: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 10 })), hostileString), { maxLength: 2 }),
      typed: fc.array(fc.tuple(fc.constantFrom(...entries.map(([k]) => k), ...EXTRA_KEYS.slice(0, 5)), jsonTyped), { maxLength: 3 }),
      encoding: fc.constantFrom<Encoding[]>(
        ...(multipart
          ? (['multipart', 'multipart', 'multipart', 'multipart', 'broken-multipart', 'urlencoded', 'json'] as Encoding[])
          : ([
              'urlencoded',
              'urlencoded',
              'urlencoded',
              'urlencoded',
              'urlencoded',
              'json',
              'json',
              'raw',
              'multipart',
              'broken-multipart',
              'wrong-type',
            ] as Encoding[])),
      ),
      junk: fc.constantFrom(...RAW_JUNK),
      file: fc.constantFrom('none', 'jpeg', 'garbage', 'empty', 'png-header'),
      filename: fc.oneof(
        fc.constant('photo.jpg'),
        hostileString.map((s) => s.slice(0, 200)),
      ),
    })
    .map(({ pairs, extra, ...rest }) => ({ ...rest, pairs: [...pairs, ...extra.map(([k, v]) => [k, v] as [string, Value])] }));
}

let jpeg: Buffer;

/** Builds the request for a generated form, with a valid CSRF token where a browser would put it. */
function encodeRequest(input: FormInput, token: string): { payload: string | Buffer; contentType: string; query: string } {
  const pairs = flatPairs(input.pairs);
  switch (input.encoding) {
    case 'json': {
      const body: Record<string, unknown> = {};
      const set = (k: string, v: unknown) => Object.defineProperty(body, k, { value: v, enumerable: true, configurable: true, writable: true });
      for (const [k, v] of pairs) set(k, v);
      for (const [k, v] of input.typed) set(k, v);
      set('_csrf', token);
      return { payload: JSON.stringify(body), contentType: 'application/json', query: '' };
    }
    case 'raw':
      return {
        payload: `${pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}&${input.junk}&_csrf=${encodeURIComponent(token)}`,
        contentType: 'application/x-www-form-urlencoded',
        query: '',
      };
    case 'wrong-type':
      return { payload: pairs.map(([k, v]) => `${k}=${v}`).join('\n'), contentType: 'text/plain', query: '' };
    case 'multipart':
    case 'broken-multipart': {
      const boundary = `----fuzz${randomBytes(6).toString('hex')}`;
      // The token first, as the upload forms send it.
      const chunks: Buffer[] = [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n`)];
      for (const [k, v] of pairs) chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k.replace(/"/g, '%22')}"\r\n\r\n${v}\r\n`));
      if (input.file !== 'none') {
        const data =
          input.file === 'jpeg'
            ? jpeg
            : input.file === 'garbage'
              ? randomBytes(512)
              : input.file === 'png-header'
                ? Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)])
                : Buffer.alloc(0);
        chunks.push(
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="${input.filename.replace(/["\r\n]/g, '_')}"\r\nContent-Type: image/jpeg\r\n\r\n`,
          ),
          data,
          Buffer.from('\r\n'),
        );
      }
      chunks.push(Buffer.from(`--${boundary}--\r\n`));
      let payload = Buffer.concat(chunks);
      // Broken: truncated mid-part, or announced with another boundary.
      if (input.encoding === 'broken-multipart')
        payload = input.junk.length % 2 === 0 ? payload.subarray(0, Math.floor(payload.length / 2)) : Buffer.concat([Buffer.from('--other\r\n'), payload]);
      return { payload, contentType: `multipart/form-data; boundary=${boundary}`, query: '' };
    }
    default: {
      const params = new URLSearchParams();
      for (const [k, v] of pairs) params.append(k, v);
      params.append('_csrf', token);
      return { payload: params.toString(), contentType: 'application/x-www-form-urlencoded', query: '' };
    }
  }
}

// ---------- The app, its people and the objects the forms act on ----------

let fake: FakeStripe;
let app: App;
let db: Database_;
let dispose: () => void;
/** Server errors the app logged (5xx), with their stack, to name the failing line. */
const serverErrors: string[] = [];
const clients = new Map<Actor, InjectClient>();
let addressCounter = 0;
const newClient = () => new InjectClient(app, `10.7.${Math.floor(++addressCounter / 250)}.${(addressCounter % 250) + 1}`);
/** Order pages the fuzzer's own checkouts produced (with their tokens), to look at afterwards. */
const placedOrderUrls = new Set<string>();

const fx = {
  pendingOrders: [] as string[],
  paidOrders: [] as string[],
  pendingTokens: [] as string[],
  answeredQuote: 0,
  requestedQuote: 0,
  payout: 0,
  payoutRequest: 0,
  orderRequest: 0,
  wishOpen: 0,
  tempStaff: 0,
  tempOutletStaff: 0,
  photoId: 0,
  recalledLot: 0,
  address: 0,
  invoiced: '', // a paid order of the org buyer's organisation with an issued invoice
  donationReceipt: '', // the receipt of a visitor's paid wish donation, and the order's token
  donationToken: '',
};

async function placeUnpaid(client: InjectClient, slug: string): Promise<{ number: string; token: string }> {
  const productId = db.sqlite.prepare(`SELECT id FROM products WHERE slug = ?`).pluck().get(slug) as number;
  expect((await client.post('/cart/items', { productId: String(productId), quantity: '1' })).statusCode).toBe(303);
  const res = await client.post('/checkout', {
    name: '林晓',
    phone: '13800138000',
    province: '广东省',
    city: '深圳市',
    district: '福田区',
    address: '深南大道 1 号',
    paymentMethod: 'offline',
  });
  const m = /^\/orders\/(XY-[0-9-]+)\?token=(.+)$/.exec(String(res.headers.location ?? ''));
  if (!m) throw new Error(`checkout failed: ${res.statusCode}`);
  return { number: m[1]!, token: decodeURIComponent(m[2]!) };
}

beforeAll(async () => {
  fake = await startFakeStripe();
  const fresh = freshDatabase(true);
  db = fresh.db;
  dispose = fresh.dispose;
  const stream = { write: (line: string) => void serverErrors.push(line) };
  app = await buildApp(testConfig(fake.env, fresh.path), { db, logger: { level: 'error', stream }, stripe: fake.client });
  jpeg = (await jpegPhoto()).data;
  clients.set('visitor', newClient());
  for (const [actor, [email, password]] of Object.entries(ACCOUNTS) as [Exclude<Actor, 'visitor'>, [string, string]][])
    clients.set(actor, await newClient().signIn(email, password));

  const now = Date.now();
  const hash = await hashPassword(STAFF_PASSWORD);
  const user = (email: string, role: string) =>
    Number(
      db.sqlite
        .prepare(
          `INSERT INTO users (email, password_hash, display_name, role, all_projects, created_at, updated_at, password_changed_at) VALUES (?, ?, '临时账号', ?, 0, ?, ?, ?)`,
        )
        .run(email, hash, role, now, now, now).lastInsertRowid,
    );
  fx.tempStaff = user('temp.staff@xiangyi.test', 'first_secretary');
  fx.tempOutletStaff = user('temp.outlet@xiangyi.test', 'outlet_staff');
  db.sqlite.prepare(`INSERT INTO user_outlets (user_id, outlet_id) VALUES (?, 2)`).run(fx.tempOutletStaff);
  const orgBuyer = db.sqlite.prepare(`SELECT id FROM users WHERE email = 'org@xiangyi.test'`).pluck().get() as number;
  const quote = (status: string) =>
    Number(
      db.sqlite
        .prepare(
          `INSERT INTO quotes (organization_id, requested_by_user_id, product_id, quantity, note, status, unit_price_fen, valid_until, created_at) VALUES (1, ?, (SELECT id FROM products WHERE slug = 'tuyao-tea'), 60, '工会福利', ?, ?, ?, ?)`,
        )
        .run(orgBuyer, status, status === 'answered' ? 50_000 : null, status === 'answered' ? now + 30 * 86_400_000 : null, now).lastInsertRowid,
    );
  fx.answeredQuote = quote('answered');
  fx.address = Number(
    db.sqlite
      .prepare(
        `INSERT INTO buyer_addresses (user_id, recipient_name, phone, province, city, district, street, is_default, created_at, updated_at) VALUES ((SELECT id FROM users WHERE email = 'buyer@xiangyi.test'), '林晓', '13800138000', '广东省', '深圳市', '福田区', '深南大道 1 号', 1, ?, ?)`,
      )
      .run(now, now).lastInsertRowid,
  );
  fx.requestedQuote = quote('requested');
  const target = { app, db };
  for (let i = 0; i < 4; i++) fx.paidOrders.push((await placePaidOrder(target, [{ slug: i % 2 ? 'tuyao-tea' : 'gulou-shiitake', quantity: 2 }])).number);
  const visitor = newClient();
  for (let i = 0; i < 4; i++) {
    const placed = await placeUnpaid(visitor, i % 2 ? 'tuyao-black-tea' : 'gulou-passion-fruit');
    fx.pendingOrders.push(placed.number);
    fx.pendingTokens.push(placed.token);
  }
  const coordinator = clients.get('coordinator')!;
  expect((await coordinator.post('/coordinator/payouts', { householdId: '12', amount: '0.01', method: 'cash', reference: 'FUZZ' })).statusCode).toBe(303);
  fx.payout = db.sqlite.prepare(`SELECT max(id) FROM payouts`).pluck().get() as number;
  // The coordinator's own request to reverse it: waiting for a second coordinator.
  expect((await coordinator.post(`/coordinator/payouts/${fx.payout}/reverse`, { note: 'FUZZ' })).statusCode).toBe(303);
  fx.payoutRequest = db.sqlite.prepare(`SELECT max(id) FROM payout_requests`).pluck().get() as number;
  // A buyer's open refund request about a paid order, for the coordinator's answer.
  fx.orderRequest = Number(
    db.sqlite
      .prepare(
        `INSERT INTO order_requests (order_id, kind, reason, note, status, created_at) VALUES ((SELECT id FROM orders WHERE number = ?), 'refund', 'damaged', '摔坏了', 'open', ?)`,
      )
      .run(fx.paidOrders[0], now).lastInsertRowid,
  );
  fx.wishOpen = db.sqlite.prepare(`SELECT min(id) FROM wishes WHERE status = 'open'`).pluck().get() as number;
  fx.photoId = db.sqlite.prepare(`SELECT id FROM product_photos WHERE product_id = 21 ORDER BY id LIMIT 1`).pluck().get() as number;
  // The tea lot the paid tea orders came from, recalled (as the secretary's recall leaves it).
  db.sqlite.prepare(`UPDATE lots SET recalled_at = ?, recall_reason = '抽检' WHERE code = 'MM-TEA-MINGQIAN'`).run(now);
  fx.recalledLot = db.sqlite.prepare(`SELECT id FROM lots WHERE code = 'MM-TEA-MINGQIAN'`).pluck().get() as number;
  // The trade union's invoice request on a paid order (as accepting a quote leaves it), issued by the coordinator.
  fx.invoiced = fx.paidOrders[2]!;
  db.sqlite
    .prepare(
      `INSERT INTO invoice_requests (order_id, organization_id, title, tax_number, created_at) VALUES ((SELECT id FROM orders WHERE number = ?), 1, '深圳市福田区总工会', '81440304MC0A1B2C3J', ?)`,
    )
    .run(fx.invoiced, now);
  const issued = await coordinator.postMultipart(
    `/coordinator/invoices/${fx.invoiced}`,
    { invoiceNumber: 'FP-FUZZ', invoiceDate: '2026-11-20' },
    await jpegPhoto('file'),
  );
  expect(issued.statusCode, 'fixture invoice').toBe(303);
  // A visitor's wish donation, marked paid: it gets its donation receipt.
  const wish = db.sqlite.prepare(`SELECT max(id) FROM wishes WHERE status = 'open' AND id <> ?`).pluck().get(fx.wishOpen) as number;
  const claim = await newClient().post(`/wishes/${wish}/claim`, { name: '林晓', phone: '13800138001', paymentMethod: 'offline' });
  const claimed = /^\/orders\/(XY-[0-9-]+)\?token=(.+)$/.exec(String(claim.headers.location ?? ''));
  if (!claimed) throw new Error(`wish claim failed: ${claim.statusCode}`);
  expect((await coordinator.post(`/coordinator/orders/${claimed[1]}/mark-paid`, { reference: 'FUZZ-DONATION' })).statusCode).toBe(303);
  fx.donationReceipt = db.sqlite
    .prepare(`SELECT r.number FROM donation_receipts r JOIN orders o ON o.id = r.order_id WHERE o.number = ?`)
    .pluck()
    .get(claimed[1]) as string;
  fx.donationToken = decodeURIComponent(claimed[2]!);
}, 120_000);

afterAll(async () => {
  await app?.close();
  dispose?.();
  await fake?.close();
});

// ---------- Every route: who sends it, its valid path parameters, query and form ----------

interface FuzzRoute {
  method: 'GET' | 'POST';
  pattern: string;
  as: Actor;
  /** Valid values for the path parameters (one is picked per request), by name; '*' for a wildcard. */
  params?: () => Record<string, string[]>;
  /** The query a page would send, by key (GET). */
  query?: Record<string, string>;
  /** The form a page would send (POST). */
  form?: () => Record<string, string | string[]>;
  multipart?: boolean;
  /** Run before each request (e.g. put something in the cart so checkout gets past "empty cart"). */
  prepare?: (client: InjectClient) => Promise<void>;
  /** Sends as a fresh visitor each time (forms that replace the session). */
  freshVisitor?: boolean;
}

const LANG = { lang: 'en' };
const listing = { q: '茶', category: 'tea', village: 'mingmei', project: 'shen-he-xiezuo', sort: 'price_asc', page: '1', lang: 'zh-CN' };
const contact = {
  name: '林晓',
  phone: '13800138000',
  province: '广东省',
  city: '深圳市',
  district: '福田区',
  address: '深南大道 1 号',
  note: '放门口',
  paymentMethod: 'offline',
  delivery: 'ship',
  outletId: '',
  step: 'place',
};
const savedAddress = { recipientName: '林晓', phone: '13800138000', province: '河南省', city: '郑州市', district: '登封市', street: '中岳大街 1 号' };
const ids = (...values: (string | number)[]) => values.map(String);
const product = {
  titleZh: '模糊测试木耳',
  titleEn: 'Fuzz fungus',
  slug: '',
  descriptionZh: '好吃',
  descriptionEn: '',
  storyZh: '山里',
  storyEn: '',
  category: 'dried-goods',
  unit: 'bag',
  price: '30',
  minOrderQty: '1',
  maxRetailQty: '10',
  lowStockThreshold: '5',
  producerId: '9',
  projectId: '3',
  published: 'on',
  stock: '5',
  tierQty1: '5',
  tierPrice1: '25',
};
const household = {
  villageId: '4',
  realName: '模糊测试户',
  displayName: '测试户',
  publicStoryZh: '种香菇',
  publicStoryEn: '',
  members: '3',
  phone: '13912345678',
  idCardLast4: '123X',
  povertyRegNo: '4511220099',
};
const producer = {
  villageId: '4',
  kind: 'cooperative',
  nameZh: '模糊测试合作社',
  nameEn: '',
  storyZh: '合作社',
  storyEn: '',
  member_12: 'on',
  weight_12: '2',
  member_13: 'on',
};
const projectFields = {
  nameZh: '模糊测试项目',
  nameEn: 'Fuzz',
  slug: 'fuzz-project',
  fundingSource: '募捐',
  startsOn: '2025-01-01',
  endsOn: '2025-12-31',
  target: '10000',
  storyZh: '故事',
  storyEn: '',
};
const split = { householdBp: '9000', projectFundBp: '1000', operationsBp: '0' };

const FUZZ_ROUTES: FuzzRoute[] = [
  // ----- public pages (query strings and path parameters) -----
  { method: 'GET', pattern: '/', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/healthz', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/static/*', as: 'visitor', params: () => ({ '*': ['css/site.css', 'img/logo.svg'] }), query: LANG },
  { method: 'GET', pattern: '/media/:id', as: 'visitor', params: () => ({ id: ids(1, 2, 3) }), query: LANG },
  { method: 'GET', pattern: '/products', as: 'visitor', query: listing },
  { method: 'GET', pattern: '/api/v1/products', as: 'visitor', query: listing },
  { method: 'GET', pattern: '/products/:slug', as: 'visitor', params: () => ({ slug: ['gulou-shiitake', 'tuyao-tea'] }), query: LANG },
  { method: 'GET', pattern: '/api/v1/products/:slug', as: 'visitor', params: () => ({ slug: ['gulou-shiitake'] }), query: LANG },
  { method: 'GET', pattern: '/api/v1/villages', as: 'visitor', query: { page: '1', pageSize: '5', lang: 'en' } },
  { method: 'GET', pattern: '/api/v1/villages/:slug', as: 'visitor', params: () => ({ slug: ['gulou'] }), query: LANG },
  { method: 'GET', pattern: '/api/v1/projects', as: 'visitor', query: { page: '1', pageSize: '5', lang: 'en' } },
  { method: 'GET', pattern: '/api/v1/projects/:slug', as: 'visitor', params: () => ({ slug: ['shen-he-xiezuo'] }), query: LANG },
  { method: 'GET', pattern: '/api/v1/impact', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/api/v1/receipts/:code', as: 'visitor', params: () => ({ code: ['ABCDEFGHJK'] }), query: LANG },
  { method: 'GET', pattern: '/api/v1/wishes', as: 'visitor', query: { status: 'open', page: '1', pageSize: '5', lang: 'en' } },
  { method: 'GET', pattern: '/api/v1/wishes/:id', as: 'visitor', params: () => ({ id: ids(1, 2) }), query: LANG },
  { method: 'GET', pattern: '/api/v1/openapi.json', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/api/docs', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/villages/:slug', as: 'visitor', params: () => ({ slug: ['gulou', 'meiyaogou'] }), query: LANG },
  { method: 'GET', pattern: '/projects/:slug', as: 'visitor', params: () => ({ slug: ['shen-he-xiezuo'] }), query: LANG },
  { method: 'GET', pattern: '/impact', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/impact/checkpoints', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/impact/checkpoints.txt', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/impact/checkpoints.json', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/outlets', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/wishes', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/wishes/:id', as: 'visitor', params: () => ({ id: ids(1, 2, 4) }), query: LANG },
  { method: 'GET', pattern: '/wishes/:id/photo', as: 'visitor', params: () => ({ id: ids(1) }), query: LANG },
  { method: 'GET', pattern: '/wishes/:id/delivery-photo', as: 'visitor', params: () => ({ id: ids(1) }), query: { token: 'abc' } },
  { method: 'GET', pattern: '/lots/:code', as: 'visitor', params: () => ({ code: ['MM-TEA-MINGQIAN', 'MYG-HONEY-SPRING'] }), query: LANG },
  { method: 'GET', pattern: '/lots/:code/certificate', as: 'visitor', params: () => ({ code: ['MM-TEA-MINGQIAN'] }), query: LANG },
  {
    method: 'GET',
    pattern: '/receipts/:code',
    as: 'visitor',
    params: () => ({ code: db.sqlite.prepare(`SELECT receipt_code FROM orders WHERE paid_at IS NOT NULL`).pluck().all() as string[] }),
    query: LANG,
  },
  { method: 'GET', pattern: '/cart', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/checkout', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/checkout/success', as: 'visitor', query: { order: 'XY-20250101-0001', token: 'x', lang: 'en' } },
  { method: 'GET', pattern: '/checkout/cancel', as: 'visitor', query: { order: 'XY-20250101-0001', token: 'x', lang: 'en' } },
  { method: 'GET', pattern: '/orders/:number', as: 'visitor', params: () => ({ number: fx.pendingOrders }), query: { token: 'x', paid: '1', lang: 'en' } },
  { method: 'GET', pattern: '/login', as: 'visitor', query: { next: '/account/orders', lang: 'en' } },
  { method: 'GET', pattern: '/register', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/register/confirm', as: 'visitor', query: { token: 'made-up', lang: 'en' } },
  { method: 'GET', pattern: '/account/orders', as: 'buyer', query: LANG },
  { method: 'GET', pattern: '/account/password', as: 'buyer', query: LANG },
  { method: 'GET', pattern: '/login/two-factor', as: 'visitor', query: LANG },
  { method: 'GET', pattern: '/account/two-factor', as: 'secretary', query: LANG },
  { method: 'GET', pattern: '/account/addresses', as: 'buyer', query: LANG },
  { method: 'GET', pattern: '/account/data', as: 'buyer', query: LANG },
  { method: 'GET', pattern: '/account/data.json', as: 'buyer', query: LANG },
  { method: 'GET', pattern: '/account/delete', as: 'buyer', query: LANG },
  { method: 'GET', pattern: '/account/addresses/new', as: 'buyer', query: LANG },
  { method: 'GET', pattern: '/account/addresses/:id/edit', as: 'buyer', params: () => ({ id: ids(fx.address) }), query: LANG },
  { method: 'GET', pattern: '/orders/find', as: 'visitor', query: LANG },
  { method: 'POST', pattern: '/orders/find', as: 'visitor', form: () => ({ number: fx.pendingOrders[0]!, contact: '13800138000' }) },
  { method: 'GET', pattern: '/divisions', as: 'visitor', query: { province: '河南省', city: '郑州市' } },
  { method: 'GET', pattern: '/account/organization', as: 'org buyer', query: LANG },
  { method: 'GET', pattern: '/account/organization/quotes/:id', as: 'org buyer', params: () => ({ id: ids(fx.answeredQuote) }), query: LANG },
  { method: 'GET', pattern: '/products/:slug/quote', as: 'org buyer', params: () => ({ slug: ['tuyao-tea'] }), query: LANG },
  // ----- public forms -----
  { method: 'POST', pattern: '/cart/items', as: 'visitor', form: () => ({ productId: '21', quantity: '1' }) },
  { method: 'POST', pattern: '/cart/items/:productId', as: 'visitor', params: () => ({ productId: ids(21, 1) }), form: () => ({ quantity: '2' }) },
  {
    method: 'POST',
    pattern: '/checkout',
    as: 'visitor',
    form: () => ({ ...contact, paymentMethod: 'offline' }),
    // Something in the cart, so the form is what decides.
    prepare: async (client) => {
      const session = client.jar.sid ? createHash('sha256').update(client.jar.sid).digest('hex') : '';
      const items = db.sqlite
        .prepare(`SELECT count(*) FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.session_id_hash = ?`)
        .pluck()
        .get(session) as number;
      if (items === 0) await client.post('/cart/items', { productId: '21', quantity: '1' });
    },
  },
  { method: 'POST', pattern: '/login', as: 'visitor', form: () => ({ email: 'buyer@xiangyi.test', password: 'not-the-password', next: '/account/orders' }) },
  { method: 'POST', pattern: '/logout', as: 'visitor', form: () => ({}) },
  {
    method: 'POST',
    pattern: '/register',
    as: 'visitor',
    freshVisitor: true,
    form: () => ({ email: 'fuzz@example.test', displayName: '模糊', password: 'short', passwordConfirm: 'short' }),
  },
  { method: 'POST', pattern: '/register/confirm', as: 'visitor', form: () => ({ token: 'made-up' }) },
  {
    method: 'POST',
    pattern: '/wishes/:id/claim',
    as: 'visitor',
    params: () => ({ id: ids(fx.wishOpen) }),
    form: () => ({ name: '好心人', phone: '13800138000', paymentMethod: 'offline' }),
  },
  {
    method: 'POST',
    pattern: '/orders/:number/cancel',
    as: 'visitor',
    params: () => ({ number: fx.pendingOrders }),
    form: () => ({ token: fx.pendingTokens[0]! }),
  },
  {
    method: 'POST',
    pattern: '/orders/:number/confirm-receipt',
    as: 'visitor',
    params: () => ({ number: fx.pendingOrders }),
    form: () => ({ token: fx.pendingTokens[0]! }),
  },
  {
    method: 'POST',
    pattern: '/orders/:number/requests',
    as: 'visitor',
    params: () => ({ number: fx.pendingOrders }),
    form: () => ({ token: fx.pendingTokens[0]!, kind: 'refund', reason: 'damaged', note: '摔坏了', amount: '12.50' }),
  },
  { method: 'POST', pattern: '/webhooks/stripe', as: 'visitor' }, // its own generator: signed and unsigned events (below)
  { method: 'POST', pattern: '/login/two-factor', as: 'visitor', form: () => ({ code: '123456', recoveryCode: '' }) },
  { method: 'POST', pattern: '/account/two-factor', as: 'secretary', form: () => ({ code: '123456' }) },
  { method: 'POST', pattern: '/account/two-factor/off', as: 'secretary', form: () => ({ code: '123456' }) },
  {
    method: 'POST',
    pattern: '/account/password',
    as: 'buyer',
    form: () => ({ currentPassword: 'wrong-current', newPassword: 'short', passwordConfirm: 'short' }),
  },
  { method: 'POST', pattern: '/account/addresses', as: 'buyer', form: () => ({ ...savedAddress, isDefault: 'on', step: 'save' }) },
  // A wrong password: the fuzzer's forms never erase the buyer.
  { method: 'POST', pattern: '/account/delete', as: 'buyer', form: () => ({ password: 'wrong-password' }) },
  {
    method: 'POST',
    pattern: '/account/addresses/:id',
    as: 'buyer',
    params: () => ({ id: ids(fx.address) }),
    form: () => ({ ...savedAddress, step: 'narrow' }),
  },
  { method: 'POST', pattern: '/account/addresses/:id/default', as: 'buyer', params: () => ({ id: ids(fx.address) }), form: () => ({}) },
  { method: 'POST', pattern: '/account/addresses/:id/delete', as: 'buyer', params: () => ({ id: ids(fx.address) }), form: () => ({}) },
  {
    method: 'POST',
    pattern: '/account/organization',
    as: 'buyer',
    form: () => ({ name: '某单位', creditCode: '81440304MC0A1B2C3J', invoiceTitle: '某单位', taxNumber: '81440304MC0A1B2C3J' }),
  },
  {
    method: 'POST',
    pattern: '/account/organization/quotes/:id/accept',
    as: 'org buyer',
    params: () => ({ id: ids(fx.answeredQuote) }),
    form: () => ({ ...contact, invoiceTitle: '深圳市福田区总工会', taxNumber: '81440304MC0A1B2C3J', invoiceEmail: 'fp@example.test', quotaAcknowledged: 'on' }),
  },
  {
    method: 'POST',
    pattern: '/products/:slug/quote',
    as: 'org buyer',
    params: () => ({ slug: ['tuyao-tea', 'gulou-shiitake'] }),
    form: () => ({ quantity: '60', note: '工会福利' }),
  },
  // ----- the first secretary -----
  ...[
    '/secretary',
    '/secretary/households',
    '/secretary/households/new',
    '/secretary/producers',
    '/secretary/producers/new',
    '/secretary/products',
    '/secretary/products/new',
    '/secretary/orders',
    '/secretary/outlets',
    '/secretary/quotes',
  ].map((pattern): FuzzRoute => ({ method: 'GET', pattern, as: 'secretary', query: LANG })),
  { method: 'GET', pattern: '/secretary/households/:id', as: 'secretary', params: () => ({ id: ids(12, 13, 1) }), query: LANG },
  ...['/data', '/data.json', '/erase'].map(
    (tail): FuzzRoute => ({ method: 'GET', pattern: `/secretary/households/:id${tail}`, as: 'secretary', params: () => ({ id: ids(12, 13, 1) }), query: LANG }),
  ),
  { method: 'GET', pattern: '/secretary/producers/:id', as: 'secretary', params: () => ({ id: ids(9, 10) }), query: LANG },
  { method: 'GET', pattern: '/secretary/products/:id', as: 'secretary', params: () => ({ id: ids(21, 1) }), query: LANG },
  { method: 'GET', pattern: '/secretary/products/:id/lots/new', as: 'secretary', params: () => ({ id: ids(1) }), query: LANG },
  { method: 'GET', pattern: '/secretary/lots/:id', as: 'secretary', params: () => ({ id: ids(3, 4) }), query: LANG },
  {
    method: 'GET',
    pattern: '/secretary/orders/:number/packing-slip',
    as: 'secretary',
    params: () => ({ number: fx.paidOrders }),
    query: { village: '4', lang: 'en' },
  },
  { method: 'POST', pattern: '/secretary/households', as: 'secretary', form: () => household },
  { method: 'POST', pattern: '/secretary/households/:id', as: 'secretary', params: () => ({ id: ids(12, 13) }), form: () => household },
  { method: 'GET', pattern: '/secretary/households/:id/consent', as: 'secretary', params: () => ({ id: ids(12, 13, 1) }), query: LANG },
  { method: 'GET', pattern: '/secretary/households/:id/consent/withdraw', as: 'secretary', params: () => ({ id: ids(12, 13, 1) }), query: LANG },
  {
    method: 'GET',
    pattern: '/secretary/households/:id/consent/:consentId/scan',
    as: 'secretary',
    params: () => ({ id: ids(12, 13, 1), consentId: ids(1, 12) }),
  },
  {
    method: 'POST',
    pattern: '/secretary/households/:id/consent',
    as: 'secretary',
    multipart: true,
    params: () => ({ id: ids(12, 13) }),
    form: () => ({ namePublic: 'on', storyPublic: 'on', method: 'verbal', witnessName: '村委会文书', givenOn: '2026-12-01' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/households/:id/consent/withdraw',
    as: 'secretary',
    multipart: true,
    params: () => ({ id: ids(12, 13) }),
    form: () => ({ method: 'verbal', witnessName: '村委会文书', givenOn: '2026-12-01' }),
  },
  // A wrong password: the fuzzer's forms never erase the household.
  {
    method: 'POST',
    pattern: '/secretary/households/:id/erase',
    as: 'secretary',
    params: () => ({ id: ids(12, 13) }),
    form: () => ({ password: 'wrong-password' }),
  },
  { method: 'POST', pattern: '/secretary/producers', as: 'secretary', form: () => producer },
  { method: 'POST', pattern: '/secretary/producers/:id', as: 'secretary', params: () => ({ id: ids(9) }), form: () => producer },
  { method: 'POST', pattern: '/secretary/products', as: 'secretary', form: () => product },
  { method: 'POST', pattern: '/secretary/products/:id', as: 'secretary', params: () => ({ id: ids(21, 22) }), form: () => ({ ...product, stock: '' }) },
  { method: 'POST', pattern: '/secretary/products/:id/publish', as: 'secretary', params: () => ({ id: ids(22) }), form: () => ({ published: '1' }) },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/stock',
    as: 'secretary',
    params: () => ({ id: ids(21, 22) }),
    form: () => ({ delta: '3', reason: '盘点' }),
  },
  { method: 'POST', pattern: '/secretary/products/:id/photos', as: 'secretary', multipart: true, params: () => ({ id: ids(22) }), form: () => ({}) },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos/:photoId/delete',
    as: 'secretary',
    params: () => ({ id: ids(21), photoId: ids(fx.photoId, 999) }),
    form: () => ({}),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos/:photoId/move',
    as: 'secretary',
    params: () => ({ id: ids(21), photoId: ids(fx.photoId, 999) }),
    form: () => ({ move: 'main' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos/:photoId/alt',
    as: 'secretary',
    params: () => ({ id: ids(21), photoId: ids(fx.photoId, 999) }),
    form: () => ({ altZh: '香菇', altEn: 'Shiitake' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/lots',
    as: 'secretary',
    multipart: true,
    params: () => ({ id: ids(1, 21) }),
    form: () => ({ code: '', harvestedOn: '2025-04-01', quantity: '20', notes: '明前', householdIds: ['15', '16'] }),
  },
  { method: 'POST', pattern: '/secretary/lots/:id/recall', as: 'secretary', params: () => ({ id: ids(4) }), form: () => ({ reason: '抽检' }) },
  {
    method: 'POST',
    pattern: '/secretary/orders/:number/ship',
    as: 'secretary',
    params: () => ({ number: fx.paidOrders }),
    form: () => ({ carrier: '顺丰速运', trackingNumber: 'SF1234567890', villageId: '4' }),
  },
  { method: 'POST', pattern: '/secretary/outlets', as: 'secretary', form: () => ({ productId: '21', outletId: '1', quantity: '1', direction: 'to_outlet' }) },
  {
    method: 'POST',
    pattern: '/secretary/quotes/:id/answer',
    as: 'secretary',
    params: () => ({ id: ids(fx.requestedQuote) }),
    form: () => ({ unitPrice: '480', validUntil: '2031-01-01' }),
  },
  { method: 'POST', pattern: '/secretary/quotes/:id/decline', as: 'secretary', params: () => ({ id: ids(fx.requestedQuote, 99999) }), form: () => ({}) },
  // ----- the coordinator -----
  ...[
    '/coordinator/holds',
    '/coordinator/projects',
    '/coordinator/projects/new',
    '/coordinator/households',
    '/coordinator/wishes',
    '/coordinator/wishes/new',
    '/coordinator/organizations',
  ].map((pattern): FuzzRoute => ({ method: 'GET', pattern, as: 'coordinator', query: LANG })),
  { method: 'GET', pattern: '/coordinator', as: 'coordinator', query: { number: 'XY-20250101-0001', lang: 'en' } },
  {
    method: 'GET',
    pattern: '/coordinator/orders/:number',
    as: 'coordinator',
    params: () => ({ number: [...fx.paidOrders, ...fx.pendingOrders] }),
    query: LANG,
  },
  { method: 'GET', pattern: '/coordinator/projects/:id', as: 'coordinator', params: () => ({ id: ids(3, 5) }), query: LANG },
  { method: 'GET', pattern: '/coordinator/households/:id', as: 'coordinator', params: () => ({ id: ids(12, 1) }), query: LANG },
  ...['/coordinator/households/:id/statement', '/coordinator/households/:id/statement.csv', '/coordinator/households/:id/statement.pdf'].map(
    (pattern): FuzzRoute => ({
      method: 'GET',
      pattern,
      as: 'coordinator',
      params: () => ({ id: ids(12) }),
      query: { from: '2024-01-01', to: '2031-12-31', lang: 'en' },
    }),
  ),
  { method: 'GET', pattern: '/coordinator/payouts/:id/evidence', as: 'coordinator', params: () => ({ id: ids(fx.payout) }), query: LANG },
  { method: 'GET', pattern: '/coordinator/reconciliation', as: 'coordinator', query: { period: '2025-01', lang: 'en' } },
  { method: 'GET', pattern: '/coordinator/reconciliation.csv', as: 'coordinator', query: { period: '2025-01', lang: 'en' } },
  {
    method: 'GET',
    pattern: '/coordinator/reconciliation/transactions/:id',
    as: 'coordinator',
    params: () => ({ id: ids(1, 2) }),
    query: { period: '2025-01' },
  },
  { method: 'GET', pattern: '/coordinator/wishes/:id', as: 'coordinator', params: () => ({ id: ids(1, 4) }), query: LANG },
  { method: 'GET', pattern: '/coordinator/invoices', as: 'coordinator', query: { period: '2025-01', lang: 'en' } },
  { method: 'GET', pattern: '/coordinator/invoices.csv', as: 'coordinator', query: { period: '2025-01', lang: 'en' } },
  { method: 'GET', pattern: '/coordinator/invoices/:number', as: 'coordinator', params: () => ({ number: [fx.invoiced, fx.paidOrders[1]!] }), query: LANG },
  { method: 'GET', pattern: '/coordinator/invoices/:number/file', as: 'coordinator', params: () => ({ number: [fx.invoiced] }), query: LANG },
  {
    method: 'GET',
    pattern: '/account/organization/invoices/:number/file',
    as: 'org buyer',
    params: () => ({ number: [fx.invoiced, fx.paidOrders[1]!] }),
    query: LANG,
  },
  {
    method: 'GET',
    pattern: '/donation-receipts/:number/receipt.pdf',
    as: 'visitor',
    params: () => ({ number: [fx.donationReceipt] }),
    // The donor's link: the token is made in beforeAll, read when the route's inputs are generated.
    query: {
      get token() {
        return fx.donationToken;
      },
      lang: 'en',
    },
  },
  { method: 'GET', pattern: '/coordinator/donation-receipts', as: 'coordinator', query: { from: '2025-01-01', to: '2025-01-31', lang: 'en' } },
  { method: 'GET', pattern: '/coordinator/donation-receipts.csv', as: 'coordinator', query: { from: '2025-01-01', to: '2025-01-31', lang: 'en' } },
  { method: 'GET', pattern: '/coordinator/exports', as: 'coordinator', query: LANG },
  {
    method: 'GET',
    pattern: '/coordinator/exports/download',
    as: 'coordinator',
    query: { kind: 'orders', from: '2025-01-01', to: '2025-01-31', private: '1', lang: 'en' },
  },
  {
    method: 'GET',
    pattern: '/admin/audit',
    as: 'coordinator',
    query: { who: 'coordinator@xiangyi.test', what: 'order.', from: '2024-01-01', to: '2031-12-31', page: '1', lang: 'en' },
  },
  {
    method: 'POST',
    pattern: '/coordinator/orders/:number/mark-paid',
    as: 'coordinator',
    params: () => ({ number: fx.pendingOrders }),
    form: () => ({ reference: 'BANK-123' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/orders/:number/ship',
    as: 'coordinator',
    params: () => ({ number: fx.paidOrders }),
    form: () => ({ carrier: '顺丰速运', trackingNumber: 'SF1234567890', villageId: '4' }),
  },
  { method: 'POST', pattern: '/coordinator/orders/:number/cancel', as: 'coordinator', params: () => ({ number: fx.pendingOrders.slice(2) }), form: () => ({}) },
  { method: 'POST', pattern: '/coordinator/holds/:number/release', as: 'coordinator', params: () => ({ number: fx.paidOrders }), form: () => ({}) },
  {
    method: 'POST',
    pattern: '/coordinator/orders/:number/refund/confirm',
    as: 'coordinator',
    params: () => ({ number: fx.paidOrders }),
    form: () => ({ amount: '0.01', reason: '破损', lineId: '' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/orders/:number/refund',
    as: 'coordinator',
    params: () => ({ number: fx.paidOrders }),
    form: () => ({ amount: '0.01', reason: '破损', lineId: '' }),
  },
  { method: 'POST', pattern: '/coordinator/projects', as: 'coordinator', form: () => ({ ...projectFields, ...split }) },
  {
    method: 'POST',
    pattern: '/coordinator/projects/:id',
    as: 'coordinator',
    params: () => ({ id: ids(5) }),
    form: () => ({ ...projectFields, slug: 'qiaoshou-xiuniang' }),
  },
  { method: 'POST', pattern: '/coordinator/projects/:id/split', as: 'coordinator', params: () => ({ id: ids(5) }), form: () => split },
  {
    method: 'POST',
    pattern: '/coordinator/projects/:id/households',
    as: 'coordinator',
    params: () => ({ id: ids(5) }),
    form: () => ({ householdIds: ['5', '6', '7'] }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/payouts',
    as: 'coordinator',
    multipart: false,
    form: () => ({ householdId: '12', amount: '0.01', method: 'cash', reference: 'FZ-1', paidOn: '' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/payouts/:id/reverse/confirm',
    as: 'coordinator',
    params: () => ({ id: ids(fx.payout) }),
    form: () => ({ note: '录错了' }),
  },
  { method: 'POST', pattern: '/coordinator/payouts/:id/reverse', as: 'coordinator', params: () => ({ id: ids(fx.payout) }), form: () => ({ note: '录错了' }) },
  { method: 'GET', pattern: '/coordinator/payout-requests', as: 'coordinator', query: LANG },
  { method: 'GET', pattern: '/coordinator/bank-batches', as: 'coordinator', query: { day: '2025-01-01', lang: 'en' } },
  { method: 'POST', pattern: '/coordinator/bank-batches/file', as: 'coordinator', form: () => ({ day: '2025-01-01', payout: ids(fx.payout) }) },
  { method: 'POST', pattern: '/coordinator/bank-batches/statement', as: 'coordinator', multipart: true, form: () => ({ day: '2025-01-01' }) },
  { method: 'GET', pattern: '/coordinator/payout-requests/:id', as: 'coordinator', params: () => ({ id: ids(fx.payoutRequest) }), query: LANG },
  { method: 'POST', pattern: '/coordinator/payout-requests/:id/approve', as: 'coordinator', params: () => ({ id: ids(fx.payoutRequest) }), form: () => ({}) },
  {
    method: 'POST',
    pattern: '/coordinator/payout-requests/:id/reject',
    as: 'coordinator',
    params: () => ({ id: ids(fx.payoutRequest) }),
    form: () => ({ reason: '不对' }),
  },
  { method: 'POST', pattern: '/coordinator/checkpoints', as: 'coordinator', form: () => ({}) },
  { method: 'GET', pattern: '/coordinator/requests', as: 'coordinator', query: LANG },
  {
    method: 'POST',
    pattern: '/coordinator/requests/:id/answer',
    as: 'coordinator',
    params: () => ({ id: ids(fx.orderRequest) }),
    form: () => ({ decision: 'decline', reply: '不行' }),
  },
  { method: 'GET', pattern: '/coordinator/recalls', as: 'coordinator', query: LANG },
  { method: 'GET', pattern: '/coordinator/recalls/:id', as: 'coordinator', params: () => ({ id: ids(fx.recalledLot, 1) }), query: LANG },
  {
    method: 'POST',
    pattern: '/coordinator/recalls/:id/orders/:number/refund',
    as: 'coordinator',
    params: () => ({ id: ids(fx.recalledLot), number: fx.paidOrders }),
    form: () => ({}),
  },
  {
    method: 'POST',
    pattern: '/coordinator/recalls/:id/orders/:number/replace',
    as: 'coordinator',
    params: () => ({ id: ids(fx.recalledLot), number: [...fx.paidOrders, ...fx.pendingOrders] }),
    form: () => ({}),
  },
  { method: 'GET', pattern: '/coordinator/periods/:period/close', as: 'coordinator', params: () => ({ period: ['2020-01', '2020-02'] }), query: LANG },
  { method: 'POST', pattern: '/coordinator/periods/:period/close', as: 'coordinator', params: () => ({ period: ['2020-01', '2020-02'] }), form: () => ({}) },
  {
    method: 'POST',
    pattern: '/coordinator/periods/:period/notes',
    as: 'coordinator',
    params: () => ({ period: ['2020-01', '2020-02'] }),
    form: () => ({ key: 'order_paid_without_payment:order:XY-20200101-0001', note: '已与银行核实' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/wishes',
    as: 'coordinator',
    multipart: true,
    form: () => ({ projectId: '1', childName: '小花', childAge: '8', item: '书包', itemEn: '', amount: '60', story: '上学', storyEn: '', photoConsent: 'on' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/wishes/:id/deliver',
    as: 'coordinator',
    multipart: true,
    params: () => ({ id: ids(1, 2) }),
    form: () => ({ note: '已送到' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/invoices/:number',
    as: 'coordinator',
    multipart: true,
    params: () => ({ number: [fx.invoiced, fx.paidOrders[1]!] }),
    form: () => ({ invoiceNumber: 'FP-FUZZ-2', invoiceDate: '2026-11-21' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/organizations/:id/quota',
    as: 'coordinator',
    params: () => ({ id: ids(1) }),
    form: () => ({ year: '2026', amount: '50000' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/organizations/:id/members',
    as: 'coordinator',
    params: () => ({ id: ids(1) }),
    form: () => ({ email: 'buyer@xiangyi.test' }),
  },
  // ----- outlet staff -----
  { method: 'GET', pattern: '/outlet', as: 'outlet staff', query: LANG },
  { method: 'GET', pattern: '/outlet/:outletId', as: 'outlet staff', params: () => ({ outletId: ids(1, 2) }), query: LANG },
  {
    method: 'POST',
    pattern: '/outlet/:outletId/sales',
    as: 'outlet staff',
    params: () => ({ outletId: ids(1) }),
    form: () => ({ qty_3: '1', qty_4: '', qty_21: '1', channel: 'cash' }),
  },
  { method: 'POST', pattern: '/outlet/:outletId/pickups', as: 'outlet staff', params: () => ({ outletId: ids(1) }), form: () => ({ code: '123456' }) },
  // ----- admin -----
  { method: 'GET', pattern: '/admin/users', as: 'admin', query: LANG },
  { method: 'GET', pattern: '/admin/users/:id', as: 'admin', params: () => ({ id: ids(fx.tempStaff, 1) }), query: LANG },
  { method: 'GET', pattern: '/admin/outlets', as: 'admin', query: LANG },
  { method: 'GET', pattern: '/admin/security', as: 'admin', query: LANG },
  { method: 'GET', pattern: '/admin/outbox', as: 'admin', query: { page: '2', status: 'pending', lang: 'en' } },
  { method: 'GET', pattern: '/admin/outbox/:id', as: 'admin', params: () => ({ id: ids(1) }), query: LANG },
  { method: 'GET', pattern: '/admin/outbox/:id/html', as: 'admin', params: () => ({ id: ids(1) }) },
  { method: 'POST', pattern: '/admin/users/:id/password-reset', as: 'admin', params: () => ({ id: ids(fx.tempStaff) }), form: () => ({}) },
  { method: 'GET', pattern: '/mail/preferences', as: 'visitor', query: { u: '1', sig: 'forged', lang: 'en' } },
  { method: 'POST', pattern: '/mail/preferences', as: 'visitor', form: () => ({ u: '1', sig: 'forged', notices: 'off' }) },
  { method: 'POST', pattern: '/mail/unsubscribe', as: 'visitor', form: () => ({ u: '1', sig: 'forged' }) },
  { method: 'GET', pattern: '/password/forgot', as: 'visitor', query: LANG },
  { method: 'POST', pattern: '/password/forgot', as: 'visitor', form: () => ({ email: 'buyer@xiangyi.test' }) },
  { method: 'GET', pattern: '/password/reset', as: 'visitor', query: { token: 'made-up', lang: 'en' } },
  {
    method: 'POST',
    pattern: '/password/reset',
    as: 'visitor',
    form: () => ({ token: 'made-up', password: 'a-long-enough-password', passwordConfirm: 'a-long-enough-password' }),
  },
  {
    method: 'POST',
    pattern: '/admin/users',
    as: 'admin',
    form: () => ({ email: 'new.staff@xiangyi.test', password: 'short', displayName: '新同事', role: 'first_secretary', villageIds: ['4'] }),
  },
  {
    method: 'POST',
    pattern: '/admin/users/:id',
    as: 'admin',
    params: () => ({ id: ids(fx.tempStaff) }),
    form: () => ({ displayName: '临时', role: 'first_secretary', villageIds: ['4', '5'] }),
  },
  {
    method: 'POST',
    pattern: '/admin/outlets/:outletId/staff',
    as: 'admin',
    params: () => ({ outletId: ids(2) }),
    form: () => ({ email: 'temp.outlet@xiangyi.test' }),
  },
  {
    method: 'POST',
    pattern: '/admin/outlets/:outletId/staff/:userId/remove',
    as: 'admin',
    params: () => ({ outletId: ids(2), userId: ids(fx.tempOutletStaff) }),
    form: () => ({}),
  },
];

// ---------- Sending ----------

interface Sent {
  url: string;
  description: string;
  response: Response;
}

function pathOf(route: FuzzRoute, chosen: Record<string, string>): string {
  return route.pattern.replace(/:([A-Za-z]+)|\*/g, (token, name: string | undefined) => chosen[name ?? '*'] ?? token);
}

/** Path parameters: a valid value, or (one time in three) something hostile, percent-encoded. */
function paramsArbitrary(route: FuzzRoute): fc.Arbitrary<Record<string, string>> {
  const valid = route.params?.() ?? {};
  return fc.record(
    Object.fromEntries(
      Object.entries(valid).map(([name, values]) => [
        name,
        fc.oneof(
          { weight: 2, arbitrary: fc.constantFrom(...values.map((v) => encodeURI(v))) },
          { weight: 1, arbitrary: hostileString.map((s) => percentEncode(s.slice(0, 400))) },
        ),
      ]),
    ),
  );
}

interface GetInput {
  params: Record<string, string>;
  query: [string, Value][];
  extra: [string, string][];
  junk: string;
}

function getArbitrary(route: FuzzRoute): fc.Arbitrary<GetInput> {
  return fc.record({
    params: paramsArbitrary(route),
    query: fc.tuple(...Object.entries(route.query ?? LANG).map(([k, v]) => fieldValue(v).map((value) => [k, value] as [string, Value]))).map((p) => [...p]),
    extra: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 8 })), hostileString), { maxLength: 2 }),
    junk: fc.constantFrom(...RAW_JUNK),
  });
}

async function sendGet(route: FuzzRoute, { params, query, extra, junk }: GetInput): Promise<Sent> {
  const pairs = flatPairs([...query, ...extra.map(([k, v]) => [k, v] as [string, Value])]);
  const qs = [...pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`), junk].filter(Boolean).join('&');
  const url = `${pathOf(route, params)}?${qs}`;
  const response = await clients.get(route.as)!.get(url);
  return { url, description: `GET ${url.slice(0, 600)}`, response };
}

async function sendForm(route: FuzzRoute, params: Record<string, string>, input: FormInput): Promise<Sent> {
  // A fresh visitor each time, but from one address: the route's rate limit applies as it would to one person.
  const client = route.freshVisitor ? new InjectClient(app, '10.7.255.1') : clients.get(route.as)!;
  await route.prepare?.(client);
  const token = await client.csrf();
  const { payload, contentType, query } = encodeRequest(input, token);
  const url = `${pathOf(route, params)}${query ? `?${query}` : ''}`;
  const response = await client.send('POST', url, { payload, contentType });
  const location = String(response.headers.location ?? '');
  if (/^\/orders\/XY-[0-9-]+\?token=/.test(location)) placedOrderUrls.add(location);
  const shown = flatPairs(input.pairs)
    .map(([k, v]) => `${k}=${JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v)}`)
    .join(' ');
  return {
    url,
    description: `POST ${url.slice(0, 300)} [${input.encoding}, file ${input.file}] ${shown} typed=${JSON.stringify(input.typed).slice(0, 200)}`,
    response,
  };
}

interface WebhookInput {
  type: string;
  object: [string, unknown][];
  /** How much of an event's shape is there: all of it, no data, a data.object that is not an object … */
  shape: 'event' | 'no-data' | 'null-object' | 'string-object' | 'no-id' | 'numeric-id';
  signing: string;
  raw: string | null;
}

/** Stripe's endpoint gets its own generator: unsigned garbage, and validly signed events with bizarre objects. */
const webhookArbitrary: fc.Arbitrary<WebhookInput> = fc.record({
  type: fc.oneof(
    fc.constantFrom(
      'checkout.session.completed',
      'checkout.session.async_payment_succeeded',
      'checkout.session.async_payment_failed',
      'checkout.session.expired',
      'charge.refunded',
      'charge.refund.updated',
      'payment_intent.succeeded',
    ),
    hostileString,
  ),
  object: fc.array(
    fc.tuple(
      fc.constantFrom(
        'id',
        'object',
        'client_reference_id',
        'metadata',
        'amount_total',
        'payment_status',
        'payment_intent',
        'refunds',
        'charge',
        'amount',
        'status',
        'currency',
        'data',
        'has_more',
      ),
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        hostileString,
        fc.constantFrom(
          '1',
          '2',
          'cs_test_x',
          'paid',
          'succeeded',
          { orderId: '1' },
          { has_more: true, data: [{ id: 're_1', status: 'succeeded', amount: 1 }] },
        ),
      ),
    ),
    { maxLength: 8 },
  ),
  shape: fc.constantFrom('event', 'event', 'event', 'event', 'no-data', 'null-object', 'string-object', 'no-id', 'numeric-id'),
  signing: fc.constantFrom('valid', 'valid', 'valid', 'none', 'wrong-secret', 'garbage-header'),
  raw: fc.option(
    fc.oneof(
      hostileString,
      fc.constantFrom('{"id":', 'null', '[]', '{}', 'true', '"evt"', '{"id":"evt_1"}', '{"id":"evt_2","type":"checkout.session.completed"}'),
    ),
    { freq: 5 },
  ),
});

async function sendWebhook({ type, object, shape, signing, raw }: WebhookInput): Promise<Sent> {
  const data: Record<string, unknown> = {};
  for (const [k, v] of object) Object.defineProperty(data, k, { value: v, enumerable: true, configurable: true, writable: true });
  const event: Record<string, unknown> = {
    id: `evt_fuzz_${randomBytes(6).toString('hex')}`,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    data: { object: data },
  };
  if (shape === 'no-data') delete event.data;
  if (shape === 'null-object') event.data = { object: null };
  if (shape === 'string-object') event.data = { object: 'cs_test_1' };
  if (shape === 'no-id') delete event.id;
  if (shape === 'numeric-id') event.id = 12345;
  const payload = raw ?? JSON.stringify(event);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signing === 'valid') headers['stripe-signature'] = fake.client.webhooks.generateTestHeaderString({ payload, secret: FAKE_WEBHOOK_SECRET });
  if (signing === 'wrong-secret') headers['stripe-signature'] = fake.client.webhooks.generateTestHeaderString({ payload, secret: 'whsec_wrong' });
  if (signing === 'garbage-header') headers['stripe-signature'] = 't=abc,v1=zzz,v1=';
  const response = await clients.get('visitor')!.inject({ method: 'POST', url: '/webhooks/stripe', payload, headers });
  return { url: '/webhooks/stripe', description: `POST /webhooks/stripe [${signing}, ${raw === null ? shape : 'raw'}] ${payload.slice(0, 400)}`, response };
}

/**
 * Runs the generated requests. A 5xx does not stop the run (fast-check would stop at the first and
 * shrink it): every one is recorded with the error the server logged, and grouped by where it was
 * thrown, so one run names every distinct failure of the endpoint with its smallest example.
 */
async function fuzz(route: FuzzRoute): Promise<{ failures: Map<string, { count: number; example: string }>; statuses: Record<number, number> }> {
  const failures = new Map<string, { count: number; example: string }>();
  const statuses: Record<number, number> = {};
  const check = async (send: () => Promise<Sent>): Promise<true> => {
    const errorsBefore = serverErrors.length;
    const sent = await send();
    const status = sent.response.statusCode;
    statuses[status] = (statuses[status] ?? 0) + 1;
    // Stripe's endpoint answers 503 by design when it cannot ask Stripe what an event needs (Stripe retries later).
    if (status < 500 || (status === 503 && route.pattern === '/webhooks/stripe')) return true;
    const logged = serverErrors.slice(errorsBefore).map((line) => {
      try {
        const entry = JSON.parse(line) as { err?: { stack?: string } };
        return (
          entry.err?.stack
            ?.split('\n')
            .slice(0, 4)
            .map((l) => l.trim())
            .join(' | ') ?? line
        );
      } catch {
        return line;
      }
    });
    // Grouped by the message and the first frame in our own code (or the first frame at all).
    const where = logged
      .join(' || ')
      .replace(/\/work\/main\//g, '')
      .replace(/:[0-9]+:[0-9]+\)/g, ')');
    const signature = `${status} ${where.split(' | ').slice(0, 2).join(' | ') || '(nothing logged)'}`;
    const example = `${sent.description.slice(0, 900)}\n      server: ${logged.join(' || ').slice(0, 600) || '(nothing logged)'}`;
    const known = failures.get(signature);
    if (!known) failures.set(signature, { count: 1, example });
    else {
      known.count++;
      if (example.length < known.example.length) known.example = example;
    }
    return true;
  };
  const options = { numRuns: RUNS, seed: SEED };
  if (route.method === 'POST' && route.pattern !== '/webhooks/stripe') {
    // The form as its page sends it, first: the fuzzer mutates a form that (mostly) goes through.
    const valid = route.params?.() ?? {};
    const params = Object.fromEntries(Object.entries(valid).map(([k, v]) => [k, encodeURI(v[0]!)]));
    const pairs = Object.entries(route.form?.() ?? {}) as [string, Value][];
    const sent = await sendForm(route, params, {
      pairs,
      typed: [],
      encoding: route.multipart ? 'multipart' : 'urlencoded',
      junk: '',
      file: route.multipart ? 'jpeg' : 'none',
      filename: 'photo.jpg',
    });
    baselines.set(`${route.method} ${route.pattern}`, sent.response.statusCode);
  }
  if (route.pattern === '/webhooks/stripe')
    await fc.assert(
      fc.asyncProperty(webhookArbitrary, (input) => check(() => sendWebhook(input))),
      options,
    );
  else if (route.method === 'GET')
    await fc.assert(
      fc.asyncProperty(getArbitrary(route), (input) => check(() => sendGet(route, input))),
      options,
    );
  else
    await fc.assert(
      fc.asyncProperty(paramsArbitrary(route), formArbitrary(route.form?.() ?? {}, route.multipart === true), (params, input) =>
        check(() => sendForm(route, params, input)),
      ),
      options,
    );
  return { failures, statuses };
}

const totals = { requests: 0, byStatus: {} as Record<number, number> };
/** The status of each form sent as its page would send it (before the fuzzing of that form). */
const baselines = new Map<string, number>();

describe(`fuzzing every form and query string (${scale.name} scale: ${RUNS} generated inputs per endpoint, seed ${SEED})`, () => {
  it('covers every GET and POST route the app registers', () => {
    const registered = registeredRoutes(app).map((r) => `${r.method} ${r.pattern}`);
    const covered = FUZZ_ROUTES.map((r) => `${r.method} ${r.pattern}`);
    expect(
      registered.filter((r) => !covered.includes(r)),
      'routes the fuzzer does not reach',
    ).toEqual([]);
    expect(
      covered.filter((r) => !registered.includes(r)),
      'fuzz targets that are not routes',
    ).toEqual([]);
  });

  for (const route of FUZZ_ROUTES) {
    it(
      `${route.method} ${route.pattern} (as ${route.as}): no 5xx for ${RUNS} generated bad inputs`,
      async () => {
        const { failures, statuses } = await fuzz(route);
        const sent = Object.values(statuses).reduce((a, b) => a + b, 0);
        totals.requests += sent;
        for (const [s, n] of Object.entries(statuses)) totals.byStatus[Number(s)] = (totals.byStatus[Number(s)] ?? 0) + n;
        const report = [...failures].map(([signature, { count, example }]) => `${count}× ${signature}\n    smallest: ${example}`);
        expect(report, `5xx answers (seed ${SEED})`).toEqual([]);
        expect(sent).toBeGreaterThanOrEqual(RUNS);
      },
      scale.timeoutMs,
    );
  }
});

// ---------- Afterwards: what got stored, and how pages show it ----------

const MARKERS = ['<script', 'onerror=', 'javascript:'];

/** What must never be in a page: a script element, an inline event handler, a javascript: address. */
function unsafeHtml(body: string): string[] {
  const problems: string[] = [];
  const script = /<script\b/i.exec(body);
  if (script) problems.push(`raw <script at ${script.index}: …${body.slice(Math.max(0, script.index - 60), script.index + 80)}…`);
  const handler = /<[a-z][a-z0-9-]*\b[^<>]*\son[a-z]+\s*=/i.exec(body);
  if (handler) problems.push(`inline event handler: …${body.slice(handler.index, handler.index + 120)}…`);
  const js = /\b(?:href|src|action|formaction|xlink:href)\s*=\s*["']?\s*javascript:/i.exec(body);
  if (js) problems.push(`javascript: address: …${body.slice(js.index, js.index + 120)}…`);
  return problems;
}

/** The cells of a CSV file (RFC 4180 quoting), as a spreadsheet reads them. */
function csvCells(text: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',' || ch === '\n') {
      cells.push(cell.replace(/\r$/, '').replace(/^\uFEFF/, ''));
      cell = '';
    } else cell += ch;
  }
  if (cell) cells.push(cell);
  return cells;
}

describe('after the fuzzing: stored hostile text, and the pages that show it', () => {
  it(
    'finds what the fuzzer stored (every TEXT column of every table), and every page showing it escapes it',
    async () => {
      // 1. Every TEXT column of every table, scanned for the markers.
      const stored: Record<string, number> = {};
      const tables = db.sqlite
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%'`)
        .pluck()
        .all() as string[];
      for (const table of tables) {
        const columns = (db.sqlite.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(table) as { name: string; type: string }[]).filter((c) =>
          /text/i.test(c.type),
        );
        for (const { name } of columns) {
          const n = db.sqlite
            .prepare(`SELECT count(*) FROM "${table}" WHERE ${MARKERS.map(() => `instr(lower("${name}"), ?) > 0`).join(' OR ')}`)
            .pluck()
            .get(...MARKERS) as number;
          if (n > 0) stored[`${table}.${name}`] = n;
        }
      }
      console.info(`[fuzz] hostile markup stored as typed (escaping is the pages' job): ${JSON.stringify(stored)}`);
      expect(Object.keys(stored).length, 'the fuzzer got hostile text stored (else the page check below proves nothing)').toBeGreaterThan(3);

      // 2. The pages that show stored text, public and console, each read by whoever may read it.
      const all = (sql: string) => db.sqlite.prepare(sql).pluck().all() as (string | number)[];
      const pages: [Actor, string][] = [];
      const add = (actor: Actor, urls: (string | number)[], make: (x: string | number) => string = String) => {
        for (const u of urls) pages.push([actor, make(u)]);
      };
      const apiPages = ((await clients.get('visitor')!.get('/api/v1/products')).json() as { pages: number }).pages;
      add('visitor', ['/', '/impact', '/outlets', '/wishes', '/cart', ...Array.from({ length: apiPages }, (_, i) => `/products?page=${i + 1}`)]);
      add('visitor', all(`SELECT slug FROM products WHERE published = 1`), (s) => `/products/${s}`);
      add('visitor', all(`SELECT slug FROM villages`), (s) => `/villages/${s}`);
      add('visitor', all(`SELECT slug FROM projects`), (s) => `/projects/${s}`);
      add('visitor', all(`SELECT id FROM wishes`), (id) => `/wishes/${id}`);
      add('visitor', all(`SELECT code FROM lots`), (c) => `/lots/${encodeURIComponent(String(c))}`);
      add('visitor', all(`SELECT receipt_code FROM orders WHERE paid_at IS NOT NULL`), (c) => `/receipts/${c}`);
      add('visitor', [...placedOrderUrls].slice(0, 200));
      add('secretary', [
        '/secretary',
        '/secretary/households',
        '/secretary/producers',
        '/secretary/products',
        '/secretary/orders',
        '/secretary/outlets',
        '/secretary/quotes',
      ]);
      add('secretary', all(`SELECT id FROM households WHERE village_id IN (4, 5)`), (id) => `/secretary/households/${id}`);
      add('secretary', all(`SELECT id FROM producers WHERE village_id IN (4, 5)`), (id) => `/secretary/producers/${id}`);
      add(
        'secretary',
        all(`SELECT p.id FROM products p JOIN producers pr ON pr.id = p.producer_id WHERE pr.village_id IN (4, 5)`),
        (id) => `/secretary/products/${id}`,
      );
      add(
        'secretary',
        all(`SELECT l.id FROM lots l JOIN products p ON p.id = l.product_id JOIN producers pr ON pr.id = p.producer_id WHERE pr.village_id IN (4, 5)`),
        (id) => `/secretary/lots/${id}`,
      );
      add('coordinator', [
        '/coordinator',
        '/coordinator/households',
        '/coordinator/projects',
        '/coordinator/wishes',
        '/coordinator/organizations',
        '/coordinator/invoices',
        '/coordinator/reconciliation',
      ]);
      add('coordinator', all(`SELECT number FROM orders ORDER BY id DESC LIMIT 300`), (n) => `/coordinator/orders/${n}`);
      add('coordinator', all(`SELECT id FROM households`), (id) => `/coordinator/households/${id}`);
      add('coordinator', all(`SELECT id FROM households`), (id) => `/coordinator/households/${id}/statement?from=2020-01-01&to=2035-12-31`);
      add('coordinator', all(`SELECT id FROM projects`), (id) => `/coordinator/projects/${id}`);
      add('coordinator', all(`SELECT id FROM wishes`), (id) => `/coordinator/wishes/${id}`);
      const auditPages = Math.min(40, Math.ceil((db.sqlite.prepare(`SELECT count(*) FROM audit_log`).pluck().get() as number) / 50));
      add('admin', ['/admin/users', '/admin/outlets', ...Array.from({ length: auditPages }, (_, i) => `/admin/audit?page=${i + 1}`)]);
      add('admin', all(`SELECT id FROM users ORDER BY id DESC LIMIT 100`), (id) => `/admin/users/${id}`);
      add('outlet staff', ['/outlet/1', '/outlet/2']);
      add('org buyer', ['/account/organization', `/account/organization/quotes/${fx.answeredQuote}`, '/products/tuyao-tea/quote']);
      add('buyer', ['/account/orders', '/account/organization', '/account/addresses', `/account/addresses/${fx.address}/edit`]);

      const problems: string[] = [];
      let html = 0;
      let escapedSeen = 0;
      for (const [actor, url] of pages) {
        const res = await clients.get(actor)!.get(url);
        if (res.statusCode >= 500) problems.push(`${actor} GET ${url}: ${res.statusCode}`);
        if (!String(res.headers['content-type'] ?? '').startsWith('text/html')) continue;
        html++;
        if (/&lt;script/i.test(res.body)) escapedSeen++;
        for (const p of unsafeHtml(res.body)) problems.push(`${actor} GET ${url}: ${p}`);
      }
      console.info(
        `[fuzz] ${totals.requests} fuzz requests, statuses ${JSON.stringify(totals.byStatus)}; afterwards ${html} HTML pages read, ${escapedSeen} of them showing fuzzed markup escaped`,
      );
      // The CSV exports carry the same text into spreadsheets: no cell may start a formula.
      const csvUrls = [
        '/coordinator/reconciliation.csv',
        '/coordinator/invoices.csv',
        ...all(`SELECT id FROM households`).map((id) => `/coordinator/households/${id}/statement.csv?from=2020-01-01&to=2035-12-31`),
      ];
      let cells = 0;
      for (const url of csvUrls) {
        const res = await clients.get('coordinator')!.get(url);
        if (res.statusCode !== 200) continue;
        for (const cell of csvCells(res.body)) {
          cells++;
          if (/^[=+@\t\r]/.test(cell)) problems.push(`GET ${url}: a cell starts a formula: ${JSON.stringify(cell.slice(0, 80))}`);
        }
      }
      expect(cells).toBeGreaterThan(50);
      console.info(`[fuzz] the valid forms the fuzzer starts from answered: ${JSON.stringify(Object.fromEntries(baselines))}`);
      expect(html).toBeGreaterThan(100);
      expect(escapedSeen, 'pages that show stored hostile text (escaped)').toBeGreaterThan(0);
      expect(problems.slice(0, 20)).toEqual([]);
      // And the checker itself is not blind.
      expect(unsafeHtml('<p>&lt;script&gt;alert(1)&lt;/script&gt; onerror&#x3D;x javascript:alert(1)</p>')).toEqual([]);
      expect(unsafeHtml('<p><script>alert(1)</script></p>')).toHaveLength(1);
      expect(unsafeHtml('<img src=x onerror=alert(1)>')).toHaveLength(1);
      expect(unsafeHtml('<a href="javascript:alert(1)">x</a>')).toHaveLength(1);
    },
    scale.timeoutMs,
  );
});

// ---------- What the fuzzer found, pinned down (these fail until src/ is fixed; see the report) ----------

/** A multipart body cut off in the middle of a text field, as a dropped connection delivers it. */
function truncatedMultipart(fields: Record<string, string>): { payload: Buffer; contentType: string } {
  const boundary = '----truncated0123456789';
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return {
    payload: Buffer.from(`${parts.join('')}--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n已送`),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

describe('bad input the fuzzer found answered with a 5xx', () => {
  const rowsWritten = () => db.sqlite.prepare('SELECT total_changes()').pluck().get() as number;

  for (const [actor, url, fields] of [
    ['secretary', () => '/secretary/products/21/photos', {}],
    ['secretary', () => '/secretary/products/1/lots', { harvestedOn: '2025-04-01', quantity: '5', householdIds: '16' }],
    ['coordinator', () => '/coordinator/payouts', { householdId: '12', amount: '0.01', method: 'cash', reference: 'CUT' }],
    ['coordinator', () => '/coordinator/wishes', { projectId: '1', childName: '小花', childAge: '8', item: '书包', amount: '60' }],
    ['coordinator', () => '/coordinator/wishes/1/deliver', { note: '已送到' }],
  ] as [Actor, () => string, Record<string, string>][]) {
    it(`answers a multipart upload cut off mid-way with a 4xx, not a 500: POST ${url()}`, async () => {
      const client = clients.get(actor)!;
      const token = await client.csrf();
      const before = rowsWritten();
      // The token first, as the form sends it, so the cut-off body reaches the route's parser.
      const res = await client.send('POST', url(), truncatedMultipart({ _csrf: token, ...fields }));
      expect(res.statusCode, res.body.slice(0, 200)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(rowsWritten()).toBe(before);
    });
  }

  it('answers a validly signed Stripe payload that is not a well-formed event with 400, recording nothing', async () => {
    const client = clients.get('visitor')!;
    const events = () => db.sqlite.prepare('SELECT count(*) FROM stripe_events').pluck().get() as number;
    for (const payload of [
      'null',
      '[]',
      '-12',
      '{"id":"evt_no_type"}',
      '{"id":"evt_no_data","type":"checkout.session.completed"}',
      '{"id":"evt_null_object","type":"checkout.session.expired","data":{"object":null}}',
    ]) {
      const before = events();
      const signature = fake.client.webhooks.generateTestHeaderString({ payload, secret: FAKE_WEBHOOK_SECRET });
      const res = await client.inject({
        method: 'POST',
        url: '/webhooks/stripe',
        payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      });
      expect(res.statusCode, `signed ${payload}`).toBe(400);
      expect(events(), `signed ${payload}: events recorded`).toBe(before);
    }
  });
});
