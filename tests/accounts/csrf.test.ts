import { createHash, randomBytes } from 'node:crypto';
import type { LightMyRequestResponse as Response } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, signIn, type FormFields, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Every state-changing route refuses a form without a valid CSRF token: none at all, one from another
 * session, or a tampered one. Each refusal is a 403 and leaves every table of the database as it was;
 * the same request with the page's own token then goes through, so it is the token that was refused.
 */

const ADMIN = 'admin@xiangyi.test';
const SECRETARY = 'secretary.gulou@xiangyi.test';
const BUYER = 'buyer@xiangyi.test';
const CSRF_MESSAGE = '页面已过期，请刷新后重试。';
/** Routes authenticated otherwise (a signature), with `config: { csrf: false }`. */
// Stripe signs its webhooks; the one-click unsubscribe of RFC 8058 is posted by mail providers without
// cookies and carries its own HMAC-signed link (tests/notifications/order-messages.test.ts forges one).
const CSRF_EXEMPT = new Set(['/webhooks/stripe', '/mail/unsubscribe']);
/** Well-formed values for path parameters of routes not listed below (a malformed one is a 404 before any check). */
const PARAM_SAMPLES: Record<string, string> = { number: 'XY-20250101-0001', slug: 'tuyao-tea', code: 'abc123', period: '2026-11' };

type Who = 'visitor' | 'admin' | 'secretary' | 'buyer' | 'leaver';

interface PostRoute {
  pattern: string;
  as: Who;
  url(): string;
  form(): FormFields;
  multipart?: boolean;
  /** The status of the same request with the right token. */
  okStatus: number;
}

let ctx: TestContext;
const ids = { ownHousehold: 0, ownProducer: 0, ownProduct: 0, ownPhoto: 0, projectId: 0, gulou: 0, chashan: 0, buyerId: 0, households: [] as number[] };
/** Signed-in browsers shared by the routes that do not end or change their own session. */
const shared = new Map<Who, { browser: TestBrowser; twin: TestBrowser }>();

const household = (): FormFields => ({ villageId: String(ids.gulou), realName: '防伪测试户', members: '2' });
const product = (): FormFields => ({
  titleZh: '防伪测试木耳',
  category: 'dried-goods',
  unit: 'bag',
  price: '30',
  minOrderQty: '1',
  stock: '5',
  producerId: String(ids.ownProducer),
  projectId: String(ids.projectId),
});
const producer = (): FormFields => ({
  villageId: String(ids.gulou),
  kind: 'cooperative',
  nameZh: '防伪测试合作社',
  [`member_${ids.households[0]}`]: 'on',
  [`member_${ids.households[1]}`]: 'on',
});

const ROUTES: PostRoute[] = [
  { pattern: '/login', as: 'visitor', url: () => '/login', form: () => ({ email: BUYER, password: 'xiangyi-demo' }), okStatus: 303 },
  { pattern: '/logout', as: 'leaver', url: () => '/logout', form: () => ({}), okStatus: 303 },
  {
    pattern: '/register',
    as: 'visitor',
    url: () => '/register',
    form: () => ({ email: 'new.buyer@example.test', displayName: '新买家', password: 'a-strong-passphrase', passwordConfirm: 'a-strong-passphrase' }),
    // "Check your e-mail" (the registration request is recorded and the link sent).
    okStatus: 200,
  },
  {
    pattern: '/account/password',
    as: 'buyer',
    url: () => '/account/password',
    form: () => ({ currentPassword: 'xiangyi-demo', newPassword: 'a-brand-new-passphrase', passwordConfirm: 'a-brand-new-passphrase' }),
    okStatus: 303,
  },
  {
    pattern: '/admin/users',
    as: 'admin',
    url: () => '/admin/users',
    form: () => ({
      email: 'secretary.huang@xiangyi.test',
      displayName: '黄书记',
      password: 'a-long-initial-password',
      role: 'first_secretary',
      villageIds: [String(ids.chashan)],
    }),
    okStatus: 303,
  },
  {
    pattern: '/admin/users/:id',
    as: 'admin',
    url: () => `/admin/users/${ids.buyerId}`,
    form: () => ({ displayName: '改名的买家', role: 'buyer' }),
    okStatus: 303,
  },
  { pattern: '/secretary/households', as: 'secretary', url: () => '/secretary/households', form: household, okStatus: 303 },
  {
    pattern: '/secretary/households/:id',
    as: 'secretary',
    url: () => `/secretary/households/${ids.ownHousehold}`,
    form: () => ({ ...household(), members: '6' }),
    okStatus: 303,
  },
  { pattern: '/secretary/producers', as: 'secretary', url: () => '/secretary/producers', form: producer, okStatus: 303 },
  { pattern: '/secretary/producers/:id', as: 'secretary', url: () => `/secretary/producers/${ids.ownProducer}`, form: producer, okStatus: 303 },
  { pattern: '/secretary/products', as: 'secretary', url: () => '/secretary/products', form: product, okStatus: 303 },
  { pattern: '/secretary/products/:id', as: 'secretary', url: () => `/secretary/products/${ids.ownProduct}`, form: product, okStatus: 303 },
  {
    pattern: '/secretary/products/:id/publish',
    as: 'secretary',
    url: () => `/secretary/products/${ids.ownProduct}/publish`,
    form: () => ({ published: '0' }),
    okStatus: 303,
  },
  {
    pattern: '/secretary/products/:id/stock',
    as: 'secretary',
    url: () => `/secretary/products/${ids.ownProduct}/stock`,
    form: () => ({ delta: '-1', reason: '样品' }),
    okStatus: 303,
  },
  {
    pattern: '/secretary/products/:id/photos',
    as: 'secretary',
    url: () => `/secretary/products/${ids.ownProduct}/photos`,
    form: () => ({}),
    multipart: true,
    okStatus: 303,
  },
  {
    pattern: '/secretary/products/:id/photos/:photoId/move',
    as: 'secretary',
    url: () => `/secretary/products/${ids.ownProduct}/photos/${ids.ownPhoto}/move`,
    form: () => ({ move: 'later' }),
    okStatus: 303,
  },
  {
    pattern: '/secretary/products/:id/photos/:photoId/alt',
    as: 'secretary',
    url: () => `/secretary/products/${ids.ownProduct}/photos/${ids.ownPhoto}/alt`,
    form: () => ({ altZh: '照片说明' }),
    okStatus: 303,
  },
  {
    pattern: '/secretary/products/:id/photos/:photoId/delete',
    as: 'secretary',
    url: () => `/secretary/products/${ids.ownProduct}/photos/${ids.ownPhoto}/delete`,
    form: () => ({}),
    okStatus: 303,
  },
];

/** Every POST route the app registers, read from its route tree. */
function postRoutes(): string[] {
  const tree = ctx.app.printRoutes({ commonPrefix: false, method: 'POST' });
  const stack: string[] = [];
  const found: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    if (m[3]?.split(', ').includes('POST')) found.push(path);
  }
  return found;
}

/** A digest of every row of every table (blobs by their hash): equal digests, unchanged database. */
function fingerprint(): string {
  const digest = createHash('sha256');
  const tables = ctx.db.sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as {
    name: string;
  }[];
  for (const { name } of tables) {
    digest.update(`\u0000${name}\u0000`);
    for (const row of ctx.db.sqlite.prepare(`SELECT * FROM "${name}"`).raw().iterate() as Iterable<unknown[]>) {
      digest.update(
        JSON.stringify(row.map((v) => (v instanceof Uint8Array ? createHash('sha1').update(v).digest('hex') : typeof v === 'bigint' ? String(v) : v))),
      );
    }
  }
  return digest.digest('hex');
}

/** The same token with one character of its signature changed. */
function tamper(token: string): string {
  const at = token.length - 5;
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
}

/** The upload form's body, its CSRF token (when given) the first field as the page sends it. */
async function photoBody(token?: string): Promise<{ payload: Buffer; contentType: string }> {
  const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 20, g: 90, b: 160 } } })
    .png()
    .toBuffer();
  const boundary = `----xiangyi${randomBytes(8).toString('hex')}`;
  return {
    payload: Buffer.concat([
      Buffer.from(token === undefined ? '' : `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="photo.png"\r\nContent-Type: image/png\r\n\r\n`),
      png,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** Posts a route's form as `browser`, with the given token (or none). */
async function send(route: Pick<PostRoute, 'url' | 'form' | 'multipart'>, browser: TestBrowser, token: string | undefined): Promise<Response> {
  if (route.multipart) {
    const { payload, contentType } = await photoBody(token);
    return ctx.app.inject({ method: 'POST', url: route.url(), headers: { 'content-type': contentType }, payload, cookies: { ...browser.cookies } });
  }
  return token === undefined ? browser.post(route.url(), route.form(), { withoutCsrf: true }) : browser.post(route.url(), { ...route.form(), _csrf: token });
}

/** A browser for the route's role and another session of the same kind (its token is the foreign one). */
async function browsersFor(who: Who): Promise<{ browser: TestBrowser; twin: TestBrowser; tokenPage: string }> {
  if (who === 'visitor') return { browser: anonymous(ctx.app), twin: anonymous(ctx.app), tokenPage: '/login' };
  if (who === 'leaver') return { browser: await signIn(ctx.app, SECRETARY), twin: shared.get('secretary')!.twin, tokenPage: '/' };
  if (who === 'buyer') return { browser: await signIn(ctx.app, BUYER), twin: await signIn(ctx.app, BUYER), tokenPage: '/' };
  return { ...shared.get(who)!, tokenPage: '/' };
}

beforeAll(async () => {
  ctx = await createTestApp();
  const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
  ids.gulou = get<{ id: number }>(`SELECT id FROM villages WHERE slug = 'gulou'`).id;
  ids.chashan = get<{ id: number }>(`SELECT id FROM villages WHERE slug = 'chashan'`).id;
  ids.ownHousehold = get<{ id: number }>(`SELECT id FROM households WHERE village_id = ? ORDER BY id LIMIT 1`, ids.gulou).id;
  ids.households = (ctx.db.sqlite.prepare(`SELECT id FROM households WHERE village_id = ? ORDER BY id`).all(ids.gulou) as { id: number }[]).map((h) => h.id);
  ids.ownProducer = get<{ id: number }>(`SELECT id FROM producers WHERE name_zh = '古楼村菌菇专业合作社'`).id;
  ids.ownProduct = get<{ id: number }>(`SELECT id FROM products WHERE slug = 'gulou-shiitake'`).id;
  ids.ownPhoto = get<{ id: number }>(`SELECT id FROM product_photos WHERE product_id = ? ORDER BY id LIMIT 1`, ids.ownProduct).id;
  ids.projectId = get<{ id: number }>(`SELECT id FROM projects WHERE slug = 'shen-he-xiezuo'`).id;
  ids.buyerId = get<{ id: number }>(`SELECT id FROM users WHERE email = ?`, BUYER).id;
  for (const [who, email] of [
    ['admin', ADMIN],
    ['secretary', SECRETARY],
  ] as const) {
    shared.set(who, { browser: await signIn(ctx.app, email), twin: await signIn(ctx.app, email) });
  }
});
afterAll(async () => {
  await ctx?.close();
});

describe('CSRF protection on every POST route', () => {
  it('knows every route in this list, so the list cannot silently go stale', () => {
    const registered = new Set(postRoutes());
    expect(registered.size).toBeGreaterThan(0);
    expect(ROUTES.map((r) => r.pattern).filter((p) => !registered.has(p))).toEqual([]);
  });

  for (const route of ROUTES) {
    it(`refuses POST ${route.pattern} with no token, another session’s token or a tampered token, changing nothing; its own token goes through`, async () => {
      const { browser, twin, tokenPage } = await browsersFor(route.as);
      const own = await browser.csrfToken(tokenPage);
      const foreign = await twin.csrfToken(tokenPage);
      expect(foreign).not.toBe(own);
      const attempts: [string, string | undefined][] = [
        ['no _csrf', undefined],
        ['a token of another session', foreign],
        ['a tampered token', tamper(own)],
      ];
      for (const [label, token] of attempts) {
        const before = fingerprint();
        const response = await send(route, browser, token);
        expect(response.statusCode, `POST ${route.pattern} with ${label}`).toBe(403);
        expect(response.body, `POST ${route.pattern} with ${label}`).toContain(CSRF_MESSAGE);
        expect(fingerprint(), `POST ${route.pattern} with ${label} changed the database`).toBe(before);
      }
      const before = fingerprint();
      const accepted = await send(route, browser, own);
      expect(accepted.statusCode, `POST ${route.pattern} with its own token`).toBe(route.okStatus);
      expect(fingerprint(), `POST ${route.pattern} with its own token changes something`).not.toBe(before);
    });
  }

  it('refuses any other POST route the app registers without a valid token', async () => {
    const known = new Set(ROUTES.map((r) => r.pattern));
    const others = postRoutes().filter((p) => !known.has(p) && !CSRF_EXEMPT.has(p));
    const { browser } = shared.get('admin')!;
    const own = await browser.csrfToken();
    const foreign = await shared.get('admin')!.twin.csrfToken();
    for (const pattern of others) {
      const route = { url: () => pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => PARAM_SAMPLES[name] ?? '1'), form: () => ({}) };
      for (const [label, token] of [
        ['no _csrf', undefined],
        ['a token of another session', foreign],
        ['a tampered token', tamper(own)],
      ] as const) {
        const before = fingerprint();
        const response = await send(route, browser, token);
        expect(response.statusCode, `POST ${pattern} with ${label}`).toBe(403);
        expect(fingerprint(), `POST ${pattern} with ${label} changed the database`).toBe(before);
      }
    }
  });

  it('binds a token to its session: the sign-in page’s token stops working once the visitor has signed in', async () => {
    const person = anonymous(ctx.app);
    const beforeSignIn = await person.csrfToken('/login');
    expect((await person.post('/login', { email: SECRETARY, password: 'xiangyi-demo', _csrf: beforeSignIn })).statusCode).toBe(303);
    const households = () => (ctx.db.sqlite.prepare(`SELECT count(*) AS n FROM households`).get() as { n: number }).n;
    const count = households();
    const stale = await person.post('/secretary/households', { ...household(), _csrf: beforeSignIn });
    expect(stale.statusCode).toBe(403);
    expect(households()).toBe(count);
    const fresh = await person.post('/secretary/households', household());
    expect(fresh.statusCode).toBe(303);
    expect(households()).toBe(count + 1);
  });

  it('accepts the token in the URL only for multipart forms, not for ordinary forms', async () => {
    const { browser } = shared.get('secretary')!;
    const token = await browser.csrfToken();
    const before = fingerprint();
    const response = await ctx.app.inject({
      method: 'POST',
      url: `/secretary/products/${ids.ownProduct}/stock?_csrf=${encodeURIComponent(token)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ delta: '3', reason: '补货' }).toString(),
      cookies: { ...browser.cookies },
    });
    expect(response.statusCode).toBe(403);
    expect(fingerprint()).toBe(before);
  });
});
