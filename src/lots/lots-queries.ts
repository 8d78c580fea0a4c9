import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import { users } from '../accounts/schema.js';
import { withdrawStock } from '../catalog/index.js';
import { products } from '../catalog/schema.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { orderLines, orders, shipments } from '../orders/schema.js';
import { refunds } from '../payments/schema.js';
import { publicDisplayName } from '../villages/consent-queries.js';
import { households, producers, villages } from '../villages/schema.js';
import { lotHouseholds, lots, orderLineLots, recallResolutions, type RecallAction } from './schema.js';

/** A lot with its product and village, as the pages show it. */
const lotColumns = {
  ...getTableColumns(lots),
  projectId: products.projectId,
  productSlug: products.slug,
  productZh: products.titleZh,
  productEn: products.titleEn,
  unit: products.unit,
  published: products.published,
  villageId: villages.id,
  villageSlug: villages.slug,
  villageZh: villages.nameZh,
  villageEn: villages.nameEn,
};

function selectLots(tx: Tx) {
  return tx
    .select(lotColumns)
    .from(lots)
    .innerJoin(products, eq(products.id, lots.productId))
    .innerJoin(producers, eq(producers.id, products.producerId))
    .innerJoin(villages, eq(villages.id, producers.villageId));
}

export type LotView = NonNullable<ReturnType<ReturnType<typeof selectLots>['get']>>;

export interface NewLot {
  productId: number;
  code: string;
  /** ISO date (YYYY-MM-DD). */
  harvestedOn: string;
  quantity: number;
  notes: string | null;
  certificateMediaId: number | null;
  createdAt: number;
}

/** Units of a line's allocation to a lot settled by refunds that did not fail. */
const refundedUnits = sql<number>`coalesce((SELECT sum(${recallResolutions.quantity}) FROM ${recallResolutions}
  JOIN ${refunds} ON ${refunds.id} = ${recallResolutions.refundId}
  WHERE ${recallResolutions.orderLineId} = ${orderLineLots.orderLineId} AND ${recallResolutions.lotId} = ${orderLineLots.lotId}
    AND ${recallResolutions.action} = 'refund' AND ${refunds.status} <> 'failed'), 0)`.mapWith(Number);

export function* insertLot(tx: Tx, l: NewLot): Query<number> {
  const row = yield* one(
    tx
      .insert(lots)
      .values({ ...l, remaining: l.quantity })
      .returning({ id: lots.id }),
  );
  return row!.id;
}

export function* insertLotHousehold(tx: Tx, lotId: number, householdId: number): Query<void> {
  yield* run(tx.insert(lotHouseholds).values({ lotId, householdId }).onConflictDoNothing());
}

export function* codeTaken(tx: Tx, code: string): Query<boolean> {
  return (yield* one(tx.select({ id: lots.id }).from(lots).where(eq(lots.code, code)))) !== undefined;
}

export function* lotById(tx: Tx, id: number): Query<LotView | undefined> {
  return yield* one(selectLots(tx).where(eq(lots.id, id)));
}

export function* lotByCode(tx: Tx, code: string): Query<LotView | undefined> {
  return yield* one(selectLots(tx).where(eq(lots.code, code)));
}

export function* lotsOfProduct(tx: Tx, productId: number): Query<LotView[]> {
  return yield* all(selectLots(tx).where(eq(lots.productId, productId)).orderBy(lots.harvestedOn, lots.id));
}

/** Households of a lot, private fields included (staff pages filter what they show). */
export function* householdsOfLot(tx: Tx, lotId: number) {
  return yield* all(
    tx
      .select({
        id: households.id,
        realName: households.realName,
        publicName: publicDisplayName(),
      })
      .from(lotHouseholds)
      .innerJoin(households, eq(households.id, lotHouseholds.householdId))
      .where(eq(lotHouseholds.lotId, lotId))
      .orderBy(households.id),
  );
}

/** Marks a lot recalled once; false when it already was. */
export function* markRecalled(tx: Tx, id: number, reason: string, now: number): Query<boolean> {
  return (
    (yield* run(
      tx
        .update(lots)
        .set({ recalledAt: now, recallReason: reason })
        .where(and(eq(lots.id, id), isNull(lots.recalledAt))),
    )) === 1
  );
}

/** Every order holding units of the lot, with the buyer's contact (a cancelled order gave its units back, so it is not listed). */
export function* ordersOfLot(tx: Tx, lotId: number) {
  return yield* all(
    tx
      .select({
        orderId: orders.id,
        number: orders.number,
        status: orders.status,
        contactName: orders.contactName,
        phone: orders.phone,
        province: orders.province,
        city: orders.city,
        district: orders.district,
        address: orders.address,
        /** Units of the lot in the order. */
        quantity: sql<number>`sum(${orderLineLots.quantity})`.mapWith(Number),
        createdAt: orders.createdAt,
        paidAt: orders.paidAt,
      })
      .from(orderLineLots)
      .innerJoin(orderLines, eq(orderLines.id, orderLineLots.orderLineId))
      .innerJoin(orders, eq(orders.id, orderLines.orderId))
      .where(and(eq(orderLineLots.lotId, lotId), ne(orders.status, 'cancelled')))
      .groupBy(orders.id)
      .orderBy(orders.id),
  );
}

/** Recalled lots, newest recall first, of some projects (null: all). */
export function* recalledLots(tx: Tx, projectIds: readonly number[] | null): Query<LotView[]> {
  if (projectIds !== null && projectIds.length === 0) return [];
  const recalled = isNotNull(lots.recalledAt);
  return yield* all(
    selectLots(tx)
      .where(projectIds === null ? recalled : and(recalled, inArray(products.projectId, [...projectIds])))
      .orderBy(desc(lots.recalledAt), desc(lots.id)),
  );
}

/** Every order line that holds or held units of a recalled lot (cancelled orders gave theirs back), with what was done about them. */
export function* recallCases(tx: Tx, lotId: number) {
  const linesOfLot = or(
    inArray(orderLines.id, tx.select({ id: orderLineLots.orderLineId }).from(orderLineLots).where(eq(orderLineLots.lotId, lotId))),
    inArray(orderLines.id, tx.select({ id: recallResolutions.orderLineId }).from(recallResolutions).where(eq(recallResolutions.lotId, lotId))),
  );
  return yield* all(
    tx
      .select({
        orderLineId: orderLines.id,
        orderId: orders.id,
        number: orders.number,
        status: orders.status,
        paymentMethod: orders.paymentMethod,
        contactName: orders.contactName,
        phone: orders.phone,
        /** The buyer's account e-mail, when the order was placed signed in. */
        email: users.email,
        buyerUserId: orders.buyerUserId,
        province: orders.province,
        city: orders.city,
        district: orders.district,
        address: orders.address,
        productId: orderLines.productId,
        productZh: orderLines.titleZh,
        productEn: orderLines.titleEn,
        unit: orderLines.unit,
        unitPriceFen: orderLines.unitPriceFen,
        lineTotalFen: orderLines.lineTotalFen,
        lineRefundedFen: orderLines.refundedFen,
        /** Units of the lot the line still holds (replaced units moved to other lots). */
        held: sql<number>`coalesce(${orderLineLots.quantity}, 0)`.mapWith(Number),
        /** Of those, units settled by a refund that did not fail. */
        refunded: sql<number>`CASE WHEN ${orderLineLots.quantity} IS NULL THEN 0 ELSE ${refundedUnits} END`.mapWith(Number),
        /** Units replaced from other lots. */
        replaced: sql<number>`coalesce((SELECT sum(${recallResolutions.quantity}) FROM ${recallResolutions}
          WHERE ${recallResolutions.orderLineId} = ${orderLines.id} AND ${recallResolutions.lotId} = ${lotId} AND ${recallResolutions.action} = 'replace'), 0)`.mapWith(
          Number,
        ),
        /** The line's parcel: pending, shipped or delivered. */
        parcel: shipments.status,
      })
      .from(orderLines)
      .innerJoin(orders, eq(orders.id, orderLines.orderId))
      .leftJoin(orderLineLots, and(eq(orderLineLots.orderLineId, orderLines.id), eq(orderLineLots.lotId, lotId)))
      .leftJoin(users, eq(users.id, orders.buyerUserId))
      .leftJoin(shipments, and(eq(shipments.orderId, orders.id), eq(shipments.villageId, orderLines.villageId)))
      .where(and(linesOfLot, ne(orders.status, 'cancelled')))
      .orderBy(orders.id, orderLines.id),
  );
}

export type RecallCase = Awaited<ReturnType<typeof recallCases> extends Query<infer T> ? T : never>[number];

/** Units of other lots of the product that a replacement can take (not recalled, not sold). */
export function* replacementStock(tx: Tx, productId: number): Query<number> {
  const row = yield* one(
    tx
      .select({ units: sql<number>`coalesce(sum(${lots.remaining}), 0)`.mapWith(Number) })
      .from(lots)
      .where(and(eq(lots.productId, productId), isNull(lots.recalledAt))),
  );
  return row?.units ?? 0;
}

/** Moves units of a line off a recalled lot: back into that lot (never onto the shelf). */
export function* takeOffRecalledLot(tx: Tx, orderLineId: number, lotId: number, units: number): Query<void> {
  const held = and(eq(orderLineLots.orderLineId, orderLineId), eq(orderLineLots.lotId, lotId));
  yield* run(tx.delete(orderLineLots).where(and(held, eq(orderLineLots.quantity, units))));
  yield* run(
    tx
      .update(orderLineLots)
      .set({ quantity: sql`${orderLineLots.quantity} - ${units}` })
      .where(and(held, gt(orderLineLots.quantity, units))),
  );
  yield* run(
    tx
      .update(lots)
      .set({ remaining: sql`${lots.remaining} + ${units}` })
      .where(eq(lots.id, lotId)),
  );
}

export function* insertResolution(
  tx: Tx,
  r: {
    lotId: number;
    orderLineId: number;
    quantity: number;
    action: RecallAction;
    refundId: number | null;
    replacementLotId: number | null;
    userId: number;
    now: number;
  },
): Query<void> {
  yield* run(
    tx.insert(recallResolutions).values({
      lotId: r.lotId,
      orderLineId: r.orderLineId,
      quantity: r.quantity,
      action: r.action,
      refundId: r.refundId,
      replacementLotId: r.replacementLotId,
      createdByUserId: r.userId,
      createdAt: r.now,
    }),
  );
}

/** The lots each line of some orders was served from (cancelled orders gave theirs back), in line and harvest order. */
function* lotsOfLines(tx: Tx, which: ReturnType<typeof eq>) {
  return yield* all(
    tx
      .select({
        orderLineId: orderLineLots.orderLineId,
        lotId: lots.id,
        code: lots.code,
        harvestedOn: lots.harvestedOn,
        quantity: orderLineLots.quantity,
        recalledAt: lots.recalledAt,
        productZh: orderLines.titleZh,
        productEn: orderLines.titleEn,
        unit: orderLines.unit,
      })
      .from(orderLineLots)
      .innerJoin(orderLines, eq(orderLines.id, orderLineLots.orderLineId))
      .innerJoin(lots, eq(lots.id, orderLineLots.lotId))
      .innerJoin(orders, eq(orders.id, orderLines.orderId))
      .where(and(which, ne(orders.status, 'cancelled')))
      .orderBy(orderLines.id, lots.harvestedOn, lots.id),
  );
}

export const lotsOfOrder = (tx: Tx, orderId: number) => lotsOfLines(tx, eq(orderLines.orderId, orderId));
export const lotsOfReceipt = (tx: Tx, receiptCode: string) => lotsOfLines(tx, eq(orders.receiptCode, receiptCode));

/** A lot an order line was served from. */
export type LineLot = Awaited<ReturnType<typeof lotsOfOrder> extends Query<infer T> ? T : never>[number];

// ---------- Lot stock as the orders domain moves it: steps of its units of work (src/lots/index.ts) ----------

/**
 * Takes up to `quantity` units for an order line from the product's lots that are not recalled,
 * oldest harvest first (then oldest lot), each by a conditional decrement. Units beyond what the
 * lots hold are stock without a lot. Returns what was taken from each lot.
 */
export function* allocateLots(tx: Tx, orderLineId: number, productId: number, quantity: number): Query<{ lotId: number; quantity: number }[]> {
  const open = yield* all(
    tx
      .select({ id: lots.id, remaining: lots.remaining })
      .from(lots)
      .where(and(eq(lots.productId, productId), gt(lots.remaining, 0), isNull(lots.recalledAt)))
      .orderBy(asc(lots.harvestedOn), asc(lots.id)),
  );
  const takes: { lotId: number; quantity: number }[] = [];
  let left = quantity;
  for (const lot of open) {
    if (left === 0) break;
    const take = Math.min(left, lot.remaining);
    const taken = yield* run(
      tx
        .update(lots)
        .set({ remaining: sql`${lots.remaining} - ${take}` })
        .where(and(eq(lots.id, lot.id), gte(lots.remaining, take), isNull(lots.recalledAt))),
    );
    if (taken !== 1) continue;
    // A line replacing recalled units may already hold units of this lot.
    yield* run(
      tx
        .insert(orderLineLots)
        .values({ orderLineId, lotId: lot.id, quantity: take })
        .onConflictDoUpdate({
          target: [orderLineLots.orderLineId, orderLineLots.lotId],
          set: { quantity: sql`${orderLineLots.quantity} + excluded.quantity` },
        }),
    );
    takes.push({ lotId: lot.id, quantity: take });
    left -= take;
  }
  return takes;
}

/**
 * Units of recalled lots an order still holds that no refund or replacement settled, per line and
 * lot (of one village's parcel, or of the whole order). A line refunded in full holds nothing: its
 * units are not sent, and no money is left on it.
 */
export function* recalledUnitsHeld(tx: Tx, orderId: number, villageId: number | null) {
  const rows = yield* all(
    tx
      .select({
        orderLineId: orderLineLots.orderLineId,
        villageId: orderLines.villageId,
        lotId: lots.id,
        code: lots.code,
        productZh: orderLines.titleZh,
        productEn: orderLines.titleEn,
        unit: orderLines.unit,
        units: sql<number>`${orderLineLots.quantity} - ${refundedUnits}`.mapWith(Number),
      })
      .from(orderLineLots)
      .innerJoin(lots, eq(lots.id, orderLineLots.lotId))
      .innerJoin(orderLines, eq(orderLines.id, orderLineLots.orderLineId))
      .where(
        and(
          eq(orderLines.orderId, orderId),
          villageId === null ? undefined : eq(orderLines.villageId, villageId),
          isNotNull(lots.recalledAt),
          lt(orderLines.refundedFen, orderLines.lineTotalFen),
        ),
      )
      .orderBy(orderLineLots.orderLineId, lots.id),
  );
  return rows.filter((r) => r.units > 0);
}

/** Units of a recalled lot an order line holds that nothing settled yet. */
export type RecalledUnits = Awaited<ReturnType<typeof recalledUnitsHeld> extends Query<infer T> ? T : never>[number];
/** The name the orders domain knows these by. */
export type RecalledUnitsRow = RecalledUnits;

/**
 * Gives a released line's units back to the lots they came from. Units of a recalled lot go back
 * into the lot but not onto the shelf: they are taken out of the product's sellable stock again.
 */
export function* releaseLots(tx: Tx, orderLineId: number, productId: number, now: number): Query<void> {
  const rows = yield* all(
    tx
      .select({ lotId: orderLineLots.lotId, quantity: orderLineLots.quantity, recalledAt: lots.recalledAt })
      .from(orderLineLots)
      .innerJoin(lots, eq(lots.id, orderLineLots.lotId))
      .where(eq(orderLineLots.orderLineId, orderLineId)),
  );
  for (const row of rows) {
    yield* run(
      tx
        .update(lots)
        .set({ remaining: sql`${lots.remaining} + ${row.quantity}` })
        .where(eq(lots.id, row.lotId)),
    );
    if (row.recalledAt !== null) yield* withdrawStock(tx, productId, row.quantity, now);
  }
}
