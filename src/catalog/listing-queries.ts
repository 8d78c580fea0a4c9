import { asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { all, one, onPostgres, preparedByShape, preparedOn, prepareSql, type Query, type Tx } from '../db/unit-of-work.js';
import { projects } from '../projects/schema.js';
import { producers, villages } from '../villages/schema.js';
import { productPhotos, products, type Category } from './schema.js';

/**
 * The product listings and search, as steps of a unit of work (src/db/unit-of-work.ts). The pages
 * that read them are the shop's hottest (home, listing, search, the JSON API): each query is
 * prepared once per database handle, with placeholders, and a listing once per shape of its filter.
 *
 * Search is the one part said differently per engine. SQLite matches a term of 3+ characters with
 * FTS5's trigram index (products_fts) and ranks with bm25; PostgreSQL matches the same four texts
 * (title, story, village, producer) in products_search with ILIKE through pg_trgm's trigram indexes
 * (drizzle-pg/0001) and ranks with the same column weights. Shorter terms are looked for in titles and
 * names on both. SQLite's LIKE ignores ASCII case; on PostgreSQL that is ILIKE.
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

/** Published products only; on SQLite `+` keeps the planner off the index on published (a short term's scan). */
const publishedOnly = (pg: boolean, offIndex = false) =>
  pg ? eq(products.published, true) : offIndex ? sql`+${products.published} = 1` : sql`${products.published} = 1`;

const featuredStatement = preparedOn((tx) =>
  cards(tx)
    .where(publishedOnly(onPostgres(tx)))
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
const shortTermMatch = (like: unknown, pg: boolean) => {
  // On PostgreSQL the same texts are products_search's title, village and producer (one row per product).
  if (pg)
    return sql`${products.id} IN (SELECT id FROM products_search WHERE title ILIKE ${like} ESCAPE '\\' OR village ILIKE ${like} ESCAPE '\\' OR producer ILIKE ${like} ESCAPE '\\')`;
  return sql`(${products.titleZh} LIKE ${like} ESCAPE '\\' OR ${products.titleEn} LIKE ${like} ESCAPE '\\' OR ${products.producerId} IN (
  SELECT ${searchProducers.id} FROM ${producers} spr JOIN ${villages} sv ON ${searchVillages.id} = ${searchProducers.villageId}
  WHERE ${searchProducers.nameZh} LIKE ${like} ESCAPE '\\' OR ${searchProducers.nameEn} LIKE ${like} ESCAPE '\\'
    OR ${searchVillages.nameZh} LIKE ${like} ESCAPE '\\' OR ${searchVillages.nameEn} LIKE ${like} ESCAPE '\\'))`;
};
/** A title that has the term. */
const titleHas = (like: unknown, pg: boolean) => {
  const op = sql.raw(pg ? 'ILIKE' : 'LIKE');
  return sql`(${products.titleZh} ${op} ${like} ESCAPE '\\' OR coalesce(${products.titleEn}, '') ${op} ${like} ESCAPE '\\')`;
};

/**
 * PostgreSQL's match of a term of 3+ characters (SQLite's FTS5 phrase): any of the four texts has it,
 * found through the trigram indexes.
 */
const trigramMatch = (like: unknown) =>
  sql`${products.id} IN (SELECT id FROM products_search WHERE title ILIKE ${like} ESCAPE '\\' OR story ILIKE ${like} ESCAPE '\\'
    OR village ILIKE ${like} ESCAPE '\\' OR producer ILIKE ${like} ESCAPE '\\')`;

/** bm25's column weights in SQLite's ranking (bm25(products_fts, 10.0, 1.0, 4.0, 4.0)), by products_search's column. */
const BM25_WEIGHTS = [
  ['title', 10],
  ['story', 1],
  ['village', 4],
  ['producer', 4],
] as const;

/**
 * PostgreSQL's counterpart of SQLite's bm25 ranking: for each term and each of the four texts, BM25's
 * saturating term frequency (k1 = 1.2, b = 0.75) with the text's length against its column's average,
 * weighted as SQLite weighs the columns. `term` is the term in lower case. Higher is better.
 */
const trigramRank = (terms: unknown[]) =>
  sql`coalesce((SELECT ${sql.join(
    terms.flatMap((term) =>
      BM25_WEIGHTS.map(([column, weight]) => {
        const text = sql.raw(`products_search.${column}`);
        const tf = sql`((char_length(${text}) - char_length(replace(lower(${text}), ${term}, ''))) / greatest(char_length(${term}), 1))::float8`;
        const average = sql`(SELECT greatest(avg(char_length(${sql.raw(column)})), 1) FROM products_search)`;
        return sql`${sql.raw(String(weight))} * ${tf} * 2.2 / (${tf} + 1.2 * (0.25 + 0.75 * char_length(${text}) / ${average}))`;
      }),
    ),
    sql` + `,
  )} FROM products_search WHERE products_search.id = ${products.id}), 0)`;

/** The term an FTS5 phrase quotes ("土瑶茶" → 土瑶茶). */
const ftsPhraseTerm = (phrase: string) => phrase.slice(1, -1).replaceAll('""', '"');

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

function listingWhere(f: ListingFilter, pg: boolean): SQL {
  // With a short term, "+" keeps SQLite's planner off the listing index on published, so it scans the
  // narrow search index instead of the table.
  const where = [
    publishedOnly(
      pg,
      (f.terms ?? []).some((t) => t.like),
    ),
  ];
  (f.terms ?? []).forEach((term, i) => {
    const any: SQL[] = [];
    if (term.match)
      any.push(pg ? trigramMatch(ph(`match${i}`)) : sql`${products.id} IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ${ph(`match${i}`)})`);
    if (term.like) any.push(shortTermMatch(ph(`like${i}`), pg));
    if (term.categories.length) any.push(sql`${products.category} IN (${placeholderList(`categories${i}_`, term.categories.length)})`);
    where.push(sql`(${sql.join(any, sql` OR `)})`);
  });
  if (f.category) where.push(sql`${products.category} = ${ph('category')}`);
  if (f.villageSlug) where.push(sql`${villages.slug} = ${ph('village')}`);
  if (f.projectSlug) where.push(sql`${projects.slug} = ${ph('project')}`);
  return sql.join(where, sql` AND `);
}

/** Relevance: bm25 over the FTS terms (title weighted most), then titles containing a short term, then popularity. */
function listingOrder(f: ListingFilter, pg: boolean): SQL[] {
  switch (f.sort) {
    case 'relevance': {
      // Products in a category a term names (蜂蜜 → honey, 茶 → 茶叶) come first, then those with the
      // term in their title, then the rest by relevance: a title or category says what a product is,
      // a story or a producer's name only mentions it.
      const categories = rankCategoriesOf(f);
      return [
        ...(categories.length ? [sql`${products.category} IN (${placeholderList('rankCategory', categories.length)}) DESC`] : []),
        ...rankTitlesOf(f).map((_, i) => sql`${titleHas(ph(`title${i}`), pg)} DESC`),
        ...(phrasesOf(f).length ? [pg ? sql`${trigramRank(phrasesOf(f).map((_, j) => ph(`phrase${j}`)))} DESC` : sql`coalesce(fts.rank, 0) ASC`] : []),
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
function listingParams(f: ListingFilter, ordered: boolean, pg: boolean): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  (f.terms ?? []).forEach((term, i) => {
    // PostgreSQL matches a long term as a pattern (ILIKE), SQLite as an FTS5 phrase.
    if (term.match) params[`match${i}`] = pg ? term.title : term.match;
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
    if (phrases.length && !pg) params.phrases = phrases.join(' OR ');
    if (pg)
      (f.terms ?? [])
        .filter((t) => t.match)
        .forEach((t, j) => {
          params[`phrase${j}`] = ftsPhraseTerm(t.match!).toLowerCase();
        });
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
    .where(listingWhere(f, onPostgres(tx)))
    .orderBy(...listingOrder(f, onPostgres(tx)))
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
    WHERE ${listingWhere(f, false)} ORDER BY ${sql.join(listingOrder(f, false), sql`, `)} LIMIT ${ph('limit')} OFFSET ${ph('offset')}`,
  );

function prepareCount(tx: Tx, f: ListingFilter) {
  const where = listingWhere(f, onPostgres(tx));
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
    f.sort === 'relevance' && phrasesOf(f).length && !onPostgres(tx)
      ? rankedStatements(tx, shape, () => prepareRankedListing(tx, f))
      : listingStatements(tx, shape, () => prepareListing(tx, f));
  return yield* all(prepared, listingParams(f, true, onPostgres(tx)));
}

/** How many published products match the filter. */
export function* countProducts(tx: Tx, f: ListingFilter): Query<number> {
  const prepared = countStatements(tx, listingShape({ ...f, sort: 'newest' }), () => prepareCount(tx, f));
  return (yield* one(prepared, listingParams(f, false, onPostgres(tx))))?.n ?? 0;
}

/** The home page's products: featured first, then the best-selling. */
export function* featuredProducts(tx: Tx, limit: number): Query<ProductCard[]> {
  return yield* all(featuredStatement(tx), { limit });
}
