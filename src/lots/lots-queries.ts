import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';

export interface LotRow {
  id: number;
  productId: number;
  projectId: number;
  code: string;
  /** ISO date (YYYY-MM-DD). */
  harvestedOn: string;
  /** Units put into the lot. */
  quantity: number;
  /** Units not yet sold (or reserved). */
  remaining: number;
  notes: string | null;
  certificateMediaId: number | null;
  recalledAt: number | null;
  recallReason: string | null;
  createdAt: number;
  productSlug: string;
  productZh: string;
  productEn: string | null;
  unit: string;
  published: number;
  villageId: number;
  villageSlug: string;
  villageZh: string;
  villageEn: string | null;
}

export interface NewLot {
  productId: number;
  code: string;
  harvestedOn: string;
  quantity: number;
  notes: string | null;
  certificateMediaId: number | null;
  createdAt: number;
}

/** An order that received units of a lot, with the buyer's contact for a recall. */
export interface LotOrderRow {
  orderId: number;
  number: string;
  status: string;
  contactName: string;
  phone: string;
  province: string;
  city: string;
  district: string;
  address: string;
  /** Units of the lot in the order. */
  quantity: number;
  createdAt: number;
  paidAt: number | null;
}

/** A lot an order line was served from. */
export interface LineLotRow {
  orderLineId: number;
  lotId: number;
  code: string;
  harvestedOn: string;
  quantity: number;
  recalledAt: number | null;
  productZh: string;
  productEn: string | null;
  unit: string;
}

/** Units of a line's allocation to a lot (oll) settled by refunds that did not fail. */
const REFUNDED_UNITS = `coalesce((SELECT sum(r.quantity) FROM recall_resolutions r JOIN refunds f ON f.id = r.refund_id
  WHERE r.order_line_id = oll.order_line_id AND r.lot_id = oll.lot_id AND r.action = 'refund' AND f.status <> 'failed'), 0)`;

/** Units of a recalled lot an order line holds that nothing settled yet. */
export interface RecalledUnitsRow {
  orderLineId: number;
  villageId: number;
  lotId: number;
  code: string;
  productZh: string;
  productEn: string | null;
  unit: string;
  units: number;
}

/** An order line that holds (or held, before a replacement) units of a recalled lot, with what was done about them. */
export interface RecallCaseRow {
  orderLineId: number;
  orderId: number;
  number: string;
  status: string;
  paymentMethod: string;
  contactName: string;
  phone: string;
  /** The buyer's account e-mail, when the order was placed signed in. */
  email: string | null;
  province: string;
  city: string;
  district: string;
  address: string;
  productId: number;
  productZh: string;
  productEn: string | null;
  unit: string;
  unitPriceFen: number;
  lineTotalFen: number;
  lineRefundedFen: number;
  /** Units of the lot the line still holds (replaced units moved to other lots). */
  held: number;
  /** Of those, units settled by a refund that did not fail. */
  refunded: number;
  /** Units replaced from other lots. */
  replaced: number;
  /** The line's parcel: pending, shipped or delivered. */
  parcel: string | null;
}

const LOT_COLUMNS = `l.id, l.product_id AS productId, p.project_id AS projectId, l.code, l.harvested_on AS harvestedOn, l.quantity, l.remaining, l.notes,
  l.certificate_media_id AS certificateMediaId, l.recalled_at AS recalledAt, l.recall_reason AS recallReason, l.created_at AS createdAt,
  p.slug AS productSlug, p.title_zh AS productZh, p.title_en AS productEn, p.unit, p.published,
  v.id AS villageId, v.slug AS villageSlug, v.name_zh AS villageZh, v.name_en AS villageEn`;
const LOT_FROM = `FROM lots l JOIN products p ON p.id = l.product_id JOIN producers pr ON pr.id = p.producer_id JOIN villages v ON v.id = pr.village_id`;
const LINE_LOT_COLUMNS = `oll.order_line_id AS orderLineId, l.id AS lotId, l.code, l.harvested_on AS harvestedOn, oll.quantity, l.recalled_at AS recalledAt,
  ol.title_zh AS productZh, ol.title_en AS productEn, ol.unit`;

/** All SQL of harvest lots (the lots domain owns lots, lot_households and order_line_lots). */
export function createLotsQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn).immediate(),

    insertLot(l: NewLot): number {
      return Number(
        q(
          `INSERT INTO lots (product_id, code, harvested_on, quantity, remaining, notes, certificate_media_id, created_at)
           VALUES (?,?,?,?,?,?,?,?)`,
        ).run(l.productId, l.code, l.harvestedOn, l.quantity, l.quantity, l.notes, l.certificateMediaId, l.createdAt).lastInsertRowid,
      );
    },
    insertLotHousehold: (lotId: number, householdId: number) =>
      q(`INSERT OR IGNORE INTO lot_households (lot_id, household_id) VALUES (?, ?)`).run(lotId, householdId),
    codeTaken: (code: string) => q(`SELECT 1 FROM lots WHERE code = ?`).get(code) !== undefined,
    lotById: (id: number) => q(`SELECT ${LOT_COLUMNS} ${LOT_FROM} WHERE l.id = ?`).get(id) as LotRow | undefined,
    lotByCode: (code: string) => q(`SELECT ${LOT_COLUMNS} ${LOT_FROM} WHERE l.code = ?`).get(code) as LotRow | undefined,
    lotsOfProduct: (productId: number) =>
      q(`SELECT ${LOT_COLUMNS} ${LOT_FROM} WHERE l.product_id = ? ORDER BY l.harvested_on, l.id`).all(productId) as LotRow[],
    /** Households of a lot, private fields included (staff pages filter what they show). */
    householdsOfLot: (lotId: number) =>
      q(
        `SELECT h.id, h.real_name AS realName, CASE WHEN h.consent_public = 1 THEN h.display_name END AS publicName
         FROM lot_households lh JOIN households h ON h.id = lh.household_id WHERE lh.lot_id = ? ORDER BY h.id`,
      ).all(lotId) as { id: number; realName: string; publicName: string | null }[],
    /** Marks a lot recalled once; false when it already was. */
    recall: (id: number, reason: string, now: number) =>
      q(`UPDATE lots SET recalled_at = ?, recall_reason = ? WHERE id = ? AND recalled_at IS NULL`).run(now, reason, id).changes === 1,
    /** Every order holding units of the lot (a cancelled order gave its units back, so it is not listed). */
    ordersOfLot: (lotId: number) =>
      q(
        `SELECT o.id AS orderId, o.number, o.status, o.contact_name AS contactName, o.phone, o.province, o.city, o.district, o.address,
                sum(oll.quantity) AS quantity, o.created_at AS createdAt, o.paid_at AS paidAt
         FROM order_line_lots oll JOIN order_lines ol ON ol.id = oll.order_line_id JOIN orders o ON o.id = ol.order_id
         WHERE oll.lot_id = ? AND o.status <> 'cancelled'
         GROUP BY o.id ORDER BY o.id`,
      ).all(lotId) as LotOrderRow[],
    /** Recalled lots, newest recall first, of some projects (null: all). */
    recalledLots: (projectIds: readonly number[] | null) =>
      q(
        `SELECT ${LOT_COLUMNS} ${LOT_FROM} WHERE l.recalled_at IS NOT NULL
           AND (? IS NULL OR p.project_id IN (SELECT value FROM json_each(?))) ORDER BY l.recalled_at DESC, l.id DESC`,
      ).all(projectIds === null ? null : 1, JSON.stringify(projectIds ?? [])) as LotRow[],
    /** Every order line that holds or held units of a recalled lot (cancelled orders gave theirs back). */
    recallCases: (lotId: number) =>
      q(
        `SELECT ol.id AS orderLineId, o.id AS orderId, o.number, o.status, o.payment_method AS paymentMethod, o.contact_name AS contactName, o.phone,
                u.email, o.province, o.city, o.district, o.address, ol.product_id AS productId, ol.title_zh AS productZh, ol.title_en AS productEn, ol.unit,
                ol.unit_price_fen AS unitPriceFen, ol.line_total_fen AS lineTotalFen, ol.refunded_fen AS lineRefundedFen,
                coalesce(oll.quantity, 0) AS held,
                CASE WHEN oll.quantity IS NULL THEN 0 ELSE ${REFUNDED_UNITS} END AS refunded,
                coalesce((SELECT sum(r.quantity) FROM recall_resolutions r WHERE r.order_line_id = ol.id AND r.lot_id = ? AND r.action = 'replace'), 0) AS replaced,
                s.status AS parcel
         FROM order_lines ol JOIN orders o ON o.id = ol.order_id
         LEFT JOIN order_line_lots oll ON oll.order_line_id = ol.id AND oll.lot_id = ?
         LEFT JOIN users u ON u.id = o.buyer_user_id
         LEFT JOIN shipments s ON s.order_id = o.id AND s.village_id = ol.village_id
         WHERE ol.id IN (SELECT order_line_id FROM order_line_lots WHERE lot_id = ? UNION SELECT order_line_id FROM recall_resolutions WHERE lot_id = ?)
           AND o.status <> 'cancelled'
         ORDER BY o.id, ol.id`,
      ).all(lotId, lotId, lotId, lotId) as RecallCaseRow[],
    /** Units of other lots of the product that a replacement can take (not recalled, not sold). */
    replacementStock: (productId: number) =>
      q(`SELECT coalesce(sum(remaining), 0) FROM lots WHERE product_id = ? AND recalled_at IS NULL`).pluck().get(productId) as number,
    /** Moves units of a line off a recalled lot: back into that lot (never onto the shelf). */
    takeOffRecalledLot(orderLineId: number, lotId: number, units: number): void {
      q(`DELETE FROM order_line_lots WHERE order_line_id = ? AND lot_id = ? AND quantity = ?`).run(orderLineId, lotId, units);
      q(`UPDATE order_line_lots SET quantity = quantity - ? WHERE order_line_id = ? AND lot_id = ? AND quantity > ?`).run(units, orderLineId, lotId, units);
      q(`UPDATE lots SET remaining = remaining + ? WHERE id = ?`).run(units, lotId);
    },
    /** Takes units for a replacement off the product's sellable stock; false when the shelf has fewer. */
    takeStock: (productId: number, units: number, now: number) =>
      q(`UPDATE products SET stock = stock - ?, updated_at = ? WHERE id = ? AND stock >= ?`).run(units, now, productId, units).changes === 1,
    insertResolution: (r: {
      lotId: number;
      orderLineId: number;
      quantity: number;
      action: 'refund' | 'replace';
      refundId: number | null;
      replacementLotId: number | null;
      userId: number;
      now: number;
    }) =>
      q(
        `INSERT INTO recall_resolutions (lot_id, order_line_id, quantity, action, refund_id, replacement_lot_id, created_by_user_id, created_at) VALUES (?,?,?,?,?,?,?,?)`,
      ).run(r.lotId, r.orderLineId, r.quantity, r.action, r.refundId, r.replacementLotId, r.userId, r.now),
    lotsOfOrder: (orderId: number) =>
      q(
        `SELECT ${LINE_LOT_COLUMNS} FROM order_line_lots oll JOIN order_lines ol ON ol.id = oll.order_line_id JOIN lots l ON l.id = oll.lot_id
         JOIN orders o ON o.id = ol.order_id
         WHERE ol.order_id = ? AND o.status <> 'cancelled' ORDER BY ol.id, l.harvested_on, l.id`,
      ).all(orderId) as LineLotRow[],
    lotsOfReceipt: (receiptCode: string) =>
      q(
        `SELECT ${LINE_LOT_COLUMNS} FROM order_line_lots oll JOIN order_lines ol ON ol.id = oll.order_line_id JOIN lots l ON l.id = oll.lot_id
         JOIN orders o ON o.id = ol.order_id
         WHERE o.receipt_code = ? AND o.status <> 'cancelled' ORDER BY ol.id, l.harvested_on, l.id`,
      ).all(receiptCode) as LineLotRow[],
  };
}

export type LotsQueries = ReturnType<typeof createLotsQueries>;

/**
 * Lot stock as the orders domain moves it inside its own transactions: a line's units are taken
 * from the product's lots first-in-first-out, and a released line gives them back to the same lots.
 */
export function createLotStockQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    /**
     * Takes up to `quantity` units for an order line from the product's lots that are not recalled,
     * oldest harvest first (then oldest lot), each by a conditional decrement. Units beyond what the
     * lots hold are stock without a lot. Returns what was taken from each lot.
     */
    allocateLots(orderLineId: number, productId: number, quantity: number): { lotId: number; quantity: number }[] {
      const open = q(`SELECT id, remaining FROM lots WHERE product_id = ? AND remaining > 0 AND recalled_at IS NULL ORDER BY harvested_on, id`).all(
        productId,
      ) as { id: number; remaining: number }[];
      const takes: { lotId: number; quantity: number }[] = [];
      let left = quantity;
      for (const lot of open) {
        if (left === 0) break;
        const take = Math.min(left, lot.remaining);
        const taken =
          q(`UPDATE lots SET remaining = remaining - ? WHERE id = ? AND remaining >= ? AND recalled_at IS NULL`).run(take, lot.id, take).changes === 1;
        if (!taken) continue;
        // A line replacing recalled units may already hold units of this lot.
        q(
          `INSERT INTO order_line_lots (order_line_id, lot_id, quantity) VALUES (?, ?, ?)
           ON CONFLICT(order_line_id, lot_id) DO UPDATE SET quantity = quantity + excluded.quantity`,
        ).run(orderLineId, lot.id, take);
        takes.push({ lotId: lot.id, quantity: take });
        left -= take;
      }
      return takes;
    },

    /**
     * Units of recalled lots an order still holds that no refund or replacement settled, per line and
     * lot (of one village's parcel, or of the whole order). A line refunded in full holds nothing: its
     * units are not sent, and no money is left on it.
     */
    recalledUnitsHeld: (orderId: number, villageId: number | null) =>
      q(
        `SELECT * FROM (
           SELECT oll.order_line_id AS orderLineId, ol.village_id AS villageId, l.id AS lotId, l.code, ol.title_zh AS productZh, ol.title_en AS productEn, ol.unit,
                  oll.quantity - ${REFUNDED_UNITS} AS units
           FROM order_line_lots oll JOIN lots l ON l.id = oll.lot_id JOIN order_lines ol ON ol.id = oll.order_line_id
           WHERE ol.order_id = ? AND (? IS NULL OR ol.village_id = ?) AND l.recalled_at IS NOT NULL AND ol.refunded_fen < ol.line_total_fen
         ) WHERE units > 0 ORDER BY orderLineId, lotId`,
      ).all(orderId, villageId, villageId) as RecalledUnitsRow[],

    /**
     * Gives a released line's units back to the lots they came from. Units of a recalled lot go back
     * into the lot but not onto the shelf: they are taken out of the product's sellable stock again.
     */
    releaseLots(orderLineId: number, productId: number, now: number): void {
      const rows = q(
        `SELECT oll.lot_id AS lotId, oll.quantity, l.recalled_at AS recalledAt FROM order_line_lots oll JOIN lots l ON l.id = oll.lot_id
         WHERE oll.order_line_id = ?`,
      ).all(orderLineId) as { lotId: number; quantity: number; recalledAt: number | null }[];
      for (const row of rows) {
        q(`UPDATE lots SET remaining = remaining + ? WHERE id = ?`).run(row.quantity, row.lotId);
        if (row.recalledAt !== null) q(`UPDATE products SET stock = max(0, stock - ?), updated_at = ? WHERE id = ?`).run(row.quantity, now, productId);
      }
    },
  };
}
