import { and, asc, count, desc, eq, inArray, lte, ne, sql } from 'drizzle-orm';
import { users } from '../accounts/schema.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { projects } from '../projects/schema.js';
import { producers, villages } from '../villages/schema.js';
import { priceTiers, productPhotos, products, stockAdjustments } from './schema.js';

/** The first secretary's product management: its console reads and its writes, as steps of a unit of work. */

/** What a product form writes (the product's own columns; stock changes only through adjustments). */
export type ProductWrite = Pick<
  typeof products.$inferInsert,
  | 'slug'
  | 'producerId'
  | 'projectId'
  | 'category'
  | 'unit'
  | 'titleZh'
  | 'titleEn'
  | 'descriptionZh'
  | 'descriptionEn'
  | 'storyZh'
  | 'storyEn'
  | 'priceFen'
  | 'minOrderQty'
  | 'maxRetailQty'
  | 'lowStockThreshold'
  | 'published'
  | 'featured'
>;

const managedColumns = {
  id: products.id,
  slug: products.slug,
  producerId: products.producerId,
  projectId: products.projectId,
  villageId: producers.villageId,
  category: products.category,
  unit: products.unit,
  titleZh: products.titleZh,
  titleEn: products.titleEn,
  descriptionZh: products.descriptionZh,
  descriptionEn: products.descriptionEn,
  storyZh: products.storyZh,
  storyEn: products.storyEn,
  priceFen: products.priceFen,
  stock: products.stock,
  minOrderQty: products.minOrderQty,
  maxRetailQty: products.maxRetailQty,
  lowStockThreshold: products.lowStockThreshold,
  published: products.published,
  featured: products.featured,
  soldCount: products.soldCount,
  updatedAt: products.updatedAt,
};

/** The villages a console reads products of: all of them, or those listed. */
const inScope = (villageIds: readonly number[] | 'all') => (villageIds === 'all' ? undefined : inArray(producers.villageId, [...villageIds]));

/** A product as the console edits it, with the village it belongs to (its producer's). */
export function* managedProduct(tx: Tx, id: number) {
  return yield* one(tx.select(managedColumns).from(products).innerJoin(producers, eq(producers.id, products.producerId)).where(eq(products.id, id)));
}

export type ManagedProduct = NonNullable<typeof managedProduct extends (...args: never[]) => Query<infer R> ? R : never>;

/** The products of the villages in scope, the latest changed first. */
export function* productsIn(tx: Tx, villageIds: readonly number[] | 'all') {
  return yield* all(
    tx
      .select({ ...managedColumns, villageZh: villages.nameZh, producerZh: producers.nameZh })
      .from(products)
      .innerJoin(producers, eq(producers.id, products.producerId))
      .innerJoin(villages, eq(villages.id, producers.villageId))
      .where(inScope(villageIds))
      .orderBy(desc(products.updatedAt), desc(products.id)),
  );
}

/** Products at or below their low-stock threshold, the emptiest first. */
export function* lowStockIn(tx: Tx, villageIds: readonly number[] | 'all') {
  return yield* all(
    tx
      .select({
        id: products.id,
        titleZh: products.titleZh,
        titleEn: products.titleEn,
        stock: products.stock,
        unit: products.unit,
        lowStockThreshold: products.lowStockThreshold,
      })
      .from(products)
      .innerJoin(producers, eq(producers.id, products.producerId))
      .where(and(lte(products.stock, products.lowStockThreshold), inScope(villageIds)))
      .orderBy(asc(products.stock), asc(products.id)),
  );
}

export function* slugTaken(tx: Tx, slug: string, exceptId: number): Query<boolean> {
  return (
    (yield* one(
      tx
        .select({ id: products.id })
        .from(products)
        .where(and(eq(products.slug, slug), ne(products.id, exceptId))),
    )) !== undefined
  );
}

export function* projectExists(tx: Tx, id: number): Query<boolean> {
  return (yield* one(tx.select({ id: projects.id }).from(projects).where(eq(projects.id, id)))) !== undefined;
}

export function* insertProduct(tx: Tx, p: ProductWrite, stock: number, now: number): Query<number> {
  const row = yield* one(
    tx
      .insert(products)
      .values({ ...p, stock, createdAt: now, updatedAt: now })
      .returning({ id: products.id }),
  );
  return row!.id;
}

export function* updateProduct(tx: Tx, id: number, p: ProductWrite, now: number): Query<void> {
  yield* run(
    tx
      .update(products)
      .set({ ...p, updatedAt: now })
      .where(eq(products.id, id)),
  );
}

export function* setPublished(tx: Tx, id: number, published: boolean, now: number): Query<void> {
  yield* run(tx.update(products).set({ published, updatedAt: now }).where(eq(products.id, id)));
}

export function* replaceTiers(tx: Tx, productId: number, tiers: readonly { minQty: number; priceFen: number }[]): Query<void> {
  yield* run(tx.delete(priceTiers).where(eq(priceTiers.productId, productId)));
  if (tiers.length) yield* run(tx.insert(priceTiers).values(tiers.map((t) => ({ productId, minQty: t.minQty, priceFen: t.priceFen }))));
}

/** Adds delta to stock unless that would go below zero; returns whether it changed. */
export function* adjustStock(tx: Tx, productId: number, delta: number, now: number): Query<boolean> {
  const changed = yield* run(
    tx
      .update(products)
      .set({ stock: sql`${products.stock} + ${delta}`, updatedAt: now })
      .where(and(eq(products.id, productId), sql`${products.stock} + ${delta} >= 0`)),
  );
  return changed === 1;
}

export function* insertStockAdjustment(tx: Tx, productId: number, delta: number, reason: string, userId: number, now: number): Query<void> {
  yield* run(tx.insert(stockAdjustments).values({ productId, delta, reason, userId, createdAt: now }));
}

/** The latest 50 stock changes of a product, with who made them. */
export function* stockAdjustmentsOf(tx: Tx, productId: number) {
  return yield* all(
    tx
      .select({ delta: stockAdjustments.delta, reason: stockAdjustments.reason, createdAt: stockAdjustments.createdAt, userName: users.displayName })
      .from(stockAdjustments)
      .leftJoin(users, eq(users.id, stockAdjustments.userId))
      .where(eq(stockAdjustments.productId, productId))
      .orderBy(desc(stockAdjustments.id))
      .limit(50),
  );
}

/** Adds a photo after the product's others; answers its id. */
export function* insertPhoto(tx: Tx, productId: number, listMediaId: number, detailMediaId: number, altZh: string, now: number): Query<number> {
  const row = yield* one(
    tx
      .insert(productPhotos)
      .values({
        productId,
        position: sql`(SELECT coalesce(max(${productPhotos.position}), -1) + 1 FROM ${productPhotos} WHERE ${productPhotos.productId} = ${productId})`,
        listMediaId,
        detailMediaId,
        altZh,
        createdAt: now,
      })
      .returning({ id: productPhotos.id }),
  );
  return row!.id;
}

/** A product's photos in their order (the first is the main photo), with their positions. */
export function* photoOrder(tx: Tx, productId: number) {
  return yield* all(
    tx
      .select({ id: productPhotos.id, position: productPhotos.position })
      .from(productPhotos)
      .where(eq(productPhotos.productId, productId))
      .orderBy(asc(productPhotos.position), asc(productPhotos.id)),
  );
}

export function* setPhotoPosition(tx: Tx, productId: number, photoId: number, position: number): Query<void> {
  yield* run(
    tx
      .update(productPhotos)
      .set({ position })
      .where(and(eq(productPhotos.id, photoId), eq(productPhotos.productId, productId))),
  );
}

/** Sets a photo's alternative texts; answers whether the product has that photo. */
export function* setPhotoAlt(tx: Tx, productId: number, photoId: number, altZh: string, altEn: string | null): Query<boolean> {
  return (
    (yield* run(
      tx
        .update(productPhotos)
        .set({ altZh, altEn })
        .where(and(eq(productPhotos.id, photoId), eq(productPhotos.productId, productId))),
    )) === 1
  );
}

export function* photoCount(tx: Tx, productId: number): Query<number> {
  return (yield* one(tx.select({ n: count() }).from(productPhotos).where(eq(productPhotos.productId, productId))))?.n ?? 0;
}

export function* deletePhoto(tx: Tx, productId: number, photoId: number): Query<boolean> {
  return (yield* run(tx.delete(productPhotos).where(and(eq(productPhotos.id, photoId), eq(productPhotos.productId, productId))))) === 1;
}

export function* touchProduct(tx: Tx, productId: number, now: number): Query<void> {
  yield* run(tx.update(products).set({ updatedAt: now }).where(eq(products.id, productId)));
}
