import type { LightMyRequestResponse as Response } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REGISTRATION } from '../../src/accounts/accounts-service.js';
import { anonymous, registrationLinkFor, signIn } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Registration never tells whether an e-mail address has an account: every valid form gets the same
 * "check your e-mail" page, and the e-mail (the test's mailbox stands in for the outbox to come)
 * either carries the link that creates the account or tells the address's owner they have one.
 */

const FORM = { email: 'Li.Na@Example.test', displayName: '李娜', password: 'a-strong-passphrase', passwordConfirm: 'a-strong-passphrase' };
const BUYER = 'buyer@xiangyi.test';

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const users = () => ctx.db.sqlite.prepare(`SELECT count(*) FROM users`).pluck().get() as number;
const sidCookie = (response: Response) => response.cookies.find((c) => c.name === 'sid');
const flashIn = (html: string) => /<div class="wrap flash flash-(success|error)" role="status">([^<]*)<\/div>/.exec(html)?.slice(1, 3) ?? null;
const register = (form: Record<string, string>) => anonymous(ctx.app).post('/register', form, { csrfFrom: '/register' });

describe('asking for an account', () => {
  it('answers a new address and a taken one the same way, creates no account and signs nobody in', async () => {
    const before = users();
    const fresh = await register(FORM);
    const taken = await register({ ...FORM, email: 'Buyer@Xiangyi.test' });
    for (const response of [fresh, taken]) {
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('请查收邮件');
      expect(sidCookie(response)).toBeUndefined();
      expect(response.body).not.toContain('a-strong-passphrase');
    }
    // Apart from the typed address the two pages are the same.
    const normalise = (html: string, email: string) => html.replaceAll(email, 'EMAIL').replace(/value="[^"]*"/g, 'value=""');
    expect(normalise(fresh.body, FORM.email)).toBe(normalise(taken.body, 'Buyer@Xiangyi.test'));
    expect(users()).toBe(before);

    // What differs is the e-mail, which only the address's owner reads.
    expect(ctx.mailbox.map((m) => [m.kind, m.to])).toEqual([
      ['confirm_registration', 'li.na@example.test'],
      ['account_exists', BUYER],
    ]);
  });

  it('still re-renders an invalid form with its field messages, keeping what was typed but the passwords', async () => {
    const response = await register({ ...FORM, passwordConfirm: 'something-else-entirely' });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('两次输入的密码不一致。');
    expect(response.body).toContain('value="李娜"');
    expect(response.body).not.toContain('a-strong-passphrase');
    expect(ctx.mailbox).toEqual([]);
  });

  it(`sends at most ${REGISTRATION.maxMessagesPerWindow} e-mails to one address a day, and answers the same after that`, async () => {
    const answers = [];
    for (let i = 0; i < REGISTRATION.maxMessagesPerWindow + 2; i++) answers.push(await register(FORM));
    expect(answers.map((r) => r.statusCode)).toEqual(answers.map(() => 200));
    expect(ctx.mailbox).toHaveLength(REGISTRATION.maxMessagesPerWindow);
    ctx.clock.advance(REGISTRATION.windowMs + 1);
    await register(FORM);
    expect(ctx.mailbox).toHaveLength(REGISTRATION.maxMessagesPerWindow + 1);
  });
});

describe('the link in the e-mail', () => {
  it('opens a page whose button creates the buyer account and signs the new buyer in', async () => {
    const visitor = anonymous(ctx.app);
    await visitor.post('/register', FORM, { csrfFrom: '/register' });
    const link = registrationLinkFor(ctx.mailbox, 'li.na@example.test');
    const page = await visitor.get(link);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('为 li.na@example.test 创建买家账号，称呼是“李娜”。');
    // Only a GET so far (as a mail scanner would do): no account yet.
    expect(ctx.db.sqlite.prepare(`SELECT count(*) FROM users WHERE email = 'li.na@example.test'`).pluck().get()).toBe(0);

    const token = new URL(link, 'http://shop.test').searchParams.get('token')!;
    const confirmed = await visitor.post('/register/confirm', { token }, { csrfFrom: link });
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe('/');
    const user = ctx.db.sqlite.prepare(`SELECT id, role, display_name AS displayName FROM users WHERE email = 'li.na@example.test'`).get();
    expect(user).toMatchObject({ role: 'buyer', displayName: '李娜' });
    expect(sidCookie(confirmed)?.httpOnly).toBe(true);

    const home = await visitor.get('/');
    expect(flashIn(home.body)).toEqual(['success', '注册成功，欢迎来到乡益。']);
    expect(home.body).toContain('title="修改密码">李娜</a>');
    await expect(signIn(ctx.app, 'li.na@example.test', 'a-strong-passphrase')).resolves.toBeDefined();

    // A link works once.
    const again = await anonymous(ctx.app).post('/register/confirm', { token }, { csrfFrom: '/register' });
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain('这个注册链接无效或已经过期。请重新注册。');
  });

  it(`stops working after ${REGISTRATION.linkMs / 3600_000} hours, and a made-up one never works`, async () => {
    await register(FORM);
    const link = registrationLinkFor(ctx.mailbox, 'li.na@example.test');
    ctx.clock.advance(REGISTRATION.linkMs);
    const expired = await anonymous(ctx.app).get(link);
    expect(expired.statusCode).toBe(404);
    expect(expired.body).toContain('这个注册链接无效或已经过期。请重新注册。');
    expect((await anonymous(ctx.app).get('/register/confirm?token=made-up')).statusCode).toBe(404);
    expect(ctx.db.sqlite.prepare(`SELECT count(*) FROM users WHERE email = 'li.na@example.test'`).pluck().get()).toBe(0);
  });

  it('creates one account when two registrations of the same address are both confirmed; the second is told to sign in', async () => {
    await register(FORM);
    await register({ ...FORM, displayName: '另一个人' });
    const tokens = ctx.mailbox.map((m) => (m.kind === 'confirm_registration' ? new URL(m.link).searchParams.get('token')! : ''));
    expect((await anonymous(ctx.app).post('/register/confirm', { token: tokens[0]! }, { csrfFrom: '/register' })).statusCode).toBe(303);
    const second = anonymous(ctx.app);
    const answer = await second.post('/register/confirm', { token: tokens[1]! }, { csrfFrom: '/register' });
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe('/login');
    expect(flashIn((await second.get('/login')).body)).toEqual(['error', '这个邮箱的账号已经建好了，请直接登录。']);
    expect(ctx.db.sqlite.prepare(`SELECT display_name FROM users WHERE email = 'li.na@example.test'`).pluck().all()).toEqual(['李娜']);
  });
});
