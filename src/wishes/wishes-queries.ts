import { and, desc, eq, getTableColumns, gt, inArray, isNotNull, or, type SQL, sql } from 'drizzle-orm';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import type { Holder } from '../orders/holds.js';
import { orders } from '../orders/schema.js';
import { projects } from '../projects/schema.js';
import { wishes, type WISH_STATUSES } from './schema.js';

export type WishStatus = (typeof WISH_STATUSES)[number];

const { villageId: _village, ...wishColumns } = getTableColumns(wishes);

/** A wish with its project and the order that claimed it, as the pages show it. */
function selectWishes(tx: Tx) {
  return tx
    .select({
      ...wishColumns,
      projectSlug: projects.slug,
      projectZh: projects.nameZh,
      projectEn: projects.nameEn,
      orderNumber: orders.number,
      orderStatus: orders.status,
    })
    .from(wishes)
    .innerJoin(projects, eq(projects.id, wishes.projectId))
    .leftJoin(orders, eq(orders.id, wishes.orderId));
}

export type WishView = NonNullable<ReturnType<ReturnType<typeof selectWishes>['get']>>;

export type NewWish = Omit<typeof wishes.$inferInsert, 'id' | 'villageId' | 'status' | 'orderId' | 'deliveredAt' | 'deliveryPhotoMediaId' | 'deliveryNote'>;

export function* insertWish(tx: Tx, w: NewWish): Query<number> {
  const row = yield* one(tx.insert(wishes).values(w).returning({ id: wishes.id }));
  return row!.id;
}

export function* wishById(tx: Tx, id: number): Query<WishView | undefined> {
  return yield* one(selectWishes(tx).where(eq(wishes.id, id)));
}

export function* wishOfOrder(tx: Tx, orderId: number): Query<WishView | undefined> {
  return yield* one(selectWishes(tx).where(eq(wishes.orderId, orderId)));
}

export function* wishesWithStatus(tx: Tx, statuses: readonly WishStatus[], limit: number): Query<WishView[]> {
  if (statuses.length === 0) return [];
  return yield* all(
    selectWishes(tx)
      .where(inArray(wishes.status, [...statuses]))
      .orderBy(desc(wishes.createdAt), desc(wishes.id))
      .limit(limit),
  );
}

/** Wishes of some projects (or all): those waiting for the social worker first (paid, then claimed, then open). */
export function* wishesInProjects(tx: Tx, projectIds: readonly number[] | 'all', limit: number): Query<WishView[]> {
  if (projectIds !== 'all' && projectIds.length === 0) return [];
  return yield* all(
    selectWishes(tx)
      .where(projectIds === 'all' ? undefined : inArray(wishes.projectId, [...projectIds]))
      .orderBy(sql`CASE ${wishes.status} WHEN 'paid' THEN 0 WHEN 'claimed' THEN 1 WHEN 'open' THEN 2 ELSE 3 END`, desc(wishes.id))
      .limit(limit),
  );
}

/** The one claim of a wish: succeeds only while it is still open. */
export function* claimWish(tx: Tx, id: number, orderId: number): Query<boolean> {
  return (
    (yield* run(
      tx
        .update(wishes)
        .set({ status: 'claimed', orderId })
        .where(and(eq(wishes.id, id), eq(wishes.status, 'open'))),
    )) === 1
  );
}

export function* markDelivered(tx: Tx, id: number, photoMediaId: number, note: string | null, now: number): Query<boolean> {
  return (
    (yield* run(
      tx
        .update(wishes)
        .set({ status: 'delivered', deliveredAt: now, deliveryPhotoMediaId: photoMediaId, deliveryNote: note })
        .where(and(eq(wishes.id, id), eq(wishes.status, 'paid'))),
    )) === 1
  );
}

export function* projectExists(tx: Tx, id: number): Query<boolean> {
  return (yield* one(tx.select({ id: projects.id }).from(projects).where(eq(projects.id, id)))) !== undefined;
}

/** Unpaid claims of a visitor, of a phone number and of an address (src/orders/holds.ts). */
export function* unpaidClaimsOf(tx: Tx, holder: Holder, now: number): Query<Record<keyof Holder, number>> {
  const count = (matches: SQL) => sql<number>`coalesce(sum(CASE WHEN ${matches} THEN 1 ELSE 0 END), 0)`.mapWith(Number);
  // `= NULL` on purpose: an order placed from no known address matches no other by address.
  const sameAddress = sql`${orders.placedFromAddress} = ${holder.address}`;
  const row = yield* one(
    tx
      .select({
        visitor: count(eq(orders.placedByVisitor, holder.visitor)),
        phone: count(eq(orders.phone, holder.phone)),
        address: count(sameAddress),
      })
      .from(orders)
      .innerJoin(wishes, eq(wishes.orderId, orders.id))
      .where(
        and(
          eq(orders.status, 'pending_payment'),
          gt(orders.expiresAt, now),
          isNotNull(orders.placedByVisitor),
          or(eq(orders.placedByVisitor, holder.visitor), eq(orders.phone, holder.phone), sameAddress),
        ),
      ),
  );
  return row ?? { visitor: 0, phone: 0, address: 0 };
}

// ---------- The wish side of an order's life, run by the orders domain inside its own transactions ----------

/** Which project fund a wish's donation goes to. */
export function* wishProjectOfOrder(tx: Tx, orderId: number): Query<number | undefined> {
  return (yield* one(tx.select({ projectId: wishes.projectId }).from(wishes).where(eq(wishes.orderId, orderId))))?.projectId;
}

/** A paid claim: claimed → paid. */
export function* markWishPaid(tx: Tx, orderId: number): Query<boolean> {
  return (
    (yield* run(
      tx
        .update(wishes)
        .set({ status: 'paid' })
        .where(and(eq(wishes.orderId, orderId), eq(wishes.status, 'claimed'))),
    )) === 1
  );
}

/** A claim that ended unpaid: the wish opens again for other donors. */
export function* reopenWishOf(tx: Tx, orderId: number): Query<boolean> {
  return (
    (yield* run(
      tx
        .update(wishes)
        .set({ status: 'open', orderId: null })
        .where(and(eq(wishes.orderId, orderId), eq(wishes.status, 'claimed'))),
    )) === 1
  );
}
