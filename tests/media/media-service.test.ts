import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase, type Database_ } from '../../src/db/client.js';
import { AppError } from '../../src/errors.js';
import { createMediaService, detectImageType, type MediaService } from '../../src/media/media-service.js';

let db: Database_;
let dbPath: string;
let media: MediaService;

beforeEach(() => {
  dbPath = join(tmpdir(), `xiangyi-media-${randomUUID()}.db`);
  db = openDatabase(dbPath);
  migrateDatabase(db);
  media = createMediaService(db);
});

afterEach(() => {
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
});

function mediaCount(): number {
  return db.sqlite.prepare('SELECT count(*) FROM media').pluck().get() as number;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const jpegWithExif = () =>
  sharp({ create: { width: 1600, height: 1000, channels: 3, background: '#c8843a' } })
    .jpeg()
    .withExif({ IFD0: { Copyright: 'x', Make: 'PhoneCam' } })
    .toBuffer();

describe('detectImageType', () => {
  it('recognises JPEG, PNG and WebP by their magic bytes', async () => {
    const base = sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } });
    expect(detectImageType(await base.clone().jpeg().toBuffer())).toBe('jpeg');
    expect(detectImageType(await base.clone().png().toBuffer())).toBe('png');
    expect(detectImageType(await base.clone().webp().toBuffer())).toBe('webp');
  });

  it('refuses SVG, text, a RIFF that is not WebP, and truncated headers', () => {
    expect(detectImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(detectImageType(Buffer.from('hello'))).toBeNull();
    expect(detectImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeNull();
    expect(detectImageType(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(detectImageType(Buffer.from([0x89, 0x50, 0x4e, 0x47]))).toBeNull();
    expect(detectImageType(Buffer.alloc(0))).toBeNull();
  });
});

describe('storeProductPhoto', () => {
  it('refuses a text file renamed .jpg and stores nothing', async () => {
    const error = await rejection(media.storeProductPhoto(Buffer.from('hello')));
    expect(error.code).toBe('image_type_not_allowed');
    expect(error.status).toBe(422);
    expect(mediaCount()).toBe(0);
  });

  it('refuses an SVG even though sharp could render it', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    expect((await rejection(media.storeProductPhoto(svg))).code).toBe('image_type_not_allowed');
  });

  it('refuses uploads over 8 MiB before decoding them', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024 + 1);
    big.set([0xff, 0xd8, 0xff]);
    expect((await rejection(media.storeProductPhoto(big))).code).toBe('image_too_large');
  });

  it('refuses a file with JPEG magic bytes that does not decode', async () => {
    const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('not really a jpeg at all')]);
    expect((await rejection(media.storeProductPhoto(fake))).code).toBe('image_unreadable');
    expect(mediaCount()).toBe(0);
  });

  it('refuses images over 40 megapixels', async () => {
    const huge = await sharp({ create: { width: 8000, height: 5001, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    expect((await rejection(media.storeProductPhoto(huge))).code).toBe('image_unreadable');
  });

  it('re-encodes a JPEG with EXIF into WebP list and detail sizes with no EXIF left', async () => {
    const input = await jpegWithExif();
    expect((await sharp(input).metadata()).exif).toBeDefined();

    const { listMediaId, detailMediaId } = await media.storeProductPhoto(input);
    expect(listMediaId).not.toBe(detailMediaId);

    const list = await media.get(listMediaId);
    const detail = await media.get(detailMediaId);
    expect(list).toMatchObject({ contentType: 'image/webp', width: 480, height: 360 });
    expect(detail).toMatchObject({ contentType: 'image/webp', width: 1200, height: 750 });
    for (const row of [list!, detail!]) {
      const meta = await sharp(row.bytes).metadata();
      expect(meta.format).toBe('webp');
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(mediaCount()).toBe(2);
  });

  it('applies the EXIF orientation before stripping it', async () => {
    // A landscape JPEG tagged "rotate 90°" must come out portrait.
    const input = await sharp({ create: { width: 800, height: 400, channels: 3, background: '#369' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { detailMediaId } = await media.storeProductPhoto(input);
    expect(await media.get(detailMediaId)).toMatchObject({ width: 400, height: 800 });
  });

  it('never enlarges a small photo for the detail size', async () => {
    const small = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#9c6' } })
      .png()
      .toBuffer();
    const { detailMediaId } = await media.storeProductPhoto(small);
    expect(await media.get(detailMediaId)).toMatchObject({ width: 300, height: 200 });
  });

  it('stores the same photo once: a second upload returns the same ids', async () => {
    const input = await jpegWithExif();
    const first = await media.storeProductPhoto(input);
    const second = await media.storeProductPhoto(input);
    expect(second).toEqual(first);
    expect(mediaCount()).toBe(2);
  });
});

describe('get', () => {
  it('returns null for an id that does not exist', async () => {
    expect(await media.get(999)).toBeNull();
  });
});
