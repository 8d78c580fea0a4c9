import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';

export interface LotRow {
  id: number;
  productId: number;
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

const LOT_COLUMNS = `l.id, l.product_id AS productId, l.code, l.harvested_on AS harvestedOn, l.quantity, l.remaining, l.notes,
  l.certificate_media_id AS certificateMediaId, l.recalled_at AS recalledAt, l.recall_reason AS recallReason, l.created_at AS createdAt,
  p.slug AS productSlug, p.title_zh AS productZh, p.title_en AS productEn, p.unit, p.published,
  v.id AS villageId, v.slug AS villageSlug, v.name_zh AS villageZh, v.name_en AS villageEn`;
const LOT_FROM = `FROM lots l JOIN products p ON p.id = l.product_id JOIN producers pr ON pr.id = p.producer_id JOIN villages v ON v.id = pr.village_id`;
const LINE_LOT_COLUMNS = `oll.order_line_id AS orderLineId, l.id AS lotId, l.code, l.harvested_on AS harvestedOn, oll.quantity, l.recalled_at AS recalledAt,
  ol.title_zh AS productZh, ol.title_en AS productEn, ol.unit`;

/** All SQL of harvest lots (the channels domain owns lots, lot_households and order_line_lots). */
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
    insertLotHousehold: (lotId: number, householdId: number) => q(`INSERT OR IGNORE INTO lot_households (lot_id, household_id) VALUES (?, ?)`).run(lotId, householdId),
    codeTaken: (code: string) => q(`SELECT 1 FROM lots WHERE code = ?`).get(code) !== undefined,
    lotById: (id: number) => q(`SELECT ${LOT_COLUMNS} ${LOT_FROM} WHERE l.id = ?`).get(id) as LotRow | undefined,
    lotByCode: (code: string) => q(`SELECT ${LOT_COLUMNS} ${LOT_FROM} WHERE l.code = ?`).get(code) as LotRow | undefined,
    lotsOfProduct: (productId: number) => q(`SELECT ${LOT_COLUMNS} ${LOT_FROM} WHERE l.product_id = ? ORDER BY l.harvested_on, l.id`).all(productId) as LotRow[],
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
     * lots hold are stock without a lot. Returns the units taken from lots.
     */
    allocateLots(orderLineId: number, productId: number, quantity: number): number {
      const open = q(
        `SELECT id, remaining FROM lots WHERE product_id = ? AND remaining > 0 AND recalled_at IS NULL ORDER BY harvested_on, id`,
      ).all(productId) as { id: number; remaining: number }[];
      let left = quantity;
      for (const lot of open) {
        if (left === 0) break;
        const take = Math.min(left, lot.remaining);
        const taken = q(`UPDATE lots SET remaining = remaining - ? WHERE id = ? AND remaining >= ? AND recalled_at IS NULL`).run(take, lot.id, take).changes === 1;
        if (!taken) continue;
        q(`INSERT INTO order_line_lots (order_line_id, lot_id, quantity) VALUES (?, ?, ?)`).run(orderLineId, lot.id, take);
        left -= take;
      }
      return quantity - left;
    },

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
