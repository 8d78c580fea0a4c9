import { constants, crc32, deflateRaw } from 'node:zlib';
import { promisify } from 'node:util';

const deflateRawAsync = promisify(deflateRaw);

/*
 * A page compressed once and sent to many visitors, each with their own CSRF token in it.
 *
 * The page is split where the token stands; every piece is deflated once, on its own, ending on
 * a byte boundary (a sync flush, not the final block). A response is then a gzip member made of
 * the pieces with the visitor's token between them as stored (uncompressed) deflate blocks, and
 * the trailer's CRC-32 combined from the pieces' CRCs: no compression work per visitor. Each
 * deflated piece refers back only into itself, so it stays valid whatever comes before it.
 * (RFC 1951 §3.2.4 stored blocks, RFC 1952 member layout; CRC combination as zlib's
 * crc32_combine.)
 */

/** x^(8·len) mod P, and crc32_combine: CRC-32 of A‖B from crc(A), crc(B) and B's length. */
const POLY = 0xedb88320;

function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) mod P. */
const X2N = (() => {
  const table = new Array<number>(32);
  let p = 0x40000000; // x^1
  table[0] = p;
  for (let n = 1; n < 32; n++) table[n] = p = multModP(p, p);
  return table;
})();

/** The operator that shifts a CRC over `bytes` bytes (x^(8·bytes) mod P). */
function shiftOver(bytes: number): number {
  let p = 0x80000000; // x^0
  let k = 3;
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) if (n & 1) p = multModP(X2N[k & 31]!, p);
  return p;
}

/** CRC-32 of A‖B given crc(A), crc(B) and the shift operator of B's length. */
const combine = (crcA: number, crcB: number, shiftB: number) => (multModP(shiftB, crcA) ^ crcB) >>> 0;

/** Byte 9 (OS) = 255: unknown; no name, no time. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
const MAX_STORED = 0xffff;

interface Piece {
  deflated: Buffer;
  crc: number;
  length: number;
  shift: number;
}

export interface SplicedGzip {
  /** The gzip body with `insert` (the same bytes at every cut) placed at each cut. */
  assemble(insert: Buffer): Buffer;
  /** Bytes held. */
  readonly size: number;
}

/** Deflates the pieces between the cuts (in the thread pool); `insert` goes where they were cut. */
export async function spliceableGzip(pieces: readonly Buffer[], level = 6): Promise<SplicedGzip> {
  const deflated = await Promise.all(
    pieces.map((piece, i) =>
      deflateRawAsync(piece, { level, finishFlush: i === pieces.length - 1 ? constants.Z_FINISH : constants.Z_SYNC_FLUSH }),
    ),
  );
  const parts: Piece[] = pieces.map((piece, i) => ({ deflated: deflated[i]!, crc: crc32(piece), length: piece.length, shift: shiftOver(piece.length) }));
  const size = parts.reduce((n, p) => n + p.deflated.length, 0);
  let whole: Buffer | null = null;
  return {
    size,
    assemble(insert: Buffer): Buffer {
      // Nothing to insert into a single piece: the same bytes every time.
      if (parts.length === 1 && whole) return whole;
      if (insert.length > MAX_STORED) throw new RangeError('insert too long for one stored block');
      const stored = Buffer.allocUnsafe(5);
      stored[0] = 0x00; // BFINAL 0, BTYPE 00 (stored), padded to the byte
      stored.writeUInt16LE(insert.length, 1);
      stored.writeUInt16LE(~insert.length & 0xffff, 3);
      const insertCrc = crc32(insert);
      const insertShift = shiftOver(insert.length);
      const chunks: Buffer[] = [GZIP_HEADER, parts[0]!.deflated];
      let crc = parts[0]!.crc;
      let total = parts[0]!.length;
      for (let i = 1; i < parts.length; i++) {
        const part = parts[i]!;
        chunks.push(stored, insert, part.deflated);
        crc = combine(combine(crc, insertCrc, insertShift), part.crc, part.shift);
        total += insert.length + part.length;
      }
      const trailer = Buffer.allocUnsafe(8);
      trailer.writeUInt32LE(crc, 0);
      trailer.writeUInt32LE(total % 0x100000000, 4);
      chunks.push(trailer);
      const body = Buffer.concat(chunks);
      if (parts.length === 1) whole = body;
      return body;
    },
  };
}
