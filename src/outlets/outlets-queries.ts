import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import { COLLECTABLE_STATUSES } from '../orders/order-status.js';

export interface OutletRow {
  id: number;
  slug: string;
  name: string;
  nameEn: string | null;
  address: string;
  openingHours: string;
}

export interface OutletStockRow {
  outletId: number;
  productId: number;
  slug: string;
  titleZh: string;
  titleEn: string | null;
  unit: string;
  priceFen: number;
  villageId: number;
  /** Units on the outlet's shelf. */
  quantity: number;
}

export interface PickupRow {
  orderId: number;
  outletId: number;
  codeHash: string;
  pickedUpAt: number | null;
  checkedByUserId: number | null;
}

const OUTLET_COLUMNS = `id, slug, name, name_en AS nameEn, address, opening_hours AS openingHours`;
const STOCK_SELECT = `SELECT s.outlet_id AS outletId, s.product_id AS productId, p.slug, p.title_zh AS titleZh, p.title_en AS titleEn, p.unit,
    p.price_fen AS priceFen, pr.village_id AS villageId, s.quantity
  FROM outlet_stock s JOIN products p ON p.id = s.product_id JOIN producers pr ON pr.id = p.producer_id`;

/** All SQL of charity supermarkets: outlets, their staff, shelf stock, pick-ups and counter sales. */
export function createOutletsQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn).immediate(),

    outlets: () => q(`SELECT ${OUTLET_COLUMNS} FROM outlets ORDER BY id`).all() as OutletRow[],
    outletById: (id: number) => q(`SELECT ${OUTLET_COLUMNS} FROM outlets WHERE id = ?`).get(id) as OutletRow | undefined,
    outletIdsOfUser: (userId: number) =>
      (q(`SELECT outlet_id AS id FROM user_outlets WHERE user_id = ? ORDER BY outlet_id`).all(userId) as { id: number }[]).map((r) => r.id),
    staffOf: (outletId: number) =>
      q(
        `SELECT u.id, u.email, u.display_name AS displayName FROM user_outlets uo JOIN users u ON u.id = uo.user_id WHERE uo.outlet_id = ? ORDER BY u.email`,
      ).all(outletId) as {
        id: number;
        email: string;
        displayName: string;
      }[],
    addStaff: (userId: number, outletId: number) =>
      q(`INSERT OR IGNORE INTO user_outlets (user_id, outlet_id) VALUES (?, ?)`).run(userId, outletId).changes === 1,
    removeStaff: (userId: number, outletId: number) => q(`DELETE FROM user_outlets WHERE user_id = ? AND outlet_id = ?`).run(userId, outletId).changes === 1,

    // ----- shelf stock -----
    stockOf: (outletId: number) => q(`${STOCK_SELECT} WHERE s.outlet_id = ? AND s.quantity > 0 ORDER BY p.title_zh`).all(outletId) as OutletStockRow[],
    stockForVillages: (villageIds: readonly number[]) =>
      villageIds.length === 0
        ? []
        : (q(
            `${STOCK_SELECT} WHERE pr.village_id IN (${villageIds.map(Number).join(',')}) AND s.quantity > 0 ORDER BY s.outlet_id, p.title_zh`,
          ).all() as OutletStockRow[]),
    shelfQuantity: (outletId: number, productId: number) =>
      (q(`SELECT quantity FROM outlet_stock WHERE outlet_id = ? AND product_id = ?`).get(outletId, productId) as { quantity: number } | undefined)?.quantity ??
      0,
    addToShelf: (outletId: number, productId: number, quantity: number) =>
      q(
        `INSERT INTO outlet_stock (outlet_id, product_id, quantity) VALUES (?, ?, ?)
         ON CONFLICT(outlet_id, product_id) DO UPDATE SET quantity = quantity + excluded.quantity`,
      ).run(outletId, productId, quantity),
    /** Takes units off the shelf only if that many are there, so shelf stock never goes below zero. */
    takeFromShelf: (outletId: number, productId: number, quantity: number) =>
      q(`UPDATE outlet_stock SET quantity = quantity - ? WHERE outlet_id = ? AND product_id = ? AND quantity >= ?`).run(quantity, outletId, productId, quantity)
        .changes === 1,

    // ----- pick-ups -----
    insertPickup: (orderId: number, outletId: number, codeHash: string) =>
      q(`INSERT INTO pickups (order_id, outlet_id, code_hash) VALUES (?, ?, ?)`).run(orderId, outletId, codeHash),
    pickupOfOrder: (orderId: number) =>
      q(
        `SELECT order_id AS orderId, outlet_id AS outletId, code_hash AS codeHash, picked_up_at AS pickedUpAt, checked_by_user_id AS checkedByUserId FROM pickups WHERE order_id = ?`,
      ).get(orderId) as PickupRow | undefined,
    /** Pick-ups at an outlet with this code: those still waiting first, then the latest collected. */
    pickupsWithCode: (outletId: number, codeHash: string) =>
      q(
        `SELECT order_id AS orderId, outlet_id AS outletId, code_hash AS codeHash, picked_up_at AS pickedUpAt, checked_by_user_id AS checkedByUserId
         FROM pickups WHERE outlet_id = ? AND code_hash = ? ORDER BY picked_up_at IS NOT NULL, order_id DESC`,
      ).all(outletId, codeHash) as PickupRow[],
    /** Is a code already held by an order that is still to be collected (so a new order must get another)? */
    openPickupWithCode: (codeHash: string) =>
      q(
        `SELECT 1 FROM pickups pk JOIN orders o ON o.id = pk.order_id
         WHERE pk.code_hash = ? AND pk.picked_up_at IS NULL AND o.status IN (${COLLECTABLE_STATUSES.map(() => '?').join(',')})`,
      ).get(codeHash, ...COLLECTABLE_STATUSES) !== undefined,
    /** Collected once: false when it already was. */
    markCollected: (orderId: number, userId: number, now: number) =>
      q(`UPDATE pickups SET picked_up_at = ?, checked_by_user_id = ? WHERE order_id = ? AND picked_up_at IS NULL`).run(now, userId, orderId).changes === 1,

    // ----- counter sales -----
    insertCounterSale: (orderId: number, outletId: number, channel: string, staffUserId: number) =>
      q(`INSERT INTO counter_sales (order_id, outlet_id, channel, staff_user_id) VALUES (?, ?, ?, ?)`).run(orderId, outletId, channel, staffUserId),
    recentCounterSales: (outletId: number, limit: number) =>
      q(
        `SELECT o.number, o.total_fen AS totalFen, o.created_at AS createdAt, cs.channel
         FROM counter_sales cs JOIN orders o ON o.id = cs.order_id WHERE cs.outlet_id = ? ORDER BY o.id DESC LIMIT ?`,
      ).all(outletId, limit) as { number: string; totalFen: number; createdAt: number; channel: string }[],
  };
}

export type OutletsQueries = ReturnType<typeof createOutletsQueries>;
