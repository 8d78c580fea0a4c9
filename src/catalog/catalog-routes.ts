import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pickText, type Locale, type Translator } from '../i18n/i18n.js';
import type { PurchaseBenefit, PurchaseOffer } from '../orders/index.js';
import { LazyCsrfToken } from '../plugins/security.js';
import { formatFen } from '../money.js';
import { presentMoney, type PublicFigures } from './public-figures.js';
import { CATEGORIES } from './schema.js';
import { FIRST_PAGE, LAST_PAGE, listingPageQuerySchema, MAX_PAGE, plainQuerySchema, slugParamsSchema, SORTS } from './catalog-schemas.js';
import type { CatalogService } from './catalog-service.js';
import { listingUrl, mediaUrl, presentCard, presentPagination, presentProject, presentVillage, unitLabel } from './catalog-presenter.js';
import { loadProductSections, type ProductPageSection } from './product-page.js';
import { regionLine } from '../villages/region-names.js';

/**
 * Ledger-derived public figures: households reached, and sales, credited and paid out to households
 * (fen) — money null where the disclosure rule withholds it (coordinator/disclosure.ts).
 */
export interface LedgerFigures {
  shopFigures(): Promise<PublicFigures>;
  projectFigures(projectId: number): Promise<PublicFigures>;
  villageFigures(villageId: number): Promise<PublicFigures>;
}

/** A page's figures: the catalogue's counts with the ledger's money figures (when published) and households reached. */
function presentFigures<T extends object>(counts: T, ledger: PublicFigures) {
  return { ...counts, households: ledger.households, money: presentMoney(ledger.money) };
}

/** Pages that show the ledger's figures: rendered again after each posting too. */
const FIGURES_PAGE = { pageCache: { scopes: ['catalogue', 'figures'] as ('catalogue' | 'figures')[] } };

/** Where the money of buying a product alone would go, in the receipt's sentences (orders' purchaseBenefit). */
export type PurchaseBenefitOf = (offer: PurchaseOffer, locale: Locale, t: Translator) => Promise<PurchaseBenefit>;

export default async function catalogRoutes(
  root: FastifyInstance,
  opts: {
    catalog: CatalogService;
    figures: LedgerFigures;
    /** What the product page shows besides the product, each asked of its own domain (the organisation's quote form). */
    productSections: readonly ProductPageSection[];
    purchaseBenefit: PurchaseBenefitOf;
  },
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { catalog } = opts;

  app.get('/', { config: FIGURES_PAGE, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    const { locale, t } = request;
    const home = await catalog.homePage();
    return reply.view('catalog/home', {
      title: t('home.title'),
      featured: home.featured.map((r) => presentCard(r, locale, t)),
      projects: home.projects.map((p) => presentProject(p, locale)),
      villages: home.villages.map((v) => presentVillage(v, locale)),
      figures: presentFigures(home.figures, await opts.figures.shopFigures()),
    });
  });

  app.get('/products', { config: { pageCache: true }, schema: { querystring: listingPageQuerySchema } }, async (request, reply) => {
    const { locale, t } = request;
    const asked = request.query;
    // A filter the link names but the shop does not know is left out, and the page says so.
    const known = <T extends string>(value: string | undefined, values: readonly T[]) =>
      value !== undefined && (values as readonly string[]).includes(value) ? (value as T) : undefined;
    const { villages, projects, page } = await catalog.listingPage((choices) => ({
      q: asked.q,
      // Not a page number: the first page; a number past the last page: the last (both with a notice).
      page: asked.page === FIRST_PAGE ? undefined : asked.page === LAST_PAGE ? MAX_PAGE : asked.page,
      lang: asked.lang,
      category: known(asked.category, CATEGORIES),
      sort: known(asked.sort, SORTS),
      village: known(
        asked.village,
        choices.villages.map((v) => v.slug),
      ),
      project: known(
        asked.project,
        choices.projects.map((p) => p.slug),
      ),
    }));
    const { query } = page;
    const unknownFilter = (['category', 'sort', 'village', 'project'] as const).some((name) => asked[name] !== undefined && query[name] === undefined);
    const selected = (value: string | undefined) => (option: string) => ({ value: option, selected: option === value });
    return reply.view('catalog/listing', {
      title: query.q ? t('catalog.searchTitle', { q: query.q }) : t('catalog.title'),
      query,
      items: page.items.map((r) => presentCard(r, locale, t)),
      total: page.total,
      categories: CATEGORIES.map(selected(query.category)),
      villages: villages.map((v) => ({ ...presentVillage(v, locale), selected: v.slug === query.village })),
      projects: projects.map((p) => ({ ...presentProject(p, locale), selected: p.slug === query.project })),
      unknownFilter,
      pageNotice: asked.page === FIRST_PAGE ? t('catalog.badPage') : page.clamped ? t('catalog.pastLastPage', { pages: page.pages }) : null,
      sorts: SORTS.filter((s) => s !== 'relevance' || query.q).map((s) => ({ value: s, selected: s === page.sort })),
      hasFilters: Boolean(query.q || query.category || query.village || query.project || query.sort),
      // The filters fold away on a phone; those in use keep the disclosure open, so the buyer sees them.
      activeFilters: [query.category, query.village, query.project].filter(Boolean).length,
      filtersOpen: Boolean(query.category || query.village || query.project || query.sort),
      pagination: presentPagination(page),
      clearUrl: listingUrl({}, {}),
    });
  });

  // A product page shows its own product and the places around it: another product's change leaves it cached.
  app.get(
    '/products/:slug',
    { config: { pageCache: { scopes: ['places'] } }, schema: { params: slugParamsSchema, querystring: plainQuerySchema } },
    async (request, reply) => {
      const { locale, t } = request;
      const { product: p, period, photos, tiers, households, householdStories, splitRule, shares } = await catalog.productPage(request.params.slug);
      reply.pageDependsOn(`product:${p.id}`);
      // Stock as displayed (a product decision, see README): the count only when low, else "in stock";
      // the triggers of drizzle/0015_cache_versions.sql re-render the page only when this changes.
      const lowStock = p.stock > 0 && p.stock <= p.lowStockThreshold;
      const unit = unitLabel(t, p.unit);
      const title = pickText(locale, p.titleZh, p.titleEn);
      const project = pickText(locale, p.projectZh, p.projectEn);
      const benefit = await opts.purchaseBenefit(
        {
          productId: p.id,
          villageId: p.villageId,
          projectId: p.projectId,
          producerId: p.producerId,
          priceFen: p.priceFen,
          tiers,
          quantity: p.minOrderQty,
          village: { shippingFeeFen: p.shippingFeeFen, freeShippingOverFen: p.freeShippingOverFen },
          rule: splitRule,
          members: shares,
        },
        locale,
        t,
      );
      const sections = await loadProductSections(opts.productSections, p, { user: request.user });
      return reply.view('catalog/product', {
        ...sections,
        moneyGoes: {
          basis: t('product.moneyBasis', {
            quantity: benefit.quantity,
            unit,
            total: formatFen(benefit.totalFen),
            shipping: benefit.shippingFen > 0 ? formatFen(benefit.shippingFen) : t('product.freeShipping'),
          }),
          sentences: benefit.sentences,
          // The households that agreed to tell their story, by the name they agreed to (their stories follow).
          storyNames: householdStories.map((h) => h.displayName).join(t('punct.list')),
        },
        householdStories: householdStories.map((h) => ({ name: h.displayName, story: pickText(locale, h.storyZh, h.storyEn) })),
        title,
        // The add-to-cart form: the catalogue's token for a visitor without a session (the page stays a shared one).
        cartToken: new LazyCsrfToken(() => reply.mintCatalogueToken()),
        product: {
          id: p.id,
          slug: p.slug,
          title,
          description: pickText(locale, p.descriptionZh, p.descriptionEn),
          story: pickText(locale, p.producerStoryZh, p.producerStoryEn),
          productStory: pickText(locale, p.storyZh, p.storyEn),
          price: formatFen(p.priceFen),
          unit,
          stock: lowStock ? p.stock : null,
          soldOut: p.stock <= 0,
          minOrderQty: p.minOrderQty,
          maxRetailQty: p.maxRetailQty,
          maxQty: lowStock ? Math.min(p.stock, p.maxRetailQty ?? p.stock) : p.maxRetailQty,
          category: p.category,
          producer: pickText(locale, p.producerZh, p.producerEn),
          producerKind: p.producerKind,
          village: pickText(locale, p.villageZh, p.villageEn),
          villageUrl: `/villages/${p.villageSlug}`,
          project,
          projectUrl: `/projects/${p.projectSlug}`,
          households,
          // Shipping, as the cart will charge it: the village's flat fee per parcel, free from its threshold.
          shippingFee:
            p.shippingFeeFen === 0
              ? t('product.shipsFree')
              : p.freeShippingOverFen === null
                ? t('product.shippingFee', { fee: formatFen(p.shippingFeeFen) })
                : t('product.shippingFeeUntil', {
                    fee: formatFen(p.shippingFeeFen),
                    over: formatFen(p.freeShippingOverFen),
                    village: pickText(locale, p.villageZh, p.villageEn),
                  }),
          shipsFrom: t('product.shipsFromValue', {
            village: pickText(locale, p.villageZh, p.villageEn),
            region: regionLine(locale, p, 'county'),
          }),
          onSale: period === 'running',
          // The buy bar: only while it can be bought.
          buyable: period === 'running' && p.stock > 0,
          // Why it is not sold: its project has ended or not started (checked again at every sale).
          notOnSale:
            period === 'ended'
              ? t('product.projectEnded', { project, date: p.projectEndsOn ?? '' })
              : period === 'not_started'
                ? t('product.projectNotStarted', { project, date: p.projectStartsOn ?? '' })
                : null,
        },
        // In the secretary's order: the first is the main photo (the one cards show).
        photos: photos.map((ph, i) => ({
          n: i + 1,
          listUrl: mediaUrl(ph.listMediaId),
          detailUrl: mediaUrl(ph.detailMediaId),
          alt: pickText(locale, ph.altZh, ph.altEn) || t('product.photoOf', { title }),
        })),
        morePhotos: photos.length > 1,
        tiers: tiers.map((tier) => ({ text: t('product.bulkTier', { min: tier.minQty, unit, price: formatFen(tier.priceFen) }) })),
      });
    },
  );

  app.get('/villages/:slug', { config: FIGURES_PAGE, schema: { params: slugParamsSchema, querystring: plainQuerySchema } }, async (request, reply) => {
    const { locale, t } = request;
    const page = await catalog.villagePage(request.params.slug);
    const village = presentVillage(page.village, locale);
    return reply.view('catalog/village', {
      title: village.name,
      village: { ...village, story: pickText(locale, page.village.storyZh, page.village.storyEn) },
      figures: presentFigures(page.figures, await opts.figures.villageFigures(page.village.id)),
      producers: page.producers.map((pr) => ({
        name: pickText(locale, pr.nameZh, pr.nameEn),
        kind: pr.kind,
        story: pickText(locale, pr.storyZh, pr.storyEn),
      })),
      products: page.products.map((r) => presentCard(r, locale, t)),
      productsUrl: listingUrl({}, { village: village.slug }),
    });
  });

  app.get('/projects/:slug', { config: FIGURES_PAGE, schema: { params: slugParamsSchema, querystring: plainQuerySchema } }, async (request, reply) => {
    const { locale, t } = request;
    const page = await catalog.projectPage(request.params.slug);
    const project = presentProject(page.project, locale);
    const bp = (n: number) =>
      `${(n - (n % 100)) / 100}${
        n % 100
          ? `.${String(n % 100)
              .padStart(2, '0')
              .replace(/0$/, '')}`
          : ''
      }`;
    return reply.view('catalog/project', {
      title: project.name,
      project,
      split: page.splitRule
        ? t('project.splitValue', {
            household: bp(page.splitRule.householdBp),
            fund: bp(page.splitRule.projectFundBp),
            ops: bp(page.splitRule.operationsBp),
          })
        : null,
      figures: presentFigures(page.figures, await opts.figures.projectFigures(page.project.id)),
      villages: page.villages.map((v) => ({ url: `/villages/${v.slug}`, name: pickText(locale, v.nameZh, v.nameEn) })),
      products: page.products.map((r) => presentCard(r, locale, t)),
      productsUrl: listingUrl({}, { project: project.slug }),
    });
  });
}
