import { and, asc, count, countDistinct, eq, inArray, sql } from 'drizzle-orm';
import { all, one, preparedOn, type Query, type Tx } from '../db/unit-of-work.js';
import { projects } from '../projects/schema.js';
import { producerMembers, producers, regions, villages } from '../villages/schema.js';
import { priceTiers, productPhotos, products } from './schema.js';

/**
 * The storefront's reads besides the listings (listing-queries.ts): the product page, villages and
 * projects, as steps of a unit of work. The hot ones (product page, home page) are prepared once
 * per database handle, with placeholders.
 */

// ---------- the product page ----------

const productBySlugStatement = preparedOn((tx) =>
  tx
    .select({
      id: products.id,
      slug: products.slug,
      titleZh: products.titleZh,
      titleEn: products.titleEn,
      descriptionZh: products.descriptionZh,
      descriptionEn: products.descriptionEn,
      storyZh: products.storyZh,
      storyEn: products.storyEn,
      category: products.category,
      unit: products.unit,
      priceFen: products.priceFen,
      stock: products.stock,
      minOrderQty: products.minOrderQty,
      maxRetailQty: products.maxRetailQty,
      /** At or below it the page shows how many are left; above it, only that it is in stock. */
      lowStockThreshold: products.lowStockThreshold,
      published: products.published,
      soldCount: products.soldCount,
      createdAt: products.createdAt,
      updatedAt: products.updatedAt,
      producerId: producers.id,
      producerKind: producers.kind,
      producerZh: producers.nameZh,
      producerEn: producers.nameEn,
      producerStoryZh: producers.storyZh,
      producerStoryEn: producers.storyEn,
      villageId: villages.id,
      villageSlug: villages.slug,
      villageZh: villages.nameZh,
      villageEn: villages.nameEn,
      /** Where the parcel ships from, and what it costs (fen; free at or above the threshold, null = never). */
      province: regions.province,
      city: regions.city,
      county: regions.county,
      cityEn: regions.cityEn,
      countyEn: regions.countyEn,
      shippingFeeFen: villages.shippingFeeFen,
      freeShippingOverFen: villages.freeShippingOverFen,
      projectId: projects.id,
      projectSlug: projects.slug,
      projectZh: projects.nameZh,
      projectEn: projects.nameEn,
      /** The project's period (YYYY-MM-DD, inclusive; null = open): the product is sold only within it. */
      projectStartsOn: projects.startsOn,
      projectEndsOn: projects.endsOn,
    })
    .from(products)
    .innerJoin(producers, eq(producers.id, products.producerId))
    .innerJoin(villages, eq(villages.id, producers.villageId))
    .innerJoin(regions, eq(regions.id, villages.regionId))
    .innerJoin(projects, eq(projects.id, products.projectId))
    .where(eq(products.slug, sql.placeholder('slug')))
    .prepare(),
);

/** A product with its producer, village and project, as its page shows it. */
export type ProductDetail = NonNullable<ReturnType<ReturnType<typeof productBySlugStatement>['get']>>;

export function* productBySlug(tx: Tx, slug: string): Query<ProductDetail | undefined> {
  return yield* one(productBySlugStatement(tx), { slug });
}

const photosStatement = preparedOn((tx) =>
  tx
    .select({
      id: productPhotos.id,
      listMediaId: productPhotos.listMediaId,
      detailMediaId: productPhotos.detailMediaId,
      altZh: productPhotos.altZh,
      altEn: productPhotos.altEn,
    })
    .from(productPhotos)
    .where(eq(productPhotos.productId, sql.placeholder('productId')))
    .orderBy(asc(productPhotos.position), asc(productPhotos.id))
    .prepare(),
);

/** A product's photos in their order. */
export function* photosOf(tx: Tx, productId: number) {
  return yield* all(photosStatement(tx), { productId });
}

const tiersStatement = preparedOn((tx) =>
  tx
    .select({ minQty: priceTiers.minQty, priceFen: priceTiers.priceFen })
    .from(priceTiers)
    .where(eq(priceTiers.productId, sql.placeholder('productId')))
    .orderBy(asc(priceTiers.minQty))
    .prepare(),
);

/** The product's bulk price tiers, smallest quantity first. */
export function* tiersOf(tx: Tx, productId: number): Query<{ minQty: number; priceFen: number }[]> {
  return yield* all(tiersStatement(tx), { productId });
}

const membersStatement = preparedOn((tx) =>
  tx
    .select({ n: count() })
    .from(producerMembers)
    .where(eq(producerMembers.producerId, sql.placeholder('producerId')))
    .prepare(),
);

/** How many households make a producer's products. */
export function* memberHouseholdCount(tx: Tx, producerId: number): Query<number> {
  return (yield* one(membersStatement(tx), { producerId }))?.n ?? 0;
}

const sharesStatement = preparedOn((tx) =>
  tx
    .select({ householdId: producerMembers.householdId, weight: producerMembers.weight })
    .from(producerMembers)
    .where(eq(producerMembers.producerId, sql.placeholder('producerId')))
    // The order a payment divides the households' part in (orders' membersOfProducer): the same remainders.
    .orderBy(asc(producerMembers.householdId))
    .prepare(),
);

/** A producer's households and their integer weights: how its households' part of a sale divides. */
export function* producerShares(tx: Tx, producerId: number): Query<{ householdId: number; weight: number }[]> {
  return yield* all(sharesStatement(tx), { producerId });
}

// ---------- villages and projects ----------

const villageColumns = {
  id: villages.id,
  slug: villages.slug,
  nameZh: villages.nameZh,
  nameEn: villages.nameEn,
  province: regions.province,
  city: regions.city,
  county: regions.county,
  township: regions.township,
  cityEn: regions.cityEn,
  countyEn: regions.countyEn,
  townshipEn: regions.townshipEn,
};

const villagesStatement = preparedOn((tx) =>
  tx.select(villageColumns).from(villages).innerJoin(regions, eq(regions.id, villages.regionId)).orderBy(asc(villages.id)).prepare(),
);

/** A village with its region. */
export type Village = ReturnType<ReturnType<typeof villagesStatement>['all']>[number];

export function* allVillages(tx: Tx): Query<Village[]> {
  return yield* all(villagesStatement(tx));
}

const villageBySlugStatement = preparedOn((tx) =>
  tx
    .select({ ...villageColumns, storyZh: villages.storyZh, storyEn: villages.storyEn })
    .from(villages)
    .innerJoin(regions, eq(regions.id, villages.regionId))
    .where(eq(villages.slug, sql.placeholder('slug')))
    .prepare(),
);

export function* villageBySlug(tx: Tx, slug: string) {
  return yield* one(villageBySlugStatement(tx), { slug });
}

const projectColumns = {
  id: projects.id,
  slug: projects.slug,
  nameZh: projects.nameZh,
  nameEn: projects.nameEn,
  fundingSource: projects.fundingSource,
  fundingSourceEn: projects.fundingSourceEn,
  storyZh: projects.storyZh,
  storyEn: projects.storyEn,
  startsOn: projects.startsOn,
  endsOn: projects.endsOn,
  targetFen: projects.targetFen,
};

const projectsStatement = preparedOn((tx) => tx.select(projectColumns).from(projects).orderBy(asc(projects.id)).prepare());

/** A project as the catalogue shows it. */
export type Project = ReturnType<ReturnType<typeof projectsStatement>['all']>[number];

export function* allProjects(tx: Tx): Query<Project[]> {
  return yield* all(projectsStatement(tx));
}

const projectBySlugStatement = preparedOn((tx) =>
  tx
    .select(projectColumns)
    .from(projects)
    .where(eq(projects.slug, sql.placeholder('slug')))
    .prepare(),
);

export function* projectBySlug(tx: Tx, slug: string): Query<Project | undefined> {
  return yield* one(projectBySlugStatement(tx), { slug });
}

const villageSlugStatement = preparedOn((tx) =>
  tx
    .select({ id: villages.id })
    .from(villages)
    .where(eq(villages.slug, sql.placeholder('slug')))
    .prepare(),
);

export function* villageSlugExists(tx: Tx, slug: string): Query<boolean> {
  return (yield* one(villageSlugStatement(tx), { slug })) !== undefined;
}

const projectSlugStatement = preparedOn((tx) =>
  tx
    .select({ id: projects.id })
    .from(projects)
    .where(eq(projects.slug, sql.placeholder('slug')))
    .prepare(),
);

export function* projectSlugExists(tx: Tx, slug: string): Query<boolean> {
  return (yield* one(projectSlugStatement(tx), { slug })) !== undefined;
}

/** Counts of the catalogue; the money figures and households reached come from the ledger (ledger-reports). */
export function* villageFigures(tx: Tx, villageId: number): Query<{ producers: number }> {
  const row = yield* one(tx.select({ producers: count() }).from(producers).where(eq(producers.villageId, villageId)));
  return { producers: row?.producers ?? 0 };
}

export function* villageProducers(tx: Tx, villageId: number) {
  return yield* all(
    tx
      .select({
        id: producers.id,
        kind: producers.kind,
        nameZh: producers.nameZh,
        nameEn: producers.nameEn,
        storyZh: producers.storyZh,
        storyEn: producers.storyEn,
      })
      .from(producers)
      .where(eq(producers.villageId, villageId))
      .orderBy(asc(producers.id)),
  );
}

export function* projectFigures(tx: Tx, projectId: number): Query<{ villages: number }> {
  const row = yield* one(
    tx
      .select({ villages: countDistinct(producers.villageId) })
      .from(products)
      .innerJoin(producers, eq(producers.id, products.producerId))
      .where(and(eq(products.projectId, projectId), eq(products.published, true))),
  );
  return { villages: row?.villages ?? 0 };
}

/** The villages with published products in a project, oldest first (each once: not DISTINCT, which PostgreSQL will not order by an unselected id). */
export function* projectVillages(tx: Tx, projectId: number) {
  const withProducts = tx
    .select({ villageId: producers.villageId })
    .from(products)
    .innerJoin(producers, eq(producers.id, products.producerId))
    .where(and(eq(products.projectId, projectId), eq(products.published, true)));
  return yield* all(
    tx
      .select({ slug: villages.slug, nameZh: villages.nameZh, nameEn: villages.nameEn })
      .from(villages)
      .where(inArray(villages.id, withProducts))
      .orderBy(asc(villages.id)),
  );
}

const villageCountStatement = preparedOn((tx) => tx.select({ n: count() }).from(villages).prepare());
const publishedCountStatement = preparedOn((tx) => tx.select({ n: count() }).from(products).where(eq(products.published, true)).prepare());

/** Headline counts for the home page (sales and households reached come from the ledger). */
export function* shopFigures(tx: Tx): Query<{ villages: number; products: number }> {
  const villageCount = (yield* one(villageCountStatement(tx)))?.n ?? 0;
  const productCount = (yield* one(publishedCountStatement(tx)))?.n ?? 0;
  return { villages: villageCount, products: productCount };
}
