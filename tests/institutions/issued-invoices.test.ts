import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { jpegPhoto, postMultipart, type FilePart } from '../helpers/multipart.js';
import { createScopedCoordinator, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Invoices end to end: the organisation's 发票 request is recorded by a coordinator of the order's
 * project as issued (number, date, the invoice file), and the organisation sees its status and
 * downloads the file; no other organisation, and no coordinator outside the project, does.
 */

const ORG_BUYER = 'org@xiangyi.test';
const BUYER = 'buyer@xiangyi.test';
const GULOU = 'secretary.gulou@xiangyi.test';
const COORDINATOR = 'coordinator@xiangyi.test';
const DAY = 24 * 3_600_000;
const ADDRESS = { name: '工会采购员', phone: '13900139000', province: '广东省', city: '深圳市', district: '福田区', address: '福华三路 88 号' };
const INVOICE = { invoiceTitle: '深圳市福田区总工会', taxNumber: '81440304MC0A1B2C3J' };
const PDF: FilePart = { name: 'file', filename: 'fapiao.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4\n% 发票 test\n%%EOF\n') };

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const dayFromNow = (days: number) => new Date(ctx.clock.now + days * DAY + 8 * 3_600_000).toISOString().slice(0, 10);

/** The trade union asks for a quote on 土瑶茶, the secretary answers, the union accepts with an invoice request; answers the order number. */
async function orderWithInvoiceRequest(org: TestBrowser): Promise<string> {
  const asked = await org.post('/products/tuyao-tea/quote', { quantity: '120', note: '中秋慰问品' });
  expect(asked.statusCode, asked.body.slice(0, 300)).toBe(303);
  const id = get<{ id: number }>(`SELECT max(id) AS id FROM quotes`).id;
  const secretary = await signIn(ctx.app, GULOU);
  expect((await secretary.post(`/secretary/quotes/${id}/answer`, { unitPrice: '480', validUntil: dayFromNow(7) })).statusCode).toBe(303);
  const accepted = await org.post(`/account/organization/quotes/${id}/accept`, { ...ADDRESS, ...INVOICE });
  expect(accepted.statusCode, accepted.body.slice(0, 300)).toBe(303);
  return /^\/orders\/(XY-[0-9]{8}-[0-9]{4,6})/.exec(String(accepted.headers.location))![1]!;
}

const record = (browser: TestBrowser, number: string, fields: Record<string, string>, file?: FilePart) =>
  postMultipart(ctx.app, browser, `/coordinator/invoices/${number}`, fields, file, `/coordinator/invoices/${number}`);

describe('issued invoices', () => {
  it('records the issued invoice against the request and shows the organisation its status and file', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const number = await orderWithInvoiceRequest(org);
    const before = await org.get('/account/organization');
    expect(before.body).toContain('data-invoice-issued="no"');
    expect(before.body).toContain('待开具');

    const coordinator = await signIn(ctx.app, COORDINATOR);
    const list = await coordinator.get('/coordinator/invoices');
    expect(list.body).toContain(`href="/coordinator/invoices/${number}"`);
    const form = await coordinator.get(`/coordinator/invoices/${number}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('enctype="multipart/form-data"');
    const saved = await record(coordinator, number, { invoiceNumber: '24442000000012345678', invoiceDate: '2026-11-20' }, PDF);
    expect(saved.statusCode, saved.body.slice(0, 400)).toBe(303);

    const row = get<{ invoiceNumber: string; contentType: string; issuedBy: number }>(
      `SELECT r.invoice_number AS invoiceNumber, m.content_type AS contentType, r.issued_by_user_id AS issuedBy
       FROM invoice_requests r JOIN media m ON m.id = r.invoice_media_id JOIN orders o ON o.id = r.order_id WHERE o.number = ?`,
      number,
    );
    expect(row).toMatchObject({ invoiceNumber: '24442000000012345678', contentType: 'application/pdf' });
    const audit = get<{ summary: string; userId: number }>(
      `SELECT summary, user_id AS userId FROM audit_log WHERE action = 'invoice.issue' AND entity_id = ?`,
      number,
    );
    expect(audit.summary).toContain('24442000000012345678');
    expect(audit.userId).toBe(row.issuedBy);

    const page = await org.get('/account/organization');
    expect(page.body).toContain('data-invoice-issued="yes"');
    expect(page.body).toContain('已开具：24442000000012345678（2026-11-20）');
    const download = await org.get(`/account/organization/invoices/${number}/file`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-disposition']).toBe(`attachment; filename="invoice-${number}.pdf"`);
    expect(download.rawPayload.equals(PDF.data)).toBe(true);
    expect((await org.get('/account/organization?lang=en')).body).toContain('Issued: 24442000000012345678 (2026-11-20)');
    expect((await coordinator.get(`/coordinator/invoices/${number}/file`)).statusCode).toBe(200);

    // A photo of a paper invoice is re-encoded like other uploads, and replaces the earlier record.
    const photo = await record(coordinator, number, { invoiceNumber: 'FP-2', invoiceDate: '2026-11-21' }, await jpegPhoto('file'));
    expect(photo.statusCode).toBe(303);
    expect((await org.get(`/account/organization/invoices/${number}/file`)).headers['content-type']).toBe('image/webp');
  });

  it('shows and serves the invoice to no other organisation and no coordinator outside the order’s project', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const number = await orderWithInvoiceRequest(org);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await record(coordinator, number, { invoiceNumber: 'FP-1', invoiceDate: '2026-11-20' }, PDF)).statusCode).toBe(303);

    const other = await signIn(ctx.app, BUYER);
    const registered = await other.post('/account/organization', {
      name: '深圳某科技公司工会',
      creditCode: '91440300MA5F000007',
      invoiceTitle: '深圳某科技公司工会',
      taxNumber: '91440300MA5F000007',
    });
    expect(registered.statusCode).toBe(303);
    expect((await other.get('/account/organization')).body).not.toContain(number);
    expect((await other.get(`/account/organization/invoices/${number}/file`)).statusCode).toBe(404);

    const teaProject = get<{ id: number }>(`SELECT project_id AS id FROM products WHERE slug = 'tuyao-tea'`).id;
    const elsewhere = get<{ slug: string }>(`SELECT slug FROM projects WHERE id <> ? ORDER BY id LIMIT 1`, teaProject).slug;
    await createScopedCoordinator(ctx.db, 'elsewhere@xiangyi.test', [elsewhere]);
    const outside = await signIn(ctx.app, 'elsewhere@xiangyi.test', STAFF_PASSWORD);
    expect((await outside.get(`/coordinator/invoices/${number}`)).statusCode).toBe(404);
    expect((await outside.get(`/coordinator/invoices/${number}/file`)).statusCode).toBe(404);
    const refused = await record(outside, number, { invoiceNumber: 'FP-X', invoiceDate: '2026-11-20' }, PDF);
    expect(refused.statusCode).toBe(404);
    expect(get<{ n: string }>(`SELECT invoice_number AS n FROM invoice_requests r JOIN orders o ON o.id = r.order_id WHERE o.number = ?`, number).n).toBe(
      'FP-1',
    );
  });

  it('refuses bad input with field messages and keeps what was typed', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const number = await orderWithInvoiceRequest(org);
    const coordinator = await signIn(ctx.app, COORDINATOR);

    const noFile = await record(coordinator, number, { invoiceNumber: 'FP-1', invoiceDate: '2026-11-20' });
    expect(noFile.statusCode).toBe(422);
    expect(noFile.body).toContain('请上传发票文件（PDF 或照片）。');
    expect(noFile.body).toContain('value="FP-1"');
    const badNumber = await record(coordinator, number, { invoiceNumber: '=1+1', invoiceDate: '2026-02-30' }, PDF);
    expect(badNumber.statusCode).toBe(422);
    expect(badNumber.body).toContain('发票号码只能包含数字、字母和连字符。');
    expect(badNumber.body).toContain('开票日期有误');
    const text: FilePart = { name: 'file', filename: 'x.html', contentType: 'text/html', data: Buffer.from('<script>alert(1)</script>') };
    const badFile = await record(coordinator, number, { invoiceNumber: 'FP-1', invoiceDate: '2026-11-20' }, text);
    expect(badFile.statusCode).toBe(422);
    expect(badFile.body).toContain('只能上传 PDF、JPEG、PNG 或 WebP 文件。');
    expect((await coordinator.get('/coordinator/invoices/XY-20000101-0001')).statusCode).toBe(404);
    expect((await org.get(`/account/organization/invoices/${number}/file`)).statusCode).toBe(404);

    const { payload, contentType } = (await import('../helpers/multipart.js')).multipartBody({ invoiceNumber: 'FP-1', invoiceDate: '2026-11-20' }, PDF);
    const noCsrf = await ctx.app.inject({
      method: 'POST',
      url: `/coordinator/invoices/${number}`,
      headers: { 'content-type': contentType },
      payload,
      cookies: { ...coordinator.cookies },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM audit_log WHERE action = 'invoice.issue'`).n).toBe(0);
  });
});
