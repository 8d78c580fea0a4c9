import { and, asc, desc, eq, gte, inArray, isNull, sql } from 'drizzle-orm';
import { users } from '../accounts/schema.js';
import { products } from '../catalog/schema.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { COLLECTABLE_STATUSES } from '../orders/order-status.js';
import { orders } from '../orders/schema.js';
import { producers } from '../villages/schema.js';
import { counterSales, outletStock, outlets, pickups, userOutlets } from './schema.js';

const outletColumns = {
  id: outlets.id,
  slug: outlets.slug,
  name: outlets.name,
  nameEn: outlets.nameEn,
  address: outlets.address,
  openingHours: outlets.openingHours,
};

export type Outlet = Pick<typeof outlets.$inferSelect, keyof typeof outletColumns>;

export type Pickup = typeof pickups.$inferSelect;

export function* allOutlets(tx: Tx): Query<Outlet[]> {
  return yield* all(tx.select(outletColumns).from(outlets).orderBy(outlets.id));
}

export function* outletById(tx: Tx, id: number): Query<Outlet | undefined> {
  return yield* one(tx.select(outletColumns).from(outlets).where(eq(outlets.id, id)));
}

export function* outletIdsOfUser(tx: Tx, userId: number): Query<number[]> {
  const rows = yield* all(tx.select({ id: userOutlets.outletId }).from(userOutlets).where(eq(userOutlets.userId, userId)).orderBy(userOutlets.outletId));
  return rows.map((r) => r.id);
}

export function* staffOf(tx: Tx, outletId: number) {
  return yield* all(
    tx
      .select({ id: users.id, email: users.email, displayName: users.displayName })
      .from(userOutlets)
      .innerJoin(users, eq(users.id, userOutlets.userId))
      .where(eq(userOutlets.outletId, outletId))
      .orderBy(users.email),
  );
}

export function* addStaff(tx: Tx, userId: number, outletId: number): Query<boolean> {
  return (yield* run(tx.insert(userOutlets).values({ userId, outletId }).onConflictDoNothing())) === 1;
}

export function* removeStaff(tx: Tx, userId: number, outletId: number): Query<boolean> {
  return (yield* run(tx.delete(userOutlets).where(and(eq(userOutlets.userId, userId), eq(userOutlets.outletId, outletId))))) === 1;
}

// ----- shelf stock -----

function selectStock(tx: Tx) {
  return tx
    .select({
      outletId: outletStock.outletId,
      productId: outletStock.productId,
      slug: products.slug,
      titleZh: products.titleZh,
      titleEn: products.titleEn,
      unit: products.unit,
      priceFen: products.priceFen,
      villageId: producers.villageId,
      /** Units on the outlet's shelf. */
      quantity: outletStock.quantity,
    })
    .from(outletStock)
    .innerJoin(products, eq(products.id, outletStock.productId))
    .innerJoin(producers, eq(producers.id, products.producerId));
}

export type OutletStock = NonNullable<ReturnType<ReturnType<typeof selectStock>['get']>>;

export function* stockOf(tx: Tx, outletId: number): Query<OutletStock[]> {
  return yield* all(
    selectStock(tx)
      .where(and(eq(outletStock.outletId, outletId), sql`${outletStock.quantity} > 0`))
      .orderBy(products.titleZh),
  );
}

export function* stockForVillages(tx: Tx, villageIds: readonly number[]): Query<OutletStock[]> {
  if (villageIds.length === 0) return [];
  return yield* all(
    selectStock(tx)
      .where(and(inArray(producers.villageId, [...villageIds]), sql`${outletStock.quantity} > 0`))
      .orderBy(outletStock.outletId, products.titleZh),
  );
}

export function* shelfQuantity(tx: Tx, outletId: number, productId: number): Query<number> {
  const row = yield* one(
    tx
      .select({ quantity: outletStock.quantity })
      .from(outletStock)
      .where(and(eq(outletStock.outletId, outletId), eq(outletStock.productId, productId))),
  );
  return row?.quantity ?? 0;
}

export function* addToShelf(tx: Tx, outletId: number, productId: number, quantity: number): Query<void> {
  yield* run(
    tx
      .insert(outletStock)
      .values({ outletId, productId, quantity })
      .onConflictDoUpdate({ target: [outletStock.outletId, outletStock.productId], set: { quantity: sql`${outletStock.quantity} + excluded.quantity` } }),
  );
}

/** Takes units off the shelf only if that many are there, so shelf stock never goes below zero. */
export function* takeFromShelf(tx: Tx, outletId: number, productId: number, quantity: number): Query<boolean> {
  const changed = yield* run(
    tx
      .update(outletStock)
      .set({ quantity: sql`${outletStock.quantity} - ${quantity}` })
      .where(and(eq(outletStock.outletId, outletId), eq(outletStock.productId, productId), gte(outletStock.quantity, quantity))),
  );
  return changed === 1;
}

// ----- pick-ups -----

export function* insertPickup(tx: Tx, orderId: number, outletId: number, codeHash: string): Query<void> {
  yield* run(tx.insert(pickups).values({ orderId, outletId, codeHash }));
}

export function* pickupOfOrder(tx: Tx, orderId: number): Query<Pickup | undefined> {
  return yield* one(tx.select().from(pickups).where(eq(pickups.orderId, orderId)));
}

/** Pick-ups at an outlet with this code: those still waiting first, then the latest collected. */
export function* pickupsWithCode(tx: Tx, outletId: number, codeHash: string): Query<Pickup[]> {
  return yield* all(
    tx
      .select()
      .from(pickups)
      .where(and(eq(pickups.outletId, outletId), eq(pickups.codeHash, codeHash)))
      .orderBy(asc(sql`${pickups.pickedUpAt} IS NOT NULL`), desc(pickups.orderId)),
  );
}

/** Is a code already held by an order that is still to be collected (so a new order must get another)? */
export function* openPickupWithCode(tx: Tx, codeHash: string): Query<boolean> {
  const row = yield* one(
    tx
      .select({ orderId: pickups.orderId })
      .from(pickups)
      .innerJoin(orders, eq(orders.id, pickups.orderId))
      .where(and(eq(pickups.codeHash, codeHash), isNull(pickups.pickedUpAt), inArray(orders.status, [...COLLECTABLE_STATUSES]))),
  );
  return row !== undefined;
}

/** Collected once: false when it already was. */
export function* markCollected(tx: Tx, orderId: number, userId: number, now: number): Query<boolean> {
  const changed = yield* run(
    tx
      .update(pickups)
      .set({ pickedUpAt: now, checkedByUserId: userId })
      .where(and(eq(pickups.orderId, orderId), isNull(pickups.pickedUpAt))),
  );
  return changed === 1;
}

// ----- counter sales -----

export function* insertCounterSale(tx: Tx, sale: typeof counterSales.$inferInsert): Query<void> {
  yield* run(tx.insert(counterSales).values(sale));
}

export function* recentCounterSales(tx: Tx, outletId: number, limit: number) {
  return yield* all(
    tx
      .select({ number: orders.number, totalFen: orders.totalFen, createdAt: orders.createdAt, channel: counterSales.channel })
      .from(counterSales)
      .innerJoin(orders, eq(orders.id, counterSales.orderId))
      .where(eq(counterSales.outletId, outletId))
      .orderBy(desc(orders.id))
      .limit(limit),
  );
}
