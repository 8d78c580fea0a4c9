import { createHash } from 'node:crypto';
import type { Sharp } from 'sharp';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { insertMedia, mediaById, publicMediaById, type NewMedia } from './media-queries.js';

/** Uploads above this many bytes are refused before decoding. */
export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
/** Decompression-bomb guard: sharp refuses inputs with more pixels than this. */
export const MAX_INPUT_PIXELS = 40_000_000;

/** Product grid thumbnail: cropped to fill exactly. */
export const LIST_SIZE = { width: 480, height: 360 } as const;
/** Product page image: fits inside, never enlarged. */
export const DETAIL_MAX = 1200;
const WEBP_QUALITY = 80;
/** Payout evidence (a photo of a signed receipt): fits inside, large enough to read handwriting. */
export const EVIDENCE_MAX = 2000;

export type ImageType = 'jpeg' | 'png' | 'webp';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The image type by its magic bytes, ignoring any file name or declared content type.
 * SVG (and everything else) is null: it is a document that can carry scripts, not a photo.
 */
export function detectImageType(buf: Buffer): ImageType | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 8 && PNG_SIGNATURE.every((byte, i) => buf[i] === byte)) return 'png';
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}

export interface EncodedImage {
  bytes: Buffer;
  sha256: string;
  width: number;
  height: number;
}

/** A photo re-encoded into both sizes, not yet stored. */
export interface EncodedProductPhoto {
  list: EncodedImage;
  detail: EncodedImage;
}

export interface StoredProductPhoto {
  listMediaId: number;
  detailMediaId: number;
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function toWebp(pipeline: Sharp): Promise<EncodedImage> {
  // sharp drops EXIF/XMP/ICC unless withMetadata/keepExif is asked for; we never ask.
  const { data, info } = await pipeline.webp({ quality: WEBP_QUALITY }).toBuffer({ resolveWithObject: true });
  return { bytes: data, sha256: sha256Hex(data), width: info.width, height: info.height };
}

/** sharp (libvips) is loaded on the first image, not at start-up. */
let sharpModule: Promise<typeof import('sharp')> | null = null;
async function loadSharp(): Promise<typeof import('sharp')['default']> {
  sharpModule ??= import('sharp');
  return (await sharpModule).default;
}

/**
 * Stored images: checked and re-encoded outside any transaction (async, no database), then stored
 * as part of the caller's unit of work (`addProductPhoto`, `addEvidence`, generators of `tx`).
 */
export function createMediaService(db: Database_) {
  /**
   * Checks an uploaded photo and re-encodes it to WebP in the list and detail sizes. Only decoded
   * pixels survive: EXIF (GPS, camera serials), comments and anything appended to the file are gone.
   * Async and touches no database, so callers can run it before opening a transaction.
   */
  async function encodeProductPhoto(input: Buffer): Promise<EncodedProductPhoto> {
    if (input.length > MAX_UPLOAD_BYTES) throw new AppError('validation', 'image_too_large');
    if (detectImageType(input) === null) throw new AppError('validation', 'image_type_not_allowed');
    try {
      // rotate() with no angle applies the EXIF orientation before the tag is dropped.
      const sharp = await loadSharp();
      const source = sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).rotate();
      const [list, detail] = await Promise.all([
        toWebp(source.clone().resize(LIST_SIZE.width, LIST_SIZE.height, { fit: 'cover' })),
        toWebp(source.clone().resize(DETAIL_MAX, DETAIL_MAX, { fit: 'inside', withoutEnlargement: true })),
      ]);
      return { list, detail };
    } catch {
      // Corrupt, truncated, over the pixel limit, or a format sharp will not read.
      throw new AppError('validation', 'image_unreadable');
    }
  }

  /** Stores an encoded photo's two sizes, as part of the caller's unit of work. */
  function* addProductPhoto(tx: Tx, photo: EncodedProductPhoto): Query<StoredProductPhoto> {
    const listMediaId = yield* insertMedia(tx, { ...photo.list, contentType: 'image/webp' });
    const detailMediaId = yield* insertMedia(tx, { ...photo.detail, contentType: 'image/webp' });
    return { listMediaId, detailMediaId };
  }

  /** Validates and re-encodes payout evidence (one size, metadata dropped). Touches no database. */
  async function encodeEvidence(input: Buffer): Promise<EncodedImage> {
    if (input.length > MAX_UPLOAD_BYTES) throw new AppError('validation', 'image_too_large');
    if (detectImageType(input) === null) throw new AppError('validation', 'image_type_not_allowed');
    try {
      const sharp = await loadSharp();
      return await toWebp(
        sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).rotate().resize(EVIDENCE_MAX, EVIDENCE_MAX, { fit: 'inside', withoutEnlargement: true }),
      );
    } catch {
      throw new AppError('validation', 'image_unreadable');
    }
  }
  /**
   * Validates a document (an issued invoice): a PDF is kept byte for byte (it cannot be re-encoded;
   * it is only ever served as an attachment, never rendered inline); a photo or scan is re-encoded
   * like evidence. Touches no database.
   */
  async function encodeDocument(input: Buffer): Promise<NewMedia> {
    if (input.length > MAX_UPLOAD_BYTES) throw new AppError('validation', 'document_too_large');
    if (input.subarray(0, 5).toString('latin1') === '%PDF-') {
      return { bytes: input, sha256: sha256Hex(input), contentType: 'application/pdf', width: null, height: null };
    }
    if (detectImageType(input) === null) throw new AppError('validation', 'document_type_not_allowed');
    const image = await encodeEvidence(input);
    return { ...image, contentType: 'image/webp' };
  }
  /** Stores an encoded document; private (never served by /media). Part of the caller's unit of work. */
  const addDocument = (tx: Tx, document: NewMedia): Query<number> => insertMedia(tx, document);

  /** Stores encoded evidence; private (never served by /media). Part of the caller's unit of work. */
  const addEvidence = (tx: Tx, image: EncodedImage): Query<number> => insertMedia(tx, { ...image, contentType: 'image/webp' });

  return {
    encodeProductPhoto,
    encodeEvidence,
    addEvidence,
    encodeDocument,
    addDocument,
    addProductPhoto,
    /** Validates, re-encodes and stores payout evidence; returns its media id. */
    storeEvidence: async (input: Buffer): Promise<number> => {
      const encoded = await encodeEvidence(input);
      return db.uow.write((tx) => addEvidence(tx, encoded));
    },

    /** Validates, re-encodes (before any write) and stores a product photo in both sizes. */
    async storeProductPhoto(input: Buffer): Promise<StoredProductPhoto> {
      const encoded = await encodeProductPhoto(input);
      return db.uow.write((tx) => addProductPhoto(tx, encoded));
    },

    get: (id: number) => db.uow.read((tx) => mediaById(tx, id)),
    /** A stored file as part of another unit of work. */
    readMedia: (tx: Tx, id: number) => mediaById(tx, id),

    /** Media anyone may see (product photos); null for private or missing media. */
    getPublic: (id: number) => db.uow.read((tx) => publicMediaById(tx, id)),
  };
}

export type MediaService = ReturnType<typeof createMediaService>;
