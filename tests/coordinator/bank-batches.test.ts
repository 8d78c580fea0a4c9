import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLedger } from '../../src/ledger/ledger-service.js';
import { formatDate } from '../../src/time.js';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { multipartBody, postMultipart } from '../helpers/multipart.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, householdIdOf, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Bank batches (批量代发) in the coordinator's console: the day's bank-transfer payouts to send, the
 * batch file (audited, in scope), and the bank's returned statement applied all or nothing, failed
 * transfers recorded and sent again later. 王秀兰 (honey, 煤窑沟产业扶贫) and 覃美玲 (shiitake,
 * 深贺协作) have the demo seed's bank accounts.
 */

let ctx: TestContext;
let coordinator: TestBrowser;
let wang: number;
let qin: number;
let today: string;

beforeEach(async () => {
  ctx = await createTestApp();
  coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
  wang = await householdIdOf(ctx.db, '王秀兰');
  qin = await householdIdOf(ctx.db, '覃美玲');
  today = formatDate(ctx.clock.now);
  await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
  await placePaidOrder(ctx, [{ slug: 'gulou-shiitake', quantity: 2 }]);
});

afterEach(async () => {
  expect((await checkLedger(ctx.db)).problems).toEqual([]);
  await ctx.close();
});

const db = () => ctx.db.sqlite;
const accountOf = (householdId: number) => db().prepare('SELECT bank_account_no FROM households WHERE id = ?').pluck().get(householdId) as string;
const reference = (payoutId: number) => `XYP${String(payoutId).padStart(8, '0')}`;
const confirmations = () =>
  db().prepare('SELECT payout_id AS payoutId, outcome, bank_status AS status FROM payout_bank_confirmations ORDER BY id').all() as {
    payoutId: number;
    outcome: string;
    status: string;
  }[];

async function bankPayout(householdId: number, amount: string, browser = coordinator, method = 'bank_transfer'): Promise<number> {
  const response = await browser.post(
    '/coordinator/payouts',
    { householdId: String(householdId), amount, method, reference: '', paidOn: today },
    { csrfFrom: '/coordinator' },
  );
  expect(response.statusCode).toBe(303);
  return db().prepare('SELECT max(id) FROM payouts').pluck().get() as number;
}

const downloadFile = (payoutIds: number[], browser = coordinator, day = today) =>
  browser.post('/coordinator/bank-batches/file', { day, payout: payoutIds.map(String) }, { csrfFrom: '/coordinator/bank-batches' });

const statement = (csv: string, browser = coordinator, filename = 'huidan-1206.csv') =>
  postMultipart(
    ctx.app,
    browser,
    '/coordinator/bank-batches/statement',
    { day: today },
    { name: 'statement', filename, contentType: 'text/csv', data: Buffer.from(csv) },
    '/coordinator/bank-batches',
  );
const statementOf = (lines: string[][]) => `业务参考号,处理状态,金额（元）\r\n${lines.map((l) => l.join(',')).join('\r\n')}\r\n`;
const mismatches = (html: string) =>
  [...html.matchAll(/<li data-mismatch="([a-z_]+)" data-line="(\d+)">([^<]*)<\/li>/g)].map((m) => [m[1], Number(m[2]), m[3]]);

describe('the day’s batch page', () => {
  it('lists the day’s unpaid bank transfers in words, with masked accounts, ticked for the file, and is in the console’s navigation', async () => {
    const w = await bankPayout(wang, '50.00');
    await bankPayout(qin, '10.00', coordinator, 'cash');
    const page = await coordinator.get('/coordinator/bank-batches');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<a href="/coordinator/bank-batches" aria-current="page">银行批量代发</a>');
    expect(page.body).toContain(`${today} 待发送的付款`);
    const row = new RegExp(`<tr data-batch-payout="${w}">([\\s\\S]*?)</tr>`).exec(page.body)?.[1] ?? '';
    expect(row).toContain(`<input type="checkbox" name="payout" value="${w}" checked`);
    expect(row).toContain('王秀兰');
    expect(row).toContain('中国农业银行登封大冶支行');
    expect(row).toContain(`•••• ${accountOf(wang).slice(-4)}`);
    expect(row).toContain('¥50.00');
    expect(page.body).not.toContain(accountOf(wang));
    expect(page.body).toContain('共 1 笔，合计 ¥50.00');
    // Cash payouts are in no batch.
    expect(page.body.match(/data-batch-payout=/g)).toHaveLength(1);

    const english = await coordinator.get('/coordinator/bank-batches?lang=en');
    expect(english.body).toContain(`Payouts of ${today} to send`);
    expect(english.body).toContain('1 payout, ¥50.00 in all');
  });

  it('answers 400 with the field’s message for a day that is not a date, and 403 to anyone but a coordinator', async () => {
    const bad = await coordinator.get('/coordinator/bank-batches?day=2026-13-45');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('<p class="field-error" id="e-day">请按 2026-12-06 的格式填写日期。</p>');
    const secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    expect((await secretary.get('/coordinator/bank-batches')).statusCode).toBe(403);
  });
});

describe('the batch file', () => {
  it('is the ticked payouts as the bank’s CSV, with the whole account number, and its download is audited', async () => {
    const w = await bankPayout(wang, '50.00');
    const h = await bankPayout(qin, '12.30');
    const response = await downloadFile([w, h]);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="bank-batch-${today}.csv"`);
    expect(response.headers['cache-control']).toBe('private, no-store');
    expect(response.body.split('\r\n')).toEqual([
      '\uFEFF收款人姓名,收款账号,开户行,金额（元）,用途,业务参考号',
      `王秀兰,${accountOf(wang)},中国农业银行登封大冶支行,50.00,乡益农户收益 ${reference(w)},${reference(w)}`,
      `覃美玲,${accountOf(qin)},广西钟山农村信用合作联社回龙信用社,12.30,乡益农户收益 ${reference(h)},${reference(h)}`,
      '',
    ]);
    const audit = db().prepare(`SELECT entity_type AS type, entity_id AS id, summary FROM audit_log WHERE action = 'payout.bank_batch_export'`).all() as {
      type: string;
      id: string;
      summary: string;
    }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ type: 'payout_batch', id: `${today} #${w} #${h}` });
    expect(JSON.parse(audit[0]!.summary).after).toMatchObject({ day: today, payoutIds: [w, h], count: 2, totalFen: 6230 });
  });

  it('is refused without the CSRF token (403), for nothing ticked (422) and for a payout paid meanwhile (409), each writing no audit entry', async () => {
    const w = await bankPayout(wang, '50.00');
    const token = await coordinator.csrfToken('/coordinator/bank-batches');
    const noToken = await coordinator.post('/coordinator/bank-batches/file', { day: today, payout: String(w) }, { withoutCsrf: true });
    expect(noToken.statusCode).toBe(403);
    const none = await coordinator.post('/coordinator/bank-batches/file', { _csrf: token, day: today });
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain('请至少选择一笔付款放入代发文件。');
    expect((await statement(statementOf([[reference(w), '成功', '50.00']]))).statusCode).toBe(200);
    const paid = await downloadFile([w]);
    expect(paid.statusCode).toBe(409);
    expect(paid.body).toContain(`付款 #${w} 不在 ${today} 的待发送付款里`);
    const bad = await coordinator.post('/coordinator/bank-batches/file', { _csrf: token, day: 'yesterday', payout: String(w) });
    expect(bad.statusCode).toBe(400);
    expect(db().prepare(`SELECT count(*) FROM audit_log WHERE action = 'payout.bank_batch_export'`).pluck().get()).toBe(0);
  });

  it('is limited to coordinators in scope: another project’s payout is not listed and is 404, one partly another project’s money 403', async () => {
    const h = await bankPayout(qin, '12.30');
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-eggs', quantity: 2 }]);
    // ¥129.20 of honey and ¥16.20 of eggs (扶贫先扶志): paying ¥140 takes both projects’ money.
    const w = await bankPayout(wang, '140.00');
    await createScopedCoordinator(ctx.db, 'honey@xiangyi.test', ['meiyaogou-chanye']);
    const honey = await signIn(ctx.app, 'honey@xiangyi.test', STAFF_PASSWORD);
    const page = await honey.get('/coordinator/bank-batches');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('data-batch-payout=');
    expect(page.body).toContain('这一天没有待银行付出的银行转账付款。');
    expect((await downloadFile([h], honey)).statusCode).toBe(404);
    expect((await downloadFile([w], honey)).statusCode).toBe(403);
    expect(db().prepare(`SELECT count(*) FROM audit_log WHERE action = 'payout.bank_batch_export'`).pluck().get()).toBe(0);
  });

  it('leaves out a household without a bank account, saying so', async () => {
    db().prepare('UPDATE households SET bank_account_no = NULL WHERE id = ?').run(qin);
    const h = await bankPayout(qin, '12.30');
    const page = await coordinator.get('/coordinator/bank-batches');
    expect(page.body).toMatch(new RegExp(`<tr data-batch-payout="${h}" data-no-account>[\\s\\S]*?没有登记银行账号，不能放入代发文件`));
    expect(page.body).not.toContain('下载代发文件');
    const refused = await downloadFile([h]);
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(`覃美玲 没有登记银行账号，付款 #${h} 不能放入代发文件。`);
  });
});

describe('the returned statement', () => {
  it('marks the successful lines paid and records the failed ones, whose payouts stay unpaid and go into a later batch, in one audited step', async () => {
    const w = await bankPayout(wang, '50.00');
    const h = await bankPayout(qin, '12.30');
    const response = await statement(
      statementOf([
        [reference(w), '成功', '50.00'],
        [reference(h), '失败：户名不符', '12.30'],
      ]),
    );
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('已记录：1 笔付出成功，1 笔失败。');
    expect(response.body).toMatch(new RegExp(`<tr data-statement-line="2" data-payout="${w}" data-outcome="paid">[\\s\\S]*?王秀兰[\\s\\S]*?¥50.00`));
    expect(response.body).toMatch(new RegExp(`<tr data-statement-line="3" data-payout="${h}" data-outcome="failed">[\\s\\S]*?覃美玲[\\s\\S]*?失败：户名不符`));
    expect(confirmations()).toEqual([
      { payoutId: w, outcome: 'paid', status: '成功' },
      { payoutId: h, outcome: 'failed', status: '失败：户名不符' },
    ]);
    const audit = db().prepare(`SELECT entity_id AS id, summary FROM audit_log WHERE action = 'payout.bank_confirm'`).get() as { id: string; summary: string };
    expect(audit.id).toBe(`huidan-1206.csv #${w} #${h}`);
    expect(JSON.parse(audit.summary).after).toMatchObject({ paidPayoutIds: [w], failedPayoutIds: [h], paidFen: 5000 });

    // Today's batch now holds only the failed one; tomorrow's carries it again, saying why.
    const page = await coordinator.get('/coordinator/bank-batches');
    expect(page.body).not.toContain(`data-batch-payout="${w}"`);
    const tomorrow = formatDate(ctx.clock.now + 24 * 3600_000);
    const later = await coordinator.get(`/coordinator/bank-batches?day=${tomorrow}`);
    expect(later.body).toMatch(new RegExp(`<tr data-batch-payout="${h}">[\\s\\S]*?${today} 的付款，银行曾退回失败（“失败：户名不符”），这次重新发送。`));
    const file = await downloadFile([h], coordinator, tomorrow);
    expect(file.statusCode).toBe(200);
    expect(file.body).toContain(reference(h));
    // Sent again and paid: a second outcome for the same payout, and it leaves the batches.
    expect((await statement(statementOf([[reference(h), 'success', '12.30']]), coordinator, 'huidan-1207.csv')).statusCode).toBe(200);
    expect(confirmations().map((c) => c.outcome)).toEqual(['paid', 'failed', 'paid']);
    expect((await coordinator.get(`/coordinator/bank-batches?day=${tomorrow}`)).body).not.toContain('data-batch-payout=');
  });

  it('refuses the whole statement for any real mismatch, lists every one in words, and records nothing', async () => {
    const w = await bankPayout(wang, '50.00');
    const h = await bankPayout(qin, '12.30');
    const paidBefore = await bankPayout(wang, '5.00');
    expect((await statement(statementOf([[reference(paidBefore), '成功', '5.00']]), coordinator, 'huidan-0.csv')).statusCode).toBe(200);
    const before = confirmations();
    const csv = [
      '业务参考号,处理状态,金额（元）,收款账号',
      `${reference(w)},成功,50.00,6299000000009999`,
      `${reference(h)},成功,12.00,${accountOf(qin)}`,
      `${reference(paidBefore)},成功,5.00,`,
      'XYP99999999,成功,1.00,',
      `${reference(w)},失败,50.00,`,
      '',
    ].join('\r\n');
    const response = await statement(csv);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('这份回单有 5 行对不上，整份都没有记录。');
    expect(mismatches(response.body)).toEqual([
      ['account_differs', 2, `第 2 行：${reference(w)} 付进的账号（…9999）和农户登记的账号（…${accountOf(wang).slice(-4)}）不同。`],
      ['amount_differs', 3, `第 3 行：${reference(h)} 的金额是 ¥12.00，付款记录是 ¥12.30。`],
      ['already_paid', 4, `第 4 行：${reference(paidBefore)} 已经由回单“huidan-0.csv”确认付出过了。`],
      ['unknown_reference', 5, '第 5 行：参考号“XYP99999999”不是您可以发送的付款。'],
      ['duplicate_reference', 6, `第 6 行：参考号“${reference(w)}”在回单里出现了不止一次。`],
    ]);
    expect(confirmations()).toEqual(before);
    expect(db().prepare(`SELECT count(*) FROM audit_log WHERE action = 'payout.bank_confirm'`).pluck().get()).toBe(1);

    const english = await statement(statementOf([[reference(w), 'pending', '50.00']]), coordinator);
    expect(english.statusCode).toBe(422);
    expect(mismatches(english.body)[0]?.[0]).toBe('status_unknown');
  });

  it('treats another project’s payout as an unknown reference for a scoped coordinator', async () => {
    const h = await bankPayout(qin, '12.30');
    await createScopedCoordinator(ctx.db, 'honey@xiangyi.test', ['meiyaogou-chanye']);
    const honey = await signIn(ctx.app, 'honey@xiangyi.test', STAFF_PASSWORD);
    const response = await statement(statementOf([[reference(h), '成功', '12.30']]), honey);
    expect(response.statusCode).toBe(422);
    expect(mismatches(response.body).map((m) => m[0])).toEqual(['unknown_reference']);
    expect(confirmations()).toEqual([]);
  });

  it('answers a bad upload with a message by the file field (422), a body that is not multipart with 400, and one without its token with 403', async () => {
    await bankPayout(wang, '50.00');
    const noFile = await postMultipart(ctx.app, coordinator, '/coordinator/bank-batches/statement', { day: today }, undefined, '/coordinator/bank-batches');
    expect(noFile.statusCode).toBe(422);
    expect(noFile.body).toContain('<p class="field-error" id="e-statement">请选择银行回单文件（CSV）。</p>');
    const garbage = await statement('\u0000\u0001');
    expect(garbage.statusCode).toBe(422);
    expect(garbage.body).toContain('读不出这个文件');
    const binary = await postMultipart(
      ctx.app,
      coordinator,
      '/coordinator/bank-batches/statement',
      { day: today },
      { name: 'statement', filename: 'x.xlsx', contentType: 'application/octet-stream', data: Buffer.from([0xff, 0xfe, 0xfd, 0x80, 0x81]) },
      '/coordinator/bank-batches',
    );
    expect(binary.statusCode).toBe(422);
    const token = await coordinator.csrfToken('/coordinator/bank-batches');
    const urlencoded = await coordinator.post('/coordinator/bank-batches/statement', { _csrf: token, day: today });
    expect(urlencoded.statusCode).toBe(400);
    const { payload, contentType } = multipartBody(
      { day: today },
      { name: 'statement', filename: 'a.csv', contentType: 'text/csv', data: Buffer.from(statementOf([['XYP00000001', '成功', '1.00']])) },
    );
    const noToken = await coordinator.send({ method: 'POST', url: '/coordinator/bank-batches/statement', headers: { 'content-type': contentType }, payload });
    expect(noToken.statusCode).toBe(403);
    expect(confirmations()).toEqual([]);
  });

  it('reads a statement the bank wrote in GBK', async () => {
    const w = await bankPayout(wang, '50.00');
    const bytes = Buffer.concat([
      Buffer.from(reference(w)),
      Buffer.from(','),
      Buffer.from([0xb3, 0xc9, 0xb9, 0xa6]), // 成功 in GBK
      Buffer.from(',50.00\r\n'),
    ]);
    const response = await postMultipart(
      ctx.app,
      coordinator,
      '/coordinator/bank-batches/statement',
      { day: today },
      { name: 'statement', filename: 'gbk.csv', contentType: 'text/csv', data: bytes },
      '/coordinator/bank-batches',
    );
    expect(response.statusCode).toBe(200);
    expect(confirmations()).toEqual([{ payoutId: w, outcome: 'paid', status: '成功' }]);
  });
});

describe('what the bank said is history', () => {
  it('refuses UPDATE and DELETE of bank confirmations', async () => {
    const w = await bankPayout(wang, '50.00');
    expect((await statement(statementOf([[reference(w), '成功', '50.00']]))).statusCode).toBe(200);
    expect(() => db().prepare(`UPDATE payout_bank_confirmations SET outcome = 'failed'`).run()).toThrow(/append-only/);
    expect(() => db().prepare('DELETE FROM payout_bank_confirmations').run()).toThrow(/append-only/);
    expect(confirmations()).toEqual([{ payoutId: w, outcome: 'paid', status: '成功' }]);
  });
});
