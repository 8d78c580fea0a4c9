import { sql } from 'drizzle-orm';
import { blob, check, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { epochMs, nowMs } from '../db/columns.js';

/**
 * Stored images and documents (product photos, payout evidence, certificates). Kept inside the
 * database so an online backup is one consistent file. Bytes are always re-encoded before storing.
 */
export const media = sqliteTable(
  'media',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Hex SHA-256 of the stored bytes; also the HTTP ETag. */
    sha256: text('sha256').notNull(),
    contentType: text('content_type').notNull(),
    bytes: blob('bytes', { mode: 'buffer' }).notNull(),
    /** Pixels; null for non-images. */
    width: integer('width'),
    height: integer('height'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('media_sha256_uq').on(t.sha256),
    check('media_type_ck', sql`${t.contentType} IN ('image/webp','image/jpeg','image/png','application/pdf')`),
  ],
);
