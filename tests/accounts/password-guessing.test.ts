import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOGIN_THROTTLE } from '../../src/accounts/accounts-service.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Guesses of the current password on the password-change form: someone holding a session (a
 * borrowed phone, a stolen cookie) must not be able to guess the password there faster than at
 * the sign-in form, and too many wrong guesses end every session of the account.
 */

const BUYER = 'buyer@xiangyi.test';
const RIGHT = 'xiangyi-demo';
const WRONG_CURRENT = '当前密码不正确。';

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const changePassword = (browser: TestBrowser, currentPassword: string) =>
  browser.post(
    '/account/password',
    { currentPassword, newPassword: 'a-brand-new-passphrase', passwordConfirm: 'a-brand-new-passphrase' },
    { csrfFrom: '/account/password' },
  );
const fieldError = (html: string) => /<p class="field-error" id="e-currentPassword">([^<]*)<\/p>/.exec(html)?.[1] ?? null;
const flashIn = (html: string) => /<div class="wrap flash flash-(success|error)" role="status">([^<]*)<\/div>/.exec(html)?.slice(1, 3) ?? null;
const buyerSessions = () =>
  ctx.db.sqlite.prepare(`SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = ?`).pluck().get(BUYER) as number;

/** A browser holding only a copy of another's session (and its CSRF secret): no device cookie. */
function thiefOf(victim: TestBrowser): TestBrowser {
  const thief = anonymous(ctx.app);
  Object.assign(thief.cookies, { sid: victim.cookies.sid!, _csrf: victim.cookies._csrf! });
  return thief;
}

describe('guessing the current password on the password-change form', () => {
  it(`signs the account out everywhere after ${LOGIN_THROTTLE.passwordChangeGuesses} wrong guesses in a session`, async () => {
    const phone = await signIn(ctx.app, BUYER);
    const laptop = await signIn(ctx.app, BUYER);
    const secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');

    for (let i = 1; i < LOGIN_THROTTLE.passwordChangeGuesses; i++) {
      const wrong = await changePassword(laptop, `wrong-guess-${i}`);
      expect(wrong.statusCode, `wrong guess ${i}`).toBe(422);
      expect(fieldError(wrong.body), `wrong guess ${i}`).toBe(WRONG_CURRENT);
    }
    const last = await changePassword(laptop, 'wrong-guess-last');
    expect(last.statusCode).toBe(303);
    expect(last.headers.location).toBe('/login');
    expect(flashIn((await laptop.get('/login')).body)).toEqual(['error', '当前密码输错次数太多，为了安全，这个账号在所有设备上都已退出登录。请重新登录。']);

    // Every session of the account ended; other accounts' did not.
    expect(buyerSessions()).toBe(0);
    expect((await phone.get('/account/password')).statusCode).toBe(303);
    expect((await laptop.get('/account/password')).statusCode).toBe(303);
    expect((await secretary.get('/secretary')).statusCode).toBe(200);
    expect(ctx.db.sqlite.prepare(`SELECT action FROM audit_log WHERE action = 'user.sign_out_everywhere'`).pluck().all()).toEqual(['user.sign_out_everywhere']);
    // The password is unchanged, and its owner signs in again.
    await expect(signIn(ctx.app, BUYER, RIGHT)).resolves.toBeDefined();
  });

  it('counts wrong current passwords with wrong sign-ins from the same address, and then makes even the right one wait', async () => {
    const owner = await signIn(ctx.app, BUYER);
    const thief = thiefOf(owner);
    // Guesses at the sign-in form first, from the thief's address (the same here: 127.0.0.1) …
    for (let i = 0; i < 3; i++)
      expect((await anonymous(ctx.app).post('/login', { email: BUYER, password: `sign-in-guess-${i}` }, { csrfFrom: '/login' })).statusCode).toBe(401);
    // … then on the form, through the owner's session but without the owner's device cookie.
    for (let i = 0; i < LOGIN_THROTTLE.pair.free - 3; i++) expect((await changePassword(thief, `form-guess-${i}`)).statusCode).toBe(422);
    const slowed = await changePassword(thief, RIGHT);
    expect(slowed.statusCode).toBe(429);
    expect(fieldError(slowed.body)).toBe('尝试次数太多，请 1 分钟后再试。');
    expect(await signIn(ctx.app, BUYER).catch((e: Error) => e.message)).toBe(`Sign-in as ${BUYER} failed with status 429`);
    // The owner's own browser is not held back.
    expect((await changePassword(owner, RIGHT)).statusCode).toBe(303);
  });
});
