import { createHash, randomBytes } from 'node:crypto';
import type { LightMyRequestResponse as Response } from 'fastify';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessions, users } from '../../src/accounts/schema.js';
import { auditLog } from '../../src/audit/schema.js';
import { SESSION_POLICY } from '../../src/accounts/session-service.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { countOf, rowOf, rowsOf, writeOf } from '../helpers/db-query.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** Server-side sessions: what the cookie is, what the database keeps, and when a session ends. */

const SECRETARY = 'secretary.gulou@xiangyi.test';
const BUYER = 'buyer@xiangyi.test';
const HOUR = 3600_000;

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const sessionRow = (cookieValue: string) =>
  rowOf(ctx.db, (tx) =>
    tx
      .select({ userId: sessions.userId })
      .from(sessions)
      .where(eq(sessions.idHash, sha256(cookieValue))),
  );
const userId = async (email: string) => (await rowOf(ctx.db, (tx) => tx.select({ id: users.id }).from(users).where(eq(users.email, email))))!.id;
const sidCookie = (response: Response) => response.cookies.find((c) => c.name === 'sid');
const flashIn = (html: string) => /<div class="wrap flash flash-(success|error)" role="status">([^<]*)<\/div>/.exec(html)?.slice(1, 3) ?? null;

/** A request carrying only this session cookie, as someone who copied it would send it. */
const withSid = (url: string, sid: string) => ctx.app.inject({ method: 'GET', url, cookies: { sid } });

/** A visitor who already has an anonymous session (a cart, say), created the way the session service does. */
async function visitorWithAnonymousSession(): Promise<{ visitor: TestBrowser; sid: string }> {
  const sid = randomBytes(32).toString('base64url');
  const now = ctx.clock.now;
  await writeOf(ctx.db, (tx) =>
    tx.insert(sessions).values({ idHash: sha256(sid), userId: null, data: '{}', createdAt: now, lastSeenAt: now, expiresAt: now + SESSION_POLICY.absoluteMs }),
  );
  const visitor = anonymous(ctx.app);
  visitor.cookies.sid = sid;
  return { visitor, sid };
}

async function signInWith(browser: TestBrowser, email: string, password = 'xiangyi-demo'): Promise<Response> {
  return browser.post('/login', { email, password }, { csrfFrom: '/login' });
}

describe('signing in', () => {
  it('sets a new httpOnly, SameSite=Lax session cookie of at least 128 random bits, and the anonymous session it replaces stops working', async () => {
    const { visitor, sid: before } = await visitorWithAnonymousSession();
    expect(await sessionRow(before)).toEqual({ userId: null });

    const response = await signInWith(visitor, SECRETARY);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/secretary');
    const cookie = sidCookie(response)!;
    expect(cookie).toBeDefined();
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.path).toBe('/');
    expect(cookie.secure).toBeFalsy();
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(cookie.value, 'base64url').length).toBeGreaterThanOrEqual(16);

    // No session fixation: a new id, and the one from before sign-in is gone.
    expect(cookie.value).not.toBe(before);
    expect(await sessionRow(cookie.value)).toEqual({ userId: await userId(SECRETARY) });
    expect(await sessionRow(before)).toBeUndefined();
    const replayed = await withSid('/secretary', before);
    expect(replayed.statusCode).toBe(303);
    expect(replayed.headers.location).toBe('/login?next=%2Fsecretary');
    expect((await withSid('/secretary', cookie.value)).statusCode).toBe(200);
  });

  it('does not adopt a session id planted in the visitor’s browser', async () => {
    const visitor = anonymous(ctx.app);
    const planted = randomBytes(32).toString('base64url');
    visitor.cookies.sid = planted;
    const response = await signInWith(visitor, SECRETARY);
    expect(response.statusCode).toBe(303);
    expect(sidCookie(response)!.value).not.toBe(planted);
    expect(await sessionRow(planted)).toBeUndefined();
    expect((await withSid('/secretary', planted)).statusCode).toBe(303);
  });

  it('keeps only a SHA-256 of the session id in the database, never the cookie value', async () => {
    const secretary = await signIn(ctx.app, SECRETARY);
    const sid = secretary.cookies.sid!;
    const rows = await rowsOf(ctx.db, (tx) => tx.select().from(sessions));
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(sid);
    expect(rows.map((r) => r.idHash)).toContain(sha256(sid));
    for (const row of rows) expect(row.idHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('marks every cookie Secure when the shop is served over https', async () => {
    const https = await createTestApp({ env: { PUBLIC_URL: 'https://shop.example' } });
    try {
      const visitor = anonymous(https.app);
      const loginPage = await visitor.get('/login?lang=en');
      const csrfCookie = loginPage.cookies.find((c) => c.name === '_csrf');
      const langCookie = loginPage.cookies.find((c) => c.name === 'lang');
      expect(csrfCookie?.secure).toBe(true);
      expect(langCookie?.secure).toBe(true);
      const response = await visitor.post('/login', { email: SECRETARY, password: 'xiangyi-demo' }, { csrfFrom: '/login' });
      expect(response.statusCode).toBe(303);
      expect(sidCookie(response)).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax' });
      expect(String(response.headers['strict-transport-security'])).toContain('max-age=');
    } finally {
      await https.close();
    }
  });
});

describe('signing out', () => {
  it('deletes the session row, clears the cookie, and the old cookie then acts as signed out', async () => {
    const secretary = await signIn(ctx.app, SECRETARY);
    const sid = secretary.cookies.sid!;
    expect(await sessionRow(sid)).toBeDefined();

    const response = await secretary.post('/logout', {});
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    expect(sidCookie(response)?.value).toBe('');
    expect(await sessionRow(sid)).toBeUndefined();
    expect(secretary.cookies.sid).toBeUndefined();

    const replayed = await withSid('/secretary', sid);
    expect(replayed.statusCode).toBe(303);
    expect(replayed.headers.location).toBe('/login?next=%2Fsecretary');
    const home = await withSid('/', sid);
    expect(home.body).toContain('<a href="/login">登录</a>');
  });
});

describe('session expiry', () => {
  it('signs a first secretary out after SESSION_POLICY.staffIdleMs without a request, but not while they keep working', async () => {
    const secretary = await signIn(ctx.app, SECRETARY);
    const sid = secretary.cookies.sid!;
    ctx.clock.advance(SESSION_POLICY.staffIdleMs - 60_000);
    expect((await secretary.get('/secretary')).statusCode).toBe(200);

    ctx.clock.advance(SESSION_POLICY.staffIdleMs);
    const idle = await secretary.get('/secretary');
    expect(idle.statusCode).toBe(303);
    expect(idle.headers.location).toBe('/login?next=%2Fsecretary');
    expect(await sessionRow(sid)).toBeUndefined();
  });

  it('signs a first secretary out at SESSION_POLICY.staffAbsoluteMs even when they touch the console every hour', async () => {
    const secretary = await signIn(ctx.app, SECRETARY);
    const hours = SESSION_POLICY.staffAbsoluteMs / HOUR;
    for (let hour = 1; hour < hours; hour++) {
      ctx.clock.advance(HOUR);
      expect((await secretary.get('/secretary')).statusCode, `after ${hour} h`).toBe(200);
    }
    ctx.clock.advance(HOUR);
    const expired = await secretary.get('/secretary');
    expect(expired.statusCode, `after ${hours} h`).toBe(303);
    expect(expired.headers.location).toBe('/login?next=%2Fsecretary');
  });

  it('keeps a buyer signed in after two hours without a request (staff limits do not apply)', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    ctx.clock.advance(2 * HOUR + 60_000);
    const page = await buyer.get('/account/password');
    expect(page.statusCode).toBe(200);
    ctx.clock.advance(3 * 24 * HOUR);
    expect((await buyer.get('/account/password')).statusCode).toBe(200);
    ctx.clock.advance(SESSION_POLICY.idleMs);
    expect((await buyer.get('/account/password')).statusCode).toBe(303);
  });
});

describe('changing the password', () => {
  it('refuses a wrong current password with a message and changes nothing', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const response = await buyer.post('/account/password', {
      currentPassword: 'not-my-password',
      newPassword: 'a-brand-new-passphrase',
      passwordConfirm: 'a-brand-new-passphrase',
    });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('<p class="field-error" id="e-currentPassword">当前密码不正确。</p>');
    expect(response.body).not.toContain('a-brand-new-passphrase');
    expect(response.body).not.toContain('not-my-password');
    expect((await anonymous(ctx.app).post('/login', { email: BUYER, password: 'xiangyi-demo' }, { csrfFrom: '/login' })).statusCode).toBe(303);
  });

  it('ends the user’s other sessions, keeps this browser signed in with a new id, and only the new password works afterwards', async () => {
    const phone = await signIn(ctx.app, BUYER);
    const laptop = await signIn(ctx.app, BUYER);
    const laptopSidBefore = laptop.cookies.sid!;
    const otherUser = await signIn(ctx.app, SECRETARY);

    const response = await laptop.post('/account/password', {
      currentPassword: 'xiangyi-demo',
      newPassword: 'a-brand-new-passphrase',
      passwordConfirm: 'a-brand-new-passphrase',
    });
    expect(response.statusCode).toBe(303);
    expect(laptop.cookies.sid).not.toBe(laptopSidBefore);
    expect(await sessionRow(laptopSidBefore)).toBeUndefined();

    const page = await laptop.get('/account/password');
    expect(page.statusCode).toBe(200);
    expect(flashIn(page.body)).toEqual(['success', '密码已修改，其他设备上的登录已退出。']);
    expect((await phone.get('/account/password')).statusCode).toBe(303);
    expect((await otherUser.get('/secretary')).statusCode).toBe(200);
    expect(await countOf(ctx.db, sessions, eq(sessions.userId, await userId(BUYER)))).toBe(1);

    const old = await anonymous(ctx.app).post('/login', { email: BUYER, password: 'xiangyi-demo' }, { csrfFrom: '/login' });
    expect(old.statusCode).toBe(401);
    expect(old.body).toContain('邮箱或密码不正确。');
    await expect(signIn(ctx.app, BUYER, 'a-brand-new-passphrase')).resolves.toBeDefined();
    const audit = await rowsOf(ctx.db, (tx) =>
      tx.select({ userId: auditLog.userId, address: auditLog.address }).from(auditLog).where(eq(auditLog.action, 'user.password_change')),
    );
    expect(audit).toEqual([{ userId: await userId(BUYER), address: '127.0.0.1' }]);
  });
});
