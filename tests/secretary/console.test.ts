import type { LightMyRequestResponse as Response } from 'fastify';
import { desc, eq, type SQL, sql } from 'drizzle-orm';
import { products } from '../../src/catalog/schema.js';
import { households } from '../../src/villages/schema.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signIn, type FormFields, type TestBrowser } from '../helpers/auth.js';
import { rowOf, rowsOf } from '../helpers/db-query.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** The first secretary of 古楼村 and 明梅村 keeps the household register, producers, products and stock. */

const SECRETARY = 'secretary.gulou@xiangyi.test';

let ctx: TestContext;
let secretary: TestBrowser;

beforeEach(async () => {
  ctx = await createTestApp();
  secretary = await signIn(ctx.app, SECRETARY);
});
afterEach(async () => {
  await ctx.close();
});

/** The first row of an engine-neutral query (tests/helpers/db-query.ts), which the test expects to find. */
const get = async <T>(query: SQL) => (await rowOf<T>(ctx.db, query)) as T;
const all = <T>(query: SQL) => rowsOf<T>(ctx.db, query);
const count = async (table: string) => (await get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`)).n;
const villageId = async (slug: string) => (await get<{ id: number }>(sql`SELECT id FROM villages WHERE slug = ${slug}`)).id;
const projectId = async (slug: string) => (await get<{ id: number }>(sql`SELECT id FROM projects WHERE slug = ${slug}`)).id;
const producerId = async (name: string) => (await get<{ id: number }>(sql`SELECT id FROM producers WHERE name_zh = ${name}`)).id;
const productId = async (slug: string) => (await get<{ id: number }>(sql`SELECT id FROM products WHERE slug = ${slug}`)).id;
const secretaryId = async () => (await get<{ id: number }>(sql`SELECT id FROM users WHERE email = ${SECRETARY}`)).id;
const stockOf = async (id: number) => (await get<{ stock: number }>(sql`SELECT stock FROM products WHERE id = ${id}`)).stock;
/** The one-time message shown at the top of the page after a redirect. */
const flashIn = (html: string) => /<div class="wrap flash flash-(success|error)" role="status">([^<]*)<\/div>/.exec(html)?.slice(1, 3) ?? null;
/** The one-time message drawn inside the page's section `#at` (where the person was sent back to), never at the top. */
const flashInSection = (html: string, at: string) => {
  if (flashIn(html)) return ['at the top of the page', ...flashIn(html)!];
  const section = new RegExp(`<section id="${at}"[\\s\\S]*?</section>`).exec(html)?.[0] ?? '';
  return new RegExp(`<div class="flash flash-(success|error)" role="status" data-flash-at="${at}">([^<]*)</div>`).exec(section)?.slice(1, 3) ?? null;
};

interface AuditRow {
  userId: number | null;
  action: string;
  entityType: string;
  entityId: string;
  summary: string;
  address: string | null;
}
const auditOf = async (action: string) =>
  await all<AuditRow>(
    sql`SELECT user_id AS "userId", action, entity_type AS "entityType", entity_id AS "entityId", summary, address FROM audit_log WHERE action = ${action} ORDER BY id`,
  );

const PHONE = '13912345678';
const ID_LAST4 = '739X';
const POVERTY_NO = 'HZ-4521-0087';

const newHousehold = async (overrides: FormFields = {}): Promise<FormFields> => ({
  villageId: String(await villageId('gulou')),
  realName: '韦秀英',
  members: '4',
  phone: PHONE,
  idCardLast4: ID_LAST4,
  povertyRegNo: POVERTY_NO,
  displayName: '韦大姐',
  ...overrides,
});

const newProduct = async (overrides: FormFields = {}): Promise<FormFields> => ({
  titleZh: '明梅高山绿茶',
  titleEn: 'Mingmei mountain green tea',
  category: 'tea',
  unit: 'jin',
  price: '56.80',
  stock: '30',
  minOrderQty: '1',
  lowStockThreshold: '5',
  tierQty1: '10',
  tierPrice1: '50',
  tierQty2: '50',
  tierPrice2: '45.50',
  producerId: String(await producerId('明梅村瑶茶厂')),
  projectId: String(await projectId('shen-he-xiezuo')),
  descriptionZh: '云雾里长大的春茶。',
  ...overrides,
});

async function addHousehold(given?: FormFields): Promise<number> {
  const form = given ?? (await newHousehold());
  const response = await secretary.post('/secretary/households', form);
  expect(response.statusCode).toBe(303);
  return (await get<{ id: number }>(sql`SELECT max(id) AS id FROM households`)).id;
}

async function addProduct(given?: FormFields): Promise<number> {
  const form = given ?? (await newProduct());
  const response = await secretary.post('/secretary/products', form);
  expect(response.statusCode).toBe(303);
  const match = /^\/secretary\/products\/(\d+)$/.exec(String(response.headers.location));
  expect(match).not.toBeNull();
  return Number(match![1]);
}

function expectFieldError(response: Response, field: string, message: string) {
  expect(response.body).toContain(`<p class="field-error" id="e-${field}">${message}</p>`);
}

describe('the household register', () => {
  it('re-renders an invalid phone with the typed values and a Chinese message, in English once the visitor chose English, then saves and lists the household', async () => {
    const before = await count('households');
    const invalid = await secretary.post('/secretary/households', await newHousehold({ phone: '12345' }));
    expect(invalid.statusCode).toBe(422);
    expectFieldError(invalid, 'phone', '请输入 11 位手机号，以 1 开头。');
    expect(invalid.body).toContain('有几项需要修改，请看下面的提示。');
    expect(invalid.body).toMatch(/<input id="f-phone" name="phone" type="tel" value="12345"/);
    expect(invalid.body).toMatch(/<input id="f-realName" name="realName" type="text" value="韦秀英"/);
    expect(invalid.body).toMatch(/<input id="f-povertyRegNo" name="povertyRegNo" type="text" value="HZ-4521-0087"/);
    expect(invalid.body).toMatch(/<input id="f-displayName" name="displayName" type="text" value="韦大姐"/);

    // The language choice is remembered in a cookie, re-rendered forms included.
    await secretary.get('/secretary/households/new?lang=en');
    const english = await secretary.post('/secretary/households', await newHousehold({ phone: '12345' }));
    expect(english.statusCode).toBe(422);
    expectFieldError(english, 'phone', 'Enter an 11-digit mobile number starting with 1.');
    expect(english.body).toContain('<label for="f-phone">Mobile phone</label>');
    expect(english.body).toMatch(/<input id="f-phone" name="phone" type="tel" value="12345"/);
    expect(await count('households')).toBe(before);

    const saved = await secretary.post('/secretary/households', await newHousehold());
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe('/secretary/households');
    const list = await secretary.get('/secretary/households');
    expect(flashIn(list.body)).toEqual(['success', 'Added.']);
    expect(list.body).toContain('<th scope="row">韦秀英</th><td data-label="Village">Gulou Village</td>');
    expect(await count('households')).toBe(before + 1);
    const row = await rowOf(ctx.db, (tx) =>
      tx
        .select({
          villageId: households.villageId,
          realName: households.realName,
          phone: households.phone,
          idCardLast4: households.idCardLast4,
          povertyRegNo: households.povertyRegNo,
          members: households.members,
          displayName: households.displayName,
        })
        .from(households)
        .orderBy(desc(households.id))
        .limit(1),
    );
    expect(row).toEqual({
      villageId: await villageId('gulou'),
      realName: '韦秀英',
      phone: PHONE,
      idCardLast4: ID_LAST4,
      povertyRegNo: POVERTY_NO,
      members: 4,
      displayName: '韦大姐',
    });
  });

  it('edits a household, shows the new values in its form, and records who did it from where', async () => {
    const id = await addHousehold();
    const edited = await secretary.post(
      `/secretary/households/${id}`,
      await newHousehold({ members: '5', phone: '13712345678', villageId: String(await villageId('mingmei')) }),
    );
    expect(edited.statusCode).toBe(303);
    expect(flashIn((await secretary.get('/secretary/households')).body)).toEqual(['success', '已保存。']);

    const form = await secretary.get(`/secretary/households/${id}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('编辑农户：韦秀英');
    expect(form.body).toMatch(/<input id="f-members" name="members" type="text" value="5"/);
    expect(form.body).toMatch(/<input id="f-phone" name="phone" type="tel" value="13712345678"/);
    expect(form.body).toMatch(new RegExp(`<option value="${await villageId('mingmei')}" selected>明梅村</option>`));

    expect(await auditOf('household.update')).toEqual([
      {
        userId: await secretaryId(),
        action: 'household.update',
        entityType: 'household',
        entityId: String(id),
        summary: expect.any(String),
        address: '127.0.0.1',
      },
    ]);
  });

  it('never writes a household’s real name, phone, ID digits or poverty number into the audit log', async () => {
    const id = await addHousehold();
    await secretary.post(`/secretary/households/${id}`, await newHousehold({ phone: '13712345678', idCardLast4: '0817' }));
    const rows = [...(await auditOf('household.create')), ...(await auditOf('household.update'))];
    expect(rows.map((r) => r.action)).toEqual(['household.create', 'household.update']);
    for (const row of rows) {
      expect(row.userId).toBe(await secretaryId());
      expect(row.address).toBe('127.0.0.1');
      for (const secret of [PHONE, '13712345678', ID_LAST4, '0817', POVERTY_NO, '韦秀英']) {
        expect(row.summary, `${row.action} summary holds "${secret}"`).not.toContain(secret);
      }
    }
    // What it does keep: that a phone and an ID number are on file.
    expect(JSON.parse(rows[0]!.summary).after).toMatchObject({ hasPhone: true, hasIdCardLast4: true, hasPovertyRegNo: true, displayName: '韦大姐' });
  });
});

describe('producers', () => {
  it('creates a cooperative sharing proceeds between two 古楼村 households by whole-number weights', async () => {
    const newId = await addHousehold();
    const huang = (await get<{ id: number }>(sql`SELECT id FROM households WHERE real_name = '黄德明'`)).id;
    const response = await secretary.post('/secretary/producers', {
      villageId: String(await villageId('gulou')),
      kind: 'cooperative',
      nameZh: '古楼村百香果合作社',
      storyZh: '五户人家合种的百香果园。',
      [`member_${newId}`]: 'on',
      [`weight_${newId}`]: '3',
      [`member_${huang}`]: 'on',
      [`weight_${huang}`]: '1',
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/secretary/producers');

    const producer = await get<{ id: number; kind: string; villageId: number }>(
      sql`SELECT id, kind, village_id AS "villageId" FROM producers WHERE name_zh = '古楼村百香果合作社'`,
    );
    expect(producer).toMatchObject({ kind: 'cooperative', villageId: await villageId('gulou') });
    expect(await all(sql`SELECT household_id AS "householdId", weight FROM producer_members WHERE producer_id = ${producer.id} ORDER BY household_id`)).toEqual(
      [
        { householdId: huang, weight: 1 },
        { householdId: newId, weight: 3 },
      ],
    );
    const list = await secretary.get('/secretary/producers');
    expect(list.body).toMatch(
      /<th scope="row">古楼村百香果合作社<\/th><td data-label="[^"]+">[^<]+<\/td><td data-label="所在村">古楼村<\/td><td data-label="[^"]+">2 户<\/td>/,
    );
    const form = await secretary.get(`/secretary/producers/${producer.id}`);
    expect(form.body).toContain(`<input id="w-${newId}" name="weight_${newId}" value="3"`);

    const [audit] = await auditOf('producer.create');
    expect(audit).toMatchObject({ userId: await secretaryId(), entityId: String(producer.id), address: '127.0.0.1' });
    expect(JSON.parse(audit!.summary).after.members).toEqual([
      { householdId: newId, weight: 3 },
      { householdId: huang, weight: 1 },
    ]);
  });

  it('refuses a weight that is not a positive whole number, next to that household', async () => {
    const huang = (await get<{ id: number }>(sql`SELECT id FROM households WHERE real_name = '黄德明'`)).id;
    const before = await count('producers');
    const response = await secretary.post('/secretary/producers', {
      villageId: String(await villageId('gulou')),
      kind: 'cooperative',
      nameZh: '古楼村百香果合作社',
      [`member_${huang}`]: 'on',
      [`weight_${huang}`]: '1.5',
    });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('<p class="field-error">权重应为正整数。</p>');
    expect(await count('producers')).toBe(before);
  });
});

describe('products', () => {
  it('stores a price of 56.80 as 5680 fen with its bulk tiers, and shows them in the shop once published', async () => {
    const id = await addProduct();
    const row = (await rowOf(ctx.db, (tx) =>
      tx
        .select({ priceFen: products.priceFen, published: products.published, slug: products.slug, stock: products.stock })
        .from(products)
        .where(eq(products.id, id)),
    ))!;
    expect(row).toEqual({ priceFen: 5680, published: false, slug: 'mingmei-mountain-green-tea', stock: 30 });
    expect(Number.isInteger(row.priceFen)).toBe(true);
    expect(await all(sql`SELECT min_qty AS "minQty", price_fen AS "priceFen" FROM price_tiers WHERE product_id = ${id} ORDER BY min_qty`)).toEqual([
      { minQty: 10, priceFen: 5000 },
      { minQty: 50, priceFen: 4550 },
    ]);
    // The opening stock is the first line of the stock history.
    expect(await all(sql`SELECT delta, reason FROM stock_adjustments WHERE product_id = ${id}`)).toEqual([{ delta: 30, reason: 'initial stock' }]);

    const form = await secretary.get(`/secretary/products/${id}`);
    expect(flashIn(form.body)).toEqual(['success', '已添加。']);
    // …shown in the reader's language, with no English in the Chinese page.
    expect(form.body).toMatch(/<li><time>[^<]+<\/time> <strong>\+30<\/strong> 初始库存 — /);
    expect(form.body).not.toContain('initial stock');
    expect((await secretary.get(`/secretary/products/${id}?lang=en`)).body).toMatch(/<strong>\+30<\/strong> Initial stock — /);
    expect(form.body).toMatch(/<input id="f-price" name="price" type="text" value="56.80"/);
    expect(form.body).toMatch(/<input id="f-tierPrice2" name="tierPrice2" type="text" value="45.50"/);

    // No photo yet: the secretary confirms publishing it without one.
    expect((await secretary.post(`/secretary/products/${id}/publish`, { published: '1', publishWithoutPhoto: 'on' })).statusCode).toBe(303);
    const page = await secretary.get('/products/mingmei-mountain-green-tea');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<strong data-price>¥56.80</strong>');
    expect(page.body).toContain('¥50.00');
    expect(page.body).toContain('¥45.50');

    const [audit] = await auditOf('product.create');
    expect(audit).toMatchObject({ userId: await secretaryId(), entityType: 'product', entityId: String(id), address: '127.0.0.1' });
    expect(JSON.parse(audit!.summary).after).toMatchObject({
      priceFen: 5680,
      stock: 30,
      tiers: [
        { minQty: 10, priceFen: 5000 },
        { minQty: 50, priceFen: 4550 },
      ],
    });
  });

  it('refuses prices such as 1.234, -3, abc and 1e3 with a message next to the price, keeping what was typed and saving nothing', async () => {
    const products = await count('products');
    const tiers = await count('price_tiers');
    const audits = await count('audit_log');
    for (const price of ['1.234', '-3', 'abc', '1e3', '0', '']) {
      const response = await secretary.post('/secretary/products', await newProduct({ price }));
      expect(response.statusCode, `price "${price}"`).toBe(422);
      const message = price === '' ? '这一项必须填写。' : '请输入正确的金额，例如 56 或 56.80（最多两位小数）。';
      expect(response.body, `price "${price}"`).toContain(`<p class="field-error" id="e-price">${message}</p>`);
      expect(response.body, `price "${price}"`).toMatch(new RegExp(`<input id="f-price" name="price" type="text" value="${price.replace('.', '\\.')}"`));
      expect(response.body, `price "${price}"`).toContain('value="明梅高山绿茶"');
    }
    const tier = await secretary.post('/secretary/products', await newProduct({ tierPrice1: '49.999' }));
    expect(tier.statusCode).toBe(422);
    expectFieldError(tier, 'tierPrice1', '请输入正确的金额，例如 56 或 56.80（最多两位小数）。');
    expect(await count('products')).toBe(products);
    expect(await count('price_tiers')).toBe(tiers);
    expect(await count('audit_log')).toBe(audits);
  });

  it('publishes and unpublishes a product: the public page answers 404 whenever it is unpublished, and each change is audited', async () => {
    const id = await addProduct();
    const publicPage = () => secretary.get('/products/mingmei-mountain-green-tea');
    expect((await publicPage()).statusCode).toBe(404);

    const published = await secretary.post(`/secretary/products/${id}/publish`, { published: '1', publishWithoutPhoto: 'on' });
    expect(published.statusCode).toBe(303);
    expect(published.headers.location).toBe(`/secretary/products/${id}`);
    const form = await secretary.get(`/secretary/products/${id}`);
    expect(flashIn(form.body)).toEqual(['success', '商品已上架。']);
    expect(form.body).toContain('<strong>已上架</strong>');
    expect((await publicPage()).statusCode).toBe(200);

    expect((await secretary.post(`/secretary/products/${id}/publish`, { published: '0' })).statusCode).toBe(303);
    expect(flashIn((await secretary.get(`/secretary/products/${id}`)).body)).toEqual(['success', '商品已下架。']);
    expect((await publicPage()).statusCode).toBe(404);
    expect((await secretary.get('/products?q=明梅高山绿茶')).body).not.toContain('/products/mingmei-mountain-green-tea');

    const audits = [...(await auditOf('product.publish')), ...(await auditOf('product.unpublish'))];
    expect(audits.map((a) => [a.action, a.userId, a.entityId, a.address])).toEqual([
      ['product.publish', await secretaryId(), String(id), '127.0.0.1'],
      ['product.unpublish', await secretaryId(), String(id), '127.0.0.1'],
    ]);
  });

  it('adjusts stock with a reason (+20, then -5) and refuses -9999 with a message, leaving the stock as it was', async () => {
    const id = await productId('gulou-shiitake');
    const start = await stockOf(id);

    expect((await secretary.post(`/secretary/products/${id}/stock`, { delta: '+20', reason: '新一批采收入库' })).statusCode).toBe(303);
    expect(await stockOf(id)).toBe(start + 20);
    const afterIn = await secretary.get(`/secretary/products/${id}`);
    expect(flashInSection(afterIn.body, 'stock')).toEqual(['success', '库存已调整。']);
    expect(afterIn.body).toContain(`<p data-stock>当前库存：${start + 20} 袋</p>`);

    const out = await secretary.post(`/secretary/products/${id}/stock`, { delta: '-5', reason: '损耗' });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe(`/secretary/products/${id}#stock`);
    expect(await stockOf(id)).toBe(start + 15);

    const adjustments = await count('stock_adjustments');
    const refused = await secretary.post(`/secretary/products/${id}/stock`, { delta: '-9999', reason: '盘点' });
    expect(refused.statusCode).toBe(303);
    const page = await secretary.get(`/secretary/products/${id}`);
    expect(flashInSection(page.body, 'stock')).toEqual(['error', '库存不能减到 0 以下。']);
    expect(page.body).toContain(`<p data-stock>当前库存：${start + 15} 袋</p>`);
    expect(await stockOf(id)).toBe(start + 15);
    expect(await count('stock_adjustments')).toBe(adjustments);

    const noReason = await secretary.post(`/secretary/products/${id}/stock`, { delta: '3', reason: ' ' });
    expect(noReason.statusCode).toBe(303);
    expect(flashInSection((await secretary.get(`/secretary/products/${id}`)).body, 'stock')).toEqual(['error', '这一项必须填写。']);
    expect(await stockOf(id)).toBe(start + 15);

    expect(await all(sql`SELECT delta, reason, user_id AS "userId" FROM stock_adjustments WHERE product_id = ${id} ORDER BY id DESC LIMIT 2`)).toEqual([
      { delta: -5, reason: '损耗', userId: await secretaryId() },
      { delta: 20, reason: '新一批采收入库', userId: await secretaryId() },
    ]);
    expect(page.body).toContain('<strong>-5</strong> 损耗');
    expect(page.body).toContain('<strong>+20</strong> 新一批采收入库');
    const audits = await auditOf('product.stock_adjust');
    expect(audits).toHaveLength(2);
    for (const a of audits) expect(a).toMatchObject({ userId: await secretaryId(), entityId: String(id), address: '127.0.0.1' });
    expect(audits.map((a) => JSON.parse(a.summary).after)).toEqual([
      { stock: start + 20, delta: 20, reason: '新一批采收入库' },
      { stock: start + 15, delta: -5, reason: '损耗' },
    ]);
  });
});

describe('the dashboard', () => {
  it('lists the low-stock products of the secretary’s own villages only', async () => {
    const lowInMeiyaogou = (
      await all<{
        title: string;
      }>(sql`SELECT p.title_zh AS title FROM products p JOIN producers pr ON pr.id = p.producer_id JOIN villages v ON v.id = pr.village_id
       WHERE v.slug = 'meiyaogou' AND p.stock <= p.low_stock_threshold`)
    ).map((p) => p.title);
    expect(lowInMeiyaogou.length).toBeGreaterThan(0);

    const calm = await secretary.get('/secretary');
    expect(calm.statusCode).toBe(200);
    expect(calm.body).toContain('我负责的村：古楼村、明梅村');
    expect(calm.body).toContain('没有库存不足的商品。');

    const shiitake = await productId('gulou-shiitake');
    const stock = await stockOf(shiitake);
    await secretary.post(`/secretary/products/${shiitake}/stock`, { delta: String(-(stock - 4)), reason: '发往深圳食堂' });
    const dashboard = await secretary.get('/secretary');
    expect(dashboard.body).toContain(`<li><a href="/secretary/products/${shiitake}#stock">椴木香菇</a>：4 袋</li>`);
    for (const title of lowInMeiyaogou) expect(dashboard.body).not.toContain(title);

    // The other village's secretary sees their own low stock, and not 古楼村's.
    const meiyaogou = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    const theirs = await meiyaogou.get('/secretary');
    for (const title of lowInMeiyaogou) expect(theirs.body).toContain(`>${title}</a>`);
    expect(theirs.body).not.toContain('椴木香菇');
  });
});
