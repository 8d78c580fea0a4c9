import { and, eq, exists, or } from 'drizzle-orm';
import { productPhotos } from '../catalog/schema.js';
import { one, type Query, type Tx } from '../db/unit-of-work.js';
import { media } from './schema.js';

/** Content types the media table accepts (mirrors media_type_ck). */
export type MediaContentType = 'image/webp' | 'image/jpeg' | 'image/png' | 'application/pdf';

/** A stored file: `sha256` is the hex SHA-256 of bytes; width and height in pixels, null for non-images. */
export type Media = Omit<typeof media.$inferSelect, 'createdAt'>;

export interface NewMedia {
  bytes: Buffer;
  contentType: MediaContentType;
  sha256: string;
  width: number | null;
  height: number | null;
}

const mediaColumns = {
  id: media.id,
  bytes: media.bytes,
  contentType: media.contentType,
  sha256: media.sha256,
  width: media.width,
  height: media.height,
};

/** Stores bytes once per SHA-256: the same bytes again return the existing row's id. */
export function* insertMedia(tx: Tx, m: NewMedia): Query<number> {
  // ON CONFLICT(sha256) rather than INSERT OR IGNORE: OR IGNORE would also swallow CHECK failures.
  const inserted = yield* one(
    tx
      .insert(media)
      .values({ sha256: m.sha256, contentType: m.contentType, bytes: m.bytes, width: m.width, height: m.height })
      .onConflictDoNothing({ target: media.sha256 })
      .returning({ id: media.id }),
  );
  if (inserted) return inserted.id;
  const existing = yield* one(tx.select({ id: media.id }).from(media).where(eq(media.sha256, m.sha256)));
  if (!existing) throw new Error(`media insert neither inserted nor found sha256 ${m.sha256}`);
  return existing.id;
}

export function* mediaById(tx: Tx, id: number): Query<Media | null> {
  return (yield* one(tx.select(mediaColumns).from(media).where(eq(media.id, id)))) ?? null;
}

/**
 * Public media: product photos. Private media (payout evidence, certificates) are served by
 * their own domains' routes after an access check, never through /media.
 */
export function* publicMediaById(tx: Tx, id: number): Query<Media | null> {
  const photo = tx
    .select({ one: productPhotos.id })
    .from(productPhotos)
    .where(or(eq(productPhotos.listMediaId, media.id), eq(productPhotos.detailMediaId, id)));
  const row = yield* one(
    tx
      .select(mediaColumns)
      .from(media)
      .where(and(eq(media.id, id), exists(photo))),
  );
  return row ?? null;
}
