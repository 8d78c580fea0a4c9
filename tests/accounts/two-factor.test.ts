import { generateSync } from 'otplib';
import { afterEach, describe, expect, it } from 'vitest';
import { TWO_FACTOR } from '../../src/accounts/two-factor.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Staff two-factor sign-in (TOTP, otplib) on a fixed clock: enrolment with a QR code and a first
 * code, recovery codes, the code asked after the password, each code once, wrong codes throttled,
 * and the operator's setting that sends admins and coordinators to enrolment until they do.
 */

const SECRETARY = 'secretary.meiyaogou@xiangyi.test';
const COORDINATOR = 'coordinator@xiangyi.test';
/** A fixed instant (2026-12-06 09:00:10 CST), 10 s into its 30-second step. */
const T0 = Date.UTC(2026, 11, 6, 1, 0, 10);
const STEP = 30_000;

let ctx: TestContext;
afterEach(async () => {
  await ctx.close();
});

async function app(env: Record<string, string> = {}) {
  ctx = await createTestApp({ env });
  ctx.clock.now = T0;
}

const codeAt = (secret: string, ms = ctx.clock.now) => generateSync({ secret, epoch: Math.floor(ms / 1000) });
const fieldError = (html: string, name: string) => new RegExp(`<p class="field-error" id="e-${name}">([^<]*)</p>`).exec(html)?.[1] ?? null;
const auditCount = (action: string) => ctx.db.sqlite.prepare(`SELECT count(*) FROM audit_log WHERE action = ?`).pluck().get(action) as number;

/** Enrols the signed-in staff member; returns the secret and the recovery codes shown. */
async function enrol(browser: TestBrowser): Promise<{ secret: string; codes: string[] }> {
  const page = await browser.get('/account/two-factor');
  expect(page.statusCode).toBe(200);
  expect(page.body).toContain('data-two-factor="off"');
  expect(page.body).toMatch(/<svg [^>]*class="qr"/);
  const secret = /data-totp-secret>([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');
  const done = await browser.post('/account/two-factor', { code: codeAt(secret) }, { csrfFrom: '/account/two-factor' });
  expect(done.statusCode, done.body.slice(0, 300)).toBe(200);
  const codes = [...done.body.matchAll(/<li><code>([A-Z2-9]{5}-[A-Z2-9]{5})<\/code><\/li>/g)].map((m) => m[1]!);
  return { secret, codes };
}

/** Enters the password; answers the browser, now between password and code. */
async function password(email: string): Promise<TestBrowser> {
  const browser = anonymous(ctx.app);
  const res = await browser.post('/login', { email, password: 'xiangyi-demo' }, { csrfFrom: '/login' });
  expect(res.statusCode).toBe(303);
  expect(res.headers.location).toBe('/login/two-factor');
  return browser;
}

describe('enrolling in two-factor sign-in', () => {
  it('shows a QR code and the key, refuses a wrong first code, and gives ten recovery codes once confirmed', async () => {
    await app();
    const secretary = await signIn(ctx.app, SECRETARY);
    const page = await secretary.get('/account/two-factor');
    const secret = /data-totp-secret>([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    // The QR code holds the otpauth:// URI: the same key shows again until it is confirmed.
    expect(/data-totp-secret>([A-Z2-7 ]+)</.exec((await secretary.get('/account/two-factor')).body)![1]!.replace(/ /g, '')).toBe(secret);

    const wrong = await secretary.post('/account/two-factor', { code: codeAt(secret, T0 + 10 * STEP) }, { csrfFrom: '/account/two-factor' });
    expect(wrong.statusCode).toBe(422);
    expect(fieldError(wrong.body, 'code')).toBe('验证码不正确或已经用过，请输入应用中当前显示的验证码。');

    const done = await secretary.post('/account/two-factor', { code: codeAt(secret) }, { csrfFrom: '/account/two-factor' });
    expect(done.statusCode).toBe(200);
    const codes = [...done.body.matchAll(/<li><code>([A-Z2-9]{5}-[A-Z2-9]{5})<\/code><\/li>/g)].map((m) => m[1]!);
    expect(new Set(codes).size).toBe(TWO_FACTOR.recoveryCodes);
    // Kept hashed: no code, nor the secret, is in the database in clear.
    const stored =
      JSON.stringify(ctx.db.sqlite.prepare(`SELECT * FROM staff_recovery_codes`).all()) +
      JSON.stringify(ctx.db.sqlite.prepare(`SELECT * FROM staff_totp`).all());
    for (const c of codes) expect(stored).not.toContain(c);
    expect(stored).not.toContain(secret);

    const after = await secretary.get('/account/two-factor');
    expect(after.body).toContain('data-two-factor="on"');
    expect(after.body).toContain(`data-recovery-left="${TWO_FACTOR.recoveryCodes}"`);
    expect(auditCount('user.two_factor_on')).toBe(1);
  });

  it('is only for staff, and its forms need the CSRF token', async () => {
    await app();
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    expect((await buyer.get('/account/two-factor')).statusCode).toBe(403);
    const secretary = await signIn(ctx.app, SECRETARY);
    await secretary.get('/account/two-factor');
    expect((await secretary.post('/account/two-factor', { code: '123456' }, { withoutCsrf: true })).statusCode).toBe(403);
  });

  it('speaks English to a staff member who uses it', async () => {
    await app();
    const secretary = anonymous(ctx.app);
    await secretary.get('/login?lang=en');
    expect((await secretary.post('/login', { email: SECRETARY, password: 'xiangyi-demo' }, { csrfFrom: '/login' })).statusCode).toBe(303);
    const page = await secretary.get('/account/two-factor');
    expect(page.body).toContain('Scan the QR code below with an authenticator app');
  });
});

describe('signing in with two-factor on', () => {
  it('asks the code after the password, starts the session only with it, and takes each code once', async () => {
    await app();
    const { secret } = await enrol(await signIn(ctx.app, SECRETARY));

    const browser = await password(SECRETARY);
    // No session yet: the console sends the person to sign in.
    expect((await browser.get('/secretary')).statusCode).toBe(303);
    const form = await browser.get('/login/two-factor');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('autocomplete="one-time-code"');

    // The code used to confirm enrolment, in the same 30-second step: not again.
    const replay = await browser.post('/login/two-factor', { code: codeAt(secret) }, { csrfFrom: '/login/two-factor' });
    expect(replay.statusCode).toBe(422);
    ctx.clock.advance(STEP);
    const res = await browser.post('/login/two-factor', { code: codeAt(secret) }, { csrfFrom: '/login/two-factor' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/secretary');
    expect((await browser.get('/secretary')).statusCode).toBe(200);
  });

  it('takes a recovery code instead, once', async () => {
    await app();
    const { codes } = await enrol(await signIn(ctx.app, SECRETARY));
    const first = await password(SECRETARY);
    const res = await first.post('/login/two-factor', { code: '', recoveryCode: codes[3]!.toLowerCase().replace('-', ' ') }, { csrfFrom: '/login/two-factor' });
    expect(res.statusCode).toBe(303);
    expect(auditCount('user.two_factor_recovery_used')).toBe(1);
    const again = await (await password(SECRETARY)).post('/login/two-factor', { code: '', recoveryCode: codes[3]! }, { csrfFrom: '/login/two-factor' });
    expect(again.statusCode).toBe(422);
    expect(fieldError(again.body, 'recoveryCode')).toBe('验证码不正确或已经用过，请输入应用中当前显示的验证码。');
    expect((await first.get('/account/two-factor')).body).toContain(`data-recovery-left="${TWO_FACTOR.recoveryCodes - 1}"`);
  });

  it('stops checking codes after too many wrong ones, for 15 minutes', async () => {
    await app();
    const { secret } = await enrol(await signIn(ctx.app, SECRETARY));
    ctx.clock.advance(STEP);
    const browser = await password(SECRETARY);
    const wrong = codeAt(secret, ctx.clock.now + 20 * STEP);
    for (let i = 0; i < TWO_FACTOR.maxFailures; i++) {
      expect((await browser.post('/login/two-factor', { code: wrong }, { csrfFrom: '/login/two-factor' })).statusCode).toBe(422);
    }
    const locked = await browser.post('/login/two-factor', { code: codeAt(secret) }, { csrfFrom: '/login/two-factor' });
    expect(locked.statusCode).toBe(429);
    expect(fieldError(locked.body, 'code')).toBe('验证码错误次数过多，请 15 分钟后再试。');

    ctx.clock.advance(TWO_FACTOR.lockMs);
    const later = await password(SECRETARY);
    expect((await later.post('/login/two-factor', { code: codeAt(secret) }, { csrfFrom: '/login/two-factor' })).statusCode).toBe(303);
  });

  it('waits only a few minutes between the password and the code', async () => {
    await app();
    const { secret } = await enrol(await signIn(ctx.app, SECRETARY));
    const browser = await password(SECRETARY);
    const token = await browser.csrfToken('/login/two-factor');
    ctx.clock.advance(TWO_FACTOR.pendingMs + STEP);
    const res = await browser.post('/login/two-factor', { code: codeAt(secret), _csrf: token });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
    expect((await browser.get('/secretary')).statusCode).toBe(303);
    expect((await browser.get('/login/two-factor')).headers.location).toBe('/login');
  });

  it('is turned off with a current code', async () => {
    await app();
    const secretary = await signIn(ctx.app, SECRETARY);
    const { secret } = await enrol(secretary);
    ctx.clock.advance(STEP);
    expect((await secretary.post('/account/two-factor/off', { code: '000000' }, { csrfFrom: '/account/two-factor' })).statusCode).toBe(422);
    expect((await secretary.post('/account/two-factor/off', { code: codeAt(secret) }, { csrfFrom: '/account/two-factor' })).statusCode).toBe(303);
    expect(auditCount('user.two_factor_off')).toBe(1);
    // A plain password sign-in again.
    await signIn(ctx.app, SECRETARY);
  });
});

describe('when the operator requires two-factor sign-in (TWO_FACTOR_REQUIRED=true)', () => {
  it('sends a coordinator to enrolment from every page until they enrol, and then lets them in', async () => {
    await app({ TWO_FACTOR_REQUIRED: 'true' });
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const console_ = await coordinator.get('/coordinator');
    expect(console_.statusCode).toBe(303);
    expect(console_.headers.location).toBe('/account/two-factor');
    const page = await coordinator.get('/account/two-factor');
    expect(page.body).toContain('管理员要求您的账号开启两步验证后才能继续使用后台。');
    const token = await coordinator.csrfToken('/account/two-factor');
    expect((await coordinator.post('/coordinator/orders/XY-20261206-0001/mark-paid', { reference: 'x', _csrf: token })).statusCode).toBe(403);

    const secret = /data-totp-secret>([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');
    expect((await coordinator.post('/account/two-factor', { code: codeAt(secret), _csrf: token })).statusCode).toBe(200);
    expect((await coordinator.get('/coordinator')).statusCode).toBe(200);
    // Required of the role: it cannot be turned off.
    const on = await coordinator.get('/account/two-factor');
    expect(on.body).toContain('您的角色必须使用两步验证，不能关闭。');
    ctx.clock.advance(STEP);
    expect((await coordinator.post('/account/two-factor/off', { code: codeAt(secret) }, { csrfFrom: '/account/two-factor' })).statusCode).toBe(403);
  });

  it('leaves secretaries and buyers to choose', async () => {
    await app({ TWO_FACTOR_REQUIRED: 'true' });
    expect((await (await signIn(ctx.app, SECRETARY)).get('/secretary')).statusCode).toBe(200);
    expect((await (await signIn(ctx.app, 'buyer@xiangyi.test')).get('/account/orders')).statusCode).toBe(200);
  });
});
