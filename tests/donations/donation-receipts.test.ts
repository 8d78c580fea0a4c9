import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { rowOf, rowsOf } from '../helpers/db-query.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { sql } from 'drizzle-orm';

/**
 * Donation receipts (捐赠票据): a paid micro-wish donation gets a numbered receipt in the same
 * transaction; the donor and the project's coordinators download it as a PDF, nobody else does; the
 * coordinator lists a period's receipts as CSV; a purchase of goods is told it is not a donation.
 */

const COORDINATOR = 'coordinator@xiangyi.test';
const ORDER_URL = /^\/orders\/(XY-\d{8}-\d{4})\?token=([A-Za-z0-9_-]+)$/;
const RECEIPT_NUMBER = /^JZ-(\d{4})-(\d{6})$/;

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

interface OpenWish {
  id: number;
  projectId: number;
  amountFen: number;
  childName: string;
}
const openWishes = () =>
  rowsOf<OpenWish>(
    ctx.db,
    sql`SELECT id, project_id AS "projectId", amount_fen AS "amountFen", child_name AS "childName" FROM wishes WHERE status = 'open' ORDER BY id`,
  );
const projectSlugOf = async (id: number) => (await rowOf<{ slug: string }>(ctx.db, sql`SELECT slug FROM projects WHERE id = ${id}`))!.slug;

/** A visitor claims a wish by bank transfer; answers the donor's browser and the order link. */
async function claim(wishId: number, name: string, phone: string) {
  const donor = anonymous(ctx.app, { remoteAddress: `10.0.0.${wishId}` });
  const res = await donor.post(`/wishes/${wishId}/claim`, { name, phone, paymentMethod: 'offline' }, { csrfFrom: `/wishes/${wishId}` });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  const match = ORDER_URL.exec(String(res.headers.location))!;
  return { donor, number: match[1]!, token: decodeURIComponent(match[2]!), url: String(res.headers.location) };
}

async function markPaid(coordinator: TestBrowser, number: string) {
  const paid = await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: `BANK-${number}` }, { csrfFrom: '/coordinator' });
  expect(paid.statusCode, paid.body.slice(0, 300)).toBe(303);
}

interface ReceiptRow {
  number: string;
  sequence: number;
  donorName: string;
  amountFen: number;
  projectId: number;
}
const receiptOfOrder = (number: string) =>
  rowOf<ReceiptRow>(
    ctx.db,
    sql`SELECT r.number, r.sequence, r.donor_name AS "donorName", r.amount_fen AS "amountFen", r.project_id AS "projectId"
        FROM donation_receipts r JOIN orders o ON o.id = r.order_id WHERE o.number = ${number}`,
  );

describe('donation receipts', () => {
  it('issues a numbered receipt when a wish donation is paid, with the donor’s name as given, amount and project', async () => {
    const [wish] = await openWishes();
    const order = await claim(wish!.id, '=林晓 (公司)', '13800138001');
    expect(await receiptOfOrder(order.number)).toBeUndefined();

    const coordinator = await signIn(ctx.app, COORDINATOR);
    await markPaid(coordinator, order.number);

    const receipt = (await receiptOfOrder(order.number))!;
    expect(receipt.number).toMatch(RECEIPT_NUMBER);
    expect(receipt).toMatchObject({ sequence: 1, donorName: '=林晓 (公司)', amountFen: wish!.amountFen, projectId: wish!.projectId });
    expect(receipt.number.endsWith('-000001')).toBe(true);

    // The donor's order page shows it and links the PDF with the order's token.
    const page = await order.donor.get(order.url);
    expect(page.body).toContain(`data-donation-receipt="${receipt.number}"`);
    expect(page.body).toContain(`/donation-receipts/${receipt.number}/receipt.pdf?token&#x3D;`);
    expect(page.body).not.toContain('data-not-donation');
  });

  it('numbers two donations paid at once consecutively, each once, and a replayed payment keeps its receipt', async () => {
    const [a, b] = await openWishes();
    const first = await claim(a!.id, '甲', '13800138002');
    const second = await claim(b!.id, '乙', '13800138003');
    const one = await signIn(ctx.app, COORDINATOR);
    const two = await signIn(ctx.app, COORDINATOR);
    await Promise.all([markPaid(one, first.number), markPaid(two, second.number)]);

    const sequences = [(await receiptOfOrder(first.number))!.sequence, (await receiptOfOrder(second.number))!.sequence].sort();
    expect(sequences).toEqual([1, 2]);
    // Paying again changes nothing: no second receipt, no new number.
    const again = await one.post(`/coordinator/orders/${first.number}/mark-paid`, { reference: 'AGAIN' }, { csrfFrom: '/coordinator' });
    expect(again.statusCode).toBeLessThan(500);
    expect((await rowOf<{ n: number }>(ctx.db, sql`SELECT count(*) AS n FROM donation_receipts`))!.n).toBe(2);
    expect((await rowOf<{ n: number }>(ctx.db, sql`SELECT last_number AS n FROM donation_receipt_counters`))!.n).toBe(2);
  });

  it('gives no donation receipt for a purchase of goods, and tells the buyer so in both languages', async () => {
    const buyer = anonymous(ctx.app);
    const product = await buyer.get('/products/meiyaogou-honey');
    const productId = /name="productId" value="(\d+)"/.exec(product.body)![1]!;
    await buyer.post('/cart/items', { productId, quantity: '1' }, { csrfFrom: '/products/meiyaogou-honey' });
    const cart = await buyer.get('/cart');
    expect(cart.body).toContain('data-not-donation');
    expect(cart.body).toContain('购买商品不是捐赠，不开具捐赠票据');
    const cartEn = await buyer.get('/cart?lang=en');
    expect(cartEn.body).toContain('Buying goods is not a donation and gets no donation receipt');
    expect((await buyer.get('/checkout')).body).toContain('data-not-donation');

    const paid = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    expect(await receiptOfOrder(paid.number)).toBeUndefined();
    const code = (await rowOf<{ code: string }>(ctx.db, sql`SELECT receipt_code AS code FROM orders WHERE number = ${paid.number}`))!.code;
    expect((await anonymous(ctx.app).get(`/receipts/${code}`)).body).toContain('data-not-donation');
  });

  it('serves the PDF to the donor and the project’s coordinators, and “not found” to anyone else', async () => {
    const wishes = await openWishes();
    const wish = wishes[0]!;
    const order = await claim(wish.id, '林晓', '13800138004');
    await markPaid(await signIn(ctx.app, COORDINATOR), order.number);
    const { number } = (await receiptOfOrder(order.number))!;
    const url = `/donation-receipts/${number}/receipt.pdf`;

    const byDonor = await order.donor.get(`${url}?token=${encodeURIComponent(order.token)}`);
    expect(byDonor.statusCode).toBe(200);
    expect(byDonor.headers['content-type']).toBe('application/pdf');
    expect(byDonor.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect(byDonor.headers['cache-control']).toContain('no-store');

    await expect((await signIn(ctx.app, COORDINATOR)).get(url).then((r) => r.statusCode)).resolves.toBe(200);
    expect((await anonymous(ctx.app).get(url)).statusCode).toBe(404);
    expect((await anonymous(ctx.app).get(`${url}?token=wrong-token`)).statusCode).toBe(404);
    expect((await anonymous(ctx.app).get('/donation-receipts/JZ-2026-999999/receipt.pdf')).statusCode).toBe(404);
    // A buyer signed in who is not the donor, and a coordinator of another project only.
    await expect((await signIn(ctx.app, 'buyer@xiangyi.test')).get(url).then((r) => r.statusCode)).resolves.toBe(404);
    const otherProject = (await rowOf<{ slug: string }>(ctx.db, sql`SELECT slug FROM projects WHERE id <> ${wish.projectId} ORDER BY id LIMIT 1`))!.slug;
    await createScopedCoordinator(ctx.db, 'other.coordinator@xiangyi.test', [otherProject]);
    const other = await signIn(ctx.app, 'other.coordinator@xiangyi.test', STAFF_PASSWORD);
    expect((await other.get(url)).statusCode).toBe(404);
    const scoped = await createScopedCoordinator(ctx.db, 'same.coordinator@xiangyi.test', [await projectSlugOf(wish.projectId)]);
    expect(scoped).toBeGreaterThan(0);
    expect((await (await signIn(ctx.app, 'same.coordinator@xiangyi.test', STAFF_PASSWORD)).get(url)).statusCode).toBe(200);
  });

  it('lists a period’s receipts for the coordinator as CSV, only their projects’, with formulas made inert, and audits it', async () => {
    const wishes = await openWishes();
    const a = wishes[0]!;
    const b = wishes.find((w) => w.projectId !== a.projectId)!;
    const first = await claim(a.id, '=HYPERLINK("http://x")', '13800138005');
    const second = await claim(b.id, '王芳', '13800138006');
    const coordinator = await signIn(ctx.app, COORDINATOR);
    await markPaid(coordinator, first.number);
    await markPaid(coordinator, second.number);

    const list = await coordinator.get('/coordinator/donation-receipts');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('data-donation-receipts');
    const csv = await coordinator.get('/coordinator/donation-receipts.csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('票据编号,捐赠日期,捐赠人,金额（元）,受赠项目,订单号,订单状态');
    expect(lines).toHaveLength(3);
    expect(csv.body).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv.body).toContain(`王芳,${(b.amountFen / 100).toFixed(2)}`);
    expect(lines.every((l, i) => i === 0 || l.endsWith(',已付款'))).toBe(true);
    expect((await rowOf<{ n: number }>(ctx.db, sql`SELECT count(*) AS n FROM audit_log WHERE action = 'donation_receipt.export'`))!.n).toBe(1);

    await createScopedCoordinator(ctx.db, 'scoped.coordinator@xiangyi.test', [await projectSlugOf(b.projectId)]);
    const scoped = await signIn(ctx.app, 'scoped.coordinator@xiangyi.test', STAFF_PASSWORD);
    const scopedCsv = (await scoped.get('/coordinator/donation-receipts.csv')).body;
    expect(scopedCsv).toContain(second.number);
    expect(scopedCsv).not.toContain(first.number);

    expect((await coordinator.get('/coordinator/donation-receipts.csv?from=2026-13-01')).statusCode).toBe(400);
    expect((await coordinator.get('/coordinator/donation-receipts?from=2026-05-02&to=2026-05-01')).statusCode).toBe(400);
    expect((await anonymous(ctx.app).get('/coordinator/donation-receipts.csv')).statusCode).toBe(303);
    await expect((await signIn(ctx.app, 'buyer@xiangyi.test')).get('/coordinator/donation-receipts.csv').then((r) => r.statusCode)).resolves.toBe(403);
  });
});
