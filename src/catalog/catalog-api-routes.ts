import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { commonResponses, langQuery, operation, pageOf, pageQuery, pageSchema, presentFigures } from '../api/api-schemas.js';
import { pickText, type Locale, type Translator } from '../i18n/i18n.js';
import { formatFen } from '../money.js';
import type { Project } from './catalog-queries.js';
import type { ProductCard } from './listing-queries.js';
import { mediaUrl, presentCard, presentProject, presentVillage, unitLabel } from './catalog-presenter.js';
import type { LedgerFigures } from './catalog-routes.js';
import { apiListingQuerySchema, slugParamsSchema } from './catalog-schemas.js';
import type { CatalogService } from './catalog-service.js';
import {
  type productCardSchema,
  productListSchema,
  productSchema,
  projectDetailSchema,
  projectSchema,
  villageDetailSchema,
  villageSchema,
} from './catalog-api-schemas.js';

type ApiProductCard = z.infer<typeof productCardSchema>;

function apiCard(row: ProductCard, locale: Locale, t: Translator): ApiProductCard {
  return {
    ...presentCard(row, locale, t),
    titleZh: row.titleZh,
    titleEn: row.titleEn,
    stock: row.stock,
    project: { slug: row.projectSlug, name: pickText(locale, row.projectZh, row.projectEn) },
  };
}

function apiProject(p: Project, locale: Locale): z.infer<typeof projectSchema> {
  const { period: _period, ...shown } = presentProject(p, locale);
  return { ...shown, startsOn: p.startsOn, endsOn: p.endsOn, targetFen: p.targetFen };
}

/**
 * The catalogue in JSON (under /api/v1): products, villages and projects, the same data as their
 * pages through the same presenters, public fields only. Answers for anonymous callers are kept in
 * the page cache like the pages.
 */
export default async function catalogApiRoutes(root: FastifyInstance, opts: { catalog: CatalogService; figures: LedgerFigures }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { catalog } = opts;
  // The JSON gives the exact stock: its answers are rendered again on any stock change, unlike the pages.
  // Villages' and projects' answers also give the ledger's figures.
  const cached = { config: { pageCache: { scopes: ['catalogue', 'stock', 'figures'] as ('catalogue' | 'stock' | 'figures')[] } } };

  app.get(
    '/products',
    {
      ...cached,
      schema: {
        ...operation('listProducts', 'catalogue'),
        querystring: apiListingQuerySchema,
        response: { 200: productListSchema.describe('One page of published products'), ...commonResponses },
      },
    },
    async (request) => {
      const { locale, t } = request;
      const page = await catalog.listProducts(request.query);
      return {
        items: page.items.map((r) => apiCard(r, locale, t)),
        page: page.page,
        pageSize: page.pageSize,
        total: page.total,
        pages: page.pages,
        sort: page.sort,
      };
    },
  );

  app.get(
    '/products/:slug',
    {
      ...cached,
      schema: {
        ...operation('getProduct', 'catalogue'),
        params: slugParamsSchema,
        querystring: langQuery,
        response: { 200: productSchema.describe('The product'), ...commonResponses },
      },
    },
    async (request) => {
      const { locale, t } = request;
      const { product: p, period, photos, tiers, households } = await catalog.productPage(request.params.slug);
      return {
        slug: p.slug,
        url: `/products/${p.slug}`,
        title: pickText(locale, p.titleZh, p.titleEn),
        titleZh: p.titleZh,
        titleEn: p.titleEn,
        description: pickText(locale, p.descriptionZh, p.descriptionEn),
        story: pickText(locale, p.storyZh, p.storyEn),
        category: p.category,
        unit: p.unit,
        unitLabel: unitLabel(t, p.unit),
        priceFen: p.priceFen,
        price: formatFen(p.priceFen),
        stock: p.stock,
        onSale: period === 'running',
        minOrderQty: p.minOrderQty,
        maxRetailQty: p.maxRetailQty,
        bulkTiers: tiers.map((tier) => ({ minQty: tier.minQty, priceFen: tier.priceFen, price: formatFen(tier.priceFen) })),
        producer: {
          kind: p.producerKind as z.infer<typeof productSchema>['producer']['kind'],
          name: pickText(locale, p.producerZh, p.producerEn),
          story: pickText(locale, p.producerStoryZh, p.producerStoryEn),
          households,
        },
        village: { slug: p.villageSlug, name: pickText(locale, p.villageZh, p.villageEn) },
        project: { slug: p.projectSlug, name: pickText(locale, p.projectZh, p.projectEn), startsOn: p.projectStartsOn, endsOn: p.projectEndsOn },
        photos: photos.map((ph) => ({ list: mediaUrl(ph.listMediaId), detail: mediaUrl(ph.detailMediaId) })),
      };
    },
  );

  app.get(
    '/villages',
    {
      ...cached,
      schema: {
        ...operation('listVillages', 'catalogue'),
        querystring: pageQuery,
        response: { 200: pageSchema(villageSchema).describe('One page of villages'), ...commonResponses },
      },
    },
    async (request) => {
      const page = pageOf(await catalog.villages(), request.query);
      return { ...page, items: page.items.map((v) => presentVillage(v, request.locale)) };
    },
  );

  app.get(
    '/villages/:slug',
    {
      ...cached,
      schema: {
        ...operation('getVillage', 'catalogue'),
        params: slugParamsSchema,
        querystring: langQuery,
        response: { 200: villageDetailSchema.describe('The village'), ...commonResponses },
      },
    },
    async (request) => {
      const { locale, t } = request;
      const page = await catalog.villagePage(request.params.slug);
      return {
        ...presentVillage(page.village, locale),
        story: pickText(locale, page.village.storyZh, page.village.storyEn),
        figures: { ...presentFigures(await opts.figures.villageFigures(page.village.id)), producers: page.figures.producers },
        producers: page.producers.map((pr) => ({
          name: pickText(locale, pr.nameZh, pr.nameEn),
          kind: pr.kind as z.infer<typeof villageDetailSchema>['producers'][number]['kind'],
          story: pickText(locale, pr.storyZh, pr.storyEn),
        })),
        products: page.products.map((r) => apiCard(r, locale, t)),
      };
    },
  );

  app.get(
    '/projects',
    {
      ...cached,
      schema: {
        ...operation('listProjects', 'catalogue'),
        querystring: pageQuery,
        response: { 200: pageSchema(projectSchema).describe('One page of projects'), ...commonResponses },
      },
    },
    async (request) => {
      const page = pageOf(await catalog.projects(), request.query);
      return { ...page, items: page.items.map((p) => apiProject(p, request.locale)) };
    },
  );

  app.get(
    '/projects/:slug',
    {
      ...cached,
      schema: {
        ...operation('getProject', 'catalogue'),
        params: slugParamsSchema,
        querystring: langQuery,
        response: { 200: projectDetailSchema.describe('The project'), ...commonResponses },
      },
    },
    async (request) => {
      const { locale, t } = request;
      const page = await catalog.projectPage(request.params.slug);
      const split = page.splitRule;
      return {
        ...apiProject(page.project, locale),
        split: split ? { householdBp: split.householdBp, projectFundBp: split.projectFundBp, operationsBp: split.operationsBp } : null,
        figures: { ...presentFigures(await opts.figures.projectFigures(page.project.id)), villages: page.figures.villages },
        villages: page.villages.map((v) => ({ slug: v.slug, name: pickText(locale, v.nameZh, v.nameEn) })),
        products: page.products.map((r) => apiCard(r, locale, t)),
      };
    },
  );
}
