import { randomBytes } from 'node:crypto';
import { crc32, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spliceableGzip } from '../../src/plugins/spliced-gzip.js';

/**
 * A page compressed once with a hole at every cut, made into a whole gzip member for each visitor
 * with their own bytes in the holes. Whatever the pieces and the insert, any gzip reader must see
 * exactly the pieces joined with the insert, and the trailer must vouch for those bytes.
 */

const SEED = 20261201;

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** The bytes a visitor should receive: the pieces with the insert at every cut. */
function joined(pieces: readonly Buffer[], insert: Buffer): Buffer {
  const chunks: Buffer[] = [];
  pieces.forEach((piece, i) => {
    if (i > 0) chunks.push(insert);
    chunks.push(piece);
  });
  return Buffer.concat(chunks);
}

/** Assembles, decodes with zlib's own reader, and checks the trailer against the decoded bytes. */
async function decodedAfterSplicing(pieces: readonly Buffer[], insert: Buffer, level = 6): Promise<Buffer> {
  const gzip = await spliceableGzip(pieces, level);
  const body = gzip.assemble(insert);
  const decoded = gunzipSync(body);
  expectTrailerToVouchFor(body, decoded);
  return decoded;
}

function expectTrailerToVouchFor(body: Buffer, decoded: Buffer): void {
  expect(body.readUInt32LE(body.length - 8), 'CRC-32 in the trailer').toBe(crc32(decoded));
  expect(body.readUInt32LE(body.length - 4), 'ISIZE in the trailer').toBe(decoded.length % 2 ** 32);
}

describe('a gzip page with a visitor’s insert spliced in at each cut', () => {
  it('decodes a page of one piece (nothing to cut) to the page itself, whatever the insert', async () => {
    const page = utf8('<!doctype html><title>蜂蜜</title><p>No form on this page.</p>');
    const gzip = await spliceableGzip([page]);
    for (const insert of [Buffer.alloc(0), utf8('ignored'), utf8('also ignored')]) {
      const body = gzip.assemble(insert);
      const decoded = gunzipSync(body);
      expect(decoded.equals(page)).toBe(true);
      expectTrailerToVouchFor(body, decoded);
    }
  });

  it('decodes a cut at the very start of the page: the insert comes first', async () => {
    const pieces = [Buffer.alloc(0), utf8('</p> the rest of the page')];
    const insert = utf8('TOKEN-at-the-start');
    expect((await decodedAfterSplicing(pieces, insert)).toString()).toBe('TOKEN-at-the-start</p> the rest of the page');
  });

  it('decodes a cut at the very end of the page: the insert comes last', async () => {
    const pieces = [utf8('<p>the page then '), Buffer.alloc(0)];
    const insert = utf8('TOKEN-at-the-end');
    expect((await decodedAfterSplicing(pieces, insert)).toString()).toBe('<p>the page then TOKEN-at-the-end');
  });

  it('decodes two adjacent cuts (an empty piece between them) to the insert twice in a row', async () => {
    const pieces = [utf8('before '), Buffer.alloc(0), utf8(' after')];
    expect((await decodedAfterSplicing(pieces, utf8('[t]'))).toString()).toBe('before [t][t] after');
  });

  it('decodes a page with nothing but cuts (every piece empty) to the inserts alone', async () => {
    const pieces = [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)];
    expect((await decodedAfterSplicing(pieces, utf8('xy'))).toString()).toBe('xyxy');
  });

  it('decodes several cuts, each holding the same insert', async () => {
    const form = (n: number) => `<form id="f${n}"><input type="hidden" name="_csrf" value="`;
    const pieces = [utf8(form(1)), utf8(`"></form>${form(2)}`), utf8(`"></form>${form(3)}`), utf8('"></form></body>')];
    const insert = utf8('abcDEF123-_xyz');
    const expected = joined(pieces, insert);
    const decoded = await decodedAfterSplicing(pieces, insert);
    expect(decoded.toString()).toBe(expected.toString());
    expect(decoded.toString().match(/abcDEF123-_xyz/g)).toHaveLength(3);
  });

  it('keeps multi-byte UTF-8 text (Chinese) whole on both sides of a cut and in the insert', async () => {
    const pieces = [utf8('<h1>梅窑沟土蜂蜜</h1><p>每一笔销售都记入农户的账上。'), utf8('古楼村香菇专业合作社，¥128.00</p>')];
    const insert = utf8('「令牌」');
    const decoded = await decodedAfterSplicing(pieces, insert);
    expect(decoded.toString('utf8')).toBe('<h1>梅窑沟土蜂蜜</h1><p>每一笔销售都记入农户的账上。「令牌」古楼村香菇专业合作社，¥128.00</p>');
  });

  it('decodes a large page (well over 64 KiB, several deflate blocks per piece) byte for byte', async () => {
    // Text that compresses like a page, with random bytes mixed in so the blocks are not trivial.
    const row = (i: number) => `<li class="card"><a href="/products/p-${i}">产品 ${i}</a> ¥${(i * 37) % 1000}.00 ${randomBytes(24).toString('base64')}</li>\n`;
    const text = (from: number, to: number) => utf8(Array.from({ length: to - from }, (_, k) => row(from + k)).join(''));
    const pieces = [text(0, 900), text(900, 1000), text(1000, 2200), randomBytes(70_000)];
    expect(pieces.reduce((n, p) => n + p.length, 0)).toBeGreaterThan(64 * 1024 * 3);
    const insert = utf8('the-visitors-token');
    const decoded = await decodedAfterSplicing(pieces, insert, 9);
    expect(decoded.equals(joined(pieces, insert))).toBe(true);
  });

  it('gives each call its own insert: successive visitors of the same compressed page never see each other’s', async () => {
    const pieces = [utf8('<input name="_csrf" value="'), utf8('"><input name="_csrf" value="'), utf8('">')];
    const gzip = await spliceableGzip(pieces);
    const inserts = ['first-visitor', 'second', 'a-much-longer-third-visitor-token', ''].map(utf8);
    const bodies = inserts.map((insert) => gzip.assemble(insert));
    bodies.forEach((body, i) => {
      const decoded = gunzipSync(body);
      expect(decoded.equals(joined(pieces, inserts[i]!))).toBe(true);
      expectTrailerToVouchFor(body, decoded);
    });
    // Assembling again for the first visitor after the others still gives the first visitor's page.
    expect(gunzipSync(gzip.assemble(inserts[0]!)).equals(joined(pieces, inserts[0]!))).toBe(true);
  });

  it('accepts an insert of 65535 bytes (one full stored block) and refuses a longer one with a RangeError', async () => {
    const pieces = [utf8('a'), utf8('b')];
    const gzip = await spliceableGzip(pieces);
    const fits = Buffer.alloc(0xffff, 0x41);
    expect(gunzipSync(gzip.assemble(fits)).equals(joined(pieces, fits))).toBe(true);
    expect(() => gzip.assemble(Buffer.alloc(0x10000, 0x41))).toThrow(RangeError);
  });

  it('decodes to the pieces joined with the insert for any pieces, any insert and any level (generated)', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => new TextEncoder().encode(s)),
      // Long repetitive runs, so back-references are used (and must not reach across a cut).
      fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 4000 })).map(([s, n]) => new TextEncoder().encode(s.repeat(n))),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(bytes, { minLength: 1, maxLength: 8 }),
        bytes,
        fc.integer({ min: 0, max: 9 }),
        async (pieces, insert, level) => {
          const asBuffers = pieces.map((p) => Buffer.from(p));
          const insertBuffer = Buffer.from(insert);
          const decoded = await decodedAfterSplicing(asBuffers, insertBuffer, level);
          expect(decoded.equals(joined(asBuffers, insertBuffer))).toBe(true);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });
});
