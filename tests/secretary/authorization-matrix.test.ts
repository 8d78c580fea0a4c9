import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse as Response } from 'fastify';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn, type FormFields, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Who may do what in the first secretary's console: every route, for every role, on an object of
 * the secretary's own villages (古楼村 / 明梅村) and on one of another village (煤窑沟村).
 * Each cell is its own test, named by role, route and object, so one wrong cell names itself.
 */

type Role = 'anonymous' | 'buyer' | 'first secretary of gulou' | 'coordinator' | 'admin';
type Target = 'own' | 'foreign' | 'none';

interface Fixture {
  /** The village of `householdId`. */
  villageId: number;
  householdId: number;
  /** The village of `producerId` and its households. */
  producerVillageId: number;
  householdIds: number[];
  producerId: number;
  productId: number;
  photoId: number;
}

interface Fixtures {
  own: Fixture;
  foreign: Fixture;
  projectId: number;
  /** Private values of the 煤窑沟 household that no response of the gulou secretary's console may show. */
  foreignSecrets: string[];
}

interface Route {
  method: 'GET' | 'POST';
  /** The route as registered, for the test names. */
  pattern: string;
  /** Routes without an id are tried once; those with one (or with a village in the form) on own and foreign objects. */
  targets: readonly Target[];
  url(f: Fixture): string;
  form?(f: Fixture, all: Fixtures): FormFields;
  /** A multipart photo upload instead of a urlencoded form. */
  multipart?: boolean;
  /** What the secretary gets on a foreign object when it is not 404 (a hidden producer id is a form error). */
  foreignStatus?: number;
}

const SECRETARY = 'secretary.gulou@xiangyi.test';
const ROLES: Record<Exclude<Role, 'anonymous'>, string> = {
  buyer: 'buyer@xiangyi.test',
  'first secretary of gulou': SECRETARY,
  coordinator: 'coordinator@xiangyi.test',
  admin: 'admin@xiangyi.test',
};

const householdForm = (villageId: number): FormFields => ({
  villageId: String(villageId),
  realName: '矩阵测试户',
  members: '3',
  phone: '13900001111',
  idCardLast4: '739X',
});

const producerForm = (f: Fixture): FormFields => ({
  villageId: String(f.producerVillageId),
  kind: 'cooperative',
  nameZh: '矩阵测试合作社',
  storyZh: '',
  [`member_${f.householdIds[0]}`]: 'on',
  [`weight_${f.householdIds[0]}`]: '2',
  [`member_${f.householdIds[1]}`]: 'on',
  [`weight_${f.householdIds[1]}`]: '1',
});

const productForm = (producerId: number, projectId: number): FormFields => ({
  titleZh: '矩阵测试香菇',
  category: 'dried-goods',
  unit: 'bag',
  price: '12.50',
  minOrderQty: '1',
  lowStockThreshold: '5',
  stock: '10',
  producerId: String(producerId),
  projectId: String(projectId),
});

const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: '/secretary', targets: ['none'], url: () => '/secretary' },
  { method: 'GET', pattern: '/secretary/households', targets: ['none'], url: () => '/secretary/households' },
  { method: 'GET', pattern: '/secretary/households/new', targets: ['none'], url: () => '/secretary/households/new' },
  { method: 'GET', pattern: '/secretary/households/:id', targets: ['own', 'foreign'], url: (f) => `/secretary/households/${f.householdId}` },
  {
    method: 'POST',
    pattern: '/secretary/households',
    targets: ['own', 'foreign'],
    url: () => '/secretary/households',
    form: (f) => householdForm(f.villageId),
  },
  {
    method: 'POST',
    pattern: '/secretary/households/:id',
    targets: ['own', 'foreign'],
    url: (f) => `/secretary/households/${f.householdId}`,
    // The village in the form is the secretary's own either way: only the id in the path differs.
    form: (_f, all) => ({ ...householdForm(all.own.villageId), realName: '改过名字的户主' }),
  },
  { method: 'GET', pattern: '/secretary/producers', targets: ['none'], url: () => '/secretary/producers' },
  { method: 'GET', pattern: '/secretary/producers/new', targets: ['none'], url: () => '/secretary/producers/new' },
  { method: 'GET', pattern: '/secretary/producers/:id', targets: ['own', 'foreign'], url: (f) => `/secretary/producers/${f.producerId}` },
  {
    method: 'POST',
    pattern: '/secretary/producers',
    targets: ['own', 'foreign'],
    url: () => '/secretary/producers',
    form: (f) => producerForm(f),
  },
  {
    method: 'POST',
    pattern: '/secretary/producers/:id',
    targets: ['own', 'foreign'],
    url: (f) => `/secretary/producers/${f.producerId}`,
    form: (f) => ({ ...producerForm(f), nameZh: '改过名字的合作社' }),
  },
  { method: 'GET', pattern: '/secretary/products', targets: ['none'], url: () => '/secretary/products' },
  { method: 'GET', pattern: '/secretary/products/new', targets: ['none'], url: () => '/secretary/products/new' },
  { method: 'GET', pattern: '/secretary/products/:id', targets: ['own', 'foreign'], url: (f) => `/secretary/products/${f.productId}` },
  {
    method: 'POST',
    pattern: '/secretary/products',
    targets: ['own', 'foreign'],
    url: () => '/secretary/products',
    form: (f, all) => productForm(f.producerId, all.projectId),
    foreignStatus: 422,
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id',
    targets: ['own', 'foreign'],
    url: (f) => `/secretary/products/${f.productId}`,
    // Points at the secretary's own producer either way: only the product id in the path differs.
    form: (_f, all) => ({ ...productForm(all.own.producerId, all.projectId), titleZh: '改过名字的商品' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/publish',
    targets: ['own', 'foreign'],
    url: (f) => `/secretary/products/${f.productId}/publish`,
    form: () => ({ published: '0' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/stock',
    targets: ['own', 'foreign'],
    url: (f) => `/secretary/products/${f.productId}/stock`,
    form: () => ({ delta: '7', reason: '盘点更正' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos',
    targets: ['own', 'foreign'],
    url: (f) => `/secretary/products/${f.productId}/photos`,
    multipart: true,
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos/:photoId/move',
    targets: ['own', 'foreign'],
    url: (f) => `/secretary/products/${f.productId}/photos/${f.photoId}/move`,
    form: () => ({ move: 'later' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos/:photoId/alt',
    targets: ['own', 'foreign'],
    url: (f) => `/secretary/products/${f.productId}/photos/${f.photoId}/alt`,
    form: () => ({ altZh: '改过的照片说明' }),
  },
  {
    method: 'POST',
    pattern: '/secretary/products/:id/photos/:photoId/delete',
    targets: ['own', 'foreign'],
    url: (f) => `/secretary/products/${f.productId}/photos/${f.photoId}/delete`,
    form: () => ({}),
  },
];

/** The console's tables, row by row (media by id and hash), to prove a refused request changed nothing. */
function snapshot(ctx: TestContext) {
  const rows = (sql: string) => ctx.db.sqlite.prepare(sql).all();
  return {
    households: rows(`SELECT * FROM households ORDER BY id`),
    producers: rows(`SELECT * FROM producers ORDER BY id`),
    producerMembers: rows(`SELECT * FROM producer_members ORDER BY producer_id, household_id`),
    products: rows(`SELECT * FROM products ORDER BY id`),
    productPhotos: rows(`SELECT * FROM product_photos ORDER BY id`),
    priceTiers: rows(`SELECT * FROM price_tiers ORDER BY id`),
    stockAdjustments: rows(`SELECT * FROM stock_adjustments ORDER BY id`),
    media: rows(`SELECT id, sha256 FROM media ORDER BY id`),
    auditLog: rows(`SELECT * FROM audit_log ORDER BY id`),
  };
}

function fixtureFor(ctx: TestContext, householdVillage: string, producerId: number, productSlug: string): Fixture {
  const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
  const all = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).all(...params) as T[];
  const village = get<{ id: number }>(`SELECT id FROM villages WHERE slug = ?`, householdVillage);
  const product = get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, productSlug);
  const photo = get<{ id: number }>(`SELECT id FROM product_photos WHERE product_id = ? ORDER BY id LIMIT 1`, product.id);
  const producerVillage = get<{ villageId: number }>(`SELECT village_id AS villageId FROM producers WHERE id = ?`, producerId);
  const households = all<{ id: number }>(`SELECT id FROM households WHERE village_id = ? ORDER BY id`, producerVillage.villageId).map((h) => h.id);
  const household = get<{ id: number }>(`SELECT id FROM households WHERE village_id = ? ORDER BY id LIMIT 1`, village.id);
  return {
    villageId: village.id,
    householdId: household.id,
    producerVillageId: producerVillage.villageId,
    householdIds: households,
    producerId,
    productId: product.id,
    photoId: photo.id,
  };
}

function loadFixtures(ctx: TestContext): Fixtures {
  const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
  const producerNamed = (name: string) => get<{ id: number }>(`SELECT id FROM producers WHERE name_zh = ?`, name).id;
  // Own: a 明梅村 household, the 古楼村 mushroom cooperative, 古楼村 shiitake. Foreign: 煤窑沟村 ones.
  const own = fixtureFor(ctx, 'mingmei', producerNamed('古楼村菌菇专业合作社'), 'gulou-shiitake');
  const foreign = fixtureFor(ctx, 'meiyaogou', producerNamed('王阿姨家的土蜂场'), 'meiyaogou-yuba');
  const foreignHousehold = get<{ realName: string; phone: string }>(`SELECT real_name AS realName, phone FROM households WHERE id = ?`, foreign.householdId);
  return {
    own,
    foreign,
    projectId: get<{ id: number }>(`SELECT id FROM projects WHERE slug = 'shen-he-xiezuo'`).id,
    foreignSecrets: [foreignHousehold.realName, foreignHousehold.phone],
  };
}

/** A real little PNG as a multipart/form-data body with one file field named "photo". */
/** The upload form's body as the page sends it: the CSRF token first, then the photo. */
async function photoUpload(csrf: string): Promise<{ payload: Buffer; contentType: string }> {
  const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 90, g: 140, b: 60 } } })
    .png()
    .toBuffer();
  const boundary = `----xiangyi${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="photo.png"\r\nContent-Type: image/png\r\n\r\n`),
    png,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

interface Expectation {
  status: number;
  location?: string;
  /** True when the request must change the console's tables, false when it must leave them alone. */
  changes: boolean;
}

function expected(role: Role, route: Route, target: Target): Expectation {
  if (role === 'anonymous') return route.method === 'GET' ? { status: 303, changes: false } : { status: 401, changes: false };
  if (role !== 'first secretary of gulou') return { status: 403, changes: false };
  if (target === 'foreign') return { status: route.foreignStatus ?? 404, changes: false };
  return route.method === 'GET' ? { status: 200, changes: false } : { status: 303, changes: true };
}

describe('the console authorization matrix', () => {
  let ctx: TestContext;
  let fixtures: Fixtures;
  const clients = new Map<Role, { browser: TestBrowser; csrf: string }>();

  beforeAll(async () => {
    ctx = await createTestApp();
    fixtures = loadFixtures(ctx);
    const visitor = anonymous(ctx.app);
    // A visitor's token from the sign-in page: the CSRF check passes, so the role guard is what answers.
    clients.set('anonymous', { browser: visitor, csrf: await visitor.csrfToken('/login') });
    for (const [role, email] of Object.entries(ROLES) as [Exclude<Role, 'anonymous'>, string][]) {
      const browser = await signIn(ctx.app, email);
      clients.set(role, { browser, csrf: await browser.csrfToken() });
    }
  });
  afterAll(async () => {
    await ctx?.close();
  });

  async function send(role: Role, route: Route, target: Target): Promise<{ response: Response; url: string }> {
    const { browser, csrf } = clients.get(role)!;
    const object = target === 'foreign' ? fixtures.foreign : fixtures.own;
    const url = route.url(object);
    if (route.method === 'GET') return { response: await browser.get(url), url };
    if (route.multipart) {
      const { payload, contentType } = await photoUpload(csrf);
      const response = await ctx.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': contentType },
        payload,
        cookies: { ...browser.cookies },
      });
      return { response, url };
    }
    return { response: await browser.post(url, { ...route.form!(object, fixtures), _csrf: csrf }), url };
  }

  const roles: Role[] = ['anonymous', 'buyer', 'first secretary of gulou', 'coordinator', 'admin'];
  for (const role of roles) {
    describe(`as ${role}`, () => {
      for (const route of ROUTES) {
        for (const target of route.targets) {
          const want = expected(role, route, target);
          const object = target === 'none' ? '' : ` on ${target === 'own' ? 'an own (古楼村/明梅村)' : 'a foreign (煤窑沟村)'} object`;
          const outcome = `${want.status}${want.changes ? ' and saves' : ', nothing changes'}`;
          it(`${role}: ${route.method} ${route.pattern}${object} → ${outcome}`, async () => {
            const label = `${role} ${route.method} ${route.pattern}${object}`;
            const before = snapshot(ctx);
            const { response, url } = await send(role, route, target);
            expect(response.statusCode, `${label}: status`).toBe(want.status);
            if (role === 'anonymous' && route.method === 'GET') {
              expect(response.headers.location, `${label}: sent to sign in and back`).toBe(`/login?next=${encodeURIComponent(url)}`);
            }
            const after = snapshot(ctx);
            if (want.changes) expect(after, `${label}: the change is saved`).not.toEqual(before);
            else expect(after, `${label}: nothing in the database changes`).toEqual(before);
            for (const secret of fixtures.foreignSecrets) {
              expect(response.body.includes(secret), `${label}: the response shows the 煤窑沟 household's "${secret}"`).toBe(false);
            }
          });
        }
      }
    });
  }
});

describe('hidden-field attacks by the first secretary of 古楼村 and 明梅村', () => {
  let ctx: TestContext;
  let fixtures: Fixtures;
  let secretary: TestBrowser;

  beforeEach(async () => {
    ctx = await createTestApp();
    fixtures = loadFixtures(ctx);
    secretary = await signIn(ctx.app, SECRETARY);
  });
  afterEach(async () => {
    await ctx.close();
  });

  it('answers 404 and creates nothing when a new household names 煤窑沟村 as its village', async () => {
    const before = snapshot(ctx);
    const response = await secretary.post('/secretary/households', householdForm(fixtures.foreign.villageId));
    expect(response.statusCode).toBe(404);
    expect(snapshot(ctx)).toEqual(before);
  });

  it('re-renders the new product form with a producer error and creates nothing when the producer is from 煤窑沟村', async () => {
    const before = snapshot(ctx);
    const response = await secretary.post('/secretary/products', productForm(fixtures.foreign.producerId, fixtures.projectId));
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('<p class="field-error" id="e-producerId">没有找到这个生产者。</p>');
    // What was typed is kept, and the foreign producer is not offered in the list.
    expect(response.body).toContain('value="矩阵测试香菇"');
    expect(response.body).not.toContain('王阿姨家的土蜂场');
    expect(snapshot(ctx)).toEqual(before);
  });

  it('refuses a new 古楼村 producer listing a 煤窑沟村 household as a member, with a message, and creates nothing', async () => {
    const before = snapshot(ctx);
    const form: FormFields = {
      ...producerForm(fixtures.own),
      [`member_${fixtures.foreign.householdId}`]: 'on',
      [`weight_${fixtures.foreign.householdId}`]: '5',
    };
    const response = await secretary.post('/secretary/producers', form);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('所选农户必须属于这个生产者所在的村。');
    for (const secret of fixtures.foreignSecrets) expect(response.body).not.toContain(secret);
    expect(snapshot(ctx)).toEqual(before);
  });

  it('refuses to move an own producer’s members to a 煤窑沟村 household and leaves the producer unchanged', async () => {
    const before = snapshot(ctx);
    const response = await secretary.post(`/secretary/producers/${fixtures.own.producerId}`, {
      ...producerForm(fixtures.own),
      [`member_${fixtures.foreign.householdId}`]: 'on',
    });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('所选农户必须属于这个生产者所在的村。');
    expect(snapshot(ctx)).toEqual(before);
  });

  it('refuses to point an own product at a 煤窑沟村 producer and leaves the product unchanged', async () => {
    const before = snapshot(ctx);
    const response = await secretary.post(`/secretary/products/${fixtures.own.productId}`, productForm(fixtures.foreign.producerId, fixtures.projectId));
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('<p class="field-error" id="e-producerId">没有找到这个生产者。</p>');
    expect(snapshot(ctx)).toEqual(before);
    const producerId = ctx.db.sqlite.prepare(`SELECT producer_id AS producerId FROM products WHERE id = ?`).get(fixtures.own.productId) as {
      producerId: number;
    };
    expect(producerId.producerId).toBe(fixtures.own.producerId);
  });

  it('answers 404 and moves nothing when an own household is moved to 煤窑沟村', async () => {
    const before = snapshot(ctx);
    const response = await secretary.post(`/secretary/households/${fixtures.own.householdId}`, householdForm(fixtures.foreign.villageId));
    expect(response.statusCode).toBe(404);
    expect(snapshot(ctx)).toEqual(before);
  });

  it('answers 404 and deletes nothing when an own product’s delete form names a 煤窑沟村 product’s photo', async () => {
    const before = snapshot(ctx);
    const response = await secretary.post(`/secretary/products/${fixtures.own.productId}/photos/${fixtures.foreign.photoId}/delete`, {});
    expect(response.statusCode).toBe(404);
    expect(snapshot(ctx)).toEqual(before);
  });
});
