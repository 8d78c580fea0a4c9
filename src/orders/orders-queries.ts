import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import { createLotStockQueries } from '../lots/lots-queries.js';
import { createWishOrderQueries } from '../wishes/wishes-queries.js';
import type { Holder } from './holds.js';
import type { OrderStatus, PaymentMethod } from './schema.js';

/** What the cart and checkout need to know about a product, read fresh each time. */
export interface SellableProduct {
  id: number;
  slug: string;
  titleZh: string;
  titleEn: string | null;
  unit: string;
  priceFen: number;
  stock: number;
  minOrderQty: number;
  maxRetailQty: number | null;
  published: number;
  producerId: number;
  projectId: number;
  projectZh: string;
  /** The project's period (YYYY-MM-DD, inclusive; null = open): it is sold only within it. */
  projectStartsOn: string | null;
  projectEndsOn: string | null;
  villageId: number;
  villageZh: string;
  villageEn: string | null;
  shippingFeeFen: number;
  freeShippingOverFen: number | null;
  photoId: number | null;
}

export interface OrderRow {
  id: number;
  number: string;
  accessTokenHash: string;
  receiptCode: string;
  buyerUserId: number | null;
  contactName: string;
  phone: string;
  province: string;
  city: string;
  district: string;
  address: string;
  note: string | null;
  status: OrderStatus;
  paymentMethod: PaymentMethod;
  subtotalFen: number;
  shippingFen: number;
  totalFen: number;
  refundedFen: number;
  expiresAt: number;
  paidAt: number | null;
  cancelledAt: number | null;
  completedAt: number | null;
  createdAt: number;
}

export interface OrderLineRow {
  id: number;
  orderId: number;
  productId: number;
  villageId: number;
  producerId: number;
  projectId: number;
  titleZh: string;
  titleEn: string | null;
  unit: string;
  unitPriceFen: number;
  quantity: number;
  lineTotalFen: number;
  refundedFen: number;
}

export interface ShipmentRow {
  id: number;
  orderId: number;
  villageId: number;
  villageZh: string;
  villageEn: string | null;
  shippingFeeFen: number;
  status: 'pending' | 'shipped' | 'delivered';
  carrier: string | null;
  trackingNumber: string | null;
  shippedAt: number | null;
}

const PRODUCT_COLUMNS = `p.id, p.slug, p.title_zh AS titleZh, p.title_en AS titleEn, p.unit, p.price_fen AS priceFen, p.stock,
  p.min_order_qty AS minOrderQty, p.max_retail_qty AS maxRetailQty, p.published, p.producer_id AS producerId, p.project_id AS projectId,
  pj.name_zh AS projectZh, pj.starts_on AS projectStartsOn, pj.ends_on AS projectEndsOn, v.id AS villageId, v.name_zh AS villageZh, v.name_en AS villageEn, v.shipping_fee_fen AS shippingFeeFen,
  v.free_shipping_over_fen AS freeShippingOverFen,
  (SELECT ph.list_media_id FROM product_photos ph WHERE ph.product_id = p.id ORDER BY ph.position, ph.id LIMIT 1) AS photoId`;
const PRODUCT_FROM = `FROM products p JOIN producers pr ON pr.id = p.producer_id JOIN villages v ON v.id = pr.village_id JOIN projects pj ON pj.id = p.project_id`;
const ORDER_COLUMNS = `id, number, access_token_hash AS accessTokenHash, receipt_code AS receiptCode, buyer_user_id AS buyerUserId,
  contact_name AS contactName, phone, province, city, district, address, note, status, payment_method AS paymentMethod,
  subtotal_fen AS subtotalFen, shipping_fen AS shippingFen, total_fen AS totalFen, refunded_fen AS refundedFen, expires_at AS expiresAt,
  paid_at AS paidAt, cancelled_at AS cancelledAt, completed_at AS completedAt, created_at AS createdAt`;
const LINE_COLUMNS = `id, order_id AS orderId, product_id AS productId, village_id AS villageId, producer_id AS producerId, project_id AS projectId,
  title_zh AS titleZh, title_en AS titleEn, unit, unit_price_fen AS unitPriceFen, quantity, line_total_fen AS lineTotalFen, refunded_fen AS refundedFen`;

/** All SQL of carts, orders, order lines and shipments. */
export function createOrdersQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    /** The unit of work the order's writes run in (src/db/unit-of-work.ts). */
    unitOfWork: db.uow,
    /** A write joining the caller's transaction, or one of its own. */
    transaction: <T>(fn: () => T): T => db.uow.within(fn),
    // Harvest lots (FIFO allocation, release) and micro-wish donations, owned by the lots and wishes domains.
    ...createLotStockQueries(db),
    ...createWishOrderQueries(db),

    /** Orders ever placed and ever paid (operations metrics; both over orders_paid_idx). */
    totals: () => q(`SELECT count(*) AS placed, count(paid_at) AS paid FROM orders`).get() as { placed: number; paid: number },

    // ----- products as sold -----
    sellableProduct: (id: number) => q(`SELECT ${PRODUCT_COLUMNS} ${PRODUCT_FROM} WHERE p.id = ?`).get(id) as SellableProduct | undefined,
    tiersOf: (productId: number) =>
      q(`SELECT min_qty AS minQty, price_fen AS priceFen FROM price_tiers WHERE product_id = ? ORDER BY min_qty`).all(productId) as { minQty: number; priceFen: number }[],
    /** Reserves stock: succeeds only if enough is left, so stock never goes below zero. */
    reserveStock: (productId: number, quantity: number, now: number) =>
      q(`UPDATE products SET stock = stock - ?, updated_at = ? WHERE id = ? AND published = 1 AND stock >= ?`).run(quantity, now, productId, quantity).changes === 1,
    releaseStock: (productId: number, quantity: number, now: number) =>
      q(`UPDATE products SET stock = stock + ?, updated_at = ? WHERE id = ?`).run(quantity, now, productId),
    addSold: (productId: number, quantity: number) => q(`UPDATE products SET sold_count = max(0, sold_count + ?) WHERE id = ?`).run(quantity, productId),
    membersOfProducer: (producerId: number) =>
      q(`SELECT household_id AS householdId, weight FROM producer_members WHERE producer_id = ? ORDER BY household_id`).all(producerId) as { householdId: number; weight: number }[],
    splitRuleAt: (projectId: number, at: number) =>
      q(
        `SELECT id, household_bp AS householdBp, project_fund_bp AS projectFundBp, operations_bp AS operationsBp FROM project_split_rules
         WHERE project_id = ? AND effective_from <= ? ORDER BY effective_from DESC, id DESC LIMIT 1`,
      ).get(projectId, at) as { id: number; householdBp: number; projectFundBp: number; operationsBp: number } | undefined,

    // ----- carts -----
    cartIdForSession: (sessionIdHash: string) => (q(`SELECT id FROM carts WHERE session_id_hash = ?`).get(sessionIdHash) as { id: number } | undefined)?.id,
    cartIdForUser: (userId: number) => (q(`SELECT id FROM carts WHERE user_id = ?`).get(userId) as { id: number } | undefined)?.id,
    createCart: (owner: { sessionIdHash: string | null; userId: number | null }, now: number) =>
      Number(q(`INSERT INTO carts (session_id_hash, user_id, updated_at) VALUES (?, ?, ?)`).run(owner.sessionIdHash, owner.userId, now).lastInsertRowid),
    cartItems: (cartId: number) =>
      q(`SELECT product_id AS productId, quantity FROM cart_items WHERE cart_id = ? ORDER BY added_at, product_id`).all(cartId) as { productId: number; quantity: number }[],
    setCartItem: (cartId: number, productId: number, quantity: number, now: number) =>
      q(
        `INSERT INTO cart_items (cart_id, product_id, quantity, added_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(cart_id, product_id) DO UPDATE SET quantity = excluded.quantity`,
      ).run(cartId, productId, quantity, now),
    removeCartItem: (cartId: number, productId: number) => q(`DELETE FROM cart_items WHERE cart_id = ? AND product_id = ?`).run(cartId, productId),
    clearCart: (cartId: number) => q(`DELETE FROM cart_items WHERE cart_id = ?`).run(cartId),
    deleteCart: (cartId: number) => q(`DELETE FROM carts WHERE id = ?`).run(cartId),
    touchCart: (cartId: number, now: number) => q(`UPDATE carts SET updated_at = ? WHERE id = ?`).run(now, cartId),

    // ----- orders -----
    /** Orders numbered with this day's prefix; a range on the unique index ('.' sorts right after '-'). */
    ordersOnDay: (prefix: string) =>
      (q(`SELECT count(*) AS n FROM orders WHERE number >= ? AND number < ?`).get(prefix, `${prefix.slice(0, -1)}.`) as { n: number }).n,
    /** The day's next order number, or undefined when the day has no counter yet. */
    bumpDayCounter: (prefix: string) => q(`UPDATE order_day_counters SET last_number = last_number + 1 WHERE prefix = ? RETURNING last_number`).pluck().get(prefix) as number | undefined,
    startDayCounter: (prefix: string, lastNumber: number) => q(`INSERT INTO order_day_counters (prefix, last_number) VALUES (?, ?)`).run(prefix, lastNumber),
    insertOrder(
      o: Omit<OrderRow, 'id' | 'refundedFen' | 'paidAt' | 'cancelledAt' | 'completedAt' | 'status'> & {
        deliveryMethod: 'ship' | 'pickup';
        /** Who placed it in the shop (null for staff: accepted quotes, counter sales). */
        placedBy: { visitor: string; address: string | null } | null;
      },
    ): number {
      return Number(
        q(
          `INSERT INTO orders (number, access_token_hash, receipt_code, buyer_user_id, contact_name, phone, province, city, district, address, note,
             status, payment_method, delivery_method, subtotal_fen, shipping_fen, total_fen, expires_at, placed_by_visitor, placed_from_address, created_at, updated_at)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,'pending_payment',?,?,?,?,?,?,?,?,?,?)`,
        ).run(
          o.number, o.accessTokenHash, o.receiptCode, o.buyerUserId, o.contactName, o.phone, o.province, o.city, o.district, o.address, o.note,
          o.paymentMethod, o.deliveryMethod, o.subtotalFen, o.shippingFen, o.totalFen, o.expiresAt, o.placedBy?.visitor ?? null, o.placedBy?.address ?? null,
          o.createdAt, o.createdAt,
        ).lastInsertRowid,
      );
    },
    insertLine(l: Omit<OrderLineRow, 'id' | 'refundedFen'>): number {
      return Number(
        q(
          `INSERT INTO order_lines (order_id, product_id, village_id, producer_id, project_id, title_zh, title_en, unit, unit_price_fen, quantity, line_total_fen)
           VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
        ).run(l.orderId, l.productId, l.villageId, l.producerId, l.projectId, l.titleZh, l.titleEn, l.unit, l.unitPriceFen, l.quantity, l.lineTotalFen)
          .lastInsertRowid,
      );
    },
    insertShipment: (orderId: number, villageId: number, feeFen: number) =>
      q(`INSERT INTO shipments (order_id, village_id, shipping_fee_fen) VALUES (?, ?, ?)`).run(orderId, villageId, feeFen),
    orderByNumber: (number: string) => q(`SELECT ${ORDER_COLUMNS} FROM orders WHERE number = ?`).get(number) as OrderRow | undefined,
    orderById: (id: number) => q(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ?`).get(id) as OrderRow | undefined,
    ordersOfBuyer: (userId: number) => q(`SELECT ${ORDER_COLUMNS} FROM orders WHERE buyer_user_id = ? ORDER BY id DESC LIMIT 200`).all(userId) as OrderRow[],
    linesOf: (orderId: number) => q(`SELECT ${LINE_COLUMNS} FROM order_lines WHERE order_id = ? ORDER BY id`).all(orderId) as OrderLineRow[],
    shipmentsOf: (orderId: number) =>
      q(
        `SELECT s.id, s.order_id AS orderId, s.village_id AS villageId, v.name_zh AS villageZh, v.name_en AS villageEn, s.shipping_fee_fen AS shippingFeeFen,
                s.status, s.carrier, s.tracking_number AS trackingNumber, s.shipped_at AS shippedAt
         FROM shipments s JOIN villages v ON v.id = s.village_id WHERE s.order_id = ? ORDER BY s.id`,
      ).all(orderId) as ShipmentRow[],
    /** Moves an order between states only from the expected state; false when it was not in it. */
    transition: (id: number, from: readonly OrderStatus[], to: OrderStatus, now: number) =>
      q(
        `UPDATE orders SET status = ?, updated_at = ?,
           paid_at = CASE WHEN ? = 'paid' THEN ? ELSE paid_at END,
           cancelled_at = CASE WHEN ? = 'cancelled' THEN ? ELSE cancelled_at END,
           completed_at = CASE WHEN ? = 'completed' THEN ? ELSE completed_at END
         WHERE id = ? AND status IN (${from.map(() => '?').join(',')})`,
      ).run(to, now, to, now, to, now, to, now, id, ...from).changes === 1,
    addRefunded: (orderId: number, amountFen: number, now: number) =>
      q(`UPDATE orders SET refunded_fen = refunded_fen + ?, updated_at = ? WHERE id = ?`).run(amountFen, now, orderId),
    addLineRefunded: (lineId: number, amountFen: number) => q(`UPDATE order_lines SET refunded_fen = refunded_fen + ? WHERE id = ?`).run(amountFen, lineId),
    pendingOffline: (limit: number) =>
      q(`SELECT ${ORDER_COLUMNS} FROM orders WHERE status = 'pending_payment' AND payment_method = 'offline' ORDER BY id DESC LIMIT ?`).all(limit) as OrderRow[],
    projectIdsOfOrder: (orderId: number) =>
      (q(`SELECT DISTINCT project_id AS id FROM order_lines WHERE order_id = ? UNION SELECT project_id FROM wishes WHERE order_id = ?`).all(orderId, orderId) as { id: number }[]).map((r) => r.id),
    // ----- what unpaid orders placed in the shop hold (src/orders/holds.ts) -----
    /** Units of a product held by unpaid orders of a visitor, of a phone number and of an address. */
    unitsHeldBy: (holder: Holder, productId: number, now: number) =>
      q(
        `SELECT coalesce(sum(CASE WHEN o.placed_by_visitor = @visitor THEN l.quantity END), 0) AS visitor,
                coalesce(sum(CASE WHEN o.phone = @phone THEN l.quantity END), 0) AS phone,
                coalesce(sum(CASE WHEN o.placed_from_address = @address THEN l.quantity END), 0) AS address
         FROM orders o JOIN order_lines l ON l.order_id = o.id
         WHERE o.status = 'pending_payment' AND o.expires_at > @now AND o.placed_by_visitor IS NOT NULL AND l.product_id = @productId
           AND (o.placed_by_visitor = @visitor OR o.phone = @phone OR o.placed_from_address = @address)`,
      ).get({ ...holder, productId, now }) as Record<keyof Holder, number>,
    /** Unpaid orders placed in the shop, newest first, with how many unpaid orders share each of their holders. */
    unpaidHolds: (now: number, limit: number) =>
      q(
        `SELECT ${ORDER_COLUMNS}, placed_by_visitor AS placedByVisitor, placed_from_address AS placedFromAddress,
           (SELECT count(*) FROM orders x WHERE x.status = 'pending_payment' AND x.expires_at > @now AND x.placed_by_visitor = o.placed_by_visitor) AS sameVisitor,
           (SELECT count(*) FROM orders x WHERE x.status = 'pending_payment' AND x.expires_at > @now AND x.placed_by_visitor IS NOT NULL AND x.phone = o.phone) AS samePhone,
           (SELECT count(*) FROM orders x WHERE x.status = 'pending_payment' AND x.expires_at > @now AND x.placed_from_address = o.placed_from_address) AS sameAddress
         FROM orders o WHERE o.status = 'pending_payment' AND o.expires_at > @now AND o.placed_by_visitor IS NOT NULL
         ORDER BY o.id DESC LIMIT @limit`,
      ).all({ now, limit }) as (OrderRow & { placedByVisitor: string; placedFromAddress: string | null; sameVisitor: number; samePhone: number; sameAddress: number })[],
    duePendingOrders: (now: number, limit: number) =>
      q(`SELECT id FROM orders WHERE status = 'pending_payment' AND expires_at <= ? ORDER BY expires_at LIMIT ?`).all(now, limit) as { id: number }[],
    shipShipment: (orderId: number, villageId: number, carrier: string, trackingNumber: string, userId: number, now: number) =>
      q(
        `UPDATE shipments SET status = 'shipped', carrier = ?, tracking_number = ?, shipped_at = ?, shipped_by_user_id = ?
         WHERE order_id = ? AND village_id = ? AND status = 'pending'`,
      ).run(carrier, trackingNumber, now, userId, orderId, villageId).changes === 1,
    unshippedCount: (orderId: number) => (q(`SELECT count(*) AS n FROM shipments WHERE order_id = ? AND status = 'pending'`).get(orderId) as { n: number }).n,
    shipmentsForVillages: (villageIds: readonly number[], statuses: readonly OrderStatus[]) =>
      q(
        `SELECT s.id, s.status, s.carrier, s.tracking_number AS trackingNumber, s.shipped_at AS shippedAt, s.village_id AS villageId,
                o.number, o.status AS orderStatus, o.contact_name AS contactName, o.phone, o.province, o.city, o.district, o.address, o.note, o.paid_at AS paidAt, o.id AS orderId
         FROM shipments s JOIN orders o ON o.id = s.order_id
         WHERE s.village_id IN (${villageIds.length ? villageIds.map(Number).join(',') : 'NULL'})
           AND o.status IN (${statuses.map(() => '?').join(',')})
         ORDER BY o.paid_at DESC, o.id DESC LIMIT 200`,
      ).all(...statuses) as {
        id: number; status: string; carrier: string | null; trackingNumber: string | null; shippedAt: number | null; villageId: number; number: string;
        orderStatus: OrderStatus; contactName: string; phone: string; province: string; city: string; district: string; address: string; note: string | null;
        paidAt: number | null; orderId: number;
      }[],
  };
}

export type OrdersQueries = ReturnType<typeof createOrdersQueries>;
