import type { LightMyRequestResponse as Response } from 'fastify';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOGIN_THROTTLE } from '../../src/accounts/accounts-service.js';
import { csrfTokenIn, encodeForm, signIn } from '../helpers/auth.js';
import { httpBrowser } from '../helpers/http-browser.js';
import { startLiveServer } from '../helpers/live-server.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Sign-in throttling (src/accounts/sign-in-throttle.ts), on the app's clock: growing waits per
 * account and address pair, per account and per address for browsers the account does not know; a
 * browser that signed in to the account before (its device cookie) passes them. On top of it, the
 * per-route request limit of @fastify/rate-limit (20 POST /login a minute per address, real time).
 */

const BUYER = 'buyer@xiangyi.test';
const SECRETARY = 'secretary.gulou@xiangyi.test';
const COORDINATOR = 'coordinator@xiangyi.test';
const RIGHT = 'xiangyi-demo';
const GENERIC = '邮箱或密码不正确。';
const waitMessage = (minutes: number) => `尝试次数太多，请 ${minutes} 分钟后再试。`;
const RATE_LIMITED = '请求太频繁，请稍后再试。';
/** Per-route limit of POST /login in src/accounts/accounts-routes.ts. */
const ROUTE_LIMIT_PER_MINUTE = 20;
const MINUTE = 60_000;
const { pair: PAIR, account: ACCOUNT, address: ADDRESS } = LOGIN_THROTTLE;
// Tests here check tens of passwords (scrypt: 0.1–1 s each on a busy machine).
vi.setConfig({ testTimeout: 180_000 });

const HOME = '203.0.113.10';
const ELSEWHERE = '198.51.100.20';
/** A different address for each of many guessers. */
const guesserAddress = (i: number) => `192.0.2.${i + 1}`;

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  vi.useRealTimers();
  await ctx.close();
});

/** One browser at one address: its own cookie jar (session, CSRF secret, device cookie). */
function browserAt(remoteAddress: string, headers: Record<string, string> = {}) {
  let cookies: Record<string, string> = {};
  let token: Promise<string> | null = null;
  const remember = (response: Response) => {
    for (const c of response.cookies) {
      if (c.value === '' || c.maxAge === 0) {
        const { [c.name]: _gone, ...rest } = cookies;
        cookies = rest;
      } else cookies = { ...cookies, [c.name]: c.value };
      // A new CSRF secret (at sign-in and sign-out): the forms of pages before it no longer work.
      if (c.name === '_csrf') token = null;
    }
    return response;
  };
  const formToken = () =>
    (token ??= ctx.app.inject({ method: 'GET', url: '/login', remoteAddress, headers, cookies }).then((page) => csrfTokenIn(remember(page).body)!));
  const post = async (url: string, form: Record<string, string>, _csrf: string) =>
    remember(
      await ctx.app.inject({
        method: 'POST',
        url,
        remoteAddress,
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        cookies,
        payload: encodeForm({ ...form, _csrf }),
      }),
    );
  return {
    get cookies() {
      return cookies;
    },
    /** Posts the sign-in form (fields as typed; a missing field is simply left out). */
    async signIn(email: string, password?: string): Promise<Response> {
      return post('/login', { email, ...(password === undefined ? {} : { password }) }, await formToken());
    },
    /** Signs out with the token of a signed-in page; the device cookie stays. */
    async signOut(): Promise<Response> {
      const page = remember(await ctx.app.inject({ method: 'GET', url: '/', remoteAddress, headers, cookies }));
      return post('/logout', {}, csrfTokenIn(page.body)!);
    },
  };
}

/** Sign-in attempts at once (each costs a password hash; the hashing runs in parallel). */
const together = <T>(count: number, attempt: (i: number) => Promise<T>) => Promise.all(Array.from({ length: count }, (_, i) => attempt(i)));

/** The message of the sign-in page (its alert), or null. */
const loginError = (response: Response) => /<p class="flash flash-error" role="alert" id="login-error">([^<]*)<\/p>/.exec(response.body)?.[1] ?? null;
const failures = (sql: string, ...params: unknown[]) =>
  (ctx.db.sqlite.prepare(`SELECT count(*) AS n FROM login_failures WHERE ${sql}`).get(...params) as { n: number }).n;

/** A browser that has signed in to `email` before (so it carries the account's device cookie), signed out again. */
async function ownersBrowser(email: string, address: string) {
  const owner = browserAt(address);
  expect((await owner.signIn(email, RIGHT)).statusCode).toBe(303);
  expect(owner.cookies.device).toBeTruthy();
  expect((await owner.signOut()).statusCode).toBe(303);
  return owner;
}

/** One wrong guess from each of `count` different addresses, all at once. */
const guessFromManyAddresses = (email: string, count: number) => together(count, (i) => browserAt(guesserAddress(i)).signIn(email, `guess-number-${i}`));

describe('throttling per account and address pair', () => {
  it(`makes the guesser wait after ${PAIR.free} wrong passwords from one address, even with the right one, while the owner signs in from another address`, async () => {
    const attacker = browserAt(HOME);
    const wrong = await together(PAIR.free, (i) => attacker.signIn(BUYER, `guess-number-${i}`));
    for (const [i, response] of wrong.entries()) {
      expect(response.statusCode, `wrong password ${i + 1}`).toBe(401);
      expect(loginError(response), `wrong password ${i + 1}`).toBe(GENERIC);
    }
    const slowed = await attacker.signIn(BUYER, RIGHT);
    expect(slowed.statusCode).toBe(429);
    expect(loginError(slowed)).toBe(waitMessage(1));
    expect(slowed.cookies.find((c) => c.name === 'sid')).toBeUndefined();

    // The owner, from another address and a browser the account does not know, is not held back.
    const owner = await browserAt(ELSEWHERE).signIn(BUYER, RIGHT);
    expect(owner.statusCode).toBe(303);
    expect(owner.headers.location).toBe('/account/orders');
  });

  it(`checks at most ${PAIR.free} passwords of one account from one address, even when the guesses arrive at the same moment`, async () => {
    const guesses = PAIR.free * 3;
    const attacker = browserAt(HOME);
    const responses = await together(guesses, (i) => attacker.signIn(BUYER, `guess-number-${i}`));
    const checked = responses.filter((r) => r.statusCode === 401).length;
    const slowed = responses.filter((r) => r.statusCode === 429).length;
    expect(checked + slowed).toBe(guesses);
    expect(checked, `${checked} of ${guesses} simultaneous guesses had their password checked`).toBe(PAIR.free);
    expect(failures('email = ?', BUYER)).toBe(PAIR.free);
  });

  it('doubles the wait with each further wrong password (1 minute, 2, 4 …); the right password after the wait signs in and the pair starts afresh', async () => {
    const attacker = browserAt(HOME);
    await together(PAIR.free, (i) => attacker.signIn(BUYER, `guess-number-${i}`));
    for (const minutes of [1, 2, 4, 8]) {
      expect(loginError(await attacker.signIn(BUYER, 'yet-another-guess')), `after ${minutes === 1 ? PAIR.free : 'more'} failures`).toBe(waitMessage(minutes));
      ctx.clock.advance(minutes * MINUTE - 1_000);
      expect((await attacker.signIn(BUYER, 'yet-another-guess')).statusCode, `a second before the ${minutes}-minute wait is over`).toBe(429);
      ctx.clock.advance(1_000);
      expect((await attacker.signIn(BUYER, 'yet-another-guess')).statusCode, `once the ${minutes}-minute wait is over`).toBe(401);
    }
    expect(loginError(await attacker.signIn(BUYER, RIGHT))).toBe(waitMessage(16));
    ctx.clock.advance(16 * MINUTE);
    const response = await attacker.signIn(BUYER, RIGHT);
    expect(response.statusCode).toBe(303);
    expect(failures('email = ? AND address = ?', BUYER, HOME)).toBe(0);
  });

  it(`never makes anyone wait more than an hour, and forgets failures after ${LOGIN_THROTTLE.windowMs / 3600_000} hours`, async () => {
    const attacker = browserAt(HOME);
    await together(PAIR.free, (i) => attacker.signIn(BUYER, `guess-number-${i}`));
    for (let i = 0; i < 10; i++) {
      ctx.clock.advance(PAIR.maxDelayMs);
      expect((await attacker.signIn(BUYER, `guess-after-an-hour-${i}`)).statusCode).toBe(401);
    }
    expect(loginError(await attacker.signIn(BUYER, RIGHT))).toBe(waitMessage(60));
    ctx.clock.advance(LOGIN_THROTTLE.windowMs + 1);
    expect((await attacker.signIn(BUYER, RIGHT)).statusCode).toBe(303);
  });

  it('gives the same generic message and status for an unknown email as for a wrong password', async () => {
    const person = browserAt(HOME);
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

  it('slows guesses at an unknown email exactly like guesses at an account, so waiting tells nothing', async () => {
    const person = browserAt(HOME);
    await together(PAIR.free, (i) => person.signIn('nobody-here@xiangyi.test', `guess-number-${i}`));
    await together(PAIR.free, (i) => person.signIn(BUYER, `guess-number-${i}`));
    expect(loginError(await person.signIn('nobody-here@xiangyi.test', RIGHT))).toBe(waitMessage(1));
    expect(loginError(await person.signIn(BUYER, RIGHT))).toBe(waitMessage(1));
  });

  it('counts an email however it is capitalised or padded as the same account', async () => {
    const person = browserAt(HOME);
    const spellings = ['Buyer@Xiangyi.test', ' buyer@xiangyi.test ', 'BUYER@XIANGYI.TEST', 'buyer@xiangyi.TEST', 'buYer@xiangyi.test'];
    const responses = await together(spellings.length, (i) => person.signIn(spellings[i]!, 'wrong-password'));
    expect(responses.map((r) => r.statusCode)).toEqual(spellings.map(() => 401));
    expect((await person.signIn(BUYER, RIGHT)).statusCode).toBe(429);
  });
});

describe('throttling per account, from many addresses', () => {
  it(`slows browsers the account does not know once ${ACCOUNT.free} guesses came from different addresses, and lets the owner's browser through`, async () => {
    const owner = await ownersBrowser(COORDINATOR, ELSEWHERE);
    const guesses = await guessFromManyAddresses(COORDINATOR, ACCOUNT.free);
    expect(guesses.map((r) => r.statusCode)).toEqual(guesses.map(() => 401));

    // A new browser, even with the right password, waits a minute: the account is being guessed at.
    const newBrowser = await browserAt(HOME).signIn(COORDINATOR, RIGHT);
    expect(newBrowser.statusCode).toBe(429);
    expect(loginError(newBrowser)).toBe(waitMessage(1));
    const nextGuesser = await browserAt(guesserAddress(ACCOUNT.free)).signIn(COORDINATOR, 'one-more-guess');
    expect(nextGuesser.statusCode).toBe(429);

    // The browser the coordinator signed in with before carries the account's device cookie.
    const signedIn = await owner.signIn(COORDINATOR, RIGHT);
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe('/coordinator');

    // Other accounts are not affected.
    expect((await browserAt(HOME).signIn(SECRETARY, RIGHT)).statusCode).toBe(303);
  });

  it('lists the accounts being guessed at for admins, with how many guesses from how many addresses', async () => {
    await guessFromManyAddresses(COORDINATOR, PAIR.free);
    await guessFromManyAddresses('no-such-account@example.test', PAIR.free);
    const admin = await signIn(ctx.app, 'admin@xiangyi.test');
    const page = await admin.get('/admin/security');
    expect(page.statusCode).toBe(200);
    const row = /<tr data-account="coordinator@xiangyi\.test">([\s\S]*?)<\/tr>/.exec(page.body)?.[1] ?? '';
    expect(row).toContain(`<td data-failures>${PAIR.free}</td>`);
    expect(row).toContain(`<td data-addresses>${PAIR.free}</td>`);
    // Typed e-mails without an account are not listed (people type passwords into the e-mail field).
    expect(page.body).not.toContain('no-such-account@example.test');
    expect(page.body).not.toContain(`data-account="${BUYER}"`);

    const secretary = await signIn(ctx.app, SECRETARY);
    expect((await secretary.get('/admin/security')).statusCode).toBe(403);
  });
});

describe('the device cookie', () => {
  it(`stops being trusted after ${LOGIN_THROTTLE.deviceFailures} wrong passwords through it`, async () => {
    const owner = await ownersBrowser(BUYER, HOME);
    await together(PAIR.free, (i) => browserAt(HOME).signIn(BUYER, `guess-number-${i}`));
    const wrong = await together(LOGIN_THROTTLE.deviceFailures, (i) => owner.signIn(BUYER, `device-guess-${i}`));
    expect(wrong.map((r) => r.statusCode)).toEqual(wrong.map(() => 401));
    // Now a browser like any other at that address: the pair's wait applies to it.
    expect((await owner.signIn(BUYER, RIGHT)).statusCode).toBe(429);
  });

  it('is trusted only for the account it was given to, and not once the password was changed after it was given', async () => {
    const buyersBrowser = await ownersBrowser(BUYER, HOME);
    const phone = await signIn(ctx.app, BUYER);
    await together(PAIR.free, (i) => browserAt(HOME).signIn(COORDINATOR, `guess-number-${i}`));
    await together(PAIR.free, (i) => browserAt(HOME).signIn(BUYER, `guess-number-${i}`));
    // The buyer's device cookie does not open the coordinator's throttle.
    expect((await buyersBrowser.signIn(COORDINATOR, RIGHT)).statusCode).toBe(429);

    // The buyer changes the password on their phone: device cookies given before no longer count.
    ctx.clock.advance(1);
    const changed = await phone.post(
      '/account/password',
      { currentPassword: RIGHT, newPassword: 'a-brand-new-passphrase', passwordConfirm: 'a-brand-new-passphrase' },
      { csrfFrom: '/account/password' },
    );
    expect(changed.statusCode).toBe(303);
    expect((await buyersBrowser.signIn(BUYER, 'a-brand-new-passphrase')).statusCode).toBe(429);
  });
});

describe('throttling per address', () => {
  it(`slows an address after ${ADDRESS.free} failures across different emails, but not people elsewhere nor browsers there that signed in before`, async () => {
    const colleague = await ownersBrowser(SECRETARY, HOME);
    vi.useFakeTimers({ toFake: ['Date'] });
    const sprayer = browserAt(HOME);
    const statuses: number[] = [];
    // The request limit of POST /login (20 a minute per address, real time) would answer first:
    // stay under it, and let a minute pass between rounds.
    for (let sent = 0; sent < ADDRESS.free; sent += ROUTE_LIMIT_PER_MINUTE) {
      vi.setSystemTime(Date.now() + 61_000);
      const round = Math.min(ROUTE_LIMIT_PER_MINUTE, ADDRESS.free - sent);
      const responses = await together(round, (i) => sprayer.signIn(`person-${sent + i}@example.test`, 'password-1234'));
      statuses.push(...responses.map((r) => r.statusCode));
    }
    expect(statuses).toEqual(Array.from({ length: ADDRESS.free }, () => 401));
    expect(failures('address = ?', HOME)).toBe(ADDRESS.free);
    vi.setSystemTime(Date.now() + 61_000);

    // A right password for an account that never failed, from a new browser at that address: it waits.
    const slowed = await browserAt(HOME).signIn(BUYER, RIGHT);
    expect(slowed.statusCode).toBe(429);
    expect(loginError(slowed)).toBe(waitMessage(1));

    // The same account from elsewhere, and a colleague at that address whose browser signed in before, are let in.
    expect((await browserAt(ELSEWHERE).signIn(BUYER, RIGHT)).statusCode).toBe(303);
    expect((await colleague.signIn(SECRETARY, RIGHT)).statusCode).toBe(303);

    // A minute later the new browser at that address gets in too: slowed, never locked out.
    ctx.clock.advance(MINUTE);
    expect((await browserAt(HOME).signIn(BUYER, RIGHT)).statusCode).toBe(303);
  });

  it('counts a failure against the connecting address, not against an X-Forwarded-For header the client made up', async () => {
    // With every proxy trusted, a client picks its own address per request and is never throttled
    // per address (nor rate-limited, nor truthfully audited).
    const response = await browserAt(HOME, { 'x-forwarded-for': '192.0.2.77' }).signIn('someone@example.test', 'password-1234');
    expect(response.statusCode).toBe(401);
    expect(ctx.db.sqlite.prepare(`SELECT address FROM login_failures`).all()).toEqual([{ address: HOME }]);
  });
});

describe('the request limit of POST /login', () => {
  it(`answers the ${ROUTE_LIMIT_PER_MINUTE + 1}st sign-in from one address within a minute with 429 before checking the password, and not for other addresses`, async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const person = browserAt(HOME);
    // Forms without a password are refused before any hashing, but they count as requests.
    const incomplete = await together(ROUTE_LIMIT_PER_MINUTE, (i) => person.signIn(`someone-${i}@example.test`));
    expect(incomplete.map((r) => r.statusCode)).toEqual(incomplete.map(() => 422));

    const limited = await person.signIn(SECRETARY, RIGHT);
    expect(limited.statusCode).toBe(429);
    expect(limited.body).toContain(RATE_LIMITED);
    expect(limited.cookies.find((c) => c.name === 'sid')).toBeUndefined();

    expect((await browserAt(ELSEWHERE).signIn(SECRETARY, RIGHT)).statusCode).toBe(303);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await person.signIn(SECRETARY, RIGHT)).statusCode).toBe(303);
  });
});

describe('many guessers on real connections from many loopback addresses (127.0.0.x)', () => {
  it('checks at most the account throttle’s free guesses however many addresses guess, and the owner still signs in', async () => {
    let now = Date.now();
    const server = await startLiveServer({ clock: () => now });
    const agents: Agent[] = [];
    const from = (address: string) => {
      const agent = new Agent({ localAddress: address });
      agents.push(agent);
      return httpBrowser(server.url, agent);
    };
    try {
      // The coordinator signed in from their own computer earlier, and signed out.
      const owner = from('127.0.0.2');
      expect((await owner.post('/login', { email: COORDINATOR, password: RIGHT }, '/login')).status).toBe(303);
      expect((await owner.post('/logout', {}, '/coordinator')).status).toBe(303);

      // Forty guessers, each on its own address, three guesses each, all at once.
      const GUESSERS = 40;
      const PER_GUESSER = 3;
      const answers = (
        await Promise.all(
          Array.from({ length: GUESSERS }, async (_, g) => {
            const guesser = from(`127.0.0.${10 + g}`);
            const token = await guesser.token('/login');
            const statuses: number[] = [];
            for (let i = 0; i < PER_GUESSER; i++)
              statuses.push((await guesser.postWith('/login', { email: COORDINATOR, password: `guess-${g}-${i}` }, token)).status);
            return statuses;
          }),
        )
      ).flat();
      expect(answers.filter((s) => s !== 401 && s !== 429)).toEqual([]);
      const checked = answers.filter((s) => s === 401).length;
      expect(checked, `${checked} of ${answers.length} guesses had their password checked`).toBe(ACCOUNT.free);
      const addresses = server.db.sqlite.prepare(`SELECT count(DISTINCT address) FROM login_failures WHERE email = ?`).pluck().get(COORDINATOR) as number;
      expect(addresses).toBeGreaterThan(PAIR.free);

      // A browser the account has never seen waits, even with the right password …
      expect((await from('127.0.0.100').post('/login', { email: COORDINATOR, password: RIGHT }, '/login')).status).toBe(429);
      // … while the owner's own browser signs straight in.
      const signedIn = await owner.post('/login', { email: COORDINATOR, password: RIGHT }, '/login');
      expect(signedIn.status).toBe(303);
      expect(signedIn.location).toBe('/coordinator');

      // The guessers are slowed, not the account locked: after the wait a new browser signs in too.
      now += ACCOUNT.firstDelayMs;
      expect((await from('127.0.0.101').post('/login', { email: COORDINATOR, password: RIGHT }, '/login')).status).toBe(303);
    } finally {
      await Promise.all(agents.map((a) => a.close()));
      await server.close();
    }
  });
});
