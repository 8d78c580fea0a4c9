import { asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { all, one, preparedByShape, preparedOn, type Query, type Tx } from '../db/unit-of-work.js';
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

/**
 * Where a filter's values go: a placeholder of a prepared statement (its value kept in `params`), or
 * the value itself in a query built for one run.
 */
interface Binder {
  bind(name: string, value: unknown): unknown;
  readonly params: Record<string, unknown>;
}

const placeholders = (): Binder => {
  const params: Record<string, unknown> = {};
  return {
    params,
    bind: (name, value) => {
      params[name] = value;
      return sql.placeholder(name);
    },
  };
};

const values = (): Binder => ({ params: {}, bind: (_name, value) => value });

const listOf = (b: Binder, name: string, items: readonly unknown[]) =>
  sql.join(
    items.map((item, i) => sql`${b.bind(`${name}${i}`, item)}`),
    sql`, `,
  );

function listingWhere(f: ListingFilter, b: Binder): SQL {
  // With a short term, "+" keeps the planner off the listing index on published, so it scans the
  // narrow search index instead of the table.
  const where = [(f.terms ?? []).some((t) => t.like) ? sql`+${products.published} = 1` : sql`${products.published} = 1`];
  (f.terms ?? []).forEach((term, i) => {
    const any: SQL[] = [];
    if (term.match) any.push(sql`${products.id} IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ${b.bind(`match${i}`, term.match)})`);
    if (term.like) any.push(shortTermMatch(b.bind(`like${i}`, term.like)));
    if (term.categories.length) any.push(sql`${products.category} IN (${listOf(b, `categories${i}_`, term.categories)})`);
    where.push(sql`(${sql.join(any, sql` OR `)})`);
  });
  if (f.category) where.push(sql`${products.category} = ${b.bind('category', f.category)}`);
  if (f.villageSlug) where.push(sql`${villages.slug} = ${b.bind('village', f.villageSlug)}`);
  if (f.projectSlug) where.push(sql`${projects.slug} = ${b.bind('project', f.projectSlug)}`);
  return sql.join(where, sql` AND `);
}

/** The FTS phrases of a filter, all of them ranked at once. */
const phrasesOf = (f: ListingFilter) => (f.terms ?? []).flatMap((t) => (t.match ? [t.match] : []));

/** Relevance: bm25 over the FTS terms (title weighted most), then titles containing a short term, then popularity. */
function listingOrder(f: ListingFilter, b: Binder): SQL[] {
  switch (f.sort) {
    case 'relevance': {
      // Products in a category a term names (蜂蜜 → honey, 茶 → 茶叶) come first, then those with the
      // term in their title, then the rest by relevance: a title or category says what a product is,
      // a story or a producer's name only mentions it.
      const categories = [...new Set((f.terms ?? []).flatMap((t) => [...t.categories, ...(t.rankCategories ?? [])]))];
      const titles = (f.terms ?? []).flatMap((t) => (t.title ? [t.title] : t.like ? [t.like] : []));
      return [
        ...(categories.length ? [sql`${products.category} IN (${listOf(b, 'rankCategory', categories)}) DESC`] : []),
        ...titles.map((title, i) => sql`${titleHas(b.bind(`title${i}`, title))} DESC`),
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

/** The shape of a listing's query: which filters it has, not their values. */
function listingShape(f: ListingFilter): string {
  const terms = (f.terms ?? []).map((t) => `${t.match ? 'm' : ''}${t.like ? 'l' : ''}${t.categories.length}:${t.title ? 't' : ''}`).join(',');
  const ranked = f.sort === 'relevance' ? new Set((f.terms ?? []).flatMap((t) => [...t.categories, ...(t.rankCategories ?? [])])).size : 0;
  return `${f.sort}|${f.category ? 'c' : ''}${f.villageSlug ? 'v' : ''}${f.projectSlug ? 'p' : ''}|${terms}|${ranked}`;
}

const listingStatements = preparedByShape<ReturnType<typeof prepareListing>>();
const countStatements = preparedByShape<ReturnType<typeof prepareCount>>();

function prepareListing(tx: Tx, f: ListingFilter, b: Binder) {
  return cards(tx)
    .where(listingWhere(f, b))
    .orderBy(...listingOrder(f, b))
    .limit(sql.placeholder('limit'))
    .offset(sql.placeholder('offset'))
    .prepare();
}

function prepareCount(tx: Tx, f: ListingFilter, b: Binder) {
  const where = listingWhere(f, b);
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

/**
 * Ranked by FTS (a search with a term of three or more characters): the ranks are computed once,
 * materialised, then joined — joined as a subquery, SQLite ran the MATCH again for every candidate
 * row, some 100 times slower on 10,000 products. The builder cannot say MATERIALIZED, so this one
 * is written out; its card columns are the builder's, named as the card's fields.
 */
function rankedListing(f: ListingFilter): SQL<ProductCard> {
  const b = values();
  const columns = sql.join(
    Object.entries(cardColumns).map(([name, column]) => sql`${column} AS ${sql.identifier(name)}`),
    sql`, `,
  );
  return sql<ProductCard>`WITH fts AS MATERIALIZED (SELECT rowid AS id, bm25(products_fts, 10.0, 1.0, 4.0, 4.0) AS rank FROM products_fts WHERE products_fts MATCH ${phrasesOf(f).join(' OR ')})
    SELECT ${columns} FROM ${products}
    JOIN ${producers} ON ${producers.id} = ${products.producerId}
    JOIN ${villages} ON ${villages.id} = ${producers.villageId}
    JOIN ${projects} ON ${projects.id} = ${products.projectId}
    LEFT JOIN fts ON fts.id = ${products.id}
    WHERE ${listingWhere(f, b)} ORDER BY ${sql.join(listingOrder(f, b), sql`, `)} LIMIT ${f.limit} OFFSET ${f.offset}`;
}

/** One page of published products matching the filter, in its order. */
export function* listProducts(tx: Tx, f: ListingFilter): Query<ProductCard[]> {
  if (f.sort === 'relevance' && phrasesOf(f).length) return yield* all<ProductCard>(rankedListing(f));
  const b = placeholders();
  const prepared = listingStatements(tx, listingShape(f), () => prepareListing(tx, f, placeholders()));
  // The statement's placeholders are named after the filter's parts: binding them again gives the values.
  listingWhere(f, b);
  listingOrder(f, b);
  return yield* all(prepared, { ...b.params, limit: f.limit, offset: f.offset });
}

/** How many published products match the filter. */
export function* countProducts(tx: Tx, f: ListingFilter): Query<number> {
  const b = placeholders();
  const prepared = countStatements(tx, listingShape({ ...f, sort: 'newest' }), () => prepareCount(tx, f, placeholders()));
  listingWhere(f, b);
  return (yield* one(prepared, b.params))?.n ?? 0;
}

/** The home page's products: featured first, then the best-selling. */
export function* featuredProducts(tx: Tx, limit: number): Query<ProductCard[]> {
  return yield* all(featuredStatement(tx), { limit });
}
