import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import type { Category } from './schema.js';

/** All of the catalog's SQL. Statements are prepared once per distinct SQL text. */

export interface ProductCardRow {
  id: number;
  slug: string;
  titleZh: string;
  titleEn: string | null;
  priceFen: number;
  unit: string;
  stock: number;
  category: Category;
  soldCount: number;
  createdAt: number;
  villageSlug: string;
  villageZh: string;
  villageEn: string | null;
  producerZh: string;
  producerEn: string | null;
  projectSlug: string;
  projectZh: string;
  projectEn: string | null;
  photoId: number | null;
}

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

const CARD_COLUMNS = `
  p.id, p.slug, p.title_zh AS titleZh, p.title_en AS titleEn, p.price_fen AS priceFen, p.unit, p.stock,
  p.category, p.sold_count AS soldCount, p.created_at AS createdAt,
  v.slug AS villageSlug, v.name_zh AS villageZh, v.name_en AS villageEn,
  pr.name_zh AS producerZh, pr.name_en AS producerEn,
  pj.slug AS projectSlug, pj.name_zh AS projectZh, pj.name_en AS projectEn,
  (SELECT ph.list_media_id FROM product_photos ph WHERE ph.product_id = p.id ORDER BY ph.position, ph.id LIMIT 1) AS photoId`;

const CARD_FROM = `
  FROM products p
  JOIN producers pr ON pr.id = p.producer_id
  JOIN villages v ON v.id = pr.village_id
  JOIN projects pj ON pj.id = p.project_id`;

/**
 * What a one- or two-character term (茶, 土瑶) is looked for in: titles and the village's and producer's
 * names, not descriptions and stories — a single character is in most stories (茶 in a honey's "泡茶").
 * Titles are read from the narrow products_search_idx (migration 0019) and the few hundred producers
 * and villages apart, so the scan a short term needs never reads a product's description or story.
 * Takes the pattern six times.
 */
const SHORT_TERM_MATCH = `(p.title_zh LIKE ? ESCAPE '\\' OR p.title_en LIKE ? ESCAPE '\\' OR p.producer_id IN (
  SELECT spr.id FROM producers spr JOIN villages sv ON sv.id = spr.village_id
  WHERE spr.name_zh LIKE ? ESCAPE '\\' OR spr.name_en LIKE ? ESCAPE '\\' OR sv.name_zh LIKE ? ESCAPE '\\' OR sv.name_en LIKE ? ESCAPE '\\'))`;
/** A title that has the term (two parameters). */
const TITLE_HAS = `(p.title_zh LIKE ? ESCAPE '\\' OR coalesce(p.title_en, '') LIKE ? ESCAPE '\\')`;

export function createCatalogQueries(db: Database_) {
  const prepared = statementCache(db.sqlite);

  function listingWhere(f: ListingFilter): { where: string; params: unknown[] } {
    const params: unknown[] = [];
    // With a short term, "+" keeps the planner off the listing index on published, so it scans the
    // narrow search index instead of the table.
    const where = [(f.terms ?? []).some((t) => t.like) ? '+p.published = 1' : 'p.published = 1'];
    for (const term of f.terms ?? []) {
      const any: string[] = [];
      if (term.match) {
        any.push('p.id IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ?)');
        params.push(term.match);
      }
      if (term.like) {
        any.push(SHORT_TERM_MATCH);
        params.push(...Array<string>(6).fill(term.like));
      }
      if (term.categories.length) {
        any.push(`p.category IN (${term.categories.map(() => '?').join(',')})`);
        params.push(...term.categories);
      }
      where.push(`(${any.join(' OR ')})`);
    }
    if (f.category) {
      where.push('p.category = ?');
      params.push(f.category);
    }
    if (f.villageSlug) {
      where.push('v.slug = ?');
      params.push(f.villageSlug);
    }
    if (f.projectSlug) {
      where.push('pj.slug = ?');
      params.push(f.projectSlug);
    }
    return { where: where.join(' AND '), params };
  }

  /** Relevance: bm25 over the FTS terms (title weighted most), then titles containing a short term, then popularity. */
  function orderBy(f: ListingFilter): { sql: string; join: string; params: unknown[] } {
    const noJoin = { join: '', params: [] as unknown[] };
    switch (f.sort) {
      case 'relevance': {
        const phrases = (f.terms ?? []).flatMap((t) => (t.match ? [t.match] : []));
        // The ranks are computed once (materialised): joined as a subquery, SQLite ran the MATCH again
        // for every candidate row, some 100 times slower on 10,000 products.
        const join = phrases.length ? 'LEFT JOIN fts ON fts.id = p.id' : '';
        // Products in a category a term names (蜂蜜 → honey, 茶 → 茶叶) come first, then those with the
        // term in their title, then the rest by relevance: a title or category says what a product is,
        // a story or a producer's name only mentions it.
        const categories = [...new Set((f.terms ?? []).flatMap((t) => [...t.categories, ...(t.rankCategories ?? [])]))];
        const titles = (f.terms ?? []).flatMap((t) => (t.title ? [t.title] : t.like ? [t.like] : []));
        const parts = [
          ...(categories.length ? [`p.category IN (${categories.map(() => '?').join(',')}) DESC`] : []),
          ...titles.map(() => `${TITLE_HAS} DESC`),
          ...(phrases.length ? ['coalesce(fts.rank, 0) ASC'] : []),
          'p.featured DESC, p.sold_count DESC, p.id DESC',
        ];
        return { sql: parts.join(', '), join, params: [...(phrases.length ? [phrases.join(' OR ')] : []), ...categories, ...titles.flatMap((t) => [t, t])] };
      }
      case 'newest':
        return { sql: 'p.created_at DESC, p.id DESC', ...noJoin };
      case 'price_asc':
        return { sql: 'p.price_fen ASC, p.id ASC', ...noJoin };
      case 'price_desc':
        return { sql: 'p.price_fen DESC, p.id DESC', ...noJoin };
      case 'popular':
        return { sql: 'p.sold_count DESC, p.id DESC', ...noJoin };
    }
  }

  return {
    listProducts(f: ListingFilter): ProductCardRow[] {
      const w = listingWhere(f);
      const o = orderBy(f);
      // Parameter order follows the SQL text: the ranking join's MATCH, then WHERE, then ORDER BY's LIKEs.
      const [joinParams, orderParams] = o.join ? [o.params.slice(0, 1), o.params.slice(1)] : [[], o.params];
      const ranks = o.join
        ? 'WITH fts AS MATERIALIZED (SELECT rowid AS id, bm25(products_fts, 10.0, 1.0, 4.0, 4.0) AS rank FROM products_fts WHERE products_fts MATCH ?) '
        : '';
      const sql = `${ranks}SELECT ${CARD_COLUMNS} ${CARD_FROM} ${o.join} WHERE ${w.where} ORDER BY ${o.sql} LIMIT ? OFFSET ?`;
      return prepared(sql).all(...joinParams, ...w.params, ...orderParams, f.limit, f.offset) as ProductCardRow[];
    },

    countProducts(f: ListingFilter): number {
      const w = listingWhere(f);
      // Only a village or project filter needs the joins; search terms are matched on products alone.
      const needsJoins = Boolean(f.villageSlug || f.projectSlug);
      const sql = `SELECT count(*) AS n ${needsJoins ? CARD_FROM : 'FROM products p'} WHERE ${w.where}`;
      return (prepared(sql).get(...w.params) as { n: number }).n;
    },

    featuredProducts(limit: number): ProductCardRow[] {
      return prepared(`SELECT ${CARD_COLUMNS} ${CARD_FROM} WHERE p.published = 1 ORDER BY p.featured DESC, p.sold_count DESC, p.id DESC LIMIT ?`).all(
        limit,
      ) as ProductCardRow[];
    },

    productBySlug(slug: string) {
      return prepared(
        `SELECT p.id, p.slug, p.title_zh AS titleZh, p.title_en AS titleEn, p.description_zh AS descriptionZh,
                p.description_en AS descriptionEn, p.story_zh AS storyZh, p.story_en AS storyEn, p.category, p.unit,
                p.price_fen AS priceFen, p.stock, p.min_order_qty AS minOrderQty, p.max_retail_qty AS maxRetailQty,
                p.low_stock_threshold AS lowStockThreshold, p.published, p.sold_count AS soldCount, p.created_at AS createdAt, p.updated_at AS updatedAt,
                pr.id AS producerId, pr.kind AS producerKind, pr.name_zh AS producerZh, pr.name_en AS producerEn,
                pr.story_zh AS producerStoryZh, pr.story_en AS producerStoryEn,
                v.id AS villageId, v.slug AS villageSlug, v.name_zh AS villageZh, v.name_en AS villageEn,
                pj.id AS projectId, pj.slug AS projectSlug, pj.name_zh AS projectZh, pj.name_en AS projectEn,
                pj.starts_on AS projectStartsOn, pj.ends_on AS projectEndsOn
         ${CARD_FROM} WHERE p.slug = ?`,
      ).get(slug) as ProductDetailRow | undefined;
    },

    photosOf(productId: number) {
      return prepared(
        `SELECT id, list_media_id AS listMediaId, detail_media_id AS detailMediaId, alt_zh AS altZh, alt_en AS altEn
         FROM product_photos WHERE product_id = ? ORDER BY position, id`,
      ).all(productId) as { id: number; listMediaId: number; detailMediaId: number; altZh: string; altEn: string | null }[];
    },

    tiersOf(productId: number) {
      return prepared(`SELECT min_qty AS minQty, price_fen AS priceFen FROM price_tiers WHERE product_id = ? ORDER BY min_qty`).all(productId) as {
        minQty: number;
        priceFen: number;
      }[];
    },

    memberHouseholdCount(producerId: number): number {
      return (prepared(`SELECT count(*) AS n FROM producer_members WHERE producer_id = ?`).get(producerId) as { n: number }).n;
    },

    villages() {
      return prepared(
        `SELECT v.id, v.slug, v.name_zh AS nameZh, v.name_en AS nameEn, r.province, r.city, r.county, r.township
         FROM villages v JOIN regions r ON r.id = v.region_id ORDER BY v.id`,
      ).all() as VillageRow[];
    },

    villageBySlug(slug: string) {
      return prepared(
        `SELECT v.id, v.slug, v.name_zh AS nameZh, v.name_en AS nameEn, v.story_zh AS storyZh, v.story_en AS storyEn,
                r.province, r.city, r.county, r.township
         FROM villages v JOIN regions r ON r.id = v.region_id WHERE v.slug = ?`,
      ).get(slug) as (VillageRow & { storyZh: string; storyEn: string | null }) | undefined;
    },

    projects() {
      return prepared(
        `SELECT id, slug, name_zh AS nameZh, name_en AS nameEn, funding_source AS fundingSource, story_zh AS storyZh,
                story_en AS storyEn, starts_on AS startsOn, ends_on AS endsOn, target_fen AS targetFen
         FROM projects ORDER BY id`,
      ).all() as ProjectRow[];
    },

    projectBySlug(slug: string) {
      return prepared(
        `SELECT id, slug, name_zh AS nameZh, name_en AS nameEn, funding_source AS fundingSource, story_zh AS storyZh,
                story_en AS storyEn, starts_on AS startsOn, ends_on AS endsOn, target_fen AS targetFen
         FROM projects WHERE slug = ?`,
      ).get(slug) as ProjectRow | undefined;
    },

    /** The split rule in force at `at` (the latest one effective at or before it). */
    splitRuleAt(projectId: number, at: number) {
      return prepared(
        `SELECT id, household_bp AS householdBp, project_fund_bp AS projectFundBp, operations_bp AS operationsBp
         FROM project_split_rules WHERE project_id = ? AND effective_from <= ? ORDER BY effective_from DESC, id DESC LIMIT 1`,
      ).get(projectId, at) as { id: number; householdBp: number; projectFundBp: number; operationsBp: number } | undefined;
    },

    villageSlugExists(slug: string): boolean {
      return prepared(`SELECT 1 FROM villages WHERE slug = ?`).get(slug) !== undefined;
    },

    projectSlugExists(slug: string): boolean {
      return prepared(`SELECT 1 FROM projects WHERE slug = ?`).get(slug) !== undefined;
    },

    /** Counts of the catalogue; the money figures and households reached come from the ledger (ledger-reports). */
    villageFigures(villageId: number) {
      return prepared(`SELECT (SELECT count(*) FROM producers WHERE village_id = @id) AS producers`).get({ id: villageId }) as { producers: number };
    },

    villageProducers(villageId: number) {
      return prepared(
        `SELECT id, kind, name_zh AS nameZh, name_en AS nameEn, story_zh AS storyZh, story_en AS storyEn
         FROM producers WHERE village_id = ? ORDER BY id`,
      ).all(villageId) as { id: number; kind: string; nameZh: string; nameEn: string | null; storyZh: string; storyEn: string | null }[];
    },

    projectFigures(projectId: number) {
      return prepared(
        `SELECT (SELECT count(DISTINCT pr.village_id) FROM products p JOIN producers pr ON pr.id = p.producer_id WHERE p.project_id = @id AND p.published = 1) AS villages`,
      ).get({ id: projectId }) as { villages: number };
    },

    projectVillages(projectId: number) {
      return prepared(
        `SELECT DISTINCT v.slug, v.name_zh AS nameZh, v.name_en AS nameEn
         FROM products p JOIN producers pr ON pr.id = p.producer_id JOIN villages v ON v.id = pr.village_id
         WHERE p.project_id = ? AND p.published = 1 ORDER BY v.id`,
      ).all(projectId) as { slug: string; nameZh: string; nameEn: string | null }[];
    },

    /** Headline counts for the home page (sales and households reached come from the ledger). */
    shopFigures() {
      return prepared(`SELECT (SELECT count(*) FROM villages) AS villages, (SELECT count(*) FROM products WHERE published = 1) AS products`).get() as {
        villages: number;
        products: number;
      };
    },
  };
}

export type CatalogQueries = ReturnType<typeof createCatalogQueries>;

export interface ProductDetailRow {
  id: number;
  slug: string;
  titleZh: string;
  titleEn: string | null;
  descriptionZh: string;
  descriptionEn: string | null;
  storyZh: string;
  storyEn: string | null;
  category: Category;
  unit: string;
  priceFen: number;
  stock: number;
  minOrderQty: number;
  maxRetailQty: number | null;
  /** At or below it the page shows how many are left; above it, only that it is in stock. */
  lowStockThreshold: number;
  published: number;
  soldCount: number;
  createdAt: number;
  updatedAt: number;
  producerId: number;
  producerKind: string;
  producerZh: string;
  producerEn: string | null;
  producerStoryZh: string;
  producerStoryEn: string | null;
  villageId: number;
  villageSlug: string;
  villageZh: string;
  villageEn: string | null;
  projectId: number;
  projectSlug: string;
  projectZh: string;
  projectEn: string | null;
  /** The project's period (YYYY-MM-DD, inclusive; null = open): the product is sold only within it. */
  projectStartsOn: string | null;
  projectEndsOn: string | null;
}

export interface VillageRow {
  id: number;
  slug: string;
  nameZh: string;
  nameEn: string | null;
  province: string;
  city: string;
  county: string;
  township: string;
}

export interface ProjectRow {
  id: number;
  slug: string;
  nameZh: string;
  nameEn: string | null;
  fundingSource: string;
  storyZh: string;
  storyEn: string | null;
  startsOn: string | null;
  endsOn: string | null;
  targetFen: number | null;
}

// ---- Writes and console reads (product management) ----

export interface ManagedProductRow {
  id: number;
  slug: string;
  producerId: number;
  projectId: number;
  villageId: number;
  category: Category;
  unit: string;
  titleZh: string;
  titleEn: string | null;
  descriptionZh: string;
  descriptionEn: string | null;
  storyZh: string;
  storyEn: string | null;
  priceFen: number;
  stock: number;
  minOrderQty: number;
  maxRetailQty: number | null;
  lowStockThreshold: number;
  published: number;
  featured: number;
  soldCount: number;
  updatedAt: number;
}

export interface ProductWrite {
  slug: string;
  producerId: number;
  projectId: number;
  category: Category;
  unit: string;
  titleZh: string;
  titleEn: string | null;
  descriptionZh: string;
  descriptionEn: string | null;
  storyZh: string;
  storyEn: string | null;
  priceFen: number;
  minOrderQty: number;
  maxRetailQty: number | null;
  lowStockThreshold: number;
  published: boolean;
  featured: boolean;
}

const MANAGED_COLUMNS = `p.id, p.slug, p.producer_id AS producerId, p.project_id AS projectId, pr.village_id AS villageId, p.category, p.unit,
  p.title_zh AS titleZh, p.title_en AS titleEn, p.description_zh AS descriptionZh, p.description_en AS descriptionEn,
  p.story_zh AS storyZh, p.story_en AS storyEn, p.price_fen AS priceFen, p.stock, p.min_order_qty AS minOrderQty,
  p.max_retail_qty AS maxRetailQty, p.low_stock_threshold AS lowStockThreshold, p.published, p.featured,
  p.sold_count AS soldCount, p.updated_at AS updatedAt`;

export function createProductAdminQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  const inList = (ids: readonly number[]) => (ids.length ? ids.map(Number).join(',') : 'NULL');
  return {
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn)(),

    productById: (id: number) =>
      q(`SELECT ${MANAGED_COLUMNS} FROM products p JOIN producers pr ON pr.id = p.producer_id WHERE p.id = ?`).get(id) as ManagedProductRow | undefined,
    productsIn: (villageIds: readonly number[] | 'all') =>
      q(
        `SELECT ${MANAGED_COLUMNS}, v.name_zh AS villageZh, pr.name_zh AS producerZh FROM products p
         JOIN producers pr ON pr.id = p.producer_id JOIN villages v ON v.id = pr.village_id
         ${villageIds === 'all' ? '' : `WHERE pr.village_id IN (${inList(villageIds)})`} ORDER BY p.updated_at DESC, p.id DESC`,
      ).all() as (ManagedProductRow & { villageZh: string; producerZh: string })[],
    lowStockIn: (villageIds: readonly number[] | 'all') =>
      q(
        `SELECT p.id, p.title_zh AS titleZh, p.title_en AS titleEn, p.stock, p.unit, p.low_stock_threshold AS lowStockThreshold
         FROM products p JOIN producers pr ON pr.id = p.producer_id
         WHERE p.stock <= p.low_stock_threshold ${villageIds === 'all' ? '' : `AND pr.village_id IN (${inList(villageIds)})`}
         ORDER BY p.stock ASC, p.id`,
      ).all() as { id: number; titleZh: string; titleEn: string | null; stock: number; unit: string; lowStockThreshold: number }[],
    slugTaken: (slug: string, exceptId: number) => q(`SELECT 1 FROM products WHERE slug = ? AND id <> ?`).get(slug, exceptId) !== undefined,
    projectExists: (id: number) => q(`SELECT 1 FROM projects WHERE id = ?`).get(id) !== undefined,

    insertProduct(p: ProductWrite, stock: number, now: number): number {
      return Number(
        q(
          `INSERT INTO products (slug, producer_id, project_id, category, unit, title_zh, title_en, description_zh, description_en, story_zh,
             story_en, price_fen, stock, min_order_qty, max_retail_qty, low_stock_threshold, published, featured, created_at, updated_at)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
        ).run(
          p.slug,
          p.producerId,
          p.projectId,
          p.category,
          p.unit,
          p.titleZh,
          p.titleEn,
          p.descriptionZh,
          p.descriptionEn,
          p.storyZh,
          p.storyEn,
          p.priceFen,
          stock,
          p.minOrderQty,
          p.maxRetailQty,
          p.lowStockThreshold,
          p.published ? 1 : 0,
          p.featured ? 1 : 0,
          now,
          now,
        ).lastInsertRowid,
      );
    },
    updateProduct(id: number, p: ProductWrite, now: number): void {
      q(
        `UPDATE products SET slug = ?, producer_id = ?, project_id = ?, category = ?, unit = ?, title_zh = ?, title_en = ?, description_zh = ?,
           description_en = ?, story_zh = ?, story_en = ?, price_fen = ?, min_order_qty = ?, max_retail_qty = ?, low_stock_threshold = ?,
           published = ?, featured = ?, updated_at = ? WHERE id = ?`,
      ).run(
        p.slug,
        p.producerId,
        p.projectId,
        p.category,
        p.unit,
        p.titleZh,
        p.titleEn,
        p.descriptionZh,
        p.descriptionEn,
        p.storyZh,
        p.storyEn,
        p.priceFen,
        p.minOrderQty,
        p.maxRetailQty,
        p.lowStockThreshold,
        p.published ? 1 : 0,
        p.featured ? 1 : 0,
        now,
        id,
      );
    },
    setPublished: (id: number, published: boolean, now: number) =>
      q(`UPDATE products SET published = ?, updated_at = ? WHERE id = ?`).run(published ? 1 : 0, now, id),
    replaceTiers(productId: number, tiers: { minQty: number; priceFen: number }[]): void {
      q(`DELETE FROM price_tiers WHERE product_id = ?`).run(productId);
      for (const t of tiers) q(`INSERT INTO price_tiers (product_id, min_qty, price_fen) VALUES (?,?,?)`).run(productId, t.minQty, t.priceFen);
    },
    /** Adds delta to stock unless that would go below zero; returns whether it changed. */
    adjustStock(productId: number, delta: number, now: number): boolean {
      return q(`UPDATE products SET stock = stock + ?, updated_at = ? WHERE id = ? AND stock + ? >= 0`).run(delta, now, productId, delta).changes === 1;
    },
    insertStockAdjustment: (productId: number, delta: number, reason: string, userId: number, now: number) =>
      q(`INSERT INTO stock_adjustments (product_id, delta, reason, user_id, created_at) VALUES (?,?,?,?,?)`).run(productId, delta, reason, userId, now),
    stockAdjustmentsOf: (productId: number) =>
      q(
        `SELECT sa.delta, sa.reason, sa.created_at AS createdAt, u.display_name AS userName FROM stock_adjustments sa
         LEFT JOIN users u ON u.id = sa.user_id WHERE sa.product_id = ? ORDER BY sa.id DESC LIMIT 50`,
      ).all(productId) as { delta: number; reason: string; createdAt: number; userName: string | null }[],
    insertPhoto: (productId: number, listMediaId: number, detailMediaId: number, altZh: string, now: number) =>
      Number(
        q(
          `INSERT INTO product_photos (product_id, position, list_media_id, detail_media_id, alt_zh, created_at)
           VALUES (?, (SELECT coalesce(max(position), -1) + 1 FROM product_photos WHERE product_id = ?), ?, ?, ?, ?)`,
        ).run(productId, productId, listMediaId, detailMediaId, altZh, now).lastInsertRowid,
      ),
    deletePhoto: (productId: number, photoId: number) => q(`DELETE FROM product_photos WHERE id = ? AND product_id = ?`).run(photoId, productId).changes === 1,
    touch: (productId: number, now: number) => q(`UPDATE products SET updated_at = ? WHERE id = ?`).run(now, productId),
  };
}

export type ProductAdminQueries = ReturnType<typeof createProductAdminQueries>;
