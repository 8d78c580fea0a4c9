import { z } from 'zod';
import { CATEGORIES } from './schema.js';

/** Empty form fields (e.g. "Any" in a filter select) mean "not given". */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

export const SORTS = ['relevance', 'newest', 'price_asc', 'price_desc', 'popular'] as const;
export const MAX_QUERY_LENGTH = 100;
export const MAX_PAGE = 1000;
export const PAGE_SIZE = 12;

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'must be a slug of lowercase letters, digits and hyphens');

/** GET /products and GET /api/v1/products. Unknown parameters are ignored; known ones must be valid. */
export const listingQuerySchema = z.object({
  q: optional(z.string().trim().max(MAX_QUERY_LENGTH, `must be at most ${MAX_QUERY_LENGTH} characters`)),
  category: optional(z.enum(CATEGORIES, { error: `must be one of ${CATEGORIES.join(', ')}` })),
  village: optional(slug),
  project: optional(slug),
  sort: optional(z.enum(SORTS, { error: `must be one of ${SORTS.join(', ')}` })),
  page: optional(
    z
      .string()
      .regex(/^[0-9]{1,4}$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1, 'must be at least 1').max(MAX_PAGE, `must be at most ${MAX_PAGE}`)),
  ),
  lang: optional(z.string().max(16)),
});
export type ListingQuery = z.infer<typeof listingQuerySchema>;

export const slugParamsSchema = z.object({ slug: z.string().min(1).max(120) });

/** Pages that take no query except the language switch. */
export const plainQuerySchema = z.object({ lang: optional(z.string().max(16)) });
