import { and, eq, sql } from 'drizzle-orm';
import { productPhotos, products } from '../catalog/schema.js';
import { all, one, preparedOn, run, type Query, type Tx } from '../db/unit-of-work.js';
import { projects } from '../projects/schema.js';
import { producers, villages } from '../villages/schema.js';
import { cartItems, carts } from './schema.js';

export { preparedOn };

const sellableColumns = {
  id: products.id,
  slug: products.slug,
  titleZh: products.titleZh,
  titleEn: products.titleEn,
  unit: products.unit,
  /** The placeholder of a product without a photo shows its category. */
  category: products.category,
  priceFen: products.priceFen,
  stock: products.stock,
  minOrderQty: products.minOrderQty,
  maxRetailQty: products.maxRetailQty,
  published: products.published,
  producerId: products.producerId,
  projectId: products.projectId,
  projectZh: projects.nameZh,
  /** The project's period (YYYY-MM-DD, inclusive; null = open): it is sold only within it. */
  projectStartsOn: projects.startsOn,
  projectEndsOn: projects.endsOn,
  villageId: villages.id,
  villageZh: villages.nameZh,
  villageEn: villages.nameEn,
  shippingFeeFen: villages.shippingFeeFen,
  freeShippingOverFen: villages.freeShippingOverFen,
  photoId: sql<number | null>`(SELECT ${productPhotos.listMediaId} FROM ${productPhotos} WHERE ${productPhotos.productId} = ${products.id}
    ORDER BY ${productPhotos.position}, ${productPhotos.id} LIMIT 1)`,
};

const sellableById = preparedOn((tx) =>
  tx
    .select(sellableColumns)
    .from(products)
    .innerJoin(producers, eq(producers.id, products.producerId))
    .innerJoin(villages, eq(villages.id, producers.villageId))
    .innerJoin(projects, eq(projects.id, products.projectId))
    .where(eq(products.id, sql.placeholder('id')))
    .prepare(),
);

/** What the cart and checkout need to know about a product, read fresh each time. */
export type SellableProduct = NonNullable<ReturnType<ReturnType<typeof sellableById>['get']>>;

export function* sellableProduct(tx: Tx, id: number): Query<SellableProduct | undefined> {
  return yield* one(sellableById(tx), { id });
}

// ----- carts -----

export function* cartIdForSession(tx: Tx, sessionIdHash: string): Query<number | undefined> {
  return (yield* one(tx.select({ id: carts.id }).from(carts).where(eq(carts.sessionIdHash, sessionIdHash))))?.id;
}

export function* cartIdForUser(tx: Tx, userId: number): Query<number | undefined> {
  return (yield* one(tx.select({ id: carts.id }).from(carts).where(eq(carts.userId, userId))))?.id;
}

export function* createCart(tx: Tx, owner: { sessionIdHash: string | null; userId: number | null }, now: number): Query<number> {
  const row = yield* one(tx.insert(carts).values({ sessionIdHash: owner.sessionIdHash, userId: owner.userId, updatedAt: now }).returning({ id: carts.id }));
  return row!.id;
}

const itemsOfCart = preparedOn((tx) =>
  tx
    .select({ productId: cartItems.productId, quantity: cartItems.quantity })
    .from(cartItems)
    .where(eq(cartItems.cartId, sql.placeholder('cartId')))
    .orderBy(cartItems.addedAt, cartItems.productId)
    .prepare(),
);

export function* cartItemsOf(tx: Tx, cartId: number): Query<{ productId: number; quantity: number }[]> {
  return yield* all(itemsOfCart(tx), { cartId });
}

export function* setCartItem(tx: Tx, cartId: number, productId: number, quantity: number, now: number): Query<void> {
  yield* run(
    tx
      .insert(cartItems)
      .values({ cartId, productId, quantity, addedAt: now })
      .onConflictDoUpdate({ target: [cartItems.cartId, cartItems.productId], set: { quantity } }),
  );
}

export function* removeCartItem(tx: Tx, cartId: number, productId: number): Query<void> {
  yield* run(tx.delete(cartItems).where(and(eq(cartItems.cartId, cartId), eq(cartItems.productId, productId))));
}

export function* clearCart(tx: Tx, cartId: number): Query<void> {
  yield* run(tx.delete(cartItems).where(eq(cartItems.cartId, cartId)));
}

export function* deleteCart(tx: Tx, cartId: number): Query<void> {
  yield* run(tx.delete(carts).where(eq(carts.id, cartId)));
}

export function* touchCart(tx: Tx, cartId: number, now: number): Query<void> {
  yield* run(tx.update(carts).set({ updatedAt: now }).where(eq(carts.id, cartId)));
}
