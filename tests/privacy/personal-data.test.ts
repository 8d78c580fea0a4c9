import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, registrationLinkFor, signIn, type TestBrowser } from '../helpers/auth.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { placePaidOrder } from '../helpers/orders.js';
import { householdIdOf } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Personal-data requests (PIPL): a buyer downloads what the shop holds about them and has it
 * erased; a household's requests go through its own village's first secretary. Figures (orders,
 * payouts, the ledger) stay, and the ledger's hash chain still checks.
 */

const BUYER = 'buyer@xiangyi.test';
const ME = { name: '韩梅梅', phone: '13912345678', province: '广东省', city: '深圳市', district: '南山区', address: '科技园莲花路 8 号 3 栋 1201' };

let ctx: TestContext;
let buyer: TestBrowser;
let coordinator: TestBrowser;
beforeEach(async () => {
  ctx = await createTestApp();
  buyer = await signIn(ctx.app, BUYER);
  coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
});
afterEach(async () => ctx.close());

const today = () => new Date(ctx.clock.now + 8 * 3600_000).toISOString().slice(0, 10);

/** The signed-in buyer checks out one product by bank transfer; returns the order number. */
async function placeAsBuyer(slug: string, quantity = 1): Promise<string> {
  const page = await buyer.get(`/products/${slug}`);
  const productId = /name="productId" value="(\d+)"/.exec(page.body)![1]!;
  expect((await buyer.post('/cart/items', { productId, quantity: String(quantity) }, { csrfFrom: `/products/${slug}` })).statusCode).toBe(303);
  const placed = await buyer.post('/checkout', { ...ME, paymentMethod: 'offline' }, { csrfFrom: '/cart' });
  const number = /^\/orders\/(XY-[0-9]{8}-[0-9]{4,6})\?/.exec(String(placed.headers.location ?? ''))?.[1];
  expect(placed.statusCode, placed.body.slice(0, 300)).toBe(303);
  return number!;
}

async function markPaid(number: string) {
  const paid = await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: `BANK-${number}` }, { csrfFrom: '/coordinator' });
  expect(paid.statusCode).toBe(303);
}

async function refundWhole(number: string, reason: string) {
  const total = ctx.db.sqlite.prepare(`SELECT total_fen FROM orders WHERE number = ?`).pluck().get(number) as number;
  const refunded = await coordinator.post(
    `/coordinator/orders/${number}/refund`,
    { amount: (total / 100).toFixed(2), reason, lineId: '' },
    { csrfFrom: '/coordinator' },
  );
  expect(refunded.statusCode, refunded.body.slice(0, 300)).toBe(303);
}

/** Every text cell of every table that contains `needle` (table.column), the whole database searched. */
function cellsContaining(needle: string): string[] {
  const db = ctx.db.sqlite;
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%fts%'`)
    .pluck()
    .all() as string[];
  const found: string[] = [];
  for (const table of tables) {
    const columns = db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(table) as { name: string; type: string }[];
    for (const c of columns.filter((c) => /text/i.test(c.type))) {
      const n = db.prepare(`SELECT count(*) FROM "${table}" WHERE instr("${c.name}", ?) > 0`).pluck().get(needle) as number;
      if (n > 0) found.push(`${table}.${c.name}`);
    }
  }
  return found;
}

/** Each ledger account's balance, by code. */
const balances = () =>
  ctx.db.sqlite
    .prepare(`SELECT a.code, sum(e.amount_fen) AS fen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id GROUP BY a.code ORDER BY a.code`)
    .all();

/** Runs `npm run ledger:check`'s script on the test's database file, as an operator would. */
function ledgerCheckCommand(path: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ledger-check.ts', path], {
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('a buyer downloading their data', () => {
  it('gets their account, addresses, orders with lines and messages as a JSON file, and nobody else’s', async () => {
    const mine = await placeAsBuyer('meiyaogou-honey', 2);
    const added = await buyer.post(
      '/account/addresses',
      { recipientName: ME.name, phone: ME.phone, province: ME.province, city: ME.city, district: ME.district, street: ME.address },
      { csrfFrom: '/account/addresses/new' },
    );
    expect(added.statusCode).toBe(303);
    const theirs = await placePaidOrder(ctx, [{ slug: 'tiger-head-shoes', quantity: 1 }]);

    const file = await buyer.get('/account/data.json');
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-disposition']).toMatch(/^attachment; filename="xiangyi-my-data-\d{8}\.json"$/);
    expect(file.headers['cache-control']).toBe('no-store');
    const data = JSON.parse(file.body);
    expect(data.account.email).toBe(BUYER);
    expect(data.addresses).toEqual([expect.objectContaining({ recipientName: ME.name, phone: ME.phone, street: ME.address })]);
    const order = data.orders.find((o: { number: string }) => o.number === mine);
    expect(order).toMatchObject({ contactName: ME.name, phone: ME.phone, status: 'pending_payment' });
    expect(order.lines).toEqual([expect.objectContaining({ quantity: 2, lineTotalFen: 13600 })]);
    expect(data.messages.some((m: { recipient: string; kind: string }) => m.recipient === BUYER)).toBe(true);
    expect(data.orders.map((o: { number: string }) => o.number)).not.toContain(theirs.number);
    expect(file.body).not.toContain('林晓');

    const page = await buyer.get('/account/data');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(mine);
    expect(page.body).toContain(ME.address);
    expect(page.body).not.toContain(theirs.number);
    expect((await buyer.get('/account/orders')).body).toContain('href="/account/data"');
  });

  it('is only for a signed-in buyer: a visitor is sent to sign in, staff are refused', async () => {
    const visitor = anonymous(ctx.app);
    const res = await visitor.get('/account/data.json');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login\?next=/);
    expect((await coordinator.get('/account/data')).statusCode).toBe(403);
  });
});

describe('a buyer deleting their data', () => {
  it('is refused while an order is paid and not yet shipped, naming the order, and erases nothing', async () => {
    const number = await placeAsBuyer('meiyaogou-honey');
    await markPaid(number);
    const page = await buyer.get('/account/delete');
    expect(page.body).toContain(number);
    const refused = await buyer.post('/account/delete', { password: 'xiangyi-demo' }, { csrfFrom: '/account/delete' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(number);
    expect(ctx.db.sqlite.prepare(`SELECT count(*) FROM users WHERE email = ?`).pluck().get(BUYER)).toBe(1);
    expect(ctx.db.sqlite.prepare(`SELECT contact_name FROM orders WHERE number = ?`).pluck().get(number)).toBe(ME.name);
  });

  it('asks for the password again, and a request without the page’s CSRF token or from a visitor or staff changes nothing', async () => {
    const wrong = await buyer.post('/account/delete', { password: 'not-my-password' }, { csrfFrom: '/account/delete' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('aria-invalid="true"');
    const forged = await buyer.post('/account/delete', { password: 'xiangyi-demo' }, { withoutCsrf: true });
    expect(forged.statusCode).toBe(403);
    const visitor = anonymous(ctx.app);
    expect([401, 403]).toContain((await visitor.post('/account/delete', { password: 'xiangyi-demo' }, { csrfFrom: '/login' })).statusCode);
    expect((await coordinator.post('/account/delete', { password: 'xiangyi-demo' }, { csrfFrom: '/coordinator' })).statusCode).toBe(403);
    expect(ctx.db.sqlite.prepare(`SELECT disabled FROM users WHERE email = ?`).pluck().get(BUYER)).toBe(0);
    expect(ctx.db.sqlite.prepare(`SELECT disabled FROM users WHERE email = 'coordinator@xiangyi.test'`).pluck().get()).toBe(0);
  });

  it('erases name, e-mail, phone, addresses and messages, keeps order totals and ledger figures, ends sessions, and ledger:check passes', async () => {
    const kept = await placeAsBuyer('meiyaogou-honey', 2);
    await markPaid(kept);
    // A second order, refunded with a reason that names the buyer: the words a coordinator typed.
    const refunded = await placeAsBuyer('tiger-head-shoes');
    await markPaid(refunded);
    await refundWhole(refunded, `${ME.name} 来电取消`);
    // The first is shipped (its address served), so nothing holds the deletion back.
    const secretary = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    const shipped = await secretary.post(
      `/secretary/orders/${kept}/ship`,
      { carrier: '顺丰', trackingNumber: 'SF1234567890' },
      { csrfFrom: '/secretary/orders' },
    );
    expect(shipped.statusCode).toBe(303);
    await buyer.post(
      '/account/addresses',
      { recipientName: ME.name, phone: ME.phone, province: ME.province, city: ME.city, district: ME.district, street: ME.address },
      { csrfFrom: '/account/addresses/new' },
    );
    const otherSession = await signIn(ctx.app, BUYER);
    // A text message to the orders' phone, as a guest's order would have had (kind sms:…, a +86 number).
    ctx.db.sqlite
      .prepare(
        `INSERT INTO outbox_messages (kind, recipient, locale, subject, text_body, html_body, next_attempt_at) VALUES ('sms:order_placed', ?, 'zh-CN', '', ?, '', 0)`,
      )
      .run(`+86${ME.phone}`, `${ME.name}，您的订单已提交。`);

    const figures = ctx.db.sqlite
      .prepare(`SELECT number, status, total_fen, refunded_fen, subtotal_fen FROM orders WHERE number IN (?, ?) ORDER BY number`)
      .all(kept, refunded);
    const ledgerBefore = balances();
    const transactionsBefore = await expectLedgerSound(ctx.db);
    // The refund's reason is kept beside the hash chain, which holds only a commitment to it.
    expect(cellsContaining(ME.name)).toContain('ledger_memo_texts.text');
    expect(cellsContaining(ME.name)).not.toContain('ledger_transactions.memo');

    const done = await buyer.post('/account/delete', { password: 'xiangyi-demo' }, { csrfFrom: '/account/delete' });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/');

    // Nothing in the database names or reaches the buyer any more.
    for (const needle of [ME.name, ME.phone, ME.address, BUYER]) expect(cellsContaining(needle), needle).toEqual([]);
    // The figures stay: orders, the ledger's balances and its every transaction.
    expect(
      ctx.db.sqlite
        .prepare(`SELECT number, status, total_fen, refunded_fen, subtotal_fen FROM orders WHERE number IN (?, ?) ORDER BY number`)
        .all(kept, refunded),
    ).toEqual(figures);
    expect(balances()).toEqual(ledgerBefore);
    expect(await expectLedgerSound(ctx.db)).toBe(transactionsBefore);
    const check = ledgerCheckCommand(ctx.dbPath);
    expect(check.out).toMatch(/ledger ok: \d+ transactions/);
    expect(check.status).toBe(0);

    // Every session ended; the password no longer signs in; the e-mail may register again.
    const after = await otherSession.get('/account/orders');
    expect(after.statusCode).toBe(303);
    expect(after.headers.location).toMatch(/^\/login/);
    const login = await anonymous(ctx.app).post('/login', { email: BUYER, password: 'xiangyi-demo' }, { csrfFrom: '/login' });
    expect(login.statusCode).not.toBe(303);
    const visitor = anonymous(ctx.app);
    expect(
      (
        await visitor.post(
          '/register',
          { email: BUYER, displayName: '新用户', password: 'a-brand-new-password', passwordConfirm: 'a-brand-new-password' },
          { csrfFrom: '/register' },
        )
      ).statusCode,
    ).toBe(200);
    const link = registrationLinkFor(ctx.mailbox, BUYER);
    const token = new URL(link, 'http://shop.test').searchParams.get('token')!;
    const confirmed = await visitor.post('/register/confirm', { token }, { csrfFrom: link });
    expect(confirmed.statusCode).toBe(303);
    expect(ctx.db.sqlite.prepare(`SELECT count(*) FROM users WHERE email = ? AND disabled = 0`).pluck().get(BUYER)).toBe(1);
    // The request is in the audit log, in words, naming nobody.
    expect(ctx.db.sqlite.prepare(`SELECT count(*) FROM audit_log WHERE action = 'privacy.buyer_erase'`).pluck().get()).toBe(1);
  });
});

describe('a household’s request through its first secretary', () => {
  it('is handled by its own village’s secretary: export and erasure, audit-logged, payouts and ledger kept', async () => {
    const wang = await householdIdOf(ctx.db, '王秀兰');
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const paid = await coordinator.post(
      '/coordinator/payouts',
      { householdId: String(wang), amount: '50', method: 'bank_transfer', reference: '王秀兰 ICBC-2041', paidOn: today() },
      { csrfFrom: '/coordinator' },
    );
    expect(paid.statusCode).toBe(303);
    const secretary = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');

    const page = await secretary.get(`/secretary/households/${wang}/data`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('王秀兰');
    const file = await secretary.get(`/secretary/households/${wang}/data.json`);
    expect(file.headers['content-disposition']).toMatch(/^attachment;/);
    const data = JSON.parse(file.body);
    expect(data.household.realName).toBe('王秀兰');
    expect(data.payouts).toEqual([expect.objectContaining({ amountFen: 5000 })]);

    const payoutsBefore = ctx.db.sqlite.prepare(`SELECT id, amount_fen, household_id FROM payouts WHERE household_id = ?`).all(wang);
    const ledgerBefore = balances();
    const wrong = await secretary.post(
      `/secretary/households/${wang}/erase`,
      { password: 'wrong-password' },
      { csrfFrom: `/secretary/households/${wang}/erase` },
    );
    expect(wrong.statusCode).toBe(422);
    const erased = await secretary.post(
      `/secretary/households/${wang}/erase`,
      { password: 'xiangyi-demo' },
      { csrfFrom: `/secretary/households/${wang}/erase` },
    );
    expect(erased.statusCode).toBe(303);

    const row = ctx.db.sqlite.prepare(`SELECT * FROM households WHERE id = ?`).get(wang) as Record<string, unknown>;
    expect(row).toMatchObject({
      real_name: '',
      display_name: null,
      phone: null,
      id_card_last4: null,
      poverty_reg_no: null,
      bank_account_no: null,
      public_story_zh: null,
    });
    // Consent ends with the data: the latest record is a withdrawal, taken by the secretary.
    expect(
      ctx.db.sqlite.prepare(`SELECT withdrawn, name_public, story_public FROM household_consents WHERE household_id = ? ORDER BY id DESC LIMIT 1`).get(wang),
    ).toEqual({ withdrawn: 1, name_public: 0, story_public: 0 });
    // The payout's reference a coordinator typed is an accounting record and stays in the payouts row (README, Personal data).
    expect(cellsContaining('王秀兰')).toEqual(['payouts.reference']);
    expect(ctx.db.sqlite.prepare(`SELECT id, amount_fen, household_id FROM payouts WHERE household_id = ?`).all(wang)).toEqual(payoutsBefore);
    expect(balances()).toEqual(ledgerBefore);
    await expectLedgerSound(ctx.db);
    const actions = ctx.db.sqlite
      .prepare(`SELECT action FROM audit_log WHERE entity_type = 'household' AND entity_id = ? ORDER BY id`)
      .pluck()
      .all(String(wang));
    expect(actions).toEqual(expect.arrayContaining(['household.data_export', 'household.erase']));
    expect((await secretary.get('/secretary/households')).body).toContain('（个人信息已删除）');
  });

  it('is refused (403) to the secretary of another village, and to a coordinator, changing nothing', async () => {
    const wang = await householdIdOf(ctx.db, '王秀兰');
    const other = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    expect((await other.get(`/secretary/households/${wang}/data`)).statusCode).toBe(403);
    expect((await other.get(`/secretary/households/${wang}/data.json`)).statusCode).toBe(403);
    expect((await other.get(`/secretary/households/${wang}/erase`)).statusCode).toBe(403);
    const refused = await other.post(`/secretary/households/${wang}/erase`, { password: 'xiangyi-demo' }, { csrfFrom: '/secretary/households' });
    expect(refused.statusCode).toBe(403);
    expect((await coordinator.get(`/secretary/households/${wang}/data`)).statusCode).toBe(403);
    expect((await other.get('/secretary/households/999999/data')).statusCode).toBe(404);
    expect(ctx.db.sqlite.prepare(`SELECT real_name FROM households WHERE id = ?`).pluck().get(wang)).toBe('王秀兰');
    expect(
      ctx.db.sqlite
        .prepare(`SELECT count(*) FROM audit_log WHERE action LIKE 'household.%' AND entity_id = ? AND action IN ('household.data_export','household.erase')`)
        .pluck()
        .get(String(wang)),
    ).toBe(0);
  });
});
