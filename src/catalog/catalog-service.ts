import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { AppError, notFound } from '../errors.js';
import { LOCALES, translate } from '../i18n/i18n.js';
import { splitRuleAt } from '../projects/index.js';
import { projectPeriodState, saleDay } from '../projects/project-period.js';
import {
  allProjects,
  allVillages,
  memberHouseholdCount,
  photosOf,
  producerShares,
  productBySlug,
  projectBySlug,
  projectFigures,
  projectSlugExists,
  projectVillages,
  shopFigures,
  tiersOf,
  villageBySlug,
  villageFigures,
  villageProducers,
  villageSlugExists,
  type Project,
  type Village,
} from './catalog-queries.js';
import { countProducts, featuredProducts, listProducts, type ListingFilter, type ProductCard, type SearchTerm, type SortKey } from './listing-queries.js';
import { CATEGORIES, type Category } from './schema.js';
import { MAX_QUERY_LENGTH, PAGE_SIZE, type ListingQuery } from './catalog-schemas.js';

/** Search terms of at least this many characters use the FTS5 trigram index; shorter ones use LIKE. */
const TRIGRAM = 3;
const MAX_TERMS = 8;

/** Splits a query into terms (ASCII and full-width spaces), at most MAX_TERMS. */
export function searchTerms(q: string): string[] {
  return (
    q
      .slice(0, MAX_QUERY_LENGTH)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters typed or pasted into a search are separators, on purpose
      .split(/[\s\u3000,，、\u0000-\u001f\u007f]+/u)
      .map((t) => t.trim())
      .filter(Boolean)
      .slice(0, MAX_TERMS)
  );
}

/** A term as an FTS5 phrase: quoted, inner quotes doubled, so no query syntax leaks through. */
export const ftsPhrase = (term: string) => `"${term.replace(/"/g, '""')}"`;
/** A term as a LIKE pattern with %, _ and \ escaped (ESCAPE '\'). */
export const likePattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Categories whose Chinese or English name is the term (蜂蜜 → honey, "tea" → tea). */
export function categoriesNamed(term: string): Category[] {
  const needle = term.toLowerCase();
  return CATEGORIES.filter((c) => LOCALES.some((locale) => translate(locale, `category.${c}`).toLowerCase() === needle));
}

/** Categories whose Chinese or English name contains the term (茶 → 茶叶): ranked first, not required. */
export function categoriesContaining(term: string): Category[] {
  const needle = term.toLowerCase();
  return CATEGORIES.filter((c) => LOCALES.some((locale) => translate(locale, `category.${c}`).toLowerCase().includes(needle)));
}

/** Builds the search terms: long terms go to FTS5, short ones to LIKE; every term must match. */
export function searchFilter(q: string | undefined): SearchTerm[] {
  if (!q) return [];
  return searchTerms(q).map((term) => ({
    ...([...term].length >= TRIGRAM ? { match: ftsPhrase(term), title: likePattern(term) } : { like: likePattern(term) }),
    categories: categoriesNamed(term),
    rankCategories: categoriesContaining(term),
  }));
}

export interface ListingPage {
  items: ProductCard[];
  total: number;
  page: number;
  pages: number;
  pageSize: number;
  sort: SortKey;
  query: ListingQuery;
  /** The page asked for was past the last one and the last is shown instead (`pastLastShowsLast`). */
  clamped: boolean;
}

/** The storefront: each page's data read in one unit of work (a consistent snapshot). */
export function createCatalogService(
  db: Database_,
  deps: {
    clock: Clock;
    /** The consented stories of a producer's households (villages service). */
    householdStories: (tx: Tx, producerId: number) => Query<{ displayName: string; storyZh: string; storyEn: string | null }[]>;
  },
) {
  /** One page of the listing; a page past the last is not found, or the last page when `pastLastShowsLast` (the catalogue page). */
  function* readListing(tx: Tx, query: ListingQuery, pastLastShowsLast = false): Query<ListingPage> {
    if (query.village && !(yield* villageSlugExists(tx, query.village))) {
      throw new AppError('bad_request', 'unknown_village', undefined, { params: { village: query.village } });
    }
    if (query.project && !(yield* projectSlugExists(tx, query.project))) {
      throw new AppError('bad_request', 'unknown_project', undefined, { params: { project: query.project } });
    }
    const terms = searchFilter(query.q);
    const hasSearch = terms.length > 0;
    // Relevance means nothing without search terms: the listing is then newest first.
    const sort: SortKey = query.sort && (query.sort !== 'relevance' || hasSearch) ? query.sort : hasSearch ? 'relevance' : 'newest';
    let page = query.page ?? 1;
    const pageSize = query.pageSize ?? PAGE_SIZE;
    const filter: ListingFilter = {
      terms,
      category: query.category,
      villageSlug: query.village,
      projectSlug: query.project,
      sort,
      limit: pageSize,
      offset: (page - 1) * pageSize,
    };
    const total = yield* countProducts(tx, filter);
    const pages = Math.max(1, Math.ceil(total / pageSize));
    const clamped = page > pages && pastLastShowsLast;
    if (clamped) {
      page = pages;
      filter.offset = (page - 1) * pageSize;
    }
    if (page > pages) throw new AppError('not_found', 'page_out_of_range', undefined, { params: { pages } });
    const items = yield* listProducts(tx, filter);
    return { items, total, page, pages, pageSize, sort, query: clamped ? { ...query, page } : query, clamped };
  }

  function* readProductPage(tx: Tx, slug: string) {
    const product = yield* productBySlug(tx, slug);
    if (!product?.published) throw notFound('product_not_found');
    return {
      product,
      /** Whether its project takes sales today (an ended or future project's products are shown but not sold). */
      period: projectPeriodState({ startsOn: product.projectStartsOn, endsOn: product.projectEndsOn }, saleDay(deps.clock())),
      photos: yield* photosOf(tx, product.id),
      tiers: yield* tiersOf(tx, product.id),
      households: yield* memberHouseholdCount(tx, product.producerId),
      householdStories: yield* deps.householdStories(tx, product.producerId),
      /** How a sale of it divides (the project's rule today, the producer's households): its page shows it. */
      splitRule: (yield* splitRuleAt(tx, product.projectId, deps.clock())) ?? null,
      shares: yield* producerShares(tx, product.producerId),
    };
  }

  function* readVillagePage(tx: Tx, slug: string) {
    const village = yield* villageBySlug(tx, slug);
    if (!village) throw notFound('village_not_found');
    const products = yield* listProducts(tx, { villageSlug: slug, sort: 'popular', limit: 48, offset: 0 });
    return { village, products, figures: yield* villageFigures(tx, village.id), producers: yield* villageProducers(tx, village.id) };
  }

  function* readProjectPage(tx: Tx, slug: string) {
    const project = yield* projectBySlug(tx, slug);
    if (!project) throw notFound('project_not_found');
    const products = yield* listProducts(tx, { projectSlug: slug, sort: 'popular', limit: 48, offset: 0 });
    return {
      project,
      products,
      splitRule: (yield* splitRuleAt(tx, project.id, deps.clock())) ?? null,
      figures: yield* projectFigures(tx, project.id),
      villages: yield* projectVillages(tx, project.id),
    };
  }

  function* readHomePage(tx: Tx) {
    return {
      featured: yield* featuredProducts(tx, 8),
      projects: yield* allProjects(tx),
      villages: yield* allVillages(tx),
      figures: yield* shopFigures(tx),
    };
  }

  return {
    /** The product page's data as part of another unit of work (an institution's quote request). */
    readProductPage,
    listProducts: (query: ListingQuery) => db.uow.read((tx) => readListing(tx, query)),
    /** The listing with the villages and projects its filters offer, in one snapshot. */
    /** A page past the last shows the last one (`page.clamped`): the catalogue page's links may be stale. */
    listingPage: (query: (choices: { villages: Village[]; projects: Project[] }) => ListingQuery) =>
      db.uow.read(function* (tx) {
        const villages = yield* allVillages(tx);
        const projects = yield* allProjects(tx);
        return { villages, projects, page: yield* readListing(tx, query({ villages, projects }), true) };
      }),
    productPage: (slug: string) => db.uow.read((tx) => readProductPage(tx, slug)),
    villagePage: (slug: string) => db.uow.read((tx) => readVillagePage(tx, slug)),
    projectPage: (slug: string) => db.uow.read((tx) => readProjectPage(tx, slug)),
    homePage: () => db.uow.read(readHomePage),
    villages: () => db.uow.read(allVillages),
    projects: () => db.uow.read(allProjects),
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
