import { afterEach, describe, expect, it } from 'vitest';
import { createOutbox, DELIVERY, retryDelayMs, type OutgoingMail } from '../../src/notifications/outbox.js';
import { anonymous, signIn } from '../helpers/auth.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

const mail = (n: number, extra: Partial<OutgoingMail> = {}): OutgoingMail => ({
  kind: 'test_notice',
  to: `person${n}@example.test`,
  locale: 'zh-CN',
  subject: `测试 ${n}`,
  text: `正文 ${n}`,
  html: `<p>正文 ${n}</p>`,
  ...extra,
});

const count = (ctx: TestContext, where = '1') => ctx.db.sqlite.prepare(`SELECT count(*) FROM outbox_messages WHERE ${where}`).pluck().get() as number;

/** Writes a message in a unit of work of its own (as the change it reports would, with its own writes). */
const enqueue = (ctx: TestContext, outbox: ReturnType<typeof createOutbox>, message: OutgoingMail) => ctx.db.uow.write((tx) => outbox.add(tx, message));

describe('the transactional outbox', () => {
  let ctx: TestContext | undefined;
  let smtp: TestSmtpServer | undefined;
  afterEach(async () => {
    await ctx?.close();
    await smtp?.close();
    ctx = undefined;
    smtp = undefined;
  });

  it('writes a message only with the transaction of the change, and nothing when that rolls back', async () => {
    ctx = await createTestApp();
    const outbox = createOutbox(ctx.db, { clock: () => ctx!.clock.now });
    const before = count(ctx);
    await expect(
      ctx.db.uow.write(function* (tx) {
        yield* outbox.add(tx, mail(2));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(count(ctx)).toBe(before);
    await enqueue(ctx, outbox, mail(3));
    expect(count(ctx)).toBe(before + 1);
  });

  it('writes one message per event key, however often the event is replayed', async () => {
    ctx = await createTestApp();
    const outbox = createOutbox(ctx.db, { clock: () => ctx!.clock.now });
    for (let i = 0; i < 3; i++) await enqueue(ctx, outbox, mail(4, { dedupeKey: 'event:4' }));
    expect(count(ctx, `dedupe_key = 'event:4'`)).toBe(1);
  });

  it('delivers over SMTP once, after retries with a growing wait while the server refuses', async () => {
    smtp = await startSmtpServer();
    ctx = await createTestApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: '乡益 <noreply@xiangyi.test>' } });
    const outbox = createOutbox(ctx.db, { clock: () => ctx!.clock.now });
    await enqueue(ctx, outbox, mail(5));
    smtp.refuseNext(2);

    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 0, retrying: 1 });
    // Not due again before the backoff has passed.
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 0, retrying: 0 });
    ctx.clock.advance(retryDelayMs(1));
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 0, retrying: 1 });
    ctx.clock.advance(retryDelayMs(2) - 1);
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 0, retrying: 0 });
    ctx.clock.advance(1);
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 1 });
    ctx.clock.advance(DELIVERY.maxDelayMs);
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 0, retrying: 0 });

    expect(smtp.refused).toBe(2);
    expect(smtp.received).toHaveLength(1);
    const [received] = smtp.received;
    expect(received!.subject).toBe('测试 5');
    expect(received!.text?.trim()).toBe('正文 5');
    expect(received!.html).toContain('<p>正文 5</p>');
    expect(received!.from?.text).toContain('noreply@xiangyi.test');
    expect(received!.messageId).toMatch(/^<outbox-\d+-\d+@localhost>$/);
    const row = ctx.db.sqlite.prepare(`SELECT status, attempts, sent_at FROM outbox_messages WHERE recipient = 'person5@example.test'`).get() as {
      status: string;
      attempts: number;
      sent_at: number;
    };
    expect(row).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('gives up on a message the server refuses for good, and says so in the outbox', async () => {
    smtp = await startSmtpServer();
    ctx = await createTestApp({ env: { SMTP_URL: smtp.url } });
    const outbox = createOutbox(ctx.db, { clock: () => ctx!.clock.now });
    await enqueue(ctx, outbox, mail(6));
    smtp.refuseNext(DELIVERY.maxAttempts);
    for (let i = 0; i < DELIVERY.maxAttempts; i++) {
      await ctx.app.outboxWorker.runOnce();
      ctx.clock.advance(DELIVERY.maxDelayMs);
    }
    expect(smtp.received).toHaveLength(0);
    expect(count(ctx, `status = 'failed'`)).toBe(1);
    expect(await outbox.backlog()).toMatchObject({ pending: 0, failed: 1 });
  });

  it('a worker that died holding a message does not lose it: another sends it once its lease runs out', async () => {
    smtp = await startSmtpServer();
    ctx = await createTestApp({ env: { SMTP_URL: smtp.url } });
    const outbox = createOutbox(ctx.db, { clock: () => ctx!.clock.now });
    await enqueue(ctx, outbox, mail(7));
    // The first worker claims the message and dies before sending it (or before marking it sent).
    const [claimed] = await outbox.claim(10);
    expect(claimed).toBeDefined();
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 0 });
    expect(smtp.received).toHaveLength(0);
    ctx.clock.advance(DELIVERY.leaseMs);
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 1 });
    // The dead worker's late report changes nothing.
    expect(await outbox.markSent(claimed!)).toBe(false);
    ctx.clock.advance(DELIVERY.maxDelayMs);
    await ctx.app.outboxWorker.runOnce();
    expect(smtp.received).toHaveLength(1);
  });

  it('without SMTP_URL keeps every message in the outbox, logs it once, and shows it to admins only', async () => {
    ctx = await createTestApp();
    const outbox = createOutbox(ctx.db, { clock: () => ctx!.clock.now });
    await enqueue(ctx, outbox, mail(8, { subject: '订单 XY 已提交', text: '户名 乡益' }));
    const pendingBefore = (await outbox.backlog()).pending;
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ logged: pendingBefore, sent: 0 });
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ logged: 0 });
    expect((await outbox.backlog()).pending).toBe(pendingBefore);

    const admin = await signIn(ctx.app, 'admin@xiangyi.test');
    const list = await admin.get('/admin/outbox');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('data-outbox-held');
    expect(list.body).toContain('订单 XY 已提交');
    expect(list.body).toContain('person8@example.test');
    const id = /data-outbox-message="(\d+)" data-kind="test_notice"/.exec(list.body)?.[1];
    const one = await admin.get(`/admin/outbox/${id}`);
    expect(one.statusCode).toBe(200);
    expect(one.body).toContain('户名 乡益');
    const html = await admin.get(`/admin/outbox/${id}/html`);
    expect(html.headers['content-security-policy']).toContain('sandbox');
    expect(html.body).toContain('<p>正文 8</p>');
    expect((await admin.get('/admin/outbox/999999')).statusCode).toBe(404);

    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    expect((await buyer.get('/admin/outbox')).statusCode).toBe(403);
    expect((await buyer.get(`/admin/outbox/${id}`)).statusCode).toBe(403);
    const visitor = anonymous(ctx.app);
    expect((await visitor.get('/admin/outbox')).statusCode).toBe(303);
  });

  it('pages the outbox list, fifty to a page', async () => {
    ctx = await createTestApp({ seeded: false });
    const outbox = createOutbox(ctx.db, { clock: () => ctx!.clock.now });
    await ctx.db.uow.write(function* (tx) {
      for (let i = 0; i < 51; i++) yield* outbox.add(tx, mail(100 + i));
    });
    expect((await outbox.list(1)).rows).toHaveLength(50);
    expect((await outbox.list(2)).rows.map((r) => r.recipient)).toEqual(['person100@example.test']);
    expect((await outbox.list(1)).total).toBe(51);
  });
});
