import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountMessage } from '../../src/accounts/account-mail.js';
import { PASSWORD_RESET } from '../../src/accounts/password-reset.js';
import { anonymous, signIn } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * "Forgot password": a single-use link by e-mail that expires, is throttled, and never tells
 * whether an address has an account; an admin can send one to a staff account.
 */

const BUYER = 'buyer@xiangyi.test';
const SECRETARY = 'secretary.gulou@xiangyi.test';
const NEW_PASSWORD = 'a-brand-new-password';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => ctx.close());

const resets = (to: string) => ctx.mailbox.filter((m): m is Extract<AccountMessage, { kind: 'password_reset' }> => m.kind === 'password_reset' && m.to === to);
const outboxRows = (to: string, kind: string) =>
  ctx.db.sqlite.prepare(`SELECT locale, subject, text_body AS text FROM outbox_messages WHERE recipient = ? AND kind = ? ORDER BY id`).all(to, kind) as {
    locale: string;
    subject: string;
    text: string;
  }[];
const pathOf = (link: string) => {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
};

async function ask(email: string, lang = 'zh') {
  const visitor = anonymous(ctx.app);
  const res = await visitor.post(`/password/forgot?lang=${lang}`, { email }, { csrfFrom: `/password/forgot?lang=${lang}` });
  return res;
}

async function resetWith(link: string, password = NEW_PASSWORD) {
  const visitor = anonymous(ctx.app);
  const token = new URL(link).searchParams.get('token')!;
  return visitor.post('/password/reset', { token, password, passwordConfirm: password }, { csrfFrom: '/password/forgot' });
}

describe('forgotten passwords', () => {
  it('e-mails the owner one link in the language they asked in, and answers the same for an address without an account', async () => {
    const known = await ask(BUYER, 'en');
    const unknown = await ask('nobody-here@example.test', 'en');
    expect(known.statusCode).toBe(200);
    expect(unknown.statusCode).toBe(200);
    expect(known.body.replace(BUYER, 'X')).toBe(unknown.body.replace('nobody-here@example.test', 'X'));

    expect(resets(BUYER)).toHaveLength(1);
    expect(ctx.mailbox.filter((m) => m.to === 'nobody-here@example.test')).toHaveLength(0);
    const [row] = outboxRows(BUYER, 'password_reset');
    expect(row).toMatchObject({ locale: 'en', subject: 'Reset your Xiangyi password' });
    expect(row!.text).toContain(resets(BUYER)[0]!.link);
    expect(resets(BUYER)[0]!.link).toMatch(/^http:\/\/localhost:\d+\/password\/reset\?token=[\w-]{43}$/);
    // Only the hash of the secret is stored.
    const token = new URL(resets(BUYER)[0]!.link).searchParams.get('token')!;
    const stored = ctx.db.sqlite.prepare(`SELECT token_hash FROM password_resets WHERE token_hash IS NOT NULL`).pluck().all() as string[];
    expect(stored).toHaveLength(1);
    expect(stored[0]).not.toContain(token);
  });

  it('sets the new password once: the old one stops working, every session ends, and the link is dead afterwards', async () => {
    const signedInElsewhere = await signIn(ctx.app, BUYER);
    expect((await signedInElsewhere.get('/account/orders')).statusCode).toBe(200);
    await ask(BUYER);
    const { link } = resets(BUYER)[0]!;
    const page = await anonymous(ctx.app).get(pathOf(link));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(BUYER);
    expect(page.headers['referrer-policy']).toBe('no-referrer');

    const done = await resetWith(link);
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/login');
    expect((await signedInElsewhere.get('/account/orders')).statusCode).toBe(303);
    await expect(signIn(ctx.app, BUYER)).rejects.toThrow();
    await signIn(ctx.app, BUYER, NEW_PASSWORD);

    const again = await resetWith(link, 'yet-another-password');
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain('data-reset-invalid');
    await signIn(ctx.app, BUYER, NEW_PASSWORD);
  });

  it('refuses a new password that is too short or mistyped, and keeps the link working', async () => {
    await ask(BUYER);
    const { link } = resets(BUYER)[0]!;
    const token = new URL(link).searchParams.get('token')!;
    const visitor = anonymous(ctx.app);
    const short = await visitor.post('/password/reset', { token, password: 'short', passwordConfirm: 'short' }, { csrfFrom: pathOf(link) });
    expect(short.statusCode).toBe(422);
    const mismatch = await visitor.post('/password/reset', { token, password: NEW_PASSWORD, passwordConfirm: `${NEW_PASSWORD}x` }, { csrfFrom: pathOf(link) });
    expect(mismatch.statusCode).toBe(422);
    expect((await resetWith(link)).statusCode).toBe(303);
  });

  it('lets a link expire after an hour', async () => {
    await ask(BUYER);
    const { link } = resets(BUYER)[0]!;
    ctx.clock.advance(PASSWORD_RESET.linkMs);
    expect((await anonymous(ctx.app).get(pathOf(link))).statusCode).toBe(404);
    expect((await resetWith(link)).statusCode).toBe(404);
    await signIn(ctx.app, BUYER);
  });

  it('sends at most three links an hour to one address, with the same answer past that', async () => {
    const answers = [];
    for (let i = 0; i < PASSWORD_RESET.maxRequestsPerWindow + 1; i++) answers.push((await ask(BUYER)).statusCode);
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(resets(BUYER)).toHaveLength(PASSWORD_RESET.maxRequestsPerWindow);
    ctx.clock.advance(PASSWORD_RESET.windowMs + 1);
    await ask(BUYER);
    expect(resets(BUYER)).toHaveLength(PASSWORD_RESET.maxRequestsPerWindow + 1);
  });

  it('counts asking for an unknown address the same way, so the throttle says nothing either', async () => {
    for (let i = 0; i < PASSWORD_RESET.maxRequestsPerWindow + 1; i++) expect((await ask('nobody-here@example.test')).statusCode).toBe(200);
    const counted = ctx.db.sqlite.prepare(`SELECT count(*) FROM password_resets WHERE email = 'nobody-here@example.test'`).pluck().get();
    expect(counted).toBe(PASSWORD_RESET.maxRequestsPerWindow);
  });

  it('lets an admin send a staff account a link (audited), not a buyer, and nobody else send one', async () => {
    const admin = await signIn(ctx.app, 'admin@xiangyi.test');
    const staffId = ctx.db.sqlite.prepare(`SELECT id FROM users WHERE email = ?`).pluck().get(SECRETARY) as number;
    const buyerId = ctx.db.sqlite.prepare(`SELECT id FROM users WHERE email = ?`).pluck().get(BUYER) as number;
    const edit = await admin.get(`/admin/users/${staffId}`);
    expect(edit.body).toContain(`action="/admin/users/${staffId}/password-reset"`);

    const sent = await admin.post(`/admin/users/${staffId}/password-reset`, {}, { csrfFrom: `/admin/users/${staffId}` });
    expect(sent.statusCode).toBe(303);
    expect(resets(SECRETARY)).toHaveLength(1);
    expect(resets(SECRETARY)[0]!.byAdmin).toBe(true);
    expect(outboxRows(SECRETARY, 'password_reset')[0]!.text).toContain('管理员为您的账号发送了重设密码的链接');
    expect(
      ctx.db.sqlite.prepare(`SELECT count(*) FROM audit_log WHERE action = 'user.password_reset_sent' AND entity_id = ?`).pluck().get(String(staffId)),
    ).toBe(1);

    expect((await admin.post(`/admin/users/${buyerId}/password-reset`, {}, { csrfFrom: `/admin/users/${staffId}` })).statusCode).toBe(409);
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    expect((await coordinator.post(`/admin/users/${staffId}/password-reset`, {}, { csrfFrom: '/coordinator' })).statusCode).toBe(403);
    expect(resets(SECRETARY)).toHaveLength(1);

    expect((await resetWith(resets(SECRETARY)[0]!.link)).statusCode).toBe(303);
    await signIn(ctx.app, SECRETARY, NEW_PASSWORD);
  });

  it('puts the registration link in the outbox, in the language of the form', async () => {
    const visitor = anonymous(ctx.app);
    const res = await visitor.post(
      '/register?lang=en',
      { email: 'new.buyer@example.test', displayName: 'New Buyer', password: NEW_PASSWORD, passwordConfirm: NEW_PASSWORD },
      { csrfFrom: '/register?lang=en' },
    );
    expect(res.statusCode).toBe(200);
    const [row, ...more] = outboxRows('new.buyer@example.test', 'confirm_registration');
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({ locale: 'en', subject: 'Confirm your Xiangyi account' });
    expect(row!.text).toMatch(/\/register\/confirm\?token=/);
  });

  it('links the sign-in page to the forgotten-password form', async () => {
    const login = await anonymous(ctx.app).get('/login');
    expect(login.body).toContain('href="/password/forgot"');
  });
});
