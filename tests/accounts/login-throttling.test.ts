import type { LightMyRequestResponse as Response } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOGIN_THROTTLE } from '../../src/accounts/accounts-service.js';
import { csrfTokenIn, encodeForm } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Sign-in throttling: failures per account and per address over LOGIN_THROTTLE.windowMs (the app's
 * clock), on top of the per-route request limit of @fastify/rate-limit (20 POST /login a minute per
 * address, on the real clock).
 */

const BUYER = 'buyer@xiangyi.test';
const SECRETARY = 'secretary.gulou@xiangyi.test';
const RIGHT = 'xiangyi-demo';
const GENERIC = '邮箱或密码不正确。';
const THROTTLED = '尝试次数太多，请 15 分钟后再试。';
const RATE_LIMITED = '请求太频繁，请稍后再试。';
/** Per-route limit of POST /login in src/accounts/accounts-routes.ts. */
const ROUTE_LIMIT_PER_MINUTE = 20;

const HOME = '203.0.113.10';
const ELSEWHERE = '198.51.100.20';

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  vi.useRealTimers();
  await ctx.close();
});

/** One person at one address: their own cookie jar and sign-in form token. */
function personAt(remoteAddress: string, headers: Record<string, string> = {}) {
  let cookies: Record<string, string> = {};
  let token: Promise<string> | null = null;
  const remember = (response: Response) => {
    for (const c of response.cookies) cookies = { ...cookies, [c.name]: c.value };
    return response;
  };
  const formToken = () =>
    (token ??= ctx.app.inject({ method: 'GET', url: '/login', remoteAddress, headers, cookies }).then((page) => csrfTokenIn(remember(page).body)!));
  return {
    /** Posts the sign-in form (fields as typed; a missing field is simply left out). */
    async signIn(email: string, password?: string): Promise<Response> {
      const _csrf = await formToken();
      return remember(
        await ctx.app.inject({
          method: 'POST',
          url: '/login',
          remoteAddress,
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          cookies,
          payload: encodeForm({ email, ...(password === undefined ? {} : { password }), _csrf }),
        }),
      );
    },
  };
}

/** Sign-in attempts at once (each costs a password hash; the hashing runs in parallel). */
const together = <T>(count: number, attempt: (i: number) => Promise<T>) => Promise.all(Array.from({ length: count }, (_, i) => attempt(i)));

/** The message of the sign-in page (its alert), or null. */
const loginError = (response: Response) => /<p class="flash flash-error" role="alert" id="login-error">([^<]*)<\/p>/.exec(response.body)?.[1] ?? null;
const failures = (sql: string, ...params: unknown[]) => (ctx.db.sqlite.prepare(`SELECT count(*) AS n FROM login_failures WHERE ${sql}`).get(...params) as { n: number }).n;

describe('throttling per account', () => {
  it(`refuses the ${LOGIN_THROTTLE.maxPerAccount + 1}th attempt after ${LOGIN_THROTTLE.maxPerAccount} wrong passwords, even with the right one, while another account elsewhere still signs in`, async () => {
    const attacker = personAt(HOME);
    const wrong = await together(LOGIN_THROTTLE.maxPerAccount, (i) => attacker.signIn(BUYER, `guess-number-${i}`));
    for (const [i, response] of wrong.entries()) {
      expect(response.statusCode, `wrong password ${i + 1}`).toBe(401);
      expect(loginError(response), `wrong password ${i + 1}`).toBe(GENERIC);
    }
    const throttled = await attacker.signIn(BUYER, RIGHT);
    expect(throttled.statusCode).toBe(429);
    expect(loginError(throttled)).toBe(THROTTLED);
    expect(throttled.cookies.find((c) => c.name === 'sid')).toBeUndefined();

    // The owner, from another address, is throttled too: the limit is on the account.
    const owner = await personAt(ELSEWHERE).signIn(BUYER, RIGHT);
    expect(owner.statusCode).toBe(429);

    const someoneElse = await personAt(ELSEWHERE).signIn(SECRETARY, RIGHT);
    expect(someoneElse.statusCode).toBe(303);
    expect(someoneElse.headers.location).toBe('/secretary');
  });

  it(`checks at most ${LOGIN_THROTTLE.maxPerAccount} passwords of one account per window, even when the guesses arrive at the same moment`, async () => {
    const guesses = LOGIN_THROTTLE.maxPerAccount * 2;
    const people = [personAt(HOME), personAt(ELSEWHERE)];
    const responses = await together(guesses, (i) => people[i % people.length]!.signIn(BUYER, `guess-number-${i}`));
    const checked = responses.filter((r) => r.statusCode === 401).length;
    const throttled = responses.filter((r) => r.statusCode === 429).length;
    expect(checked + throttled).toBe(guesses);
    expect(checked, `${checked} of ${guesses} simultaneous guesses had their password checked`).toBeLessThanOrEqual(LOGIN_THROTTLE.maxPerAccount);
  });

  it('lets the right password in again once LOGIN_THROTTLE.windowMs has passed, and forgets the failures', async () => {
    const person = personAt(HOME);
    await together(LOGIN_THROTTLE.maxPerAccount, (i) => person.signIn(BUYER, `guess-number-${i}`));
    expect((await person.signIn(BUYER, RIGHT)).statusCode).toBe(429);

    ctx.clock.advance(LOGIN_THROTTLE.windowMs - 1_000);
    expect((await person.signIn(BUYER, RIGHT)).statusCode).toBe(429);

    ctx.clock.advance(1_001);
    const response = await person.signIn(BUYER, RIGHT);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/account/orders');
    expect(failures('email = ?', BUYER)).toBe(0);
  });

  it('gives the same generic message and status for an unknown email as for a wrong password', async () => {
    const person = personAt(HOME);
    const unknown = await person.signIn('nobody-here@xiangyi.test', RIGHT);
    const wrong = await person.signIn(BUYER, 'not-the-password');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(loginError(unknown)).toBe(GENERIC);
    expect(loginError(wrong)).toBe(GENERIC);
    // Apart from the typed email and the form token, the two pages are the same.
    const normalise = (html: string) => html.replace(/value="[^"]*"/g, 'value=""');
    expect(normalise(unknown.body)).toBe(normalise(wrong.body));
    expect(failures('1')).toBe(2);
  });

  it('counts an email however it is capitalised or padded as the same account', async () => {
    const person = personAt(HOME);
    const spellings = ['Buyer@Xiangyi.test', ' buyer@xiangyi.test ', 'BUYER@XIANGYI.TEST', 'buyer@xiangyi.TEST', 'buYer@xiangyi.test'];
    const responses = await together(spellings.length, (i) => person.signIn(spellings[i]!, 'wrong-password'));
    expect(responses.map((r) => r.statusCode)).toEqual(spellings.map(() => 401));
    expect((await person.signIn(BUYER, RIGHT)).statusCode).toBe(429);
  });
});

describe('throttling per address', () => {
  it(`refuses an address after ${LOGIN_THROTTLE.maxPerAddress} failures across different emails, while other addresses sign in`, async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const sprayer = personAt(HOME);
    const statuses: number[] = [];
    // The request limit of POST /login (20 a minute per address, real time) would answer first:
    // stay under it, and let a minute pass between rounds.
    for (let sent = 0; sent < LOGIN_THROTTLE.maxPerAddress; sent += ROUTE_LIMIT_PER_MINUTE) {
      if (sent > 0) vi.setSystemTime(Date.now() + 61_000);
      const round = Math.min(ROUTE_LIMIT_PER_MINUTE, LOGIN_THROTTLE.maxPerAddress - sent);
      const responses = await together(round, (i) => sprayer.signIn(`person-${sent + i}@example.test`, 'password-1234'));
      statuses.push(...responses.map((r) => r.statusCode));
    }
    expect(statuses).toEqual(Array.from({ length: LOGIN_THROTTLE.maxPerAddress }, () => 401));
    expect(failures('address = ?', HOME)).toBe(LOGIN_THROTTLE.maxPerAddress);

    // A right password for an account that never failed: refused because of the address.
    const refused = await sprayer.signIn(SECRETARY, RIGHT);
    expect(refused.statusCode).toBe(429);
    expect(loginError(refused)).toBe(THROTTLED);

    const elsewhere = await personAt(ELSEWHERE).signIn(SECRETARY, RIGHT);
    expect(elsewhere.statusCode).toBe(303);

    ctx.clock.advance(LOGIN_THROTTLE.windowMs + 1);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await sprayer.signIn(SECRETARY, RIGHT)).statusCode).toBe(303);
  });

  it('counts a failure against the connecting address, not against an X-Forwarded-For header the client made up', async () => {
    // With every proxy trusted, a client picks its own address per request and is never throttled
    // per address (nor rate-limited, nor truthfully audited).
    const response = await personAt(HOME, { 'x-forwarded-for': '192.0.2.77' }).signIn('someone@example.test', 'password-1234');
    expect(response.statusCode).toBe(401);
    expect(ctx.db.sqlite.prepare(`SELECT address FROM login_failures`).all()).toEqual([{ address: HOME }]);
  });
});

describe('the request limit of POST /login', () => {
  it(`answers the ${ROUTE_LIMIT_PER_MINUTE + 1}st sign-in from one address within a minute with 429 before checking the password, and not for other addresses`, async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const person = personAt(HOME);
    // Forms without a password are refused before any hashing, but they count as requests.
    const incomplete = await together(ROUTE_LIMIT_PER_MINUTE, (i) => person.signIn(`someone-${i}@example.test`));
    expect(incomplete.map((r) => r.statusCode)).toEqual(incomplete.map(() => 422));

    const limited = await person.signIn(SECRETARY, RIGHT);
    expect(limited.statusCode).toBe(429);
    expect(limited.body).toContain(RATE_LIMITED);
    expect(limited.cookies.find((c) => c.name === 'sid')).toBeUndefined();

    expect((await personAt(ELSEWHERE).signIn(SECRETARY, RIGHT)).statusCode).toBe(303);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await person.signIn(SECRETARY, RIGHT)).statusCode).toBe(303);
  });
});
