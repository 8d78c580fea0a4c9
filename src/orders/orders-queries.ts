import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import { createLotStockQueries } from '../lots/lots-queries.js';
import { createWishOrderQueries } from '../wishes/wishes-queries.js';
import type { Holder } from './holds.js';
import { and, desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { cartItems, carts, orderLines, orders, type OrderStatus } from './schema.js';

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

/** An order as services see it: the orders table's row without the columns only holds and reports read. */
export type OrderRow = Omit<typeof orders.$inferSelect, 'deliveryMethod' | 'placedByVisitor' | 'placedFromAddress' | 'updatedAt'>;

export type OrderLineRow = typeof orderLines.$inferSelect;

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
/** The columns of an OrderRow, for drizzle's select. */
const { deliveryMethod: _delivery, placedByVisitor: _visitor, placedFromAddress: _address, updatedAt: _updated, ...orderColumns } = getTableColumns(orders);
const ORDER_COLUMNS = `id, number, access_token_hash AS accessTokenHash, receipt_code AS receiptCode, buyer_user_id AS buyerUserId,
  contact_name AS contactName, phone, province, city, district, address, note, status, payment_method AS paymentMethod,
  subtotal_fen AS subtotalFen, shipping_fen AS shippingFen, total_fen AS totalFen, refunded_fen AS refundedFen, expires_at AS expiresAt,
  paid_at AS paidAt, cancelled_at AS cancelledAt, completed_at AS completedAt, created_at AS createdAt`;
/** All SQL of carts, orders, order lines and shipments. */
export function createOrdersQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  const orm = db.orm;
  // Prepared once: the order pages and every order's transitions read these.
  const orderById = orm
    .select(orderColumns)
    .from(orders)
    .where(eq(orders.id, sql.placeholder('id')))
    .prepare();
  const orderByNumber = orm
    .select(orderColumns)
    .from(orders)
    .where(eq(orders.number, sql.placeholder('number')))
    .prepare();
  const linesOf = orm
    .select()
    .from(orderLines)
    .where(eq(orderLines.orderId, sql.placeholder('orderId')))
    .orderBy(orderLines.id)
    .prepare();
  const cartItemsOf = orm
    .select({ productId: cartItems.productId, quantity: cartItems.quantity })
    .from(cartItems)
    .where(eq(cartItems.cartId, sql.placeholder('cartId')))
    .orderBy(cartItems.addedAt, cartItems.productId)
    .prepare();
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
      q(`SELECT min_qty AS minQty, price_fen AS priceFen FROM price_tiers WHERE product_id = ? ORDER BY min_qty`).all(productId) as {
        minQty: number;
        priceFen: number;
      }[],
    /** Reserves stock: succeeds only if enough is left, so stock never goes below zero. */
    reserveStock: (productId: number, quantity: number, now: number) =>
      q(`UPDATE products SET stock = stock - ?, updated_at = ? WHERE id = ? AND published = 1 AND stock >= ?`).run(quantity, now, productId, quantity)
        .changes === 1,
    releaseStock: (productId: number, quantity: number, now: number) =>
      q(`UPDATE products SET stock = stock + ?, updated_at = ? WHERE id = ?`).run(quantity, now, productId),
    addSold: (productId: number, quantity: number) => q(`UPDATE products SET sold_count = max(0, sold_count + ?) WHERE id = ?`).run(quantity, productId),
    membersOfProducer: (producerId: number) =>
      q(`SELECT household_id AS householdId, weight FROM producer_members WHERE producer_id = ? ORDER BY household_id`).all(producerId) as {
        householdId: number;
        weight: number;
      }[],
    splitRuleAt: (projectId: number, at: number) =>
      q(
        `SELECT id, household_bp AS householdBp, project_fund_bp AS projectFundBp, operations_bp AS operationsBp FROM project_split_rules
         WHERE project_id = ? AND effective_from <= ? ORDER BY effective_from DESC, id DESC LIMIT 1`,
      ).get(projectId, at) as { id: number; householdBp: number; projectFundBp: number; operationsBp: number } | undefined,

    // ----- carts -----
    cartIdForSession: (sessionIdHash: string) => orm.select({ id: carts.id }).from(carts).where(eq(carts.sessionIdHash, sessionIdHash)).get()?.id,
    cartIdForUser: (userId: number) => orm.select({ id: carts.id }).from(carts).where(eq(carts.userId, userId)).get()?.id,
    createCart: (owner: { sessionIdHash: string | null; userId: number | null }, now: number) =>
      orm.insert(carts).values({ sessionIdHash: owner.sessionIdHash, userId: owner.userId, updatedAt: now }).returning({ id: carts.id }).get().id,
    cartItems: (cartId: number) => cartItemsOf.all({ cartId }),
    setCartItem: (cartId: number, productId: number, quantity: number, now: number) =>
      orm
        .insert(cartItems)
        .values({ cartId, productId, quantity, addedAt: now })
        .onConflictDoUpdate({ target: [cartItems.cartId, cartItems.productId], set: { quantity } })
        .run(),
    removeCartItem: (cartId: number, productId: number) =>
      orm
        .delete(cartItems)
        .where(and(eq(cartItems.cartId, cartId), eq(cartItems.productId, productId)))
        .run(),
    clearCart: (cartId: number) => orm.delete(cartItems).where(eq(cartItems.cartId, cartId)).run(),
    deleteCart: (cartId: number) => orm.delete(carts).where(eq(carts.id, cartId)).run(),
    touchCart: (cartId: number, now: number) => orm.update(carts).set({ updatedAt: now }).where(eq(carts.id, cartId)).run(),

    // ----- orders -----
    /** Orders numbered with this day's prefix; a range on the unique index ('.' sorts right after '-'). */
    ordersOnDay: (prefix: string) =>
      (q(`SELECT count(*) AS n FROM orders WHERE number >= ? AND number < ?`).get(prefix, `${prefix.slice(0, -1)}.`) as { n: number }).n,
    /** The day's next order number, or undefined when the day has no counter yet. */
    bumpDayCounter: (prefix: string) =>
      q(`UPDATE order_day_counters SET last_number = last_number + 1 WHERE prefix = ? RETURNING last_number`).pluck().get(prefix) as number | undefined,
    startDayCounter: (prefix: string, lastNumber: number) => q(`INSERT INTO order_day_counters (prefix, last_number) VALUES (?, ?)`).run(prefix, lastNumber),
    insertOrder(
      o: Omit<OrderRow, 'id' | 'refundedFen' | 'paidAt' | 'cancelledAt' | 'completedAt' | 'status'> & {
        deliveryMethod: 'ship' | 'pickup';
        /** Who placed it in the shop (null for staff: accepted quotes, counter sales). */
        placedBy: { visitor: string; address: string | null } | null;
      },
    ): number {
      const { placedBy, ...row } = o;
      return orm
        .insert(orders)
        .values({
          ...row,
          status: 'pending_payment',
          placedByVisitor: placedBy?.visitor ?? null,
          placedFromAddress: placedBy?.address ?? null,
          updatedAt: o.createdAt,
        })
        .returning({ id: orders.id })
        .get().id;
    },
    insertLine: (l: Omit<typeof orderLines.$inferInsert, 'id' | 'refundedFen'>): number =>
      orm.insert(orderLines).values(l).returning({ id: orderLines.id }).get().id,
    insertShipment: (orderId: number, villageId: number, feeFen: number) =>
      q(`INSERT INTO shipments (order_id, village_id, shipping_fee_fen) VALUES (?, ?, ?)`).run(orderId, villageId, feeFen),
    orderByNumber: (number: string): OrderRow | undefined => orderByNumber.get({ number }),
    orderById: (id: number): OrderRow | undefined => orderById.get({ id }),
    ordersOfBuyer: (userId: number): OrderRow[] =>
      orm.select(orderColumns).from(orders).where(eq(orders.buyerUserId, userId)).orderBy(desc(orders.id)).limit(200).all(),
    linesOf: (orderId: number): OrderLineRow[] => linesOf.all({ orderId }),
    shipmentsOf: (orderId: number) =>
      q(
        `SELECT s.id, s.order_id AS orderId, s.village_id AS villageId, v.name_zh AS villageZh, v.name_en AS villageEn, s.shipping_fee_fen AS shippingFeeFen,
                s.status, s.carrier, s.tracking_number AS trackingNumber, s.shipped_at AS shippedAt
         FROM shipments s JOIN villages v ON v.id = s.village_id WHERE s.order_id = ? ORDER BY s.id`,
      ).all(orderId) as ShipmentRow[],
    /** Moves an order between states only from the expected state; false when it was not in it. */
    transition: (id: number, from: readonly OrderStatus[], to: OrderStatus, now: number) =>
      orm
        .update(orders)
        .set({
          status: to,
          updatedAt: now,
          ...(to === 'paid' ? { paidAt: now } : {}),
          ...(to === 'cancelled' ? { cancelledAt: now } : {}),
          ...(to === 'completed' ? { completedAt: now } : {}),
        })
        .where(and(eq(orders.id, id), inArray(orders.status, [...from])))
        .run().changes === 1,
    addRefunded: (orderId: number, amountFen: number, now: number) =>
      orm
        .update(orders)
        .set({ refundedFen: sql`${orders.refundedFen} + ${amountFen}`, updatedAt: now })
        .where(eq(orders.id, orderId))
        .run(),
    addLineRefunded: (lineId: number, amountFen: number) =>
      orm
        .update(orderLines)
        .set({ refundedFen: sql`${orderLines.refundedFen} + ${amountFen}` })
        .where(eq(orderLines.id, lineId))
        .run(),
    pendingOffline: (limit: number): OrderRow[] =>
      orm
        .select(orderColumns)
        .from(orders)
        .where(and(eq(orders.status, 'pending_payment'), eq(orders.paymentMethod, 'offline')))
        .orderBy(desc(orders.id))
        .limit(limit)
        .all(),
    projectIdsOfOrder: (orderId: number) =>
      (
        q(`SELECT DISTINCT project_id AS id FROM order_lines WHERE order_id = ? UNION SELECT project_id FROM wishes WHERE order_id = ?`).all(
          orderId,
          orderId,
        ) as { id: number }[]
      ).map((r) => r.id),
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
      ).all({ now, limit }) as (OrderRow & {
        placedByVisitor: string;
        placedFromAddress: string | null;
        sameVisitor: number;
        samePhone: number;
        sameAddress: number;
      })[],
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
        id: number;
        status: string;
        carrier: string | null;
        trackingNumber: string | null;
        shippedAt: number | null;
        villageId: number;
        number: string;
        orderStatus: OrderStatus;
        contactName: string;
        phone: string;
        province: string;
        city: string;
        district: string;
        address: string;
        note: string | null;
        paidAt: number | null;
        orderId: number;
      }[],
  };
}

export type OrdersQueries = ReturnType<typeof createOrdersQueries>;
