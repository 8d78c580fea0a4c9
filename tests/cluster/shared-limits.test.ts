import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { anonymous, type TestBrowser } from '../helpers/auth.js';
import { createTestCluster, type TestCluster } from '../helpers/test-cluster.js';

/**
 * Two app servers over one database share the per-route request limits and the sign-in throttle:
 * a client spreading its requests over the servers (as a load balancer does) gets no more than from one.
 */

/** Per-route limit of POST /login (src/accounts/accounts-routes.ts). */
const LOGIN_LIMIT_PER_MINUTE = 20;
const HOME = '203.0.113.10';
const ELSEWHERE = '198.51.100.20';

let cluster: TestCluster;

beforeEach(async () => {
  browsers.clear();
  cluster = await createTestCluster(2);
});
afterEach(async () => {
  vi.useRealTimers();
  await cluster.close();
});

/** A visitor's browser on each server and address, with its form token (fetched once). */
const browsers = new Map<string, Promise<{ browser: TestBrowser; token: string }>>();
function browserOn(server: number, remoteAddress: string) {
  const key = `${server} ${remoteAddress}`;
  let made = browsers.get(key);
  if (!made) {
    const browser = anonymous(cluster.servers[server]!.app, { remoteAddress });
    made = browser.csrfToken('/login').then((token) => ({ browser, token }));
    browsers.set(key, made);
  }
  return made;
}

/** An incomplete sign-in form (no password: 422 without hashing), which counts as a request. */
async function postLogin(server: number, remoteAddress: string) {
  const { browser, token } = await browserOn(server, remoteAddress);
  return browser.post('/login', { email: 'someone@example.test', _csrf: token });
}

const counted = () => cluster.servers[0]!.db.sqlite.prepare('SELECT key, hits FROM rate_limit_counters ORDER BY key').all() as { key: string; hits: number }[];

describe('the request limits, on two servers over one database', () => {
  it(`answers the ${LOGIN_LIMIT_PER_MINUTE + 1}st POST /login of a minute from one address with 429 on either server, however the first ${LOGIN_LIMIT_PER_MINUTE} were spread`, async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const first = await Promise.all(Array.from({ length: LOGIN_LIMIT_PER_MINUTE }, (_, i) => postLogin(i % 2, HOME)));
    expect(first.map((r) => r.statusCode).filter((status) => status === 429)).toEqual([]);

    expect((await postLogin(0, HOME)).statusCode).toBe(429);
    expect((await postLogin(1, HOME)).statusCode).toBe(429);
    // Another address has its own count.
    expect((await postLogin(1, ELSEWHERE)).statusCode).not.toBe(429);
    expect(counted()).toEqual([
      { key: `POST /login|${ELSEWHERE}`, hits: 1 },
      { key: `POST /login|${HOME}`, hits: LOGIN_LIMIT_PER_MINUTE + 2 },
    ]);

    // A minute later the address starts again, on both servers.
    vi.setSystemTime(Date.now() + 61_000);
    expect((await postLogin(1, HOME)).statusCode).not.toBe(429);
    expect((await postLogin(0, HOME)).statusCode).not.toBe(429);
    expect(counted().find((c) => c.key === `POST /login|${HOME}`)?.hits).toBe(2);
  });

  it('refuses a client already over its limit without writing again, on the server that learnt it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    for (let i = 0; i <= LOGIN_LIMIT_PER_MINUTE; i++) await postLogin(0, HOME);
    const writes = cluster.servers[0]!.db.writes();
    const refused = await Promise.all(Array.from({ length: 30 }, () => postLogin(0, HOME)));
    expect(refused.every((r) => r.statusCode === 429)).toBe(true);
    expect(cluster.servers[0]!.db.writes()).toBe(writes);
    expect(counted()).toEqual([{ key: `POST /login|${HOME}`, hits: LOGIN_LIMIT_PER_MINUTE + 1 }]);
  });

  it('counts no request refused before the route runs (no form token): it writes nothing', async () => {
    const writes = cluster.servers[0]!.db.writes();
    const refused = await cluster.servers[0]!.app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress: HOME,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=someone%40example.test',
    });
    expect(refused.statusCode).toBe(403);
    expect(cluster.servers[0]!.db.writes()).toBe(writes);
    expect(counted()).toEqual([]);
  });

  it('counts nothing for the catalogue: its pages are not limited and write no counts', async () => {
    for (let i = 0; i < 5; i++) {
      for (const url of ['/', '/products', '/products?category=tea']) {
        const page = await cluster.servers[i % 2]!.app.inject({ method: 'GET', url, remoteAddress: HOME });
        expect(page.statusCode).toBe(200);
        expect(page.headers['x-ratelimit-limit']).toBeUndefined();
      }
    }
    expect(counted()).toEqual([]);
  });
});

describe('the sign-in throttle, on two servers over one database', () => {
  it('slows an account and address pair on the second server after the wrong passwords it was sent on the first', async () => {
    const onFirst = anonymous(cluster.servers[0]!.app, { remoteAddress: HOME });
    for (let i = 0; i < 5; i++) {
      const wrong = await onFirst.post('/login', { email: 'buyer@xiangyi.test', password: `guess-number-${i}` }, { csrfFrom: '/login' });
      expect(wrong.statusCode).toBe(401);
    }
    const onSecond = anonymous(cluster.servers[1]!.app, { remoteAddress: HOME });
    const slowed = await onSecond.post('/login', { email: 'buyer@xiangyi.test', password: 'xiangyi-demo' }, { csrfFrom: '/login' });
    expect(slowed.statusCode).toBe(429);
    // The owner elsewhere signs in on either.
    const owner = anonymous(cluster.servers[1]!.app, { remoteAddress: ELSEWHERE });
    expect((await owner.post('/login', { email: 'buyer@xiangyi.test', password: 'xiangyi-demo' }, { csrfFrom: '/login' })).statusCode).toBe(303);
  });
});
