import type { Database_ } from '../db/client.js';

/** Content types the media table accepts (mirrors media_type_ck). */
export type MediaContentType = 'image/webp' | 'image/jpeg' | 'image/png' | 'application/pdf';

export interface MediaRow {
  id: number;
  bytes: Buffer;
  contentType: MediaContentType;
  /** Hex SHA-256 of bytes. */
  sha256: string;
  /** Pixels; null for non-images. */
  width: number | null;
  height: number | null;
}

export interface NewMedia {
  bytes: Buffer;
  contentType: MediaContentType;
  sha256: string;
  width: number | null;
  height: number | null;
}

/**
 * Every SQL statement on the media table. Statements are prepared once, so the table must exist
 * (the database is migrated) before this is called. All functions are synchronous and may run
 * inside a caller's better-sqlite3 transaction.
 */
export function createMediaQueries(db: Database_) {
  // ON CONFLICT(sha256) rather than INSERT OR IGNORE: OR IGNORE would also swallow CHECK failures.
  const insertStmt = db.sqlite.prepare<[string, string, Buffer, number | null, number | null]>(
    `INSERT INTO media (sha256, content_type, bytes, width, height)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(sha256) DO NOTHING`,
  );
  const idBySha = db.sqlite.prepare<[string], { id: number }>('SELECT id FROM media WHERE sha256 = ?');
  const byId = db.sqlite.prepare<[number], MediaRow>(`SELECT id, bytes, content_type AS contentType, sha256, width, height FROM media WHERE id = ?`);

  // Public media: product photos. Private media (payout evidence, certificates) are served by
  // their own domains' routes after an access check, never through /media.
  const publicById = db.sqlite.prepare<[number, number], MediaRow>(
    `SELECT id, bytes, content_type AS contentType, sha256, width, height FROM media m
     WHERE m.id = ? AND EXISTS (SELECT 1 FROM product_photos ph WHERE ph.list_media_id = m.id OR ph.detail_media_id = ?)`,
  );

  return {
    /** Stores bytes once per SHA-256: the same bytes again return the existing row's id. */
    insert(media: NewMedia): number {
      const result = insertStmt.run(media.sha256, media.contentType, media.bytes, media.width, media.height);
      if (result.changes === 1) return Number(result.lastInsertRowid);
      const existing = idBySha.get(media.sha256);
      if (!existing) throw new Error(`media insert neither inserted nor found sha256 ${media.sha256}`);
      return existing.id;
    },

    getById(id: number): MediaRow | null {
      return byId.get(id) ?? null;
    },

    getPublicById(id: number): MediaRow | null {
      return publicById.get(id, id) ?? null;
    },
  };
}

export type MediaQueries = ReturnType<typeof createMediaQueries>;
