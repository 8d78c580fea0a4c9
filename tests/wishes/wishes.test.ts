import { Agent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditService } from '../../src/audit/audit-service.js';
import { createLedgerService } from '../../src/ledger/ledger-service.js';
import { createOrdersService } from '../../src/orders/orders-service.js';
import { anonymous, csrfTokenIn, encodeForm, signIn, type FormFields, type TestBrowser } from '../helpers/auth.js';
import { startFakeStripe } from '../helpers/fake-stripe.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { startLiveServer } from '../helpers/live-server.js';
import { jpegPhoto, postMultipart } from '../helpers/multipart.js';
import { createScopedCoordinator, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, testConfig, type TestContext } from '../helpers/test-app.js';

/**
 * Micro-wishes: a social worker posts a child's wish, one donor claims it, the money goes to the
 * project fund, and the donor sees the wish come true. The board never says more about a child
 * than a first name (or pseudonym) and an age.
 */

const COORDINATOR = 'coordinator@xiangyi.test';
const HOUR = 3_600_000;
/** How long an unpaid bank-transfer claim holds its wish (WISH_CLAIM_HOLD_HOURS). */
const WISH_CLAIM_HOLD_HOURS = testConfig().orderExpiry.wishClaimMs / HOUR;

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const all = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).all(...params) as T[];
const run = (sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).run(...params);
const count = (sql: string, ...params: unknown[]) => get<{ n: number }>(sql, ...params).n;

interface Wish {
  id: number;
  status: string;
  orderId: number | null;
  amountFen: number;
  projectId: number;
}
const wishNamed = (childName: string) =>
  get<Wish>(`SELECT id, status, order_id AS orderId, amount_fen AS amountFen, project_id AS projectId FROM wishes WHERE child_name = ?`, childName);
const wishById = (id: number) =>
  get<Wish>(`SELECT id, status, order_id AS orderId, amount_fen AS amountFen, project_id AS projectId FROM wishes WHERE id = ?`, id);
const entriesOfOrder = (orderId: number) =>
  all<{ code: string; amountFen: number }>(
    `SELECT a.code, e.amount_fen AS amountFen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
     JOIN ledger_transactions t ON t.id = e.transaction_id WHERE t.order_id = ? ORDER BY e.id`,
    orderId,
  );
const openSection = (html: string) => html.slice(html.indexOf('data-open-wishes'), html.indexOf('</ul>', html.indexOf('data-open-wishes')));
const openIdsOnBoard = (html: string) => [...openSection(html).matchAll(/data-wish-id="(\d+)"/g)].map((m) => Number(m[1]));
const fieldError = (html: string, name: string) => new RegExp(`<p class="field-error" id="e-${name}">([^<]*)</p>`).exec(html)?.[1] ?? null;
const fieldValue = (html: string, name: string) => new RegExp(`<input id="f-${name}" name="${name}"[^>]* value="([^"]*)"`).exec(html)?.[1] ?? null;

const DONOR = { name: '林晓', phone: '13800138000', paymentMethod: 'offline' };
const ORDER_URL = /^\/orders\/(XY-\d{8}-\d{4})\?token=([A-Za-z0-9_-]+)$/;

/** A visitor claims a wish from its page; returns the order link they are sent to. */
async function claim(donor: TestBrowser, wishId: number, form: FormFields = DONOR) {
  const res = await donor.post(`/wishes/${wishId}/claim`, form, { csrfFrom: `/wishes/${wishId}` });
  expect(res.statusCode, res.body.slice(0, 400)).toBe(303);
  const match = ORDER_URL.exec(String(res.headers.location));
  expect(match, String(res.headers.location)).not.toBeNull();
  return { number: match![1]!, token: decodeURIComponent(match![2]!), url: String(res.headers.location) };
}

function ordersService() {
  const clock = () => ctx.clock.now;
  return createOrdersService(ctx.db, {
    clock,
    ledger: createLedgerService(ctx.db, { clock }),
    audit: createAuditService(ctx.db, clock),
    expiry: ctx.config.orderExpiry,
  });
}

describe('the wish board', () => {
  it('shows the open wishes by first name or pseudonym and age, and nothing more about the child', async () => {
    const board = await anonymous(ctx.app).get('/wishes');
    expect(board.statusCode).toBe(200);
    const open = openIdsOnBoard(board.body);
    expect(open.length).toBeGreaterThanOrEqual(4);
    expect(board.body).toContain('小花的心愿：新书包');
    expect(board.body).toContain('8 岁');
    expect(board.body).toContain('¥120.00');
    expect(board.body).toContain('小军的心愿：羽绒服');
    // The header links to the board.
    expect(board.body).toMatch(/<a href="\/wishes" aria-current="page">微心愿<\/a>/);
    // No photo without consent, and nothing about who posted it.
    expect(board.body).not.toMatch(/\/wishes\/\d+\/photo/);
    expect(board.body).not.toContain('陈协调');

    // A photo stored for a wish is shown only once a guardian's consent is recorded.
    const xiaohua = wishNamed('小花');
    const mediaId = get<{ id: number }>(`SELECT list_media_id AS id FROM product_photos LIMIT 1`).id;
    run(`UPDATE wishes SET photo_media_id = ?, photo_consent = 0 WHERE id = ?`, mediaId, xiaohua.id);
    expect((await anonymous(ctx.app).get(`/wishes/${xiaohua.id}/photo`)).statusCode).toBe(404);
    expect((await anonymous(ctx.app).get(`/wishes/${xiaohua.id}`)).body).not.toContain(`/wishes/${xiaohua.id}/photo`);
    run(`UPDATE wishes SET photo_consent = 1 WHERE id = ?`, xiaohua.id);
    const photo = await anonymous(ctx.app).get(`/wishes/${xiaohua.id}/photo`);
    expect(photo.statusCode).toBe(200);
    expect(photo.headers['content-type']).toBe('image/webp');
    expect((await anonymous(ctx.app).get('/wishes')).body).toContain(`src="/wishes/${xiaohua.id}/photo"`);
  });

  it('answers 404 for a wish that was withdrawn or never existed', async () => {
    const wish = wishNamed('阿兰');
    run(`UPDATE wishes SET status = 'cancelled' WHERE id = ?`, wish.id);
    expect((await anonymous(ctx.app).get(`/wishes/${wish.id}`)).statusCode).toBe(404);
    expect((await anonymous(ctx.app).get('/wishes/999999')).statusCode).toBe(404);
    expect(openIdsOnBoard((await anonymous(ctx.app).get('/wishes')).body)).not.toContain(wish.id);
  });
});

describe('a social worker posting a wish', () => {
  const projectId = () => get<{ id: number }>(`SELECT id FROM projects WHERE slug = 'fupin-xianfuzhi'`).id;
  const fields = (overrides: Record<string, string> = {}) => ({
    projectId: String(projectId()),
    childName: '小雨',
    childAge: '9',
    item: '雨靴',
    itemEn: 'Rain boots',
    amount: '85.50',
    story: '小雨每天踩着泥路上学。',
    storyEn: '',
    ...overrides,
  });

  it('posts a wish with a consented photo; it appears on the board with the photo', async () => {
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const res = await postMultipart(
      ctx.app,
      coordinator,
      '/coordinator/wishes',
      { ...fields(), photoConsent: 'on' },
      await jpegPhoto(),
      '/coordinator/wishes/new',
    );
    expect(res.statusCode, res.body.slice(0, 400)).toBe(303);
    const wish = wishNamed('小雨');
    expect(res.headers.location).toBe(`/coordinator/wishes/${wish.id}`);
    expect(wish).toMatchObject({ status: 'open', amountFen: 8550, projectId: projectId() });
    const board = await anonymous(ctx.app).get('/wishes');
    expect(openIdsOnBoard(board.body)).toContain(wish.id);
    expect(board.body).toContain(`src="/wishes/${wish.id}/photo"`);
    expect((await anonymous(ctx.app).get(`/wishes/${wish.id}/photo`)).statusCode).toBe(200);
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'wish.post'`)).toBe(1);
  });

  it('refuses a photo without consent and a bad age with field messages and the typed values; nothing is saved', async () => {
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const wishesBefore = count(`SELECT count(*) AS n FROM wishes`);
    const mediaBefore = count(`SELECT count(*) AS n FROM media`);

    const noConsent = await postMultipart(ctx.app, coordinator, '/coordinator/wishes', fields(), await jpegPhoto(), '/coordinator/wishes/new');
    expect(noConsent.statusCode).toBe(422);
    expect(fieldError(noConsent.body, 'photo')).toBe('只有勾选了监护人同意才能上传孩子的照片。');
    expect(fieldValue(noConsent.body, 'childName')).toBe('小雨');
    expect(fieldValue(noConsent.body, 'amount')).toBe('85.50');

    const badAge = await postMultipart(
      ctx.app,
      coordinator,
      '/coordinator/wishes',
      fields({ childAge: '40', amount: '9999' }),
      undefined,
      '/coordinator/wishes/new',
    );
    expect(badAge.statusCode).toBe(422);
    expect(fieldError(badAge.body, 'childAge')).toBe('请输入 1 到 18 之间的年龄。');
    expect(fieldError(badAge.body, 'amount')).toContain('2000');
    expect(fieldValue(badAge.body, 'item')).toBe('雨靴');

    expect(count(`SELECT count(*) AS n FROM wishes`)).toBe(wishesBefore);
    expect(count(`SELECT count(*) AS n FROM media`)).toBe(mediaBefore);
  });

  it('keeps a coordinator to the wishes of their own projects', async () => {
    await createScopedCoordinator(ctx.db, 'xiaoji@xiangyi.test', ['xiaoji-kuaipao']);
    const scoped = await signIn(ctx.app, 'xiaoji@xiangyi.test', STAFF_PASSWORD);
    const own = wishNamed('小石头'); // 小鸡快跑
    const other = wishNamed('小花'); // 扶贫先扶志
    const list = await scoped.get('/coordinator/wishes');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`data-wish-id="${own.id}"`);
    expect(list.body).not.toContain(`data-wish-id="${other.id}"`);
    expect((await scoped.get(`/coordinator/wishes/${other.id}`)).statusCode).toBe(404);
    expect(
      (await postMultipart(ctx.app, scoped, `/coordinator/wishes/${other.id}/deliver`, { note: 'x' }, await jpegPhoto(), '/coordinator/wishes')).statusCode,
    ).toBe(404);
    // Posting into a project outside their scope is refused on the form.
    const res = await postMultipart(
      ctx.app,
      scoped,
      '/coordinator/wishes',
      fields({ projectId: String(other.projectId) }),
      undefined,
      '/coordinator/wishes/new',
    );
    expect(res.statusCode).toBe(422);
    expect(fieldError(res.body, 'projectId')).not.toBeNull();
    // Other roles are not let in at all.
    const secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    expect((await secretary.get('/coordinator/wishes')).statusCode).toBe(403);
  });
});

describe('claiming a wish', () => {
  it('lets exactly one of two donors racing over real HTTP claim it; the other is told it was just claimed', async () => {
    const live = await startLiveServer();
    const agent = new Agent({ connections: 4 });
    try {
      const wishId = (live.db.sqlite.prepare(`SELECT id FROM wishes WHERE child_name = '小军'`).get() as { id: number }).id;
      // Each donor opens the wish page in their own browser (cookies and form token), then both press "claim" at once.
      const donors = await Promise.all(
        ['林晓', '王芳'].map(async (name) => {
          const page = await request(`${live.url}/wishes/${wishId}`, { dispatcher: agent });
          const cookies = ([] as string[])
            .concat(page.headers['set-cookie'] ?? [])
            .map((c) => c.split(';')[0])
            .join('; ');
          const token = csrfTokenIn(await page.body.text());
          expect(token).not.toBeNull();
          return { name, cookies, token: token! };
        }),
      );
      const answers = await Promise.all(
        donors.map((d) =>
          request(`${live.url}/wishes/${wishId}/claim`, {
            method: 'POST',
            dispatcher: agent,
            headers: { cookie: d.cookies, 'content-type': 'application/x-www-form-urlencoded' },
            body: encodeForm({ _csrf: d.token, name: d.name, phone: '13800138000', paymentMethod: 'offline' }),
          }).then(async (r) => ({ status: r.statusCode, location: r.headers.location, body: await r.body.text() })),
        ),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([303, 409]);
      const loser = answers.find((a) => a.status === 409)!;
      expect(loser.body).toContain('小军的心愿刚刚已被另一位爱心人士认领了');
      const winner = answers.find((a) => a.status === 303)!;
      expect(String(winner.location)).toMatch(ORDER_URL);

      const wish = live.db.sqlite.prepare(`SELECT status, order_id AS orderId FROM wishes WHERE id = ?`).get(wishId) as { status: string; orderId: number };
      expect(wish.status).toBe('claimed');
      // One order for the wish, none left behind by the loser.
      const orders = live.db.sqlite.prepare(`SELECT id, total_fen AS totalFen, shipping_fen AS shippingFen FROM orders`).all() as {
        id: number;
        totalFen: number;
        shippingFen: number;
      }[];
      expect(orders).toEqual([{ id: wish.orderId, totalFen: 28000, shippingFen: 0 }]);
    } finally {
      await agent.close();
      await live.close();
    }
  });

  it('shows the donor the bank instructions and the wish; once paid, all of it is in the project fund and nothing reaches households', async () => {
    const wish = wishNamed('小花');
    const donor = anonymous(ctx.app);
    const order = await claim(donor, wish.id);
    expect(wishById(wish.id)).toMatchObject({ status: 'claimed' });

    const page = await donor.get(order.url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('谢谢你认领了小花的心愿！');
    expect(page.body).toContain('中国农业银行深圳福田支行');
    expect(page.body).toContain(`<strong>${order.number}</strong>`);
    expect(page.body).toContain('小花（8 岁）的心愿：新书包，¥120.00');
    expect(page.body).toContain('data-total>¥120.00');

    // The wish's board entry moves out of the open list.
    expect(openIdsOnBoard((await anonymous(ctx.app).get('/wishes')).body)).not.toContain(wish.id);

    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.get('/coordinator')).body).toContain(order.number);
    const paid = await coordinator.post(`/coordinator/orders/${order.number}/mark-paid`, { reference: 'ABC-20251101' }, { csrfFrom: '/coordinator' });
    expect(paid.statusCode).toBe(303);

    const row = get<{ id: number; status: string }>(`SELECT id, status FROM orders WHERE number = ?`, order.number);
    expect(row.status).toBe('paid');
    expect(wishById(wish.id)).toMatchObject({ status: 'paid', orderId: row.id });
    const entries = entriesOfOrder(row.id);
    expect(entries).toEqual([
      { code: 'clearing:bank', amountFen: 12000 },
      { code: `project:${wish.projectId}`, amountFen: -12000 },
    ]);
    expect(entries.some((e) => e.code.startsWith('household:'))).toBe(false);
    await expectLedgerSound(ctx.db);

    const after = await donor.get(order.url);
    expect(after.body).toContain('¥120.00 进入');
    expect(after.body).toContain('已付款，正在采购');
  });

  it('opens the wish again when an unpaid claim expires, and another donor can claim it', async () => {
    const wish = wishNamed('小石头');
    const first = await claim(anonymous(ctx.app), wish.id);
    const orders = ordersService();
    ctx.clock.advance(72 * HOUR + 60_000);
    expect(await orders.expireDue()).toBe(1);
    expect(get<{ status: string }>(`SELECT status FROM orders WHERE number = ?`, first.number).status).toBe('cancelled');
    expect(wishById(wish.id)).toMatchObject({ status: 'open', orderId: null });
    expect(openIdsOnBoard((await anonymous(ctx.app).get('/wishes')).body)).toContain(wish.id);

    const second = await claim(anonymous(ctx.app), wish.id, { ...DONOR, name: '王芳' });
    expect(second.number).not.toBe(first.number);
    expect(wishById(wish.id).status).toBe('claimed');
    // Expiry never posted anything.
    expect(count(`SELECT count(*) AS n FROM ledger_transactions`)).toBe(0);
  });

  it('lets a browser, a phone number and an address each hold only so many unpaid claims, so one donor cannot take every wish', async () => {
    const open = openIdsOnBoard((await anonymous(ctx.app).get('/wishes')).body);
    expect(open.length).toBeGreaterThanOrEqual(4);
    const HOARDER = '203.0.113.66';
    const claimAs = (donor: TestBrowser, wishId: number, phone: string) =>
      donor.post(`/wishes/${wishId}/claim`, { ...DONOR, phone }, { csrfFrom: `/wishes/${wishId}` });
    const refusal = '这个浏览器、手机号或网络地址认领的心愿还没有付款。请先完成那笔捐款，或等它到期释放后，再认领新的心愿。';

    const hoarder = anonymous(ctx.app, { remoteAddress: HOARDER });
    await claim(hoarder, open[0]!, { ...DONOR, phone: '13700001001' });
    // The same browser with another phone, and the same phone from another browser elsewhere: refused.
    for (const attempt of [
      claimAs(hoarder, open[1]!, '13700001002'),
      claimAs(anonymous(ctx.app, { remoteAddress: '198.51.100.5' }), open[1]!, '13700001001'),
    ]) {
      const refused = await attempt;
      expect(refused.statusCode).toBe(409);
      expect(refused.body).toContain(refusal);
    }
    // A second browser and phone at that address (a family may share a connection) may claim one more, then no more.
    await claim(anonymous(ctx.app, { remoteAddress: HOARDER }), open[1]!, { ...DONOR, phone: '13700001003' });
    expect((await claimAs(anonymous(ctx.app, { remoteAddress: HOARDER }), open[2]!, '13700001004')).statusCode).toBe(409);
    expect(count(`SELECT count(*) AS n FROM orders`)).toBe(2);

    // A donor elsewhere still finds open wishes.
    await claim(anonymous(ctx.app, { remoteAddress: '198.51.100.9' }), open[2]!, { ...DONOR, phone: '13700001009' });
    expect(openIdsOnBoard((await anonymous(ctx.app).get('/wishes')).body)).toHaveLength(open.length - 3);
  });

  it(`releases an unpaid bank-transfer claim after ${WISH_CLAIM_HOLD_HOURS} hours: the wish is open again`, async () => {
    const wish = wishNamed('阿兰');
    const first = await claim(anonymous(ctx.app), wish.id);
    const orders = ordersService();
    ctx.clock.advance(WISH_CLAIM_HOLD_HOURS * HOUR - 60_000);
    expect(await orders.expireDue()).toBe(0);
    expect(wishById(wish.id).status).toBe('claimed');
    ctx.clock.advance(2 * 60_000);
    expect(await orders.expireDue()).toBe(1);
    expect(get<{ status: string }>(`SELECT status FROM orders WHERE number = ?`, first.number).status).toBe('cancelled');
    expect(wishById(wish.id)).toMatchObject({ status: 'open', orderId: null });
  });

  it('opens the wish again when the donor cancels their unpaid claim', async () => {
    const wish = wishNamed('丫丫');
    const donor = anonymous(ctx.app);
    const order = await claim(donor, wish.id);
    const cancelled = await donor.post(`/orders/${order.number}/cancel`, { token: order.token }, { csrfFrom: order.url });
    expect(cancelled.statusCode).toBe(303);
    expect(wishById(wish.id)).toMatchObject({ status: 'open', orderId: null });
  });

  it('re-renders the claim form with field messages and what was typed; nothing is written', async () => {
    const wish = wishNamed('阿兰');
    const res = await anonymous(ctx.app).post(
      `/wishes/${wish.id}/claim`,
      { name: '林晓', phone: '12345', paymentMethod: 'offline' },
      { csrfFrom: `/wishes/${wish.id}` },
    );
    expect(res.statusCode).toBe(422);
    expect(fieldError(res.body, 'phone')).toBe('请输入 11 位手机号，以 1 开头。');
    expect(fieldValue(res.body, 'name')).toBe('林晓');
    expect(fieldValue(res.body, 'phone')).toBe('12345');
    // Stripe is not configured in this app: online payment is refused on the form.
    const online = await anonymous(ctx.app).post(`/wishes/${wish.id}/claim`, { ...DONOR, paymentMethod: 'stripe' }, { csrfFrom: `/wishes/${wish.id}` });
    expect(online.statusCode).toBe(422);
    expect(count(`SELECT count(*) AS n FROM orders`)).toBe(0);
    expect(wishById(wish.id).status).toBe('open');
  });
});

describe('delivering a wish', () => {
  it('is confirmed with a photo once paid, and the donor sees the photo and the note on their order page', async () => {
    const wish = wishNamed('小花');
    const donor = anonymous(ctx.app);
    const order = await claim(donor, wish.id);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const consolePage = `/coordinator/wishes/${wish.id}`;

    // Not before the money is in.
    const early = await postMultipart(ctx.app, coordinator, `/coordinator/wishes/${wish.id}/deliver`, { note: '已送到' }, await jpegPhoto(), consolePage);
    expect(early.statusCode).toBe(409);
    expect(wishById(wish.id).status).toBe('claimed');

    expect((await coordinator.post(`/coordinator/orders/${order.number}/mark-paid`, { reference: 'ABC-1' }, { csrfFrom: '/coordinator' })).statusCode).toBe(
      303,
    );
    const form = await coordinator.get(consolePage);
    expect(form.body).toContain('确认已送到孩子手上');

    // A photo is required.
    const noPhoto = await postMultipart(
      ctx.app,
      coordinator,
      `/coordinator/wishes/${wish.id}/deliver`,
      { note: '书包已经送到小花手上' },
      undefined,
      consolePage,
    );
    expect(noPhoto.statusCode).toBe(422);
    expect(fieldError(noPhoto.body, 'photo')).toBe('请上传一张送达的照片。');
    expect(noPhoto.body).toContain('书包已经送到小花手上');

    const done = await postMultipart(
      ctx.app,
      coordinator,
      `/coordinator/wishes/${wish.id}/deliver`,
      { note: '书包已经送到小花手上，她说谢谢！' },
      await jpegPhoto('photo', '#2f6b3a'),
      consolePage,
    );
    expect(done.statusCode, done.body.slice(0, 300)).toBe(303);
    expect(wishById(wish.id).status).toBe('delivered');

    const page = await donor.get(order.url);
    expect(page.body).toContain('心愿已送达');
    expect(page.body).toContain('书包已经送到小花手上，她说谢谢！');
    const src = /<img src="(\/wishes\/\d+\/delivery-photo\?token(?:=|&#x3D;)[^"]+)"/.exec(page.body)?.[1];
    expect(src).toBeDefined();
    const photo = await donor.get(src!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'));
    expect(photo.statusCode).toBe(200);
    expect(photo.headers['content-type']).toBe('image/webp');
    // Without the donor's link (and without consent to show photos) nobody else sees it.
    expect((await anonymous(ctx.app).get(`/wishes/${wish.id}/delivery-photo`)).statusCode).toBe(404);
    expect((await anonymous(ctx.app).get(`/wishes/${wish.id}/delivery-photo?token=wrong`)).statusCode).toBe(404);
    // The public page says the wish came true.
    expect((await anonymous(ctx.app).get(`/wishes/${wish.id}`)).body).toContain('这个心愿已经实现了');
    await expectLedgerSound(ctx.db);
  });
});

describe('paying a wish online', () => {
  it('sends the donor to Stripe Checkout for the wish amount; the verified webhook pays it into the project fund', async () => {
    const fake = await startFakeStripe();
    const stripeCtx = await createTestApp({ env: fake.env, stripe: fake.client });
    try {
      const wishId = (stripeCtx.db.sqlite.prepare(`SELECT id FROM wishes WHERE child_name = '小军'`).get() as { id: number }).id;
      const projectId = (stripeCtx.db.sqlite.prepare(`SELECT project_id AS id FROM wishes WHERE id = ?`).get(wishId) as { id: number }).id;
      const donor = anonymous(stripeCtx.app);
      const res = await donor.post(`/wishes/${wishId}/claim`, { ...DONOR, paymentMethod: 'stripe' }, { csrfFrom: `/wishes/${wishId}` });
      expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
      const orderId = (stripeCtx.db.sqlite.prepare(`SELECT order_id AS id FROM wishes WHERE id = ?`).get(wishId) as { id: number }).id;
      const session = fake.sessionOfOrder(orderId)!;
      expect(res.headers.location).toBe(session.url);
      expect(session.amountFen).toBe(28000);

      const event = fake.event('checkout.session.completed', fake.session(session.id));
      const hook = await stripeCtx.app.inject({
        method: 'POST',
        url: '/webhooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
        payload: event.payload,
      });
      expect(hook.statusCode).toBe(200);
      const wish = stripeCtx.db.sqlite.prepare(`SELECT status FROM wishes WHERE id = ?`).get(wishId) as { status: string };
      expect(wish.status).toBe('paid');
      const fund = stripeCtx.db.sqlite
        .prepare(`SELECT coalesce(sum(e.amount_fen), 0) AS b FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.code = ?`)
        .get(`project:${projectId}`) as { b: number };
      expect(fund.b).toBe(-28000);
      await expectLedgerSound(stripeCtx.db);
    } finally {
      await stripeCtx.close();
      await fake.close();
    }
  });
});
