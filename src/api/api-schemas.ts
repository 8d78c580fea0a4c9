import { z } from 'zod';
import { MAX_API_PAGE_SIZE, MAX_PAGE, optionalQuery, wholeNumberParam } from '../catalog/catalog-schemas.js';
import type { PublicFigures } from '../coordinator/impact-service.js';
import { AppError } from '../errors.js';
import { translate, type MessageKey } from '../i18n/i18n.js';
import { formatFen } from '../money.js';

/** Where the versioned public read API lives. */
export const API_PREFIX = '/api/v1';
export const DEFAULT_API_PAGE_SIZE = 20;

export type ApiOperation =
  | 'listProducts'
  | 'getProduct'
  | 'listVillages'
  | 'getVillage'
  | 'listProjects'
  | 'getProject'
  | 'getImpact'
  | 'getReceipt'
  | 'listWishes'
  | 'getWish'
  | 'getOpenApiDocument';

export type ApiTag = 'catalogue' | 'proof' | 'wishes' | 'meta';

/** An operation's name, tag and (English) summary and description for the OpenAPI document. */
export function operation(operationId: ApiOperation, tag: ApiTag) {
  return {
    operationId,
    tags: [tag],
    summary: translate('en', `api.op.${operationId}.summary` as MessageKey),
    description: translate('en', `api.op.${operationId}.description` as MessageKey),
  };
}

const lang = optionalQuery(z.string().max(16));

/** ?lang= only. */
export const langQuery = z.object({ lang });

/** ?page=&pageSize=&lang= of the API's lists. */
export const pageQuery = z.object({
  page: optionalQuery(wholeNumberParam(1, MAX_PAGE)),
  pageSize: optionalQuery(wholeNumberParam(1, MAX_API_PAGE_SIZE)),
  lang,
});

/** One page of a list already in memory (villages, projects, wishes); a page past the end is "not found". */
export function pageOf<T>(all: readonly T[], query: { page?: number; pageSize?: number }) {
  const pageSize = query.pageSize ?? DEFAULT_API_PAGE_SIZE;
  const page = query.page ?? 1;
  const pages = Math.max(1, Math.ceil(all.length / pageSize));
  if (page > pages) throw new AppError('not_found', 'page_out_of_range', undefined, { params: { pages } });
  return { items: all.slice((page - 1) * pageSize, page * pageSize), page, pageSize, total: all.length, pages };
}

/** The shape of one page of a list. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int().describe('Items in the whole list'),
    pages: z.number().int(),
  });
}

/** Money in two forms: integer fen for programs, and yuan formatted as the shop shows it. */
export const fenSchema = z.number().int().describe('Integer fen (1 yuan = 100 fen)');
export const yuanSchema = z.string().describe('The same amount formatted in yuan, e.g. ¥12.80');

/** Ledger-derived public figures of a scope. */
export const figuresSchema = z.object({
  money: z
    .object({
      salesFen: fenSchema,
      sales: yuanSchema,
      creditedFen: fenSchema,
      credited: yuanSchema,
      paidOutFen: fenSchema,
      paidOut: yuanSchema,
    })
    .nullable()
    .describe(
      'null when publishing them would reveal what fewer than 3 households earned, alone or subtracted from other published figures (README: the disclosure rule)',
    ),
  households: z.number().int().describe('Households with money credited (net of refunds)'),
});

export function presentFigures(f: PublicFigures): z.infer<typeof figuresSchema> {
  const m = f.money;
  return {
    money: m && {
      salesFen: m.salesFen,
      sales: formatFen(m.salesFen),
      creditedFen: m.creditedFen,
      credited: formatFen(m.creditedFen),
      paidOutFen: m.paidOutFen,
      paidOut: formatFen(m.paidOutFen),
    },
    households: f.households,
  };
}

export const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('A stable error code'),
    message: z.string().describe("A sentence in the request's language"),
    fields: z.record(z.string(), z.string()).optional(),
  }),
});

/** The responses every read operation may give besides its 200. */
export const commonResponses = {
  304: z.null().describe('Not modified: the ETag sent in If-None-Match still matches'),
  400: errorSchema.describe('A query parameter is not valid'),
  404: errorSchema.describe('No such thing (or no such page)'),
};
