import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { hasMessage, type MessageKey, type Translator } from '../i18n/i18n.js';
import catalogApiRoutes from '../catalog/catalog-api-routes.js';
import type { LedgerFigures } from '../catalog/catalog-routes.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import { wishesApiRoutes, type WishesService } from '../wishes/index.js';
import type { ImpactService } from '../coordinator/impact-service.js';
import proofApiRoutes from '../coordinator/proof-api-routes.js';
import type { ReceiptService } from '../orders/receipt-service.js';
import { API_PREFIX, langQuery, operation } from './api-schemas.js';

type Named = { id: number; slug: string; nameZh: string; nameEn: string | null };

/**
 * The public read API under /api/v1: each domain's JSON routes, CORS for any origin (GET only, no
 * credentials, ETag and X-Request-Id readable by scripts) on these routes alone, and the OpenAPI
 * document at /api/v1/openapi.json. ETags come from src/api/api-etag.ts. Register with
 * `{ prefix: API_PREFIX }`.
 */
export default async function publicApiRoutes(
  api: FastifyInstance,
  deps: {
    catalog: CatalogService;
    figures: LedgerFigures;
    impact: ImpactService;
    receipts: ReceiptService;
    wishes: WishesService;
    villageNames: () => Promise<Named[]>;
    projects: () => Promise<Named[]>;
  },
) {
  await api.register(fastifyCors, { origin: '*', methods: ['GET', 'HEAD'], exposedHeaders: ['ETag', 'X-Request-Id'], maxAge: 86_400 });
  await api.register(catalogApiRoutes, { catalog: deps.catalog, figures: deps.figures });
  await api.register(proofApiRoutes, { impact: deps.impact, receipts: deps.receipts, villageNames: deps.villageNames, projects: deps.projects });
  await api.register(wishesApiRoutes, { wishes: deps.wishes });

  let document: string | null = null;
  api.withTypeProvider<ZodTypeProvider>().get(
    '/openapi.json',
    {
      config: { pageCache: true },
      schema: {
        ...operation('getOpenApiDocument', 'meta'),
        querystring: langQuery,
        response: { 200: z.record(z.string(), z.unknown()).describe('An OpenAPI 3.1 document') },
      },
    },
    async (_request, reply) => {
      document ??= JSON.stringify(api.swagger());
      // Sent as the JSON text made once (a string body is not serialized again).
      return reply.type('application/json; charset=utf-8').send(document as unknown as Record<string, unknown>);
    },
  );
}

type Operation = { operationId?: string; parameters?: { name: string; in: string; required?: boolean; schema?: { enum?: unknown[] } }[] };

/** GET /api/docs: the API described for people, from the OpenAPI document, in the visitor's language. No script. */
export async function apiDocsRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const text = (t: Translator, key: string) => (hasMessage(key) ? t(key as MessageKey) : '');

  app.get('/api/docs', { config: { pageCache: true }, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    const { t } = request;
    const paths = (app.swagger() as { paths?: Record<string, Record<string, Operation>> }).paths ?? {};
    const operations = Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        operationId: op.operationId ?? '',
        method: method.toUpperCase(),
        path,
        summary: text(t, `api.op.${op.operationId}.summary`),
        description: text(t, `api.op.${op.operationId}.description`),
        parameters: (op.parameters ?? []).map((p) => ({
          name: p.name,
          where: t(p.in === 'path' ? 'api.docs.inPath' : 'api.docs.inQuery'),
          required: t(p.required ? 'api.docs.yes' : 'api.docs.no'),
          meaning: text(t, `api.param.${p.name}`),
          values: p.schema?.enum ? t('api.docs.values', { values: p.schema.enum.join(', ') }) : null,
        })),
      })),
    );
    return reply.view('api/docs', {
      title: t('api.docs.title'),
      base: API_PREFIX,
      documentUrl: `${API_PREFIX}/openapi.json`,
      operations,
      parametersCaption: t('api.docs.parameters'),
      noParameters: t('api.docs.noParameters'),
      nameHeading: t('api.docs.name'),
      whereHeading: t('api.docs.where'),
      requiredHeading: t('api.docs.required'),
      meaningHeading: t('api.docs.meaning'),
    });
  });
}
