import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import type { Holder } from '../orders/holds.js';
import type { WISH_STATUSES } from './schema.js';

export type WishStatus = (typeof WISH_STATUSES)[number];

export interface WishRow {
  id: number;
  projectId: number;
  projectSlug: string;
  projectZh: string;
  projectEn: string | null;
  childName: string;
  /** Years. */
  childAge: number;
  item: string;
  itemEn: string | null;
  amountFen: number;
  story: string;
  storyEn: string | null;
  photoMediaId: number | null;
  photoConsent: number;
  status: WishStatus;
  orderId: number | null;
  orderNumber: string | null;
  orderStatus: string | null;
  deliveredAt: number | null;
  deliveryPhotoMediaId: number | null;
  deliveryNote: string | null;
  postedByUserId: number | null;
  createdAt: number;
}

export interface NewWish {
  projectId: number;
  childName: string;
  childAge: number;
  item: string;
  itemEn: string | null;
  amountFen: number;
  story: string;
  storyEn: string | null;
  photoMediaId: number | null;
  photoConsent: boolean;
  postedByUserId: number | null;
  createdAt: number;
}

const WISH_COLUMNS = `w.id, w.project_id AS projectId, p.slug AS projectSlug, p.name_zh AS projectZh, p.name_en AS projectEn,
  w.child_name AS childName, w.child_age AS childAge, w.item, w.item_en AS itemEn, w.amount_fen AS amountFen, w.story, w.story_en AS storyEn,
  w.photo_media_id AS photoMediaId, w.photo_consent AS photoConsent, w.status, w.order_id AS orderId, o.number AS orderNumber,
  o.status AS orderStatus, w.delivered_at AS deliveredAt, w.delivery_photo_media_id AS deliveryPhotoMediaId, w.delivery_note AS deliveryNote,
  w.posted_by_user_id AS postedByUserId, w.created_at AS createdAt`;
const WISH_FROM = `FROM wishes w JOIN projects p ON p.id = w.project_id LEFT JOIN orders o ON o.id = w.order_id`;

/** All SQL of micro-wishes (the wishes domain owns the wishes table). */
export function createWishesQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  const inList = (ids: readonly number[]) => (ids.length ? ids.map(Number).join(',') : 'NULL');
  return {
    /** IMMEDIATE: a claim takes the write lock before it reads, so two claimers are serialised. */
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn).immediate(),

    insertWish(w: NewWish): number {
      return Number(
        q(
          `INSERT INTO wishes (project_id, child_name, child_age, item, item_en, amount_fen, story, story_en, photo_media_id, photo_consent,
             posted_by_user_id, created_at)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
        ).run(
          w.projectId,
          w.childName,
          w.childAge,
          w.item,
          w.itemEn,
          w.amountFen,
          w.story,
          w.storyEn,
          w.photoMediaId,
          w.photoConsent ? 1 : 0,
          w.postedByUserId,
          w.createdAt,
        ).lastInsertRowid,
      );
    },
    wishById: (id: number) => q(`SELECT ${WISH_COLUMNS} ${WISH_FROM} WHERE w.id = ?`).get(id) as WishRow | undefined,
    wishOfOrder: (orderId: number) => q(`SELECT ${WISH_COLUMNS} ${WISH_FROM} WHERE w.order_id = ?`).get(orderId) as WishRow | undefined,
    wishesWithStatus: (statuses: readonly WishStatus[], limit: number) =>
      q(`SELECT ${WISH_COLUMNS} ${WISH_FROM} WHERE w.status IN (${statuses.map(() => '?').join(',')}) ORDER BY w.created_at DESC, w.id DESC LIMIT ?`).all(
        ...statuses,
        limit,
      ) as WishRow[],
    wishesInProjects: (projectIds: readonly number[] | 'all', limit: number) =>
      q(
        `SELECT ${WISH_COLUMNS} ${WISH_FROM} ${projectIds === 'all' ? '' : `WHERE w.project_id IN (${inList(projectIds)})`}
         ORDER BY CASE w.status WHEN 'paid' THEN 0 WHEN 'claimed' THEN 1 WHEN 'open' THEN 2 ELSE 3 END, w.id DESC LIMIT ?`,
      ).all(limit) as WishRow[],
    /** The one claim of a wish: succeeds only while it is still open. */
    claim: (id: number, orderId: number) =>
      q(`UPDATE wishes SET status = 'claimed', order_id = ? WHERE id = ? AND status = 'open'`).run(orderId, id).changes === 1,
    deliver: (id: number, photoMediaId: number, note: string | null, now: number) =>
      q(`UPDATE wishes SET status = 'delivered', delivered_at = ?, delivery_photo_media_id = ?, delivery_note = ? WHERE id = ? AND status = 'paid'`).run(
        now,
        photoMediaId,
        note,
        id,
      ).changes === 1,
    projectExists: (id: number) => q(`SELECT 1 FROM projects WHERE id = ?`).get(id) !== undefined,
    /** Unpaid claims of a visitor, of a phone number and of an address (src/orders/holds.ts). */
    unpaidClaimsOf: (holder: Holder, now: number) =>
      q(
        `SELECT coalesce(sum(o.placed_by_visitor = @visitor), 0) AS visitor, coalesce(sum(o.phone = @phone), 0) AS phone,
                coalesce(sum(o.placed_from_address = @address), 0) AS address
         FROM orders o JOIN wishes w ON w.order_id = o.id
         WHERE o.status = 'pending_payment' AND o.expires_at > @now AND o.placed_by_visitor IS NOT NULL
           AND (o.placed_by_visitor = @visitor OR o.phone = @phone OR o.placed_from_address = @address)`,
      ).get({ ...holder, now }) as Record<keyof Holder, number>,
  };
}

export type WishesQueries = ReturnType<typeof createWishesQueries>;

/**
 * The wish side of an order's life, run by the orders domain inside its own transactions: which
 * project fund a wish's donation goes to, a paid claim, and a claim that ended unpaid (the wish
 * opens again for other donors).
 */
export function createWishOrderQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    wishProjectOfOrder: (orderId: number) =>
      (q(`SELECT project_id AS projectId FROM wishes WHERE order_id = ?`).get(orderId) as { projectId: number } | undefined)?.projectId,
    markWishPaid: (orderId: number) => q(`UPDATE wishes SET status = 'paid' WHERE order_id = ? AND status = 'claimed'`).run(orderId).changes === 1,
    reopenWishOf: (orderId: number) =>
      q(`UPDATE wishes SET status = 'open', order_id = NULL WHERE order_id = ? AND status = 'claimed'`).run(orderId).changes === 1,
  };
}
