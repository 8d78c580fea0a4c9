import { asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { all, one, preparedByShape, preparedOn, prepareSql, type Query, type Tx } from '../db/unit-of-work.js';
import { projects } from '../projects/schema.js';
import { producers, villages } from '../villages/schema.js';
import { productPhotos, products, type Category } from './schema.js';

/**
 * The product listings and search, as steps of a unit of work (src/db/unit-of-work.ts). The pages
 * that read them are the shop's hottest (home, listing, search, the JSON API): each query is
 * prepared once per database handle, with placeholders, and a listing once per shape of its filter.
 */

export type SortKey = 'relevance' | 'newest' | 'price_asc' | 'price_desc' | 'popular';

/**
 * One search term: matched through FTS5 (3+ characters) or LIKE (shorter), or satisfied by a
 * category whose name the term is (蜂蜜 finds 槐花蜜 too).
 */
export interface SearchTerm {
  /** FTS5 MATCH expression (an escaped phrase). */
  match?: string;
  /** LIKE pattern (escaped with \). */
  like?: string;
  categories: Category[];
  /** The term as a LIKE pattern over titles: a product whose title has it ranks first. */
  title?: string;
  /** Categories whose name contains the term (茶 → 茶叶): their products rank first; not a filter. */
  rankCategories?: Category[];
}

export interface ListingFilter {
  /** Every term must match. */
  terms?: SearchTerm[];
  category?: Category;
  villageSlug?: string;
  projectSlug?: string;
  sort: SortKey;
  limit: number;
  offset: number;
}

/** What a product card shows: the product with its village, producer, project and first photo. */
const cardColumns = {
  id: products.id,
  slug: products.slug,
  titleZh: products.titleZh,
  titleEn: products.titleEn,
  priceFen: products.priceFen,
  unit: products.unit,
  stock: products.stock,
  category: products.category,
  soldCount: products.soldCount,
  createdAt: products.createdAt,
  villageSlug: villages.slug,
  villageZh: villages.nameZh,
  villageEn: villages.nameEn,
  producerZh: producers.nameZh,
  producerEn: producers.nameEn,
  projectSlug: projects.slug,
  projectZh: projects.nameZh,
  projectEn: projects.nameEn,
  photoId: sql<number | null>`(SELECT ${productPhotos.listMediaId} FROM ${productPhotos} WHERE ${productPhotos.productId} = ${products.id}
    ORDER BY ${productPhotos.position}, ${productPhotos.id} LIMIT 1)`,
};

/** A card: the product joined to its producer, village and project. */
const cards = (tx: Tx) =>
  tx
    .select(cardColumns)
    .from(products)
    .innerJoin(producers, eq(producers.id, products.producerId))
    .innerJoin(villages, eq(villages.id, producers.villageId))
    .innerJoin(projects, eq(projects.id, products.projectId));

const featuredStatement = preparedOn((tx) =>
  cards(tx)
    .where(sql`${products.published} = 1`)
    .orderBy(desc(products.featured), desc(products.soldCount), desc(products.id))
    .limit(sql.placeholder('limit'))
    .prepare(),
);

/** A product as its card shows it. */
export type ProductCard = ReturnType<ReturnType<typeof featuredStatement>['all']>[number];

// ---------- listing and search ----------

/** The producers and villages a short term is looked for in (names apart from the card's joins). */
const searchProducers = alias(producers, 'spr');
const searchVillages = alias(villages, 'sv');

/**
 * What a one- or two-character term (茶, 土瑶) is looked for in: titles and the village's and producer's
 * names, not descriptions and stories — a single character is in most stories (茶 in a honey's "泡茶").
 * Titles are read from the narrow products_search_idx (migration 0019) and the few hundred producers
 * and villages apart, so the scan a short term needs never reads a product's description or story.
 */
const shortTermMatch = (like: unknown) =>
  sql`(${products.titleZh} LIKE ${like} ESCAPE '\\' OR ${products.titleEn} LIKE ${like} ESCAPE '\\' OR ${products.producerId} IN (
  SELECT ${searchProducers.id} FROM ${producers} spr JOIN ${villages} sv ON ${searchVillages.id} = ${searchProducers.villageId}
  WHERE ${searchProducers.nameZh} LIKE ${like} ESCAPE '\\' OR ${searchProducers.nameEn} LIKE ${like} ESCAPE '\\'
    OR ${searchVillages.nameZh} LIKE ${like} ESCAPE '\\' OR ${searchVillages.nameEn} LIKE ${like} ESCAPE '\\'))`;
/** A title that has the term. */
const titleHas = (like: unknown) => sql`(${products.titleZh} LIKE ${like} ESCAPE '\\' OR coalesce(${products.titleEn}, '') LIKE ${like} ESCAPE '\\')`;

/** A filter's value in a prepared listing, named after the part of the filter it comes from (listingParams). */
const ph = (name: string) => sql.placeholder(name);
const placeholderList = (name: string, n: number) =>
  sql.join(
    Array.from({ length: n }, (_, i) => sql`${ph(`${name}${i}`)}`),
    sql`, `,
  );

/** The categories a relevance order puts first: those the terms name or whose names contain one. */
const rankCategoriesOf = (f: ListingFilter) => [...new Set((f.terms ?? []).flatMap((t) => [...t.categories, ...(t.rankCategories ?? [])]))];
/** The LIKE patterns over titles a relevance order puts first. */
const rankTitlesOf = (f: ListingFilter) => (f.terms ?? []).flatMap((t) => (t.title ? [t.title] : t.like ? [t.like] : []));
/** The FTS phrases of a filter, all of them ranked at once. */
const phrasesOf = (f: ListingFilter) => (f.terms ?? []).flatMap((t) => (t.match ? [t.match] : []));

function listingWhere(f: ListingFilter): SQL {
  // With a short term, "+" keeps the planner off the listing index on published, so it scans the
  // narrow search index instead of the table.
  const where = [(f.terms ?? []).some((t) => t.like) ? sql`+${products.published} = 1` : sql`${products.published} = 1`];
  (f.terms ?? []).forEach((term, i) => {
    const any: SQL[] = [];
    if (term.match) any.push(sql`${products.id} IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ${ph(`match${i}`)})`);
    if (term.like) any.push(shortTermMatch(ph(`like${i}`)));
    if (term.categories.length) any.push(sql`${products.category} IN (${placeholderList(`categories${i}_`, term.categories.length)})`);
    where.push(sql`(${sql.join(any, sql` OR `)})`);
  });
  if (f.category) where.push(sql`${products.category} = ${ph('category')}`);
  if (f.villageSlug) where.push(sql`${villages.slug} = ${ph('village')}`);
  if (f.projectSlug) where.push(sql`${projects.slug} = ${ph('project')}`);
  return sql.join(where, sql` AND `);
}

/** Relevance: bm25 over the FTS terms (title weighted most), then titles containing a short term, then popularity. */
function listingOrder(f: ListingFilter): SQL[] {
  switch (f.sort) {
    case 'relevance': {
      // Products in a category a term names (蜂蜜 → honey, 茶 → 茶叶) come first, then those with the
      // term in their title, then the rest by relevance: a title or category says what a product is,
      // a story or a producer's name only mentions it.
      const categories = rankCategoriesOf(f);
      return [
        ...(categories.length ? [sql`${products.category} IN (${placeholderList('rankCategory', categories.length)}) DESC`] : []),
        ...rankTitlesOf(f).map((_, i) => sql`${titleHas(ph(`title${i}`))} DESC`),
        ...(phrasesOf(f).length ? [sql`coalesce(fts.rank, 0) ASC`] : []),
        desc(products.featured),
        desc(products.soldCount),
        desc(products.id),
      ];
    }
    case 'newest':
      return [desc(products.createdAt), desc(products.id)];
    case 'price_asc':
      return [asc(products.priceFen), asc(products.id)];
    case 'price_desc':
      return [desc(products.priceFen), desc(products.id)];
    case 'popular':
      return [desc(products.soldCount), desc(products.id)];
  }
}

/** The values of a listing's placeholders, by the names listingWhere and listingOrder give them. */
function listingParams(f: ListingFilter, ordered: boolean): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  (f.terms ?? []).forEach((term, i) => {
    if (term.match) params[`match${i}`] = term.match;
    if (term.like) params[`like${i}`] = term.like;
    term.categories.forEach((c, j) => {
      params[`categories${i}_${j}`] = c;
    });
  });
  if (f.category) params.category = f.category;
  if (f.villageSlug) params.village = f.villageSlug;
  if (f.projectSlug) params.project = f.projectSlug;
  if (ordered && f.sort === 'relevance') {
    rankCategoriesOf(f).forEach((c, i) => {
      params[`rankCategory${i}`] = c;
    });
    rankTitlesOf(f).forEach((t, i) => {
      params[`title${i}`] = t;
    });
    const phrases = phrasesOf(f);
    if (phrases.length) params.phrases = phrases.join(' OR ');
  }
  if (ordered) Object.assign(params, { limit: f.limit, offset: f.offset });
  return params;
}

/** The shape of a listing's query: which filters it has, not their values. */
function listingShape(f: ListingFilter): string {
  const terms = (f.terms ?? []).map((t) => `${t.match ? 'm' : ''}${t.like ? 'l' : ''}${t.categories.length}${t.title ? 't' : ''}`).join(',');
  const ranked = f.sort === 'relevance' ? rankCategoriesOf(f).length : 0;
  return `${f.sort}|${f.category ? 'c' : ''}${f.villageSlug ? 'v' : ''}${f.projectSlug ? 'p' : ''}|${terms}|${ranked}`;
}

const prepareListing = (tx: Tx, f: ListingFilter) =>
  cards(tx)
    .where(listingWhere(f))
    .orderBy(...listingOrder(f))
    .limit(ph('limit'))
    .offset(ph('offset'))
    .prepare();

/**
 * Ranked by FTS (a search with a term of three or more characters): the ranks are computed once,
 * materialised, then joined — joined as a subquery, SQLite ran the MATCH again for every candidate
 * row, some 100 times slower on 10,000 products. The builder cannot say MATERIALIZED, so this one
 * is written out; its card columns are the builder's, named as the card's fields.
 */
const prepareRankedListing = (tx: Tx, f: ListingFilter) =>
  prepareSql(
    tx,
    sql<ProductCard>`WITH fts AS MATERIALIZED (SELECT rowid AS id, bm25(products_fts, 10.0, 1.0, 4.0, 4.0) AS rank FROM products_fts WHERE products_fts MATCH ${ph('phrases')})
    SELECT ${sql.join(
      Object.entries(cardColumns).map(([name, column]) => sql`${column} AS ${sql.identifier(name)}`),
      sql`, `,
    )} FROM ${products}
    JOIN ${producers} ON ${producers.id} = ${products.producerId}
    JOIN ${villages} ON ${villages.id} = ${producers.villageId}
    JOIN ${projects} ON ${projects.id} = ${products.projectId}
    LEFT JOIN fts ON fts.id = ${products.id}
    WHERE ${listingWhere(f)} ORDER BY ${sql.join(listingOrder(f), sql`, `)} LIMIT ${ph('limit')} OFFSET ${ph('offset')}`,
  );

function prepareCount(tx: Tx, f: ListingFilter) {
  const where = listingWhere(f);
  // Only a village or project filter needs the joins; search terms are matched on products alone.
  if (!(f.villageSlug || f.projectSlug)) return tx.select({ n: count() }).from(products).where(where).prepare();
  return tx
    .select({ n: count() })
    .from(products)
    .innerJoin(producers, eq(producers.id, products.producerId))
    .innerJoin(villages, eq(villages.id, producers.villageId))
    .innerJoin(projects, eq(projects.id, products.projectId))
    .where(where)
    .prepare();
}

const listingStatements = preparedByShape<ReturnType<typeof prepareListing>>();
const rankedStatements = preparedByShape<ReturnType<typeof prepareRankedListing>>();
const countStatements = preparedByShape<ReturnType<typeof prepareCount>>();

/** One page of published products matching the filter, in its order. */
export function* listProducts(tx: Tx, f: ListingFilter): Query<ProductCard[]> {
  const shape = listingShape(f);
  const prepared =
    f.sort === 'relevance' && phrasesOf(f).length
      ? rankedStatements(tx, shape, () => prepareRankedListing(tx, f))
      : listingStatements(tx, shape, () => prepareListing(tx, f));
  return yield* all(prepared, listingParams(f, true));
}

/** How many published products match the filter. */
export function* countProducts(tx: Tx, f: ListingFilter): Query<number> {
  const prepared = countStatements(tx, listingShape({ ...f, sort: 'newest' }), () => prepareCount(tx, f));
  return (yield* one(prepared, listingParams(f, false)))?.n ?? 0;
}

/** The home page's products: featured first, then the best-selling. */
export function* featuredProducts(tx: Tx, limit: number): Query<ProductCard[]> {
  return yield* all(featuredStatement(tx), { limit });
}
