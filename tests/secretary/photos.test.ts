import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse as Response } from 'fastify';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_UPLOAD_BYTES } from '../../src/media/media-service.js';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** A first secretary adds product photos; what reaches the shop is a clean WebP, whatever was uploaded. */

let ctx: TestContext;
let secretary: TestBrowser;
let productId: number;

beforeEach(async () => {
  ctx = await createTestApp();
  secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
  productId = (ctx.db.sqlite.prepare(`SELECT id FROM products WHERE slug = 'gulou-shiitake'`).get() as { id: number }).id;
});
afterEach(async () => {
  await ctx.close();
});

const count = (sql: string, ...params: unknown[]) => (ctx.db.sqlite.prepare(sql).get(...params) as { n: number }).n;
const mediaCount = () => count(`SELECT count(*) AS n FROM media`);
const photoCount = () => count(`SELECT count(*) AS n FROM product_photos WHERE product_id = ?`, productId);
const flashIn = (html: string) => /<div class="wrap flash flash-(success|error)" role="status">([^<]*)<\/div>/.exec(html)?.slice(1, 3) ?? null;
/** The one-time message drawn inside the page's section `#at` (where the person was sent back to), never at the top. */
const flashInSection = (html: string, at: string) => {
  if (flashIn(html)) return ['at the top of the page', ...flashIn(html)!];
  const section = new RegExp(`<section id="${at}"[\\s\\S]*?</section>`).exec(html)?.[0] ?? '';
  return new RegExp(`<div class="flash flash-(success|error)" role="status" data-flash-at="${at}">([^<]*)</div>`).exec(section)?.slice(1, 3) ?? null;
};
const mediaIdsIn = (html: string) => new Set([...html.matchAll(/<img src="\/media\/(\d+)"/g)].map((m) => Number(m[1])));
/** The product page's photos themselves (its row of photos), not the small pictures that jump to them. */
const shownPhotoIdsIn = (html: string) => new Set([...html.matchAll(/<img src="\/media\/(\d+)"[^>]*data-photo>/g)].map((m) => Number(m[1])));

/** A multipart/form-data body with the form's CSRF field (when given) and one file field, as a browser sends the upload form. */
function multipart(file: { name?: string; filename: string; contentType: string; data: Buffer }, csrf?: string) {
  const boundary = `----xiangyi${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    Buffer.from(csrf === undefined ? '' : `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.name ?? 'photo'}"; filename="${file.filename}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
    ),
    file.data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Posts the upload form of the product page: the CSRF token is the form's first field, as the page's form sends it (or, to show it is refused, in the URL). */
async function upload(file: Parameters<typeof multipart>[0], options: { csrf?: boolean | 'in-url' } = {}): Promise<Response> {
  const token = await secretary.csrfToken(`/secretary/products/${productId}`);
  const { payload, contentType } = multipart(file, options.csrf === false || options.csrf === 'in-url' ? undefined : token);
  const query = options.csrf === 'in-url' ? `?_csrf=${encodeURIComponent(token)}` : '';
  return secretary.send({
    method: 'POST',
    url: `/secretary/products/${productId}/photos${query}`,
    headers: { 'content-type': contentType },
    payload,
  });
}

/** Tag ids of a TIFF directory inside an EXIF block ("Exif\0\0" + TIFF), and where the GPS directory is. */
function exifTags(exif: Buffer): { ifd0: number[]; gps: number[] } {
  const tiff = exif.subarray(exif.toString('latin1', 0, 4) === 'Exif' ? 6 : 0);
  const le = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const entries = (at: number) => Array.from({ length: u16(at) }, (_, i) => ({ tag: u16(at + 2 + i * 12), value: u32(at + 2 + i * 12 + 8) }));
  const ifd0 = entries(u32(4));
  const gpsPointer = ifd0.find((e) => e.tag === 0x8825);
  return { ifd0: ifd0.map((e) => e.tag), gps: gpsPointer ? entries(gpsPointer.value).map((e) => e.tag) : [] };
}

/** A real camera-like JPEG: copyright, camera make and GPS position in its EXIF. */
async function jpegWithGps(): Promise<Buffer> {
  return sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 150, g: 110, b: 70 } } })
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: { Copyright: 'Xiangyi test photographer', Make: 'TestCam' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '24/1 25/1 1234/100', GPSLongitudeRef: 'E', GPSLongitude: '111/1 33/1 5678/100' },
    })
    .toBuffer();
}

describe('uploading a product photo', () => {
  it('shows a new /media image on the product pages, stored as WebP without the camera’s EXIF or GPS position', async () => {
    const jpeg = await jpegWithGps();
    // The test photo really carries a GPS position.
    const source = await sharp(jpeg).metadata();
    expect(source.format).toBe('jpeg');
    expect(exifTags(source.exif!).gps).toEqual(expect.arrayContaining([0x0001, 0x0002, 0x0003, 0x0004]));
    expect(jpeg.includes('Xiangyi test photographer')).toBe(true);

    const consoleBefore = mediaIdsIn((await secretary.get(`/secretary/products/${productId}`)).body);
    const shopBefore = shownPhotoIdsIn((await secretary.get('/products/gulou-shiitake')).body);
    const photos = photoCount();

    const response = await upload({ filename: 'IMG_2041.JPG', contentType: 'image/jpeg', data: jpeg });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/secretary/products/${productId}#photos`);
    expect(photoCount()).toBe(photos + 1);

    const consolePage = await secretary.get(`/secretary/products/${productId}`);
    expect(flashInSection(consolePage.body, 'photos')).toEqual(['success', '照片已上传，商城中已经可以看到。']);
    const newInConsole = [...mediaIdsIn(consolePage.body)].filter((id) => !consoleBefore.has(id));
    expect(newInConsole).toHaveLength(1);
    const shopPage = await secretary.get('/products/gulou-shiitake');
    const newInShop = [...shownPhotoIdsIn(shopPage.body)].filter((id) => !shopBefore.has(id));
    expect(newInShop).toHaveLength(1);

    for (const id of [newInConsole[0]!, newInShop[0]!]) {
      const media = await secretary.get(`/media/${id}`);
      expect(media.statusCode).toBe(200);
      expect(media.headers['content-type']).toBe('image/webp');
      const bytes = media.rawPayload;
      expect(bytes.toString('latin1', 0, 4)).toBe('RIFF');
      expect(bytes.toString('latin1', 8, 12)).toBe('WEBP');
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe('webp');
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      // No EXIF chunk at all, and none of the camera's text survived re-encoding.
      expect(bytes.includes('EXIF')).toBe(false);
      expect(bytes.includes('Xiangyi test photographer')).toBe(false);
      expect(bytes.includes('TestCam')).toBe(false);
    }
    // The grid thumbnail is cropped to 480×360; the page image keeps the 4:3 photo, never enlarged.
    expect(await sharp((await secretary.get(`/media/${newInConsole[0]}`)).rawPayload).metadata()).toMatchObject({ width: 480, height: 360 });
    expect(await sharp((await secretary.get(`/media/${newInShop[0]}`)).rawPayload).metadata()).toMatchObject({ width: 800, height: 600 });

    const audit = ctx.db.sqlite.prepare(`SELECT action, entity_id AS entityId, address FROM audit_log WHERE action = 'product.photo_add'`).all();
    expect(audit).toEqual([{ action: 'product.photo_add', entityId: String(productId), address: '127.0.0.1' }]);
  });

  it('refuses a text file named photo.jpg, says why after the redirect, and stores nothing', async () => {
    const media = mediaCount();
    const photos = photoCount();
    const response = await upload({ filename: 'photo.jpg', contentType: 'image/jpeg', data: Buffer.from('这不是照片，只是一段文字。\n'.repeat(20)) });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/secretary/products/${productId}#photos`);
    const page = await secretary.get(`/secretary/products/${productId}`);
    expect(flashInSection(page.body, 'photos')).toEqual(['error', '只能上传 JPEG、PNG 或 WebP 格式的图片。']);
    expect(mediaCount()).toBe(media);
    expect(photoCount()).toBe(photos);
  });

  it('refuses a file just over the upload limit, says why, and stores nothing', async () => {
    const media = mediaCount();
    const photos = photoCount();
    // JPEG magic bytes, then padding: it is the size that must stop it.
    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 1);
    big.set([0xff, 0xd8, 0xff, 0xe0]);
    const response = await upload({ filename: 'huge.jpg', contentType: 'image/jpeg', data: big });
    expect(response.statusCode).toBe(303);
    const page = await secretary.get(`/secretary/products/${productId}`);
    expect(flashInSection(page.body, 'photos')).toEqual(['error', '图片太大了，请上传 8 MB 以内的图片。']);
    expect(mediaCount()).toBe(media);
    expect(photoCount()).toBe(photos);
  });

  it('asks for a file when the form is sent without one', async () => {
    const photos = photoCount();
    const response = await upload({ name: 'note', filename: '', contentType: 'text/plain', data: Buffer.from('') });
    expect(response.statusCode).toBe(303);
    expect(flashInSection((await secretary.get(`/secretary/products/${productId}`)).body, 'photos')).toEqual(['error', '请选择一张照片。']);
    expect(photoCount()).toBe(photos);
  });

  it('refuses an upload without its _csrf field with 403 and stores nothing, even with the token in the URL', async () => {
    const media = mediaCount();
    const photos = photoCount();
    for (const csrf of [false, 'in-url'] as const) {
      const response = await upload({ filename: 'IMG_2041.JPG', contentType: 'image/jpeg', data: await jpegWithGps() }, { csrf });
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain('页面已过期，请刷新后重试。');
    }
    expect(mediaCount()).toBe(media);
    expect(photoCount()).toBe(photos);
  });

  it('puts no token in the upload form’s address: it is a hidden field of the form', async () => {
    const page = (await secretary.get(`/secretary/products/${productId}`)).body;
    expect(page).toContain(
      `<form method="post" action="/secretary/products/${productId}/photos" enctype="multipart/form-data" class="console-form">\n    <input type="hidden" name="_csrf" value="`,
    );
    expect(page).not.toContain(`?_csrf=`);
  });

  it('removes a photo from the product and the shop', async () => {
    const photo = ctx.db.sqlite.prepare(`SELECT id, detail_media_id AS detail FROM product_photos WHERE product_id = ? ORDER BY id LIMIT 1`).get(productId) as {
      id: number;
      detail: number;
    };
    expect((await secretary.get('/products/gulou-shiitake')).body).toContain(`<img src="/media/${photo.detail}"`);
    const response = await secretary.post(`/secretary/products/${productId}/photos/${photo.id}/delete`, {});
    expect(response.statusCode).toBe(303);
    expect(flashInSection((await secretary.get(`/secretary/products/${productId}`)).body, 'photos')).toEqual(['success', '照片已删除。']);
    expect((await secretary.get('/products/gulou-shiitake')).body).not.toContain(`<img src="/media/${photo.detail}"`);
  });
});
