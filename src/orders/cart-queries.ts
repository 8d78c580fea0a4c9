import { and, eq, sql } from 'drizzle-orm';
import { productPhotos, products, priceTiers } from '../catalog/schema.js';
import type { Db } from '../db/client.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { projects } from '../projects/schema.js';
import { producers, villages } from '../villages/schema.js';
import { cartItems, carts } from './schema.js';

/**
 * A prepared statement built once per database handle: the hot reads (cart, order page, checkout)
 * skip building their query each time.
 */
export function preparedOn<T>(build: (tx: Tx) => T): (tx: Tx) => T {
  const cache = new WeakMap<Db, T>();
  return (tx) => {
    let prepared = cache.get(tx);
    if (prepared === undefined) {
      prepared = build(tx);
      cache.set(tx, prepared);
    }
    return prepared;
  };
}

const sellableColumns = {
  id: products.id,
  slug: products.slug,
  titleZh: products.titleZh,
  titleEn: products.titleEn,
  unit: products.unit,
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

const tiersOfProduct = preparedOn((tx) =>
  tx
    .select({ minQty: priceTiers.minQty, priceFen: priceTiers.priceFen })
    .from(priceTiers)
    .where(eq(priceTiers.productId, sql.placeholder('productId')))
    .orderBy(priceTiers.minQty)
    .prepare(),
);

/** The product's bulk price tiers, smallest quantity first. */
export function* tiersOf(tx: Tx, productId: number): Query<{ minQty: number; priceFen: number }[]> {
  return yield* all(tiersOfProduct(tx), { productId });
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
