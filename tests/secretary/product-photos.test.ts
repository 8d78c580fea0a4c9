import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, csrfTokenIn, signIn, type TestBrowser } from '../helpers/auth.js';
import { jpegPhoto, postMultipart, type FilePart } from '../helpers/multipart.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * A product's several photos: the first secretary uploads a few at once, puts them in order and
 * picks the main one; the shop shows them all on the product page and the main one on its cards.
 * Publishing a product without a photo asks for a confirmation; without one the shop shows a
 * placeholder with its category.
 */

let ctx: TestContext;
let secretary: TestBrowser;
let productId: number;
const SLUG = 'gulou-shiitake';

beforeAll(async () => {
  ctx = await createTestApp();
  productId = (ctx.db.sqlite.prepare(`SELECT id FROM products WHERE slug = ?`).get(SLUG) as { id: number }).id;
});
afterAll(async () => {
  await ctx.close();
});
beforeEach(async () => {
  secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
});

const isHit = (res: { headers: Record<string, unknown> }) => res.headers['x-page-cache'] === 'hit';
/** The product's photos in the shop's order: [photo id, list media id, detail media id]. */
const photoRows = () =>
  ctx.db.sqlite
    .prepare(`SELECT id, list_media_id AS list, detail_media_id AS detail FROM product_photos WHERE product_id = ? ORDER BY position, id`)
    .all(productId) as { id: number; list: number; detail: number }[];
/** The photos of the product page's row, in order: their media ids and alt texts. */
const pagePhotos = (html: string) =>
  [...html.matchAll(/<img src="\/media\/(\d+)" alt="([^"]*)"[^>]*data-photo>/g)].map((m) => ({ id: Number(m[1]), alt: m[2] }));
/** The image of the product's card on a listing page (null: a placeholder). */
const cardImage = (html: string, slug = SLUG) => {
  const card = new RegExp(`<a href="/products/${slug}" class="card-link">([\\s\\S]*?)</a>`).exec(html)?.[1];
  expect(card, `a card of ${slug}`).toBeDefined();
  const img = /<img src="\/media\/(\d+)"/.exec(card!);
  return img ? Number(img[1]) : null;
};
const sectionFlash = (html: string) => /data-flash-at="photos">([^<]*)</.exec(html)?.[1] ?? null;

/** Posts the upload form with several files under its one field, as a browser sends <input type="file" multiple>. */
async function uploadPhotos(browser: TestBrowser, files: FilePart[], id = productId) {
  const token = await browser.csrfToken(`/secretary/products/${id}`);
  const boundary = `----several${randomBytes(6).toString('hex')}`;
  const chunks: Buffer[] = [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n`)];
  for (const f of files) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.contentType}\r\n\r\n`),
      f.data,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return browser.send({
    method: 'POST',
    url: `/secretary/products/${id}/photos`,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat(chunks),
  });
}

describe('several photos per product', () => {
  it('uploads three photos at once after the existing one, and the product page shows all four in order with alt texts', async () => {
    const before = photoRows();
    expect(before).toHaveLength(1);
    const response = await uploadPhotos(secretary, [
      await jpegPhoto('photo', '#aa3311'),
      await jpegPhoto('photo', '#11aa33'),
      await jpegPhoto('photo', '#3311aa'),
    ]);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/secretary/products/${productId}#photos`);
    const rows = photoRows();
    expect(rows).toHaveLength(4);
    expect(rows[0]!.id).toBe(before[0]!.id);
    const console = await secretary.get(`/secretary/products/${productId}`);
    expect(sectionFlash(console.body)).toBe('3 张照片已上传，商城中已经可以看到。');
    expect([...console.body.matchAll(/<li data-photo-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(rows.map((r) => r.id));
    expect(console.body).toContain(`<li data-photo-id="${rows[0]!.id}" data-main-photo>`);

    const page = await anonymous(ctx.app).get(`/products/${SLUG}`);
    expect(page.statusCode).toBe(200);
    expect(pagePhotos(page.body).map((p) => p.id)).toEqual(rows.map((r) => r.detail));
    // Every photo has words for a screen reader: the product's title unless the secretary wrote better.
    for (const p of pagePhotos(page.body)) expect(p.alt).toContain('椴木香菇');
    expect(page.body).toContain('data-photos="4"');
    // Without JavaScript, numbered pictures jump to each photo of the row.
    for (const n of [1, 2, 3, 4]) expect(page.body).toContain(`<a href="#photo-${n}">`);
    expect(page.body).toContain('<li id="photo-4">');
  });

  it('makes the third photo the main one: cards, search results and the product page show it first, even to visitors served from the cache', async () => {
    const rows = photoRows();
    // Visitors' pages are cached first, so the change must reach them through the cache's versions.
    const warm = async (url: string) => {
      await anonymous(ctx.app).get(url);
      expect(isHit(await anonymous(ctx.app).get(url)), url).toBe(true);
    };
    for (const url of ['/products?village=gulou', `/products/${SLUG}`, '/villages/gulou']) await warm(url);
    expect(cardImage((await anonymous(ctx.app).get('/products?village=gulou')).body)).toBe(rows[0]!.list);

    const third = rows[2]!;
    const response = await secretary.post(`/secretary/products/${productId}/photos/${third.id}/move`, { move: 'main' });
    expect(response.statusCode).toBe(303);
    expect(sectionFlash((await secretary.get(`/secretary/products/${productId}`)).body)).toBe('已设为主图，商品卡片现在显示这张照片。');
    expect(photoRows().map((r) => r.id)).toEqual([third.id, rows[0]!.id, rows[1]!.id, rows[3]!.id]);

    const listing = await anonymous(ctx.app).get('/products?village=gulou');
    expect(isHit(listing)).toBe(false);
    expect(cardImage(listing.body)).toBe(third.list);
    expect(cardImage((await anonymous(ctx.app).get('/villages/gulou')).body)).toBe(third.list);
    expect(cardImage((await anonymous(ctx.app).get(`/products?q=${encodeURIComponent('椴木香菇')}`)).body)).toBe(third.list);
    const page = await anonymous(ctx.app).get(`/products/${SLUG}`);
    expect(isHit(page)).toBe(false);
    expect(pagePhotos(page.body)[0]!.id).toBe(third.detail);
    // The JSON API's first photo is the main one too.
    const api = (await anonymous(ctx.app).get(`/api/v1/products?village=gulou`)).body;
    expect(api).toContain(`/media/${third.list}`);
  });

  it('moves a photo one place earlier or later, and back again', async () => {
    const rows = photoRows().map((r) => r.id);
    expect((await secretary.post(`/secretary/products/${productId}/photos/${rows[3]}/move`, { move: 'earlier' })).statusCode).toBe(303);
    expect(photoRows().map((r) => r.id)).toEqual([rows[0], rows[1], rows[3], rows[2]]);
    expect(sectionFlash((await secretary.get(`/secretary/products/${productId}`)).body)).toBe('照片顺序已调整。');
    expect((await secretary.post(`/secretary/products/${productId}/photos/${rows[0]}/move`, { move: 'later' })).statusCode).toBe(303);
    expect(photoRows().map((r) => r.id)).toEqual([rows[1], rows[0], rows[3], rows[2]]);
    // The first cannot go earlier nor the last later: nothing changes, nothing breaks.
    expect((await secretary.post(`/secretary/products/${productId}/photos/${rows[1]}/move`, { move: 'earlier' })).statusCode).toBe(303);
    expect((await secretary.post(`/secretary/products/${productId}/photos/${rows[2]}/move`, { move: 'later' })).statusCode).toBe(303);
    expect(photoRows().map((r) => r.id)).toEqual([rows[1], rows[0], rows[3], rows[2]]);
    const moves = ctx.db.sqlite.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'product.photo_move'`).get() as { n: number };
    expect(moves.n).toBe(3);
    expect((await secretary.post(`/secretary/products/${productId}/photos/${rows[0]}/move`, { move: 'sideways' })).statusCode).toBe(400);
  });

  it('saves a photo’s alt texts, shown in each language on the product page', async () => {
    const [main] = photoRows();
    const response = await secretary.post(`/secretary/products/${productId}/photos/${main!.id}/alt`, {
      altZh: '一袋晒干的花菇',
      altEn: 'A bag of dried flower shiitake',
    });
    expect(response.statusCode).toBe(303);
    expect(sectionFlash((await secretary.get(`/secretary/products/${productId}`)).body)).toBe('照片说明已保存。');
    expect(pagePhotos((await anonymous(ctx.app).get(`/products/${SLUG}`)).body)[0]!.alt).toBe('一袋晒干的花菇');
    expect(pagePhotos((await anonymous(ctx.app).get(`/products/${SLUG}?lang=en`)).body)[0]!.alt).toBe('A bag of dried flower shiitake');
    // A description is required in Chinese; the refusal is said where the person is.
    expect((await secretary.post(`/secretary/products/${productId}/photos/${main!.id}/alt`, { altZh: ' ' })).statusCode).toBe(303);
    expect(sectionFlash((await secretary.get(`/secretary/products/${productId}`)).body)).toBe('这一项必须填写。');
  });

  it('refuses another village’s secretary every photo change of this product (as if it did not exist), changing nothing', async () => {
    const other = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    const rows = photoRows();
    const [first, second] = rows;
    const token = await other.csrfToken('/secretary/products');
    for (const [url, form] of [
      [`/secretary/products/${productId}/photos/${second!.id}/move`, { move: 'main' }],
      [`/secretary/products/${productId}/photos/${first!.id}/alt`, { altZh: '别人的说明' }],
      [`/secretary/products/${productId}/photos/${first!.id}/delete`, {}],
      [`/secretary/products/${productId}/publish`, { published: '0' }],
    ] as const) {
      const response = await other.post(url, { ...form, _csrf: token });
      // 404 as for an id that does not exist (src/villages/access.ts): other villages' ids cannot be probed.
      expect(response.statusCode, url).toBe(404);
    }
    const upload = await postMultipart(ctx.app, other, `/secretary/products/${productId}/photos`, {}, await jpegPhoto(), '/secretary/products');
    expect(upload.statusCode).toBe(404);
    expect(photoRows()).toEqual(rows);
    expect(ctx.db.sqlite.prepare(`SELECT alt_zh FROM product_photos WHERE id = ?`).pluck().get(first!.id)).not.toBe('别人的说明');
    // Without a token, even the product's own secretary is refused.
    const forged = await secretary.post(`/secretary/products/${productId}/photos/${second!.id}/move`, { move: 'main' }, { withoutCsrf: true });
    expect(forged.statusCode).toBe(403);
    expect(photoRows()).toEqual(rows);
  });

  it('refuses more photos than a product may have, saying so where the person is, and stores none of them', async () => {
    const before = photoRows().length;
    const many = await Promise.all(Array.from({ length: 6 }, (_, i) => jpegPhoto('photo', `#${(i * 30 + 16).toString(16).padStart(2, '0')}2222`)));
    expect((await uploadPhotos(secretary, many)).statusCode).toBe(303);
    expect(photoRows()).toHaveLength(before + 6);
    expect((await uploadPhotos(secretary, many.slice(0, 3))).statusCode).toBe(303);
    expect(sectionFlash((await secretary.get(`/secretary/products/${productId}`)).body)).toBe('一件商品最多 12 张照片，请先删除几张。');
    expect(photoRows()).toHaveLength(before + 6);
    // Seven at once is more than one upload takes.
    const seven = await uploadPhotos(secretary, [...many, many[0]!]);
    expect(seven.statusCode).toBe(303);
    expect(sectionFlash((await secretary.get(`/secretary/products/${productId}`)).body)).toBe('一次最多上传 6 张照片。');
    expect(photoRows()).toHaveLength(before + 6);
  });
});

describe('a product without a photo', () => {
  it('is refused publication with a message at the confirmation box, and published once the secretary ticks it', async () => {
    const token = await secretary.csrfToken('/secretary/products/new');
    const form = {
      _csrf: token,
      titleZh: '明梅山茶油',
      titleEn: 'Mingmei Camellia Oil',
      category: 'grain-oil',
      unit: 'bottle',
      price: '68',
      minOrderQty: '1',
      lowStockThreshold: '5',
      stock: '20',
      producerId: String(
        ctx.db.sqlite.prepare(`SELECT id FROM producers WHERE village_id = (SELECT id FROM villages WHERE slug = 'mingmei') LIMIT 1`).pluck().get(),
      ),
      projectId: String(ctx.db.sqlite.prepare(`SELECT id FROM projects WHERE slug = 'shen-he-xiezuo'`).pluck().get()),
      published: 'on',
    };
    const refused = await secretary.post('/secretary/products', form);
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain(
      '<p class="field-error" id="e-publishWithoutPhoto">这件商品还没有照片。请先上传照片，或勾选“确认在没有照片的情况下上架”。</p>',
    );
    expect(refused.body).toContain('value="明梅山茶油"');
    expect(ctx.db.sqlite.prepare(`SELECT count(*) FROM products WHERE title_zh = '明梅山茶油'`).pluck().get()).toBe(0);

    // Saved as a draft, then the publish button: refused without the tick, in English too.
    const { published: _unticked, ...draftForm } = form;
    const draft = await secretary.post('/secretary/products', draftForm);
    expect(draft.statusCode).toBe(303);
    const id = Number(/\/secretary\/products\/(\d+)/.exec(draft.headers.location as string)![1]);
    const slug = ctx.db.sqlite.prepare(`SELECT slug FROM products WHERE id = ?`).pluck().get(id) as string;
    const publish = await secretary.post(`/secretary/products/${id}/publish?lang=en`, { published: '1' });
    expect(publish.statusCode).toBe(422);
    expect(publish.body).toContain('data-publish-error>This product has no photo yet. Upload a photo first, or tick “Publish without a photo”.</p>');
    expect(publish.body).toContain('aria-describedby="e-publishWithoutPhoto-now"');
    expect((await anonymous(ctx.app).get(`/products/${slug}`)).statusCode).toBe(404);

    const confirmed = await secretary.post(`/secretary/products/${id}/publish`, { published: '1', publishWithoutPhoto: 'on' });
    expect(confirmed.statusCode).toBe(303);
    expect(ctx.db.sqlite.prepare(`SELECT published FROM products WHERE id = ?`).pluck().get(id)).toBe(1);

    // The shop shows its category in place of a photo, on its page and its card, never an empty frame.
    const page = await anonymous(ctx.app).get(`/products/${slug}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<span class="photo-placeholder" data-photo-placeholder data-category="grain-oil" role="img" aria-label="暂无照片：粮油">/);
    expect(page.body).toContain('<span class="photo-placeholder-name">粮油</span>');
    const listing = await anonymous(ctx.app).get('/products?village=mingmei&sort=newest');
    expect(cardImage(listing.body, slug)).toBeNull();
    const card = new RegExp(`<a href="/products/${slug}" class="card-link">([\\s\\S]*?)</a>`).exec(listing.body)![1]!;
    expect(card).toContain('data-photo-placeholder data-category="grain-oil" aria-hidden="true"');
    expect(card).toContain('<span class="photo-placeholder-name">粮油</span>');
    // …and in the cart, where its line keeps its place beside the others.
    const shopper = anonymous(ctx.app);
    const shown = await shopper.get(`/products/${slug}`);
    expect((await shopper.post('/cart/items', { productId: String(id), quantity: '1', _csrf: csrfTokenIn(shown.body)! })).statusCode).toBe(303);
    const cart = await shopper.get('/cart');
    expect(new RegExp(`data-product-id="${id}">\\s*<span class="photo-placeholder" data-photo-placeholder data-category="grain-oil"`).test(cart.body)).toBe(
      true,
    );
    const english = await anonymous(ctx.app).get(`/products/${slug}?lang=en`);
    expect(english.body).toContain('aria-label="No photo yet: Grain &amp; oil"');

    // Once published, editing it needs no confirmation again.
    const edit = await secretary.post(`/secretary/products/${id}`, { ...form, price: '66' });
    expect(edit.statusCode).toBe(303);
  });

  it('publishes at once a product that has a photo, without asking', async () => {
    const id = productId; // it has its photos
    expect((await secretary.post(`/secretary/products/${id}/publish`, { published: '0' })).statusCode).toBe(303);
    const page = await secretary.get(`/secretary/products/${id}`);
    expect(page.body).not.toContain('name="publishWithoutPhoto"');
    expect((await secretary.post(`/secretary/products/${id}/publish`, { published: '1' })).statusCode).toBe(303);
    expect(ctx.db.sqlite.prepare(`SELECT published FROM products WHERE id = ?`).pluck().get(id)).toBe(1);
  });
});
