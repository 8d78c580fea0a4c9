import { createHash, randomBytes } from 'node:crypto';
import type { LightMyRequestResponse as Response } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/accounts/password.js';
import { encodeForm, type FormFields } from '../helpers/auth.js';
import { startFakeStripe, type FakeStripe } from '../helpers/fake-stripe.js';
import { InjectClient } from '../helpers/inject-client.js';
import { jpegPhoto } from '../helpers/multipart.js';
import { placePaidOrder } from '../helpers/orders.js';
import { registeredRoutes } from '../helpers/routes.js';
import { createScopedCoordinator, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { namePublicSql } from '../helpers/consent.js';

/**
 * Who may do what, over EVERY route the app registers: each route × each kind of person × an object
 * of their own and one of someone else's. A route the table below does not know fails the test, so
 * a new route cannot ship without its expectation. Refusals are exact (sign in first, 401, 403, or a
 * 404 that cannot be told from "no such thing") and write nothing to the database. Then: CSRF is
 * refused on every POST for every role, a session id from before sign-in is dead after it, and no
 * public page or JSON answer carries a household's private details.
 *
 * Extends tests/secretary/authorization-matrix.test.ts (the secretary console, in depth) and
 * tests/accounts/csrf.test.ts (each POST, as one role) to every route and every role.
 */

type Actor = 'anonymous' | 'buyer' | 'org buyer' | 'secretary' | 'coordinator' | 'scoped coordinator' | 'outlet staff' | 'admin';
type Target = 'own' | 'foreign' | 'none';

const ACTORS: Actor[] = ['anonymous', 'buyer', 'org buyer', 'secretary', 'coordinator', 'scoped coordinator', 'outlet staff', 'admin'];
const SIGNED_IN = ACTORS.filter((a) => a !== 'anonymous');
const SECRETARY: Actor[] = ['secretary'];
const COORDINATORS: Actor[] = ['coordinator', 'scoped coordinator'];
const BUYERS: Actor[] = ['buyer', 'org buyer'];
const STAFF: Actor[] = ['secretary', 'coordinator', 'scoped coordinator', 'outlet staff', 'admin'];
const SCOPED_EMAIL = 'coordinator.scoped@xiangyi.test';
const EMAILS: Record<Exclude<Actor, 'anonymous'>, [string, string]> = {
  buyer: ['buyer@xiangyi.test', 'xiangyi-demo'],
  'org buyer': ['org@xiangyi.test', 'xiangyi-demo'],
  // First secretary of 古楼村 and 明梅村; "foreign" objects are 煤窑沟村's.
  secretary: ['secretary.gulou@xiangyi.test', 'xiangyi-demo'],
  coordinator: ['coordinator@xiangyi.test', 'xiangyi-demo'],
  // Scoped to 深贺协作 only; "foreign" objects belong to 煤窑沟产业扶贫 or 扶贫先扶志.
  'scoped coordinator': [SCOPED_EMAIL, STAFF_PASSWORD],
  // Staff of 深圳福田慈善超市 (outlet 1); "foreign" is 贺州八步 (outlet 2).
  'outlet staff': ['outlet@xiangyi.test', 'xiangyi-demo'],
  admin: ['admin@xiangyi.test', 'xiangyi-demo'],
};
const CSRF_MESSAGE = '页面已过期，请刷新后重试。';

let ctx: TestContext;
let fake: FakeStripe;
let addressCounter = 0;
const newClient = () => new InjectClient(ctx.app, `10.1.${Math.floor(++addressCounter / 250)}.${(addressCounter % 250) + 1}`);

/**
 * Another session of the same person, made the way the server makes one (a random id; its SHA-256
 * stored), without paying for another password hash: for requests that end their session.
 */
function anotherSession(actor: Actor): InjectClient {
  const client = newClient();
  if (actor === 'anonymous') return client;
  const userId = ctx.db.sqlite.prepare(`SELECT id FROM users WHERE email = ?`).pluck().get(EMAILS[actor][0]) as number;
  const sid = randomBytes(32).toString('base64url');
  const now = Date.now();
  ctx.db.sqlite
    .prepare(`INSERT INTO sessions (id_hash, user_id, data, created_at, last_seen_at, expires_at) VALUES (?, ?, '{}', ?, ?, ?)`)
    .run(createHash('sha256').update(sid).digest('hex'), userId, now, now, now + 3600_000);
  client.jar.sid = sid;
  return client;
}

async function signedIn(actor: Actor): Promise<InjectClient> {
  const client = newClient();
  if (actor === 'anonymous') return client;
  const [email, password] = EMAILS[actor];
  return client.signIn(email, password);
}

const clients = new Map<Actor, InjectClient>();

// ---------- Fixtures: for each kind of scope, an object inside it ("own") and one outside ("foreign") ----------

interface Pair<T = number> {
  own: T;
  foreign: T;
}
const f = {
  household: { own: 0, foreign: 0 } as Pair, // 古楼村 (enrolled in 深贺协作) / 煤窑沟村
  producer: { own: 0, foreign: 0 } as Pair,
  product: { own: 0, foreign: 0 } as Pair,
  photo: { own: 0, foreign: 0 } as Pair,
  lot: { own: 0, foreign: 0 } as Pair,
  recalledLot: { own: 0, foreign: 0 } as Pair, // recalled lots holding a unit of the paid order: 深贺协作 shiitake / 煤窑沟 honey
  secretaryQuote: { own: 0, foreign: 0 } as Pair, // a quote for 明梅村 tea / for 煤窑沟 honey
  orgQuote: { own: 0, foreign: 0 } as Pair, // a quote of the org buyer's organisation / of another one
  paid: { own: '', foreign: '' } as Pair<string>, // paid orders: 古楼村 shiitake (深贺协作) / 煤窑沟 honey
  pending: { own: '', foreign: '' } as Pair<string>, // unpaid bank-transfer orders, same split
  buyerOrder: { own: '', foreign: '' } as Pair<string>, // the buyer's own order / an anonymous visitor's
  project: { own: 0, foreign: 0 } as Pair,
  payout: { own: 0, foreign: 0 } as Pair,
  payoutRequest: { own: 0, foreign: 0 } as Pair, // a reversal of each payout, asked by a third coordinator
  wish: { own: 0, foreign: 0 } as Pair,
  outlet: { own: 1, foreign: 2 } as Pair,
  media: { own: 0, foreign: 0 } as Pair, // a public product photo / a payout's private evidence
  village: { own: 4, foreign: 1 } as Pair,
  pendingToken: '',
  receiptCode: '',
  lotCode: '',
  transactionId: 0,
  organization: { own: 1, foreign: 0 } as Pair, // the trade union (quotes for 深贺协作 products) / one that never bought from 深贺协作
  tempStaff: 0,
  tempOutletStaff: 0,
  address: { own: 0, foreign: 0 } as Pair, // the buyer's saved address / the org buyer's
  spareAddress: { own: 0, foreign: 0 } as Pair, // the same again, for the delete route
  orderRequest: { own: 0, foreign: 0 } as Pair, // a buyer's open refund request about each paid order
  // Paid orders of the org buyer's organisation (深贺协作 shiitake) / of another one (煤窑沟 honey), each with an issued invoice.
  invoiced: { own: '', foreign: '' } as Pair<string>,
  // Donation receipts of paid wish donations by visitors: 深贺协作 / another project; and the first donor's order token.
  donationReceipt: { own: '', foreign: '' } as Pair<string>,
  donationToken: '',
};

async function placeUnpaid(client: InjectClient, slug: string): Promise<{ number: string; token: string }> {
  const productId = ctx.db.sqlite.prepare(`SELECT id FROM products WHERE slug = ?`).pluck().get(slug) as number;
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
  const m = /^\/orders\/(XY-[0-9-]+)(?:\?token=(.+))?$/.exec(String(res.headers.location ?? ''));
  if (res.statusCode !== 303 || !m) throw new Error(`checkout failed: ${res.statusCode}`);
  return { number: m[1]!, token: decodeURIComponent(m[2] ?? '') };
}

async function setUpFixtures(): Promise<void> {
  const db = ctx.db.sqlite;
  const id = (sql: string, ...params: unknown[]) =>
    db
      .prepare(sql)
      .pluck()
      .get(...params) as number;
  const now = Date.now();
  const hash = await hashPassword(STAFF_PASSWORD);
  const user = (email: string, role: string) =>
    Number(
      db
        .prepare(
          `INSERT INTO users (email, password_hash, display_name, role, all_projects, created_at, updated_at, password_changed_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?)`,
        )
        .run(email, hash, '临时账号', role, now, now, now).lastInsertRowid,
    );
  // Accounts the admin's forms act on, so the people of the matrix keep their own roles and scopes.
  f.tempStaff = user('temp.staff@xiangyi.test', 'first_secretary');
  f.tempOutletStaff = user('temp.outlet@xiangyi.test', 'outlet_staff');
  db.prepare(`INSERT INTO user_outlets (user_id, outlet_id) VALUES (?, 2)`).run(f.tempOutletStaff);
  // A second organisation with its own buyer: its quote is "foreign" to the org buyer.
  const org2 = Number(
    db
      .prepare(
        `INSERT INTO organizations (name, credit_code, invoice_title, tax_number, created_at) VALUES ('贺州市八步区总工会', '81451100MC0A9B8C7X', '贺州市八步区总工会', '81451100MC0A9B8C7X', ?)`,
      )
      .run(now).lastInsertRowid,
  );
  const org2Buyer = user('org2@xiangyi.test', 'buyer');
  db.prepare(`INSERT INTO organization_members (organization_id, user_id) VALUES (?, ?)`).run(org2, org2Buyer);
  // An organisation with nothing bought from or asked of 深贺协作: not the scoped coordinator's.
  f.organization.foreign = Number(
    db
      .prepare(
        `INSERT INTO organizations (name, credit_code, invoice_title, tax_number, created_at) VALUES ('郑州市总工会', '81410100MC0A7D6E5Y', '郑州市总工会', '81410100MC0A7D6E5Y', ?)`,
      )
      .run(now).lastInsertRowid,
  );
  const orgBuyer = id(`SELECT id FROM users WHERE email = 'org@xiangyi.test'`);
  const quote = (orgId: number, userId: number, slug: string) =>
    Number(
      db
        .prepare(
          `INSERT INTO quotes (organization_id, requested_by_user_id, product_id, quantity, note, status, created_at) VALUES (?, ?, (SELECT id FROM products WHERE slug = ?), 80, '工会福利', 'requested', ?)`,
        )
        .run(orgId, userId, slug, now).lastInsertRowid,
    );
  f.secretaryQuote = { own: quote(1, orgBuyer, 'tuyao-tea'), foreign: quote(1, orgBuyer, 'meiyaogou-honey') };
  f.orgQuote = { own: quote(1, orgBuyer, 'gulou-shiitake'), foreign: quote(org2, org2Buyer, 'gulou-shiitake') };

  f.household = { own: id(`SELECT id FROM households WHERE real_name = '黄德明'`), foreign: id(`SELECT id FROM households WHERE real_name = '王秀兰'`) };
  f.producer = {
    own: id(`SELECT id FROM producers WHERE name_zh = '古楼村菌菇专业合作社'`),
    foreign: id(`SELECT id FROM producers WHERE name_zh = '王阿姨家的土蜂场'`),
  };
  f.product = { own: id(`SELECT id FROM products WHERE slug = 'gulou-shiitake'`), foreign: id(`SELECT id FROM products WHERE slug = 'meiyaogou-yuba'`) };
  f.photo = {
    own: id(`SELECT id FROM product_photos WHERE product_id = ? ORDER BY id LIMIT 1`, f.product.own),
    foreign: id(`SELECT id FROM product_photos WHERE product_id = ? ORDER BY id LIMIT 1`, f.product.foreign),
  };
  f.lot = { own: id(`SELECT id FROM lots WHERE code = 'MM-TEA-MINGQIAN'`), foreign: id(`SELECT id FROM lots WHERE code = 'MYG-HONEY-SPRING'`) };
  f.lotCode = 'MM-TEA-MINGQIAN';
  f.project = { own: id(`SELECT id FROM projects WHERE slug = 'shen-he-xiezuo'`), foreign: id(`SELECT id FROM projects WHERE slug = 'meiyaogou-chanye'`) };

  const ownPaid = await placePaidOrder(ctx, [{ slug: 'gulou-shiitake', quantity: 1 }]);
  const foreignPaid = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
  f.paid = { own: ownPaid.number, foreign: foreignPaid.number };
  f.receiptCode = db.prepare(`SELECT receipt_code FROM orders WHERE id = ?`).pluck().get(ownPaid.orderId) as string;
  f.transactionId = id(`SELECT id FROM ledger_transactions WHERE order_id = ?`, ownPaid.orderId);
  const visitor = newClient();
  const ownPending = await placeUnpaid(visitor, 'gulou-shiitake');
  f.pending = { own: ownPending.number, foreign: (await placeUnpaid(visitor, 'meiyaogou-honey')).number };
  f.pendingToken = ownPending.token;
  const savedAddress = (email: string) =>
    Number(
      db
        .prepare(
          `INSERT INTO buyer_addresses (user_id, recipient_name, phone, province, city, district, street, created_at, updated_at) VALUES ((SELECT id FROM users WHERE email = ?), '林晓', '13800138000', '广东省', '深圳市', '福田区', '深南大道 1 号', ?, ?)`,
        )
        .run(email, now, now).lastInsertRowid,
    );
  f.address = { own: savedAddress('buyer@xiangyi.test'), foreign: savedAddress('org@xiangyi.test') };
  f.spareAddress = { own: savedAddress('buyer@xiangyi.test'), foreign: savedAddress('org@xiangyi.test') };
  const orderRequest = (orderId: number) =>
    Number(
      db
        .prepare(`INSERT INTO order_requests (order_id, kind, reason, note, status, created_at) VALUES (?, 'refund', 'damaged', '摔坏了', 'open', ?)`)
        .run(orderId, now).lastInsertRowid,
    );
  f.orderRequest = { own: orderRequest(ownPaid.orderId), foreign: orderRequest(foreignPaid.orderId) };
  f.buyerOrder = { own: (await placeUnpaid(clients.get('buyer')!, 'gulou-black-fungus')).number, foreign: ownPending.number };

  // Payouts with evidence (private media), to a 古楼村 household and a 煤窑沟村 one.
  const coordinator = clients.get('coordinator')!;
  for (const side of ['own', 'foreign'] as const) {
    const res = await coordinator.postMultipart(
      '/coordinator/payouts',
      { householdId: String(f.household[side]), amount: '0.01', method: 'cash', reference: `FIX-${side}` },
      await jpegPhoto('evidence'),
    );
    expect(res.statusCode, `fixture payout (${side})`).toBe(303);
    f.payout[side] = id(`SELECT max(id) FROM payouts WHERE household_id = ?`, f.household[side]);
  }
  // Reversals of both payouts asked by a third coordinator (of every project), waiting for a second one.
  const requester = user('requester@xiangyi.test', 'coordinator');
  db.prepare('UPDATE users SET all_projects = 1 WHERE id = ?').run(requester);
  for (const side of ['own', 'foreign'] as const) {
    f.payoutRequest[side] = Number(
      db
        .prepare(
          `INSERT INTO payout_requests (kind, household_id, amount_fen, method, reference, paid_on, reverses_payout_id, note, requested_by_user_id, requested_at)
           SELECT 'reversal', household_id, amount_fen, method, reference, paid_on, id, '录错了', ?, ? FROM payouts WHERE id = ?`,
        )
        .run(requester, Date.now(), f.payout[side]).lastInsertRowid,
    );
  }
  f.media = {
    own: id(`SELECT list_media_id FROM product_photos WHERE id = ?`, f.photo.own),
    foreign: id(`SELECT evidence_media_id FROM payouts WHERE id = ?`, f.payout.own),
  };
  // A wish of 深贺协作 with a consented photo ("own" for the scoped coordinator); wish 1 is 扶贫先扶志's.
  const wish = await coordinator.postMultipart(
    '/coordinator/wishes',
    { projectId: String(f.project.own), childName: '小梅', childAge: '9', item: '一双冬鞋', amount: '80', story: '山里冬天冷。', photoConsent: 'on' },
    await jpegPhoto('photo'),
  );
  expect(wish.statusCode, 'fixture wish').toBe(303);
  f.wish = { own: id(`SELECT max(id) FROM wishes`), foreign: id(`SELECT min(id) FROM wishes WHERE project_id <> ?`, f.project.own) };
  // Recalls (made here as the secretary's recall would leave them): a shiitake lot that served the
  // "own" paid order, and the honey's spring lot, which served the "foreign" one.
  const shiitakeLot = Number(
    db
      .prepare(
        `INSERT INTO lots (product_id, code, harvested_on, quantity, remaining, recalled_at, recall_reason, created_at) VALUES (?, 'GL-SHIITAKE-MATRIX', '2026-01-05', 5, 4, ?, '矩阵测试', ?)`,
      )
      .run(f.product.own, now, now).lastInsertRowid,
  );
  db.prepare(`INSERT INTO order_line_lots (order_line_id, lot_id, quantity) VALUES ((SELECT id FROM order_lines WHERE order_id = ?), ?, 1)`).run(
    ownPaid.orderId,
    shiitakeLot,
  );
  db.prepare(`UPDATE lots SET recalled_at = ?, recall_reason = '矩阵测试' WHERE code = 'MYG-HONEY-SPRING'`).run(now);
  f.recalledLot = { own: shiitakeLot, foreign: id(`SELECT id FROM lots WHERE code = 'MYG-HONEY-SPRING'`) };

  // Invoice requests of organisations (as accepting a quote with an invoice leaves them), issued by the coordinator.
  const invoiced = { own: await placePaidOrder(ctx, [{ slug: 'gulou-shiitake', quantity: 1 }]), foreign: foreignPaid };
  for (const [s, orgId] of [
    ['own', 1],
    ['foreign', org2],
  ] as const) {
    db.prepare(`INSERT INTO invoice_requests (order_id, organization_id, title, tax_number, created_at) VALUES (?, ?, '单位', '81440304MC0A1B2C3J', ?)`).run(
      invoiced[s].orderId,
      orgId,
      now,
    );
    f.invoiced[s] = invoiced[s].number;
    const issued = await coordinator.postMultipart(
      `/coordinator/invoices/${f.invoiced[s]}`,
      { invoiceNumber: `FP-${s}`, invoiceDate: '2026-11-20' },
      await jpegPhoto('file'),
    );
    expect(issued.statusCode, `fixture invoice (${s})`).toBe(303);
  }
  // Wish donations claimed by a visitor and marked paid: each gets its donation receipt.
  const extraWish = await coordinator.postMultipart(
    '/coordinator/wishes',
    { projectId: String(f.project.own), childName: '小兰', childAge: '10', item: '一个书包', amount: '60', story: '要上学。', photoConsent: 'on' },
    await jpegPhoto('photo'),
  );
  expect(extraWish.statusCode, 'fixture wish to donate').toBe(303);
  const donated = {
    own: id(`SELECT max(id) FROM wishes`),
    foreign: id(`SELECT max(id) FROM wishes WHERE status = 'open' AND project_id <> ? AND id <> ?`, f.project.own, f.wish.foreign),
  };
  for (const s of ['own', 'foreign'] as const) {
    const donor = newClient();
    const claim = await donor.post(`/wishes/${donated[s]}/claim`, { name: '林晓', phone: '13800138001', paymentMethod: 'offline' });
    const m = /^\/orders\/(XY-[0-9-]+)\?token=(.+)$/.exec(String(claim.headers.location ?? ''));
    expect(claim.statusCode === 303 && m, `fixture donation (${s})`).toBeTruthy();
    expect((await coordinator.post(`/coordinator/orders/${m![1]}/mark-paid`, { reference: `DON-${s}` })).statusCode).toBe(303);
    f.donationReceipt[s] = db
      .prepare(`SELECT r.number FROM donation_receipts r JOIN orders o ON o.id = r.order_id WHERE o.number = ?`)
      .pluck()
      .get(m![1]) as string;
    if (s === 'own') f.donationToken = decodeURIComponent(m![2]!);
  }
}

// ---------- The table: every route, who may use it, and what "own" means for it ----------

interface Expectation {
  /** Statuses that count as "allowed" (any of them), or one exact refusal. */
  statuses: number[];
  refused: boolean;
  /** For a signed-out visitor sent to sign in: where to. */
  location?: string;
}

interface RouteSpec {
  method: 'GET' | 'POST';
  pattern: string;
  /** 'public', or the people the route's role guard lets through. */
  allow: 'public' | Actor[];
  /** People for whom a foreign object is "not found" (their scope decides). */
  scoped?: Actor[];
  targets?: Target[];
  url(t: Target): string;
  form?(t: Target): FormFields;
  multipart?: boolean;
  /** Statuses of an allowed request (default: 200 for GET; 303, 409 or 422 for POST). */
  ok?: number[];
  /** Sign in afresh for this request (it ends or replaces the session). */
  fresh?: boolean;
  /** An exception to the rules above for one person and target. */
  special?(actor: Actor, t: Target): Expectation | undefined;
}

const allowed = (...statuses: number[]): Expectation => ({ statuses, refused: false });
const refused = (status: number): Expectation => ({ statuses: [status], refused: true });
const OWN_FOREIGN: Target[] = ['own', 'foreign'];
const side = (t: Target): 'own' | 'foreign' => (t === 'foreign' ? 'foreign' : 'own');
const yuanForm = { amount: 'abc', reason: '' };

const ROUTES: RouteSpec[] = [
  // ----- public pages and API -----
  { method: 'GET', pattern: '/', allow: 'public', url: () => '/' },
  { method: 'GET', pattern: '/healthz', allow: 'public', url: () => '/healthz' },
  { method: 'GET', pattern: '/static/*', allow: 'public', url: () => '/static/css/site.css' },
  {
    method: 'GET',
    pattern: '/media/:id',
    allow: 'public',
    targets: OWN_FOREIGN,
    url: (t) => `/media/${f.media[side(t)]}`,
    special: (_a, t) => (t === 'foreign' ? refused(404) : undefined),
  },
  { method: 'GET', pattern: '/products', allow: 'public', url: () => '/products?q=茶&page=1' },
  { method: 'GET', pattern: '/products/:slug', allow: 'public', url: () => '/products/gulou-shiitake' },
  { method: 'GET', pattern: '/villages/:slug', allow: 'public', url: () => '/villages/gulou' },
  { method: 'GET', pattern: '/projects/:slug', allow: 'public', url: () => '/projects/shen-he-xiezuo' },
  { method: 'GET', pattern: '/api/v1/products', allow: 'public', url: () => '/api/v1/products' },
  { method: 'GET', pattern: '/api/v1/products/:slug', allow: 'public', url: () => '/api/v1/products/gulou-shiitake' },
  { method: 'GET', pattern: '/api/v1/villages', allow: 'public', url: () => '/api/v1/villages' },
  { method: 'GET', pattern: '/api/v1/villages/:slug', allow: 'public', url: () => '/api/v1/villages/gulou' },
  { method: 'GET', pattern: '/api/v1/projects', allow: 'public', url: () => '/api/v1/projects' },
  { method: 'GET', pattern: '/api/v1/projects/:slug', allow: 'public', url: () => '/api/v1/projects/shen-he-xiezuo' },
  { method: 'GET', pattern: '/api/v1/impact', allow: 'public', url: () => '/api/v1/impact' },
  { method: 'GET', pattern: '/api/v1/receipts/:code', allow: 'public', url: () => `/api/v1/receipts/${f.receiptCode}` },
  { method: 'GET', pattern: '/api/v1/wishes', allow: 'public', url: () => '/api/v1/wishes' },
  { method: 'GET', pattern: '/api/v1/wishes/:id', allow: 'public', url: () => `/api/v1/wishes/${f.wish.own}` },
  { method: 'GET', pattern: '/api/v1/openapi.json', allow: 'public', url: () => '/api/v1/openapi.json' },
  { method: 'GET', pattern: '/api/docs', allow: 'public', url: () => '/api/docs' },
  { method: 'GET', pattern: '/impact', allow: 'public', url: () => '/impact' },
  { method: 'GET', pattern: '/impact/checkpoints', allow: 'public', url: () => '/impact/checkpoints' },
  { method: 'GET', pattern: '/impact/checkpoints.txt', allow: 'public', url: () => '/impact/checkpoints.txt' },
  { method: 'GET', pattern: '/impact/checkpoints.json', allow: 'public', url: () => '/impact/checkpoints.json' },
  { method: 'GET', pattern: '/outlets', allow: 'public', url: () => '/outlets' },
  { method: 'GET', pattern: '/wishes', allow: 'public', url: () => '/wishes' },
  { method: 'GET', pattern: '/wishes/:id', allow: 'public', url: () => `/wishes/${f.wish.own}` },
  {
    method: 'GET',
    pattern: '/wishes/:id/photo',
    allow: 'public',
    targets: OWN_FOREIGN,
    url: (t) => `/wishes/${f.wish[side(t)]}/photo`,
    special: (_a, t) => (t === 'foreign' ? refused(404) : undefined),
  },
  // Only a delivered wish has a delivery photo; none is delivered here, so it is "not found" for everyone.
  { method: 'GET', pattern: '/wishes/:id/delivery-photo', allow: 'public', url: () => `/wishes/${f.wish.own}/delivery-photo`, ok: [404] },
  { method: 'GET', pattern: '/lots/:code', allow: 'public', url: () => `/lots/${f.lotCode}` },
  // The seeded lots have no certificate scan: "not found" for everyone.
  { method: 'GET', pattern: '/lots/:code/certificate', allow: 'public', url: () => `/lots/${f.lotCode}/certificate`, ok: [404] },
  { method: 'GET', pattern: '/receipts/:code', allow: 'public', url: () => `/receipts/${f.receiptCode}` },
  { method: 'GET', pattern: '/cart', allow: 'public', url: () => '/cart' },
  { method: 'GET', pattern: '/checkout', allow: 'public', url: () => '/checkout', ok: [200, 303] },
  {
    method: 'GET',
    pattern: '/checkout/success',
    allow: 'public',
    url: () => `/checkout/success?order=${f.pending.own}&token=${encodeURIComponent(f.pendingToken)}`,
    ok: [303],
  },
  {
    method: 'GET',
    pattern: '/checkout/cancel',
    allow: 'public',
    url: () => `/checkout/cancel?order=${f.pending.own}&token=${encodeURIComponent(f.pendingToken)}`,
    ok: [303],
  },
  {
    method: 'GET',
    pattern: '/orders/:number',
    allow: 'public',
    targets: ['own', 'foreign', 'none'],
    // own: the buyer's order, no token; foreign: a visitor's order, no token; none: with the link's token.
    url: (t) => (t === 'none' ? `/orders/${f.pending.own}?token=${encodeURIComponent(f.pendingToken)}` : `/orders/${f.buyerOrder[side(t)]}`),
    special: (a, t) => (t === 'none' ? undefined : t === 'own' && a === 'buyer' ? allowed(200) : refused(404)),
  },
  { method: 'GET', pattern: '/login', allow: 'public', url: () => '/login', special: (a) => (a === 'anonymous' ? undefined : allowed(303)) },
  { method: 'GET', pattern: '/register', allow: 'public', url: () => '/register', special: (a) => (a === 'anonymous' ? undefined : allowed(303)) },
  // A made-up registration link is "not found" for everyone alike.
  { method: 'GET', pattern: '/register/confirm', allow: 'public', url: () => '/register/confirm?token=made-up', ok: [404] },
  // ----- public forms -----
  {
    method: 'POST',
    pattern: '/cart/items',
    allow: 'public',
    url: () => '/cart/items',
    form: () => ({ productId: String(f.product.own), quantity: '1' }),
    ok: [303],
  },
  { method: 'POST', pattern: '/cart/items/:productId', allow: 'public', url: () => `/cart/items/${f.product.own}`, form: () => ({ quantity: '0' }), ok: [303] },
  { method: 'POST', pattern: '/checkout', allow: 'public', url: () => '/checkout', form: () => ({ name: '', paymentMethod: 'offline' }), ok: [409, 422] },
  // An incomplete form: the route answers everyone alike (a wrong password is tests/accounts' business, and costs a hash each).
  { method: 'POST', pattern: '/login', allow: 'public', url: () => '/login', form: () => ({ email: 'nobody@example.test', password: '' }), ok: [422] },
  { method: 'POST', pattern: '/logout', allow: 'public', url: () => '/logout', fresh: true, ok: [303] },
  {
    method: 'POST',
    pattern: '/register',
    allow: 'public',
    url: () => '/register',
    form: () => ({ email: 'x@example.test', displayName: 'x', password: 'a-long-password-1', passwordConfirm: 'different-password' }),
    ok: [422],
  },
  { method: 'POST', pattern: '/register/confirm', allow: 'public', url: () => '/register/confirm', form: () => ({ token: 'made-up' }), ok: [404] },
  {
    method: 'POST',
    pattern: '/wishes/:id/claim',
    allow: 'public',
    url: () => `/wishes/${f.wish.own}/claim`,
    form: () => ({ name: '', phone: 'x', paymentMethod: 'offline' }),
    ok: [422],
  },
  {
    method: 'POST',
    pattern: '/orders/:number/cancel',
    allow: 'public',
    targets: OWN_FOREIGN,
    url: (t) => `/orders/${f.buyerOrder[side(t)]}/cancel`,
    special: (a, t) => (t === 'own' && a === 'buyer' ? allowed(303, 409) : refused(404)),
  },
  // The buyer's own unpaid order can be neither confirmed received nor asked about yet: 409; anyone else's is not found.
  {
    method: 'POST',
    pattern: '/orders/:number/confirm-receipt',
    allow: 'public',
    targets: OWN_FOREIGN,
    url: (t) => `/orders/${f.buyerOrder[side(t)]}/confirm-receipt`,
    special: (a, t) => (t === 'own' && a === 'buyer' ? allowed(409) : refused(404)),
  },
  {
    method: 'POST',
    pattern: '/orders/:number/requests',
    allow: 'public',
    targets: OWN_FOREIGN,
    url: (t) => `/orders/${f.buyerOrder[side(t)]}/requests`,
    form: () => ({ kind: 'refund', reason: 'damaged', note: '摔坏了' }),
    special: (a, t) => (t === 'own' && a === 'buyer' ? allowed(409) : refused(404)),
  },
  // Signed by Stripe, not by a session: without a valid signature it is refused for everyone alike.
  { method: 'POST', pattern: '/webhooks/stripe', allow: 'public', url: () => '/webhooks/stripe', form: () => ({ id: 'evt_x' }), ok: [400] },
  // ----- any signed-in person -----
  { method: 'GET', pattern: '/account/orders', allow: SIGNED_IN, url: () => '/account/orders' },
  { method: 'GET', pattern: '/account/password', allow: SIGNED_IN, url: () => '/account/password' },
  {
    method: 'POST',
    pattern: '/account/password',
    allow: SIGNED_IN,
    url: () => '/account/password',
    form: () => ({ currentPassword: 'wrong-password', newPassword: 'short', passwordConfirm: 'short' }),
    ok: [422],
  },
  // ----- staff: two-factor sign-in (between password and code, a signed cookie; without it, back to /login) -----
  { method: 'GET', pattern: '/login/two-factor', allow: 'public', url: () => '/login/two-factor', ok: [303] },
  { method: 'POST', pattern: '/login/two-factor', allow: 'public', url: () => '/login/two-factor', form: () => ({ code: '123456' }), ok: [303] },
  { method: 'GET', pattern: '/account/two-factor', allow: STAFF, url: () => '/account/two-factor' },
  { method: 'POST', pattern: '/account/two-factor', allow: STAFF, url: () => '/account/two-factor', form: () => ({ code: '' }), ok: [422] },
  { method: 'POST', pattern: '/account/two-factor/off', allow: STAFF, url: () => '/account/two-factor/off', form: () => ({ code: '' }), ok: [422] },
  // ----- buyers and organisation buyers -----
  { method: 'GET', pattern: '/account/organization', allow: BUYERS, url: () => '/account/organization' },
  { method: 'POST', pattern: '/account/organization', allow: BUYERS, url: () => '/account/organization', form: () => ({ name: '' }), ok: [422] },
  {
    method: 'GET',
    pattern: '/account/organization/quotes/:id',
    allow: BUYERS,
    scoped: ['org buyer'],
    targets: OWN_FOREIGN,
    url: (t) => `/account/organization/quotes/${f.orgQuote[side(t)]}`,
    special: (a) => (a === 'buyer' ? refused(404) : undefined),
  },
  {
    method: 'POST',
    pattern: '/account/organization/quotes/:id/accept',
    allow: BUYERS,
    scoped: ['org buyer'],
    targets: OWN_FOREIGN,
    url: (t) => `/account/organization/quotes/${f.orgQuote[side(t)]}/accept`,
    form: () => ({ name: '' }),
    special: (a) => (a === 'buyer' ? refused(404) : undefined),
  },
  {
    method: 'GET',
    pattern: '/products/:slug/quote',
    allow: BUYERS,
    url: () => '/products/tuyao-tea/quote',
    special: (a) => (a === 'buyer' ? refused(403) : undefined),
  },
  {
    method: 'POST',
    pattern: '/products/:slug/quote',
    allow: BUYERS,
    url: () => '/products/tuyao-tea/quote',
    form: () => ({ quantity: '-1' }),
    special: (a) => (a === 'buyer' ? refused(403) : undefined),
  },
  // ----- a buyer's address book: "own" is the demo buyer's address, "foreign" the org buyer's -----
  { method: 'GET', pattern: '/orders/find', allow: 'public', url: () => '/orders/find' },
  { method: 'POST', pattern: '/orders/find', allow: 'public', url: () => '/orders/find', form: () => ({ number: '', contact: '' }), ok: [422, 429] },
  { method: 'GET', pattern: '/divisions', allow: 'public', url: () => `/divisions?province=${encodeURIComponent('河南省')}` },
  { method: 'GET', pattern: '/account/addresses', allow: BUYERS, url: () => '/account/addresses' },
  { method: 'GET', pattern: '/account/addresses/new', allow: BUYERS, url: () => '/account/addresses/new' },
  { method: 'POST', pattern: '/account/addresses', allow: BUYERS, url: () => '/account/addresses', form: () => ({ recipientName: '' }), ok: [422] },
  {
    method: 'GET',
    pattern: '/account/addresses/:id/edit',
    allow: BUYERS,
    targets: OWN_FOREIGN,
    url: (t) => `/account/addresses/${f.address[side(t)]}/edit`,
    special: (a, t) => (a === 'buyer' || a === 'org buyer' ? (t === (a === 'buyer' ? 'own' : 'foreign') ? allowed(200) : refused(404)) : undefined),
  },
  {
    method: 'POST',
    pattern: '/account/addresses/:id',
    allow: BUYERS,
    targets: OWN_FOREIGN,
    url: (t) => `/account/addresses/${f.address[side(t)]}`,
    form: () => ({ recipientName: '' }),
    special: (a, t) => (a === 'buyer' || a === 'org buyer' ? (t === (a === 'buyer' ? 'own' : 'foreign') ? allowed(422) : refused(404)) : undefined),
  },
  {
    method: 'POST',
    pattern: '/account/addresses/:id/default',
    allow: BUYERS,
    targets: OWN_FOREIGN,
    url: (t) => `/account/addresses/${f.address[side(t)]}/default`,
    special: (a, t) => (a === 'buyer' || a === 'org buyer' ? (t === (a === 'buyer' ? 'own' : 'foreign') ? allowed(303) : refused(404)) : undefined),
  },
  {
    method: 'POST',
    pattern: '/account/addresses/:id/delete',
    allow: BUYERS,
    targets: OWN_FOREIGN,
    url: (t) => `/account/addresses/${f.spareAddress[side(t)]}/delete`,
    // Deleted by its owner the first time; "not found" after that.
    special: (a, t) => (a === 'buyer' || a === 'org buyer' ? (t === (a === 'buyer' ? 'own' : 'foreign') ? allowed(303, 404) : refused(404)) : undefined),
  },
  // ----- personal-data requests (PIPL): a buyer's own data; a household's through its own village's secretary -----
  { method: 'GET', pattern: '/account/data', allow: BUYERS, url: () => '/account/data' },
  { method: 'GET', pattern: '/account/data.json', allow: BUYERS, url: () => '/account/data.json' },
  { method: 'GET', pattern: '/account/delete', allow: BUYERS, url: () => '/account/delete' },
  // Deleting asks for the password again: a wrong one erases nothing.
  { method: 'POST', pattern: '/account/delete', allow: BUYERS, url: () => '/account/delete', form: () => ({ password: 'wrong-password' }), ok: [422] },
  ...(['/data', '/data.json', '/erase'] as const).map(
    (tail): RouteSpec => ({
      method: 'GET',
      pattern: `/secretary/households/:id${tail}`,
      allow: SECRETARY,
      targets: OWN_FOREIGN,
      url: (t) => `/secretary/households/${f.household[side(t)]}${tail}`,
      // Another village's household is refused outright (403), not hidden: only its own secretary handles its requests.
      special: (a, t) => (a === 'secretary' && t === 'foreign' ? refused(403) : undefined),
    }),
  ),
  {
    method: 'POST',
    pattern: '/secretary/households/:id/erase',
    allow: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/households/${f.household[side(t)]}/erase`,
    form: () => ({ password: 'wrong-password' }),
    ok: [422],
    special: (a, t) => (a === 'secretary' && t === 'foreign' ? refused(403) : undefined),
  },
  // ----- the first secretary's console -----
  { method: 'GET', pattern: '/secretary', allow: SECRETARY, url: () => '/secretary' },
  { method: 'GET', pattern: '/secretary/households', allow: SECRETARY, url: () => '/secretary/households' },
  { method: 'GET', pattern: '/secretary/households/new', allow: SECRETARY, url: () => '/secretary/households/new' },
  {
    method: 'POST',
    pattern: '/secretary/households',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: () => '/secretary/households',
    form: (t) => ({ villageId: String(f.village[side(t)]), realName: '矩阵测试户', members: '2' }),
  },
  {
    method: 'GET',
    pattern: '/secretary/households/:id',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/households/${f.household[side(t)]}`,
  },
  {
    method: 'POST',
    pattern: '/secretary/households/:id',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/households/${f.household[side(t)]}`,
    form: () => ({ realName: '' }),
  },
  // Consent pages: another village's household is refused outright (403), as the consent rules ask.
  ...(['/consent', '/consent/withdraw'] as const).flatMap((path): RouteSpec[] => [
    {
      method: 'GET',
      pattern: `/secretary/households/:id${path}`,
      allow: SECRETARY,
      targets: OWN_FOREIGN,
      url: (t) => `/secretary/households/${f.household[side(t)]}${path}`,
      special: (a, t) => (a === 'secretary' && t === 'foreign' ? refused(403) : undefined),
    },
    {
      method: 'POST',
      pattern: `/secretary/households/:id${path}`,
      allow: SECRETARY,
      targets: OWN_FOREIGN,
      url: (t) => `/secretary/households/${f.household[side(t)]}${path}`,
      multipart: true,
      form: () => ({}),
      special: (a, t) => (a === 'secretary' && t === 'foreign' ? refused(403) : undefined),
    },
  ]),
  {
    method: 'GET',
    pattern: '/secretary/households/:id/consent/:consentId/scan',
    allow: SECRETARY,
    targets: OWN_FOREIGN,
    // The seeded consent records were given aloud, without a scan: "not found" for their own secretary.
    url: (t) => `/secretary/households/${f.household[side(t)]}/consent/1/scan`,
    special: (a, t) => (a === 'secretary' ? refused(t === 'foreign' ? 403 : 404) : undefined),
  },
  { method: 'GET', pattern: '/secretary/producers', allow: SECRETARY, url: () => '/secretary/producers' },
  { method: 'GET', pattern: '/secretary/producers/new', allow: SECRETARY, url: () => '/secretary/producers/new' },
  { method: 'POST', pattern: '/secretary/producers', allow: SECRETARY, url: () => '/secretary/producers', form: () => ({ nameZh: '' }) },
  {
    method: 'GET',
    pattern: '/secretary/producers/:id',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/producers/${f.producer[side(t)]}`,
  },
  {
    method: 'POST',
    pattern: '/secretary/producers/:id',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/producers/${f.producer[side(t)]}`,
    form: () => ({ nameZh: '' }),
  },
  { method: 'GET', pattern: '/secretary/products', allow: SECRETARY, url: () => '/secretary/products' },
  { method: 'GET', pattern: '/secretary/products/new', allow: SECRETARY, url: () => '/secretary/products/new' },
  { method: 'POST', pattern: '/secretary/products', allow: SECRETARY, url: () => '/secretary/products', form: () => ({ titleZh: '' }) },
  {
    method: 'GET',
    pattern: '/secretary/products/:id',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/products/${f.product[side(t)]}`,
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/products/${f.product[side(t)]}`,
    form: () => ({ titleZh: '' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/publish',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/products/${f.product[side(t)]}/publish`,
    form: () => ({ published: '1' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/stock',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/products/${f.product[side(t)]}/stock`,
    form: () => ({ delta: '0', reason: '' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/products/${f.product[side(t)]}/photos`,
    multipart: true,
    form: () => ({}),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos/:photoId/move',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    // The product in the path is the secretary's own either way; only the photo differs.
    url: (t) => `/secretary/products/${f.product.own}/photos/${f.photo[side(t)]}/move`,
    form: () => ({ move: 'main' }),
    ok: [303],
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos/:photoId/alt',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/products/${f.product.own}/photos/${f.photo[side(t)]}/alt`,
    form: () => ({ altZh: '照片说明' }),
    ok: [303],
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos/:photoId/delete',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    // The product in the path is the secretary's own either way; only the photo differs.
    url: (t) => `/secretary/products/${f.product.own}/photos/${f.photo[side(t)]}/delete`,
    form: () => ({}),
    ok: [303],
  },
  {
    method: 'GET',
    pattern: '/secretary/products/:id/lots/new',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/products/${f.product[side(t)]}/lots/new`,
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/lots',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/products/${f.product[side(t)]}/lots`,
    multipart: true,
    form: () => ({ quantity: 'x' }),
  },
  { method: 'GET', pattern: '/secretary/lots/:id', allow: SECRETARY, scoped: SECRETARY, targets: OWN_FOREIGN, url: (t) => `/secretary/lots/${f.lot[side(t)]}` },
  {
    method: 'POST',
    pattern: '/secretary/lots/:id/recall',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/lots/${f.lot[side(t)]}/recall`,
    form: () => ({ reason: '' }),
  },
  { method: 'GET', pattern: '/secretary/orders', allow: SECRETARY, url: () => '/secretary/orders' },
  {
    method: 'POST',
    pattern: '/secretary/orders/:number/ship',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/orders/${f.paid[side(t)]}/ship`,
    form: (t) => ({ carrier: '顺丰速运', trackingNumber: 'SF1234567890', villageId: String(f.village[side(t)]) }),
  },
  {
    method: 'GET',
    pattern: '/secretary/orders/:number/packing-slip',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/orders/${f.paid[side(t)]}/packing-slip?village=${f.village[side(t)]}`,
  },
  { method: 'GET', pattern: '/secretary/outlets', allow: SECRETARY, url: () => '/secretary/outlets' },
  {
    method: 'POST',
    pattern: '/secretary/outlets',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: () => '/secretary/outlets',
    form: (t) => ({ productId: String(f.product[side(t)]), outletId: '1', quantity: '1', direction: 'to_outlet' }),
  },
  { method: 'GET', pattern: '/secretary/quotes', allow: SECRETARY, url: () => '/secretary/quotes' },
  {
    method: 'POST',
    pattern: '/secretary/quotes/:id/answer',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/quotes/${f.secretaryQuote[side(t)]}/answer`,
    form: () => ({ unitPrice: '', validUntil: '' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/quotes/:id/decline',
    allow: SECRETARY,
    scoped: SECRETARY,
    targets: OWN_FOREIGN,
    url: (t) => `/secretary/quotes/${f.secretaryQuote[side(t)]}/decline`,
    form: () => ({}),
  },
  // ----- the coordinator's console -----
  { method: 'GET', pattern: '/coordinator', allow: COORDINATORS, url: () => '/coordinator' },
  {
    method: 'GET',
    pattern: '/coordinator/orders/:number',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/orders/${f.paid[side(t)]}`,
  },
  {
    method: 'POST',
    pattern: '/coordinator/orders/:number/mark-paid',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/orders/${f.pending[side(t)]}/mark-paid`,
    form: () => ({ reference: '' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/orders/:number/ship',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/orders/${f.paid[side(t)]}/ship`,
    form: (t) => ({ carrier: '', trackingNumber: '', villageId: String(f.village[side(t)]) }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/orders/:number/cancel',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/orders/${f.paid[side(t)]}/cancel`,
    form: () => ({}),
    ok: [303],
  },
  { method: 'GET', pattern: '/coordinator/holds', allow: COORDINATORS, url: () => '/coordinator/holds' },
  { method: 'GET', pattern: '/coordinator/requests', allow: COORDINATORS, url: () => '/coordinator/requests' },
  // An answer that is neither accept nor decline: refused as bad input, the request stays open.
  {
    method: 'POST',
    pattern: '/coordinator/requests/:id/answer',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/requests/${f.orderRequest[side(t)]}/answer`,
    form: () => ({ decision: 'maybe' }),
    ok: [422],
  },
  // A paid order has no hold to release: "no longer pending", and nothing changes.
  {
    method: 'POST',
    pattern: '/coordinator/holds/:number/release',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/holds/${f.paid[side(t)]}/release`,
    form: () => ({}),
    ok: [303],
  },
  {
    method: 'POST',
    pattern: '/coordinator/orders/:number/refund/confirm',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/orders/${f.paid[side(t)]}/refund/confirm`,
    form: () => yuanForm,
  },
  {
    method: 'POST',
    pattern: '/coordinator/orders/:number/refund',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/orders/${f.paid[side(t)]}/refund`,
    form: () => yuanForm,
  },
  { method: 'GET', pattern: '/coordinator/projects', allow: COORDINATORS, url: () => '/coordinator/projects' },
  {
    method: 'GET',
    pattern: '/coordinator/projects/new',
    allow: COORDINATORS,
    url: () => '/coordinator/projects/new',
    special: (a) => (a === 'scoped coordinator' ? refused(403) : undefined),
  },
  {
    method: 'POST',
    pattern: '/coordinator/projects',
    allow: COORDINATORS,
    url: () => '/coordinator/projects',
    form: () => ({ nameZh: '' }),
    special: (a) => (a === 'scoped coordinator' ? refused(403) : undefined),
  },
  {
    method: 'GET',
    pattern: '/coordinator/projects/:id',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/projects/${f.project[side(t)]}`,
  },
  {
    method: 'POST',
    pattern: '/coordinator/projects/:id',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/projects/${f.project[side(t)]}`,
    form: () => ({ nameZh: '' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/projects/:id/split',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/projects/${f.project[side(t)]}/split`,
    form: () => ({ householdBp: 'x' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/projects/:id/households',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/projects/${f.project[side(t)]}/households`,
    form: () => ({ householdIds: 'x' }),
  },
  { method: 'GET', pattern: '/coordinator/households', allow: COORDINATORS, url: () => '/coordinator/households' },
  {
    method: 'GET',
    pattern: '/coordinator/households/:id',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/households/${f.household[side(t)]}`,
  },
  {
    method: 'GET',
    pattern: '/coordinator/households/:id/statement',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/households/${f.household[side(t)]}/statement`,
  },
  {
    method: 'GET',
    pattern: '/coordinator/households/:id/statement.csv',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/households/${f.household[side(t)]}/statement.csv`,
  },
  {
    method: 'GET',
    pattern: '/coordinator/households/:id/statement.pdf',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/households/${f.household[side(t)]}/statement.pdf`,
  },
  {
    method: 'POST',
    pattern: '/coordinator/payouts',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: () => '/coordinator/payouts',
    form: (t) => ({ householdId: String(f.household[side(t)]), amount: '-1', method: 'cash' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/payouts/:id/reverse/confirm',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/payouts/${f.payout[side(t)]}/reverse/confirm`,
    form: () => ({ note: '' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/payouts/:id/reverse',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/payouts/${f.payout[side(t)]}/reverse`,
    form: () => ({ note: '' }),
  },
  { method: 'GET', pattern: '/coordinator/payout-requests', allow: COORDINATORS, url: () => '/coordinator/payout-requests' },
  { method: 'GET', pattern: '/coordinator/bank-batches', allow: COORDINATORS, url: () => '/coordinator/bank-batches' },
  {
    // A payout of another project's household is "not found"; one's own is in no batch of that day (409).
    method: 'POST',
    pattern: '/coordinator/bank-batches/file',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: () => '/coordinator/bank-batches/file',
    form: (t) => ({ day: '2020-01-01', payout: String(f.payout[side(t)]) }),
    ok: [200, 409],
  },
  {
    method: 'POST',
    pattern: '/coordinator/bank-batches/statement',
    allow: COORDINATORS,
    url: () => '/coordinator/bank-batches/statement',
    multipart: true,
    form: () => ({ day: '2020-01-01' }),
  },
  {
    method: 'GET',
    pattern: '/coordinator/payout-requests/:id',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/payout-requests/${f.payoutRequest[side(t)]}`,
  },
  {
    method: 'POST',
    pattern: '/coordinator/payout-requests/:id/reject',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/payout-requests/${f.payoutRequest[side(t)]}/reject`,
    form: () => ({ reason: '' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/payout-requests/:id/approve',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/payout-requests/${f.payoutRequest[side(t)]}/approve`,
  },
  {
    method: 'GET',
    pattern: '/coordinator/payouts/:id/evidence',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/payouts/${f.payout[side(t)]}/evidence`,
  },
  // Reconciling and closing months is for coordinators of all projects.
  {
    method: 'GET',
    pattern: '/coordinator/reconciliation',
    allow: COORDINATORS,
    url: () => '/coordinator/reconciliation',
    special: (a) => (a === 'scoped coordinator' ? refused(403) : undefined),
  },
  {
    method: 'GET',
    pattern: '/coordinator/reconciliation.csv',
    allow: COORDINATORS,
    url: () => '/coordinator/reconciliation.csv',
    special: (a) => (a === 'scoped coordinator' ? refused(403) : undefined),
  },
  {
    method: 'GET',
    pattern: '/coordinator/reconciliation/transactions/:id',
    allow: COORDINATORS,
    url: () => `/coordinator/reconciliation/transactions/${f.transactionId}`,
    special: (a) => (a === 'scoped coordinator' ? refused(403) : undefined),
  },
  // Lot recalls: the coordinators of the lot's project (the settling posts refund, replace, or say why not).
  { method: 'GET', pattern: '/coordinator/recalls', allow: COORDINATORS, url: () => '/coordinator/recalls' },
  {
    method: 'GET',
    pattern: '/coordinator/recalls/:id',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/recalls/${f.recalledLot[side(t)]}`,
  },
  {
    method: 'POST',
    pattern: '/coordinator/recalls/:id/orders/:number/refund',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/recalls/${f.recalledLot[side(t)]}/orders/${f.paid[side(t)]}/refund`,
    form: () => ({}),
  },
  {
    method: 'POST',
    pattern: '/coordinator/recalls/:id/orders/:number/replace',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/recalls/${f.recalledLot[side(t)]}/orders/${f.paid[side(t)]}/replace`,
    form: () => ({}),
  },
  // Publishing a ledger checkpoint is for coordinators of all projects (409 when nothing moved since the last).
  {
    method: 'POST',
    pattern: '/coordinator/checkpoints',
    allow: COORDINATORS,
    url: () => '/coordinator/checkpoints',
    form: () => ({}),
    special: (a) => (a === 'scoped coordinator' ? refused(403) : undefined),
  },
  {
    method: 'GET',
    pattern: '/coordinator/periods/:period/close',
    allow: COORDINATORS,
    url: () => '/coordinator/periods/2020-01/close',
    special: (a) => (a === 'scoped coordinator' ? refused(403) : undefined),
  },
  {
    method: 'POST',
    pattern: '/coordinator/periods/:period/close',
    allow: COORDINATORS,
    url: () => '/coordinator/periods/2020-01/close',
    form: () => ({}),
    special: (a) => (a === 'scoped coordinator' ? refused(403) : undefined),
  },
  {
    method: 'POST',
    pattern: '/coordinator/periods/:period/notes',
    allow: COORDINATORS,
    url: () => '/coordinator/periods/2020-01/notes',
    form: () => ({ key: 'x', note: '' }),
    special: (a) => (a === 'scoped coordinator' ? refused(403) : undefined),
  },
  { method: 'GET', pattern: '/coordinator/wishes', allow: COORDINATORS, url: () => '/coordinator/wishes' },
  { method: 'GET', pattern: '/coordinator/wishes/new', allow: COORDINATORS, url: () => '/coordinator/wishes/new' },
  { method: 'POST', pattern: '/coordinator/wishes', allow: COORDINATORS, url: () => '/coordinator/wishes', multipart: true, form: () => ({ childName: '' }) },
  {
    method: 'GET',
    pattern: '/coordinator/wishes/:id',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/wishes/${f.wish[side(t)]}`,
  },
  {
    method: 'POST',
    pattern: '/coordinator/wishes/:id/deliver',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/wishes/${f.wish[side(t)]}/deliver`,
    multipart: true,
    form: () => ({}),
  },
  { method: 'GET', pattern: '/coordinator/organizations', allow: COORDINATORS, url: () => '/coordinator/organizations' },
  {
    method: 'POST',
    pattern: '/coordinator/organizations/:id/quota',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/organizations/${f.organization[side(t)]}/quota`,
    form: () => ({ year: 'x', amount: '' }),
  },
  {
    method: 'POST',
    pattern: '/coordinator/organizations/:id/members',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/organizations/${f.organization[side(t)]}/members`,
    form: () => ({ email: 'not-an-email' }),
  },
  { method: 'GET', pattern: '/coordinator/invoices', allow: COORDINATORS, url: () => '/coordinator/invoices' },
  { method: 'GET', pattern: '/coordinator/invoices.csv', allow: COORDINATORS, url: () => '/coordinator/invoices.csv' },
  {
    method: 'GET',
    pattern: '/coordinator/invoices/:number',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/invoices/${f.invoiced[side(t)]}`,
  },
  // Multipart, with an empty form: the request is looked up (in scope) before the form is read.
  {
    method: 'POST',
    pattern: '/coordinator/invoices/:number',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/invoices/${f.invoiced[side(t)]}`,
    multipart: true,
    form: () => ({ invoiceNumber: '', invoiceDate: '' }),
    ok: [422],
  },
  {
    method: 'GET',
    pattern: '/coordinator/invoices/:number/file',
    allow: COORDINATORS,
    scoped: ['scoped coordinator'],
    targets: OWN_FOREIGN,
    url: (t) => `/coordinator/invoices/${f.invoiced[side(t)]}/file`,
  },
  // An organisation's buyers download its issued invoices; a buyer of no organisation finds none.
  {
    method: 'GET',
    pattern: '/account/organization/invoices/:number/file',
    allow: BUYERS,
    scoped: ['org buyer'],
    targets: OWN_FOREIGN,
    url: (t) => `/account/organization/invoices/${f.invoiced[side(t)]}/file`,
    special: (a) => (a === 'buyer' ? refused(404) : undefined),
  },
  // ----- donation receipts and audit exports -----
  // The PDF: with the order's token, anyone; otherwise the coordinators of its project (the donor here is a visitor).
  {
    method: 'GET',
    pattern: '/donation-receipts/:number/receipt.pdf',
    allow: 'public',
    targets: ['own', 'foreign', 'none'],
    url: (t) =>
      t === 'none'
        ? `/donation-receipts/${f.donationReceipt.own}/receipt.pdf?token=${encodeURIComponent(f.donationToken)}`
        : `/donation-receipts/${f.donationReceipt[side(t)]}/receipt.pdf`,
    special: (a, t) => (t === 'none' || a === 'coordinator' || (a === 'scoped coordinator' && t === 'own') ? undefined : refused(404)),
  },
  { method: 'GET', pattern: '/coordinator/donation-receipts', allow: COORDINATORS, url: () => '/coordinator/donation-receipts' },
  { method: 'GET', pattern: '/coordinator/donation-receipts.csv', allow: COORDINATORS, url: () => '/coordinator/donation-receipts.csv' },
  { method: 'GET', pattern: '/coordinator/exports', allow: COORDINATORS, url: () => '/coordinator/exports' },
  { method: 'GET', pattern: '/coordinator/exports/download', allow: COORDINATORS, url: () => '/coordinator/exports/download?kind=orders' },
  // ----- outlet staff -----
  { method: 'GET', pattern: '/outlet', allow: ['outlet staff'], url: () => '/outlet' },
  {
    method: 'GET',
    pattern: '/outlet/:outletId',
    allow: ['outlet staff'],
    scoped: ['outlet staff'],
    targets: OWN_FOREIGN,
    url: (t) => `/outlet/${f.outlet[side(t)]}`,
  },
  {
    method: 'POST',
    pattern: '/outlet/:outletId/sales',
    allow: ['outlet staff'],
    scoped: ['outlet staff'],
    targets: OWN_FOREIGN,
    url: (t) => `/outlet/${f.outlet[side(t)]}/sales`,
    form: () => ({ channel: 'cash' }),
  },
  {
    method: 'POST',
    pattern: '/outlet/:outletId/pickups',
    allow: ['outlet staff'],
    scoped: ['outlet staff'],
    targets: OWN_FOREIGN,
    url: (t) => `/outlet/${f.outlet[side(t)]}/pickups`,
    form: () => ({ code: 'x' }),
  },
  // ----- admin -----
  { method: 'GET', pattern: '/admin/users', allow: ['admin'], url: () => '/admin/users' },
  { method: 'POST', pattern: '/admin/users', allow: ['admin'], url: () => '/admin/users', form: () => ({ email: '' }) },
  { method: 'GET', pattern: '/admin/users/:id', allow: ['admin'], url: () => `/admin/users/${f.tempStaff}` },
  { method: 'POST', pattern: '/admin/users/:id', allow: ['admin'], url: () => `/admin/users/${f.tempStaff}`, form: () => ({ displayName: '' }) },
  // The audit log is read by admins and coordinators.
  { method: 'GET', pattern: '/admin/audit', allow: ['admin', 'coordinator', 'scoped coordinator'], url: () => '/admin/audit' },
  { method: 'GET', pattern: '/admin/outlets', allow: ['admin'], url: () => '/admin/outlets' },
  { method: 'GET', pattern: '/admin/security', allow: ['admin'], url: () => '/admin/security' },
  // The outbox (admins only; a message may or may not exist yet), mail settings by signed link, forgotten passwords.
  { method: 'GET', pattern: '/admin/outbox', allow: ['admin'], url: () => '/admin/outbox' },
  { method: 'GET', pattern: '/admin/outbox/:id', allow: ['admin'], url: () => '/admin/outbox/1', ok: [200, 404] },
  { method: 'GET', pattern: '/admin/outbox/:id/html', allow: ['admin'], url: () => '/admin/outbox/1/html', ok: [200, 404] },
  {
    method: 'POST',
    pattern: '/admin/users/:id/password-reset',
    allow: ['admin'],
    url: () => `/admin/users/${f.tempStaff}/password-reset`,
    form: () => ({}),
    ok: [303, 409],
  },
  { method: 'GET', pattern: '/mail/preferences', allow: 'public', url: () => '/mail/preferences?u=1&sig=forged', ok: [404] },
  {
    method: 'POST',
    pattern: '/mail/preferences',
    allow: 'public',
    url: () => '/mail/preferences',
    form: () => ({ u: '1', sig: 'forged', notices: 'off' }),
    ok: [404],
  },
  { method: 'POST', pattern: '/mail/unsubscribe', allow: 'public', url: () => '/mail/unsubscribe?u=1&sig=forged', form: () => ({}), ok: [404] },
  { method: 'GET', pattern: '/password/forgot', allow: 'public', url: () => '/password/forgot' },
  { method: 'POST', pattern: '/password/forgot', allow: 'public', url: () => '/password/forgot', form: () => ({ email: '' }), ok: [422, 429] },
  { method: 'GET', pattern: '/password/reset', allow: 'public', url: () => '/password/reset?token=made-up', ok: [404] },
  {
    method: 'POST',
    pattern: '/password/reset',
    allow: 'public',
    url: () => '/password/reset',
    form: () => ({ token: 'made-up', password: 'a-long-enough-password', passwordConfirm: 'a-long-enough-password' }),
    ok: [404, 429],
  },
  { method: 'POST', pattern: '/admin/outlets/:outletId/staff', allow: ['admin'], url: () => '/admin/outlets/2/staff', form: () => ({ email: 'not-an-email' }) },
  {
    method: 'POST',
    pattern: '/admin/outlets/:outletId/staff/:userId/remove',
    allow: ['admin'],
    url: () => `/admin/outlets/2/staff/${f.tempOutletStaff}/remove`,
    form: () => ({}),
    ok: [303, 404],
  },
];

function expectationFor(route: RouteSpec, actor: Actor, target: Target): Expectation {
  const special = route.special?.(actor, target);
  if (special) return special;
  const ok = () => allowed(...(route.ok ?? (route.method === 'GET' ? [200] : [303, 409, 422])));
  if (route.allow === 'public') return ok();
  if (actor === 'anonymous')
    return route.method === 'GET' ? { statuses: [303], refused: true, location: `/login?next=${encodeURIComponent(route.url(target))}` } : refused(401);
  if (!route.allow.includes(actor)) return refused(403);
  if (target === 'foreign' && route.scoped?.includes(actor)) return refused(404);
  return ok();
}

async function send(client: InjectClient, route: RouteSpec, target: Target, options: { csrf?: boolean } = {}): Promise<Response> {
  const url = route.url(target);
  if (route.method === 'GET') return client.get(url);
  if (route.multipart) return client.postMultipart(url, route.form?.(target) ?? {}, undefined, options);
  return client.post(url, route.form?.(target) ?? {}, options);
}

/** Rows changed on the app's connection since it opened: equal before and after, nothing was written. */
const writes = () => ctx.db.sqlite.prepare('SELECT total_changes()').pluck().get() as number;

beforeAll(async () => {
  fake = await startFakeStripe();
  ctx = await createTestApp({ env: fake.env, stripe: fake.client });
  await createScopedCoordinator(ctx.db, SCOPED_EMAIL, ['shen-he-xiezuo']);
  for (const actor of ACTORS) clients.set(actor, await signedIn(actor));
  await setUpFixtures();
}, 120_000);
afterAll(async () => {
  await ctx?.close();
  await fake?.close();
});

describe('the authorisation matrix over every route', () => {
  it('has an expectation for every route the app registers, and no stale ones', () => {
    const registered = registeredRoutes(ctx.app).map((r) => `${r.method} ${r.pattern}`);
    const known = ROUTES.map((r) => `${r.method} ${r.pattern}`);
    expect(
      registered.filter((r) => !known.includes(r)),
      'routes without an expectation in this table',
    ).toEqual([]);
    expect(
      known.filter((r) => !registered.includes(r)),
      'expectations for routes that do not exist',
    ).toEqual([]);
    expect(new Set(known).size, 'routes listed twice').toBe(known.length);
  });

  it('is not blind: it expects every kind of refusal many times, and its write detector sees a write', async () => {
    const tally = new Map<string, number>();
    for (const route of ROUTES) {
      for (const actor of ACTORS) {
        for (const target of route.targets ?? ['none']) {
          const want = expectationFor(route, actor, target);
          const key = want.refused ? `refused ${want.statuses[0]}` : 'allowed';
          tally.set(key, (tally.get(key) ?? 0) + 1);
        }
      }
    }
    expect(tally.get('refused 303'), 'signed-out visitors sent to sign in').toBeGreaterThan(50);
    expect(tally.get('refused 401'), 'signed-out posts refused').toBeGreaterThan(50);
    expect(tally.get('refused 403'), 'wrong role').toBeGreaterThan(400);
    expect(tally.get('refused 404'), 'foreign objects').toBeGreaterThan(40);
    expect(tally.get('allowed'), 'allowed requests').toBeGreaterThan(200);
    const before = writes();
    expect((await newClient().post('/cart/items', { productId: String(f.product.own), quantity: '1' })).statusCode).toBe(303);
    expect(writes()).toBeGreaterThan(before);
    console.info(`[access] ${ROUTES.length} routes × ${ACTORS.length} people: ${JSON.stringify(Object.fromEntries(tally))}`);
  });

  for (const route of ROUTES) {
    it(`${route.method} ${route.pattern}: ${(route.targets ?? ['none']).length * ACTORS.length} cells`, async () => {
      const wrong: string[] = [];
      for (const actor of ACTORS) {
        for (const target of route.targets ?? ['none']) {
          const want = expectationFor(route, actor, target);
          const client = route.fresh ? anotherSession(actor) : clients.get(actor)!;
          const before = writes();
          const res = await send(client, route, target);
          const label = `${actor} ${route.method} ${route.url(target)} (${target})`;
          if (!want.statuses.includes(res.statusCode)) wrong.push(`${label}: ${res.statusCode}, expected ${want.statuses.join(' or ')}`);
          else if (want.location && res.headers.location !== want.location)
            wrong.push(`${label}: sent to ${String(res.headers.location)}, expected ${want.location}`);
          else if (want.refused && writes() !== before) wrong.push(`${label}: refused with ${res.statusCode} but wrote ${writes() - before} row(s)`);
          if (res.statusCode >= 500) wrong.push(`${label}: server error ${res.body.slice(0, 300)}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});

describe('CSRF on every POST route, for every person', () => {
  it('refuses each POST without a token (403, the CSRF message, nothing written), whoever sends it', async () => {
    const wrong: string[] = [];
    for (const route of ROUTES.filter((r) => r.method === 'POST' && r.pattern !== '/webhooks/stripe' && r.pattern !== '/mail/unsubscribe')) {
      for (const actor of ACTORS) {
        for (const target of route.targets ?? ['none']) {
          const before = writes();
          const res = await send(clients.get(actor)!, route, target, { csrf: false });
          const label = `${actor} POST ${route.url(target)} without a token`;
          if (res.statusCode !== 403 || !res.body.includes(CSRF_MESSAGE)) wrong.push(`${label}: ${res.statusCode}`);
          else if (writes() !== before) wrong.push(`${label}: wrote ${writes() - before} row(s)`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('session fixation', () => {
  const sessionExists = (sid: string) =>
    ctx.db.sqlite.prepare(`SELECT count(*) FROM sessions WHERE id_hash = ?`).pluck().get(createHash('sha256').update(sid).digest('hex')) === 1;

  it('gives a new session id at sign-in: a session id planted before sign-in is dead afterwards and cannot act as the user', async () => {
    // The attacker gets a real session id (a visit that puts something in the cart) …
    const attacker = newClient();
    expect((await attacker.post('/cart/items', { productId: String(f.product.own), quantity: '1' })).statusCode).toBe(303);
    const planted = attacker.jar.sid!;
    const attackerToken = await attacker.csrf();
    expect(sessionExists(planted)).toBe(true);
    // … and plants it (with its CSRF cookie) in the victim's browser; the victim signs in.
    const victim = newClient();
    Object.assign(victim.jar, attacker.jar);
    const login = await victim.post('/login', { email: 'buyer@xiangyi.test', password: 'xiangyi-demo' });
    expect(login.statusCode).toBe(303);
    expect(victim.jar.sid).toBeDefined();
    expect(victim.jar.sid).not.toBe(planted);
    expect(sessionExists(planted), 'the planted session still exists').toBe(false);
    expect((await victim.get('/account/orders')).statusCode, 'the victim is signed in').toBe(200);

    // The attacker's copy of the old id is worth nothing: not signed in, and no post goes through.
    const page = await attacker.get('/account/orders');
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Faccount%2Forders');
    const before = writes();
    const stale = newClient();
    Object.assign(stale.jar, { sid: planted, _csrf: attacker.jar._csrf ?? '' });
    for (const [url, form] of [
      ['/account/password', { currentPassword: 'xiangyi-demo', newPassword: 'hijacked-passphrase', passwordConfirm: 'hijacked-passphrase' }],
      ['/account/organization', { name: '冒名单位' }],
    ] as const) {
      const res = await stale.send('POST', url, { payload: encodeForm({ ...form, _csrf: attackerToken }), contentType: 'application/x-www-form-urlencoded' });
      expect([401, 403], `${url} with the pre-login session`).toContain(res.statusCode);
    }
    expect(writes(), 'the stale session wrote something').toBe(before);
    // The victim's own password still works: nothing was changed through the stale session.
    expect((await signedIn('buyer')).jar.sid).toBeDefined();
  });

  it('never adopts a session id the visitor chose: an unknown sid is cleared and sign-in issues a fresh one', async () => {
    const victim = newClient();
    victim.jar.sid = 'attacker-chosen-session-id-0123456789abcdef';
    const first = await victim.get('/login');
    expect(first.statusCode).toBe(200);
    expect(victim.jar.sid, 'the unknown sid is cleared').toBeUndefined();
    victim.jar.sid = 'attacker-chosen-session-id-0123456789abcdef';
    expect((await victim.post('/login', { email: 'buyer@xiangyi.test', password: 'xiangyi-demo' })).statusCode).toBe(303);
    expect(victim.jar.sid).not.toBe('attacker-chosen-session-id-0123456789abcdef');
    const chosen = newClient();
    chosen.jar.sid = 'attacker-chosen-session-id-0123456789abcdef';
    expect((await chosen.get('/account/orders')).statusCode).toBe(303);
  });
});

describe("households' private details on every public page", () => {
  it('appear in no public page or JSON answer, crawling every public GET route with every seeded slug and code (zh and en)', async () => {
    const db = ctx.db.sqlite;
    const households = db
      .prepare(
        `SELECT id, real_name AS realName, display_name AS displayName, ${namePublicSql('households')} AS consent, phone, id_card_last4 AS idCard, poverty_reg_no AS regNo FROM households`,
      )
      .all() as {
      id: number;
      realName: string;
      displayName: string | null;
      consent: number;
      phone: string | null;
      idCard: string | null;
      regNo: string | null;
    }[];
    const secrets: { household: number; field: string; value: string }[] = [];
    for (const h of households) {
      // A real name the household agreed to show as its display name is not a secret.
      if (!(h.consent && h.displayName === h.realName)) secrets.push({ household: h.id, field: 'real_name', value: h.realName });
      for (const [field, value] of [
        ['phone', h.phone],
        ['id_card_last4', h.idCard],
        ['poverty_reg_no', h.regNo],
      ] as const)
        if (value) secrets.push({ household: h.id, field, value });
    }
    expect(secrets.length).toBeGreaterThan(households.length * 3);

    const slugs = (sql: string) => db.prepare(sql).pluck().all() as string[];
    const receipts = slugs(`SELECT receipt_code FROM orders WHERE paid_at IS NOT NULL`);
    const urls = [
      '/',
      '/impact',
      '/outlets',
      '/wishes',
      '/healthz',
      '/products?page=1',
      '/products?page=2',
      '/products?page=3',
      '/api/v1/products?page=1',
      '/api/v1/products?page=2',
      '/api/v1/products?page=3',
      ...slugs(`SELECT slug FROM products`).flatMap((s) => [`/products/${s}`, `/api/v1/products/${s}`]),
      ...slugs(`SELECT slug FROM villages`).flatMap((s) => [`/villages/${s}`, `/api/v1/villages/${s}`]),
      ...slugs(`SELECT slug FROM projects`).flatMap((s) => [`/projects/${s}`, `/api/v1/projects/${s}`]),
      ...slugs(`SELECT id FROM wishes`).flatMap((id) => [`/wishes/${id}`, `/api/v1/wishes/${id}`]),
      ...slugs(`SELECT code FROM lots`).map((c) => `/lots/${c}`),
      ...receipts.flatMap((c) => [`/receipts/${c}`, `/api/v1/receipts/${c}`]),
      '/api/v1/villages?pageSize=100',
      '/api/v1/projects?pageSize=100',
      '/api/v1/impact',
      '/api/v1/wishes?pageSize=100',
      '/api/v1/wishes?status=fulfilled&pageSize=100',
      '/api/v1/openapi.json',
      '/api/docs',
      `/orders/${f.pending.own}?token=${encodeURIComponent(f.pendingToken)}`,
    ];
    // The order page of a paid order shows who benefited: pay the pending one first, then read it.
    const coordinator = clients.get('coordinator')!;
    await coordinator.post(`/coordinator/orders/${f.pending.own}/mark-paid`, { reference: 'PRIVACY-CHECK' });
    const visitor = newClient();
    const leaks: string[] = [];
    let crawled = 0;
    for (const lang of ['zh-CN', 'en']) {
      visitor.jar.lang = lang;
      for (const url of urls) {
        const res = await visitor.get(url);
        if (![200, 404].includes(res.statusCode)) leaks.push(`${url}: status ${res.statusCode}`);
        if (res.statusCode !== 200) continue;
        crawled++;
        const body = res.body.replace(/name="_csrf" value="[^"]*"/g, '');
        for (const s of secrets) {
          const found = /^[0-9Xx]{1,6}$/.test(s.value) ? new RegExp(`(?<![0-9A-Za-z])${s.value}(?![0-9A-Za-z])`).test(body) : body.includes(s.value);
          if (found) leaks.push(`${url} (${lang}): household ${s.household}'s ${s.field} "${s.value}"`);
        }
      }
    }
    expect(crawled).toBeGreaterThan(100);
    expect(leaks).toEqual([]);
  });
});
