import { and, count, desc, eq, getTableColumns, gt, inArray, isNotNull, lte, type SQL, sql } from 'drizzle-orm';
import { producerMembers } from '../villages/schema.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { villages } from '../villages/schema.js';
import { preparedOn } from './cart-queries.js';
import type { Holder } from './holds.js';
import { orderDayCounters, orderLines, orders, shipments, type OrderStatus } from './schema.js';

export { preparedOn };

/** The columns of an Order: the orders table's without those only holds and reports read. */
const { deliveryMethod: _delivery, placedByVisitor: _visitor, placedFromAddress: _address, updatedAt: _updated, ...orderColumns } = getTableColumns(orders);

/** An order as services see it: the orders table's row without the columns only holds and reports read. */
export type Order = Omit<typeof orders.$inferSelect, 'deliveryMethod' | 'placedByVisitor' | 'placedFromAddress' | 'updatedAt'>;
export type OrderLine = typeof orderLines.$inferSelect;

// Prepared once per handle: the order pages and every order's transitions read these.
const orderByIdStatement = preparedOn((tx) =>
  tx
    .select(orderColumns)
    .from(orders)
    .where(eq(orders.id, sql.placeholder('id')))
    .prepare(),
);
const orderByNumberStatement = preparedOn((tx) =>
  tx
    .select(orderColumns)
    .from(orders)
    .where(eq(orders.number, sql.placeholder('number')))
    .prepare(),
);
const linesOfStatement = preparedOn((tx) =>
  tx
    .select()
    .from(orderLines)
    .where(eq(orderLines.orderId, sql.placeholder('orderId')))
    .orderBy(orderLines.id)
    .prepare(),
);

/** Orders ever placed and ever paid (operations metrics; both over orders_paid_idx). */
export function* orderTotals(tx: Tx): Query<{ placed: number; paid: number }> {
  const row = yield* one(tx.select({ placed: count(), paid: count(orders.paidAt) }).from(orders));
  return row!;
}

export function* membersOfProducer(tx: Tx, producerId: number): Query<{ householdId: number; weight: number }[]> {
  return yield* all(
    tx
      .select({ householdId: producerMembers.householdId, weight: producerMembers.weight })
      .from(producerMembers)
      .where(eq(producerMembers.producerId, producerId))
      .orderBy(producerMembers.householdId),
  );
}

// ----- order numbers -----

/** Orders numbered with this day's prefix; a range on the unique index ('.' sorts right after '-'). */
export function* ordersOnDay(tx: Tx, prefix: string): Query<number> {
  const row = yield* one(
    tx
      .select({ n: count() })
      .from(orders)
      .where(and(sql`${orders.number} >= ${prefix}`, sql`${orders.number} < ${`${prefix.slice(0, -1)}.`}`)),
  );
  return row!.n;
}

/** The day's next order number, or undefined when the day has no counter yet. */
export function* bumpDayCounter(tx: Tx, prefix: string): Query<number | undefined> {
  const row = yield* one(
    tx
      .update(orderDayCounters)
      .set({ lastNumber: sql`${orderDayCounters.lastNumber} + 1` })
      .where(eq(orderDayCounters.prefix, prefix))
      .returning({ lastNumber: orderDayCounters.lastNumber }),
  );
  return row?.lastNumber;
}

export function* startDayCounter(tx: Tx, prefix: string, lastNumber: number): Query<void> {
  yield* run(tx.insert(orderDayCounters).values({ prefix, lastNumber }));
}

// ----- orders -----

export type NewOrderRow = Omit<typeof orders.$inferInsert, 'id' | 'refundedFen' | 'paidAt' | 'cancelledAt' | 'completedAt' | 'status' | 'updatedAt'> & {
  createdAt: number;
};

export function* insertOrder(tx: Tx, o: NewOrderRow): Query<number> {
  const row = yield* one(
    tx
      .insert(orders)
      .values({ ...o, status: 'pending_payment', updatedAt: o.createdAt })
      .returning({ id: orders.id }),
  );
  return row!.id;
}

export function* insertLine(tx: Tx, l: Omit<typeof orderLines.$inferInsert, 'id' | 'refundedFen'>): Query<number> {
  const row = yield* one(tx.insert(orderLines).values(l).returning({ id: orderLines.id }));
  return row!.id;
}

export function* insertShipment(tx: Tx, orderId: number, villageId: number, feeFen: number): Query<void> {
  yield* run(tx.insert(shipments).values({ orderId, villageId, shippingFeeFen: feeFen }));
}

export function* orderByNumber(tx: Tx, number: string): Query<Order | undefined> {
  return yield* one(orderByNumberStatement(tx), { number });
}

export function* orderById(tx: Tx, id: number): Query<Order | undefined> {
  return yield* one(orderByIdStatement(tx), { id });
}

/** One page of a signed-in buyer's orders, newest first, and how many they have in all (orders_buyer_idx). */
export function* ordersOfBuyer(tx: Tx, userId: number, page: number, pageSize: number): Query<{ rows: Order[]; total: number }> {
  const rows = yield* all(
    tx
      .select(orderColumns)
      .from(orders)
      .where(eq(orders.buyerUserId, userId))
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
  );
  const total = (yield* one(tx.select({ n: count() }).from(orders).where(eq(orders.buyerUserId, userId))))?.n ?? 0;
  return { rows, total };
}

export function* linesOf(tx: Tx, orderId: number): Query<OrderLine[]> {
  return yield* all(linesOfStatement(tx), { orderId });
}

/** How the order reaches the buyer: shipped by the villages, or picked up at an outlet. */
export function* deliveryOf(tx: Tx, orderId: number): Query<'ship' | 'pickup' | undefined> {
  return (yield* one(tx.select({ delivery: orders.deliveryMethod }).from(orders).where(eq(orders.id, orderId))))?.delivery;
}

export function* shipmentsOf(tx: Tx, orderId: number) {
  return yield* all(
    tx
      .select({
        id: shipments.id,
        orderId: shipments.orderId,
        villageId: shipments.villageId,
        villageZh: villages.nameZh,
        villageEn: villages.nameEn,
        shippingFeeFen: shipments.shippingFeeFen,
        status: shipments.status,
        carrier: shipments.carrier,
        trackingNumber: shipments.trackingNumber,
        shippedAt: shipments.shippedAt,
        deliveredAt: shipments.deliveredAt,
      })
      .from(shipments)
      .innerJoin(villages, eq(villages.id, shipments.villageId))
      .where(eq(shipments.orderId, orderId))
      .orderBy(shipments.id),
  );
}

export type Shipment = Awaited<ReturnType<typeof shipmentsOf> extends Query<infer T> ? T : never>[number];

/** Moves an order between states only from the expected state; false when it was not in it. */
export function* transition(tx: Tx, id: number, from: readonly OrderStatus[], to: OrderStatus, now: number): Query<boolean> {
  const changed = yield* run(
    tx
      .update(orders)
      .set({
        status: to,
        updatedAt: now,
        ...(to === 'paid' ? { paidAt: now } : {}),
        ...(to === 'cancelled' ? { cancelledAt: now } : {}),
        ...(to === 'completed' ? { completedAt: now } : {}),
      })
      .where(and(eq(orders.id, id), inArray(orders.status, [...from]))),
  );
  return changed === 1;
}

export function* addRefunded(tx: Tx, orderId: number, amountFen: number, now: number): Query<void> {
  yield* run(
    tx
      .update(orders)
      .set({ refundedFen: sql`${orders.refundedFen} + ${amountFen}`, updatedAt: now })
      .where(eq(orders.id, orderId)),
  );
}

export function* addLineRefunded(tx: Tx, lineId: number, amountFen: number): Query<void> {
  yield* run(
    tx
      .update(orderLines)
      .set({ refundedFen: sql`${orderLines.refundedFen} + ${amountFen}` })
      .where(eq(orderLines.id, lineId)),
  );
}

export function* pendingOffline(tx: Tx, limit: number): Query<Order[]> {
  return yield* all(
    tx
      .select(orderColumns)
      .from(orders)
      .where(and(eq(orders.status, 'pending_payment'), eq(orders.paymentMethod, 'offline')))
      .orderBy(desc(orders.id))
      .limit(limit),
  );
}

/** The projects of an order's lines. */
export function* projectIdsOfLines(tx: Tx, orderId: number): Query<number[]> {
  const rows = yield* all(tx.selectDistinct({ id: orderLines.projectId }).from(orderLines).where(eq(orderLines.orderId, orderId)));
  return rows.map((r) => r.id);
}

// ----- what unpaid orders placed in the shop hold (src/orders/holds.ts) -----

/**
 * Units of a product each holder's unpaid shop orders hold. One lookup per holder, each on its own
 * partial index (orders_pending_*_idx) by equality: a single query with `visitor = ? OR phone = ?
 * OR address = ?` was planned as a scan of every unpaid order (about 1.5 ms with 4,000 of them,
 * a quarter of a checkout's server time).
 */
export function* unitsHeldBy(tx: Tx, holder: Holder, productId: number, now: number): Query<Record<keyof Holder, number>> {
  const heldWhere = function* (holderIs: SQL | undefined) {
    const row = yield* one(
      tx
        .select({ units: sql<number>`coalesce(sum(${orderLines.quantity}), 0)` })
        .from(orders)
        .innerJoin(orderLines, eq(orderLines.orderId, orders.id))
        .where(
          and(
            eq(orders.status, 'pending_payment'),
            holderIs,
            gt(orders.expiresAt, now),
            // Said so that no index is chosen for it: the holder's own index is the narrow one.
            sql`coalesce(${orders.placedByVisitor}, '') <> ''`,
            eq(orderLines.productId, productId),
          ),
        ),
    );
    return row?.units ?? 0;
  };
  return {
    visitor: yield* heldWhere(eq(orders.placedByVisitor, holder.visitor)),
    phone: yield* heldWhere(eq(orders.phone, holder.phone)),
    address: holder.address === null ? 0 : yield* heldWhere(eq(orders.placedFromAddress, holder.address)),
  };
}

/** Unpaid orders placed in the shop, newest first, with how many unpaid orders share each of their holders. */
export function* unpaidHolds(tx: Tx, now: number, limit: number) {
  // Correlated counts over the other unpaid orders (x) of the same holder; written out, since the
  // builder leaves the outer row's columns unqualified inside a subquery of a one-table select.
  const unpaid = sql`x.status = 'pending_payment' AND x.expires_at > ${now}`;
  return yield* all(
    tx
      .select({
        ...orderColumns,
        placedByVisitor: sql<string>`${orders.placedByVisitor}`,
        placedFromAddress: orders.placedFromAddress,
        sameVisitor: sql<number>`(SELECT count(*) FROM orders x WHERE ${unpaid} AND x.placed_by_visitor = orders.placed_by_visitor)`,
        samePhone: sql<number>`(SELECT count(*) FROM orders x WHERE ${unpaid} AND x.placed_by_visitor IS NOT NULL AND x.phone = orders.phone)`,
        sameAddress: sql<number>`(SELECT count(*) FROM orders x WHERE ${unpaid} AND x.placed_from_address = orders.placed_from_address)`,
      })
      .from(orders)
      .where(and(eq(orders.status, 'pending_payment'), gt(orders.expiresAt, now), isNotNull(orders.placedByVisitor)))
      .orderBy(desc(orders.id))
      .limit(limit),
  );
}

export function* duePendingOrders(tx: Tx, now: number, limit: number): Query<{ id: number }[]> {
  return yield* all(
    tx
      .select({ id: orders.id })
      .from(orders)
      .where(and(eq(orders.status, 'pending_payment'), lte(orders.expiresAt, now)))
      .orderBy(orders.expiresAt)
      .limit(limit),
  );
}

// ----- shipments -----

export function* shipShipment(
  tx: Tx,
  orderId: number,
  villageId: number,
  carrier: string,
  trackingNumber: string,
  userId: number,
  now: number,
): Query<boolean> {
  const changed = yield* run(
    tx
      .update(shipments)
      .set({ status: 'shipped', carrier, trackingNumber, shippedAt: now, shippedByUserId: userId })
      .where(and(eq(shipments.orderId, orderId), eq(shipments.villageId, villageId), eq(shipments.status, 'pending'))),
  );
  return changed === 1;
}

/** The order's shipped parcels become delivered (确认收货); those already delivered keep their time. */
export function* deliverShipments(tx: Tx, orderId: number, now: number): Query<number> {
  return yield* run(
    tx
      .update(shipments)
      .set({ status: 'delivered', deliveredAt: now })
      .where(and(eq(shipments.orderId, orderId), eq(shipments.status, 'shipped'))),
  );
}

/**
 * Shipped orders (sent to the buyer's address, not picked up at an outlet) whose last parcel left
 * at or before `shippedBy` and whose receipt nobody confirmed: the periodic work confirms them.
 */
export function* ordersDueForAutoConfirm(tx: Tx, shippedBy: number, limit: number): Query<{ id: number }[]> {
  return yield* all(
    tx
      .select({ id: orders.id })
      .from(orders)
      .innerJoin(shipments, eq(shipments.orderId, orders.id))
      .where(and(eq(orders.status, 'shipped'), eq(orders.deliveryMethod, 'ship')))
      .groupBy(orders.id)
      .having(lte(sql<number>`max(${shipments.shippedAt})`, shippedBy))
      .orderBy(orders.id)
      .limit(limit),
  );
}

/** Whether the order is to be sent to the buyer (not collected at a charity supermarket). */
export function* isShippedToBuyer(tx: Tx, orderId: number): Query<boolean> {
  const row = yield* one(tx.select({ method: orders.deliveryMethod }).from(orders).where(eq(orders.id, orderId)));
  return row?.method === 'ship';
}

export function* unshippedCount(tx: Tx, orderId: number): Query<number> {
  const row = yield* one(
    tx
      .select({ n: count() })
      .from(shipments)
      .where(and(eq(shipments.orderId, orderId), eq(shipments.status, 'pending'))),
  );
  return row!.n;
}

/** Parcels of the villages in orders of the given states, newest paid first. */
export function* shipmentsForVillages(tx: Tx, villageIds: readonly number[], statuses: readonly OrderStatus[]) {
  if (villageIds.length === 0) return [];
  return yield* all(
    tx
      .select({
        id: shipments.id,
        status: shipments.status,
        carrier: shipments.carrier,
        trackingNumber: shipments.trackingNumber,
        shippedAt: shipments.shippedAt,
        villageId: shipments.villageId,
        number: orders.number,
        orderStatus: orders.status,
        contactName: orders.contactName,
        phone: orders.phone,
        province: orders.province,
        city: orders.city,
        district: orders.district,
        address: orders.address,
        note: orders.note,
        paidAt: orders.paidAt,
        orderId: orders.id,
      })
      .from(shipments)
      .innerJoin(orders, eq(orders.id, shipments.orderId))
      .where(and(inArray(shipments.villageId, [...villageIds]), inArray(orders.status, [...statuses])))
      .orderBy(desc(orders.paidAt), desc(orders.id))
      .limit(200),
  );
}
