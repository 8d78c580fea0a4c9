import { yuanField } from '../forms.js';
import { z } from 'zod';
import { CATEGORIES, UNITS } from './schema.js';

/** Empty form fields (e.g. "Any" in a filter select) mean "not given". */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
/** A query parameter that may be missing or blank (blank means not given). */
export const optionalQuery = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
const optional = optionalQuery;

export const SORTS = ['relevance', 'newest', 'price_asc', 'price_desc', 'popular'] as const;
export const MAX_QUERY_LENGTH = 100;
export const MAX_PAGE = 1000;
export const PAGE_SIZE = 12;

/** A whole number typed into a query string, within bounds. */
export function wholeNumberParam(min: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]{1,4}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'must be a slug of lowercase letters, digits and hyphens');

/** GET /products and GET /api/v1/products. Unknown parameters are ignored; known ones must be valid. */
export const listingQuerySchema = z.object({
  q: optional(z.string().trim().max(MAX_QUERY_LENGTH, `must be at most ${MAX_QUERY_LENGTH} characters`)),
  category: optional(z.enum(CATEGORIES, { error: `must be one of ${CATEGORIES.join(', ')}` })),
  village: optional(slug),
  project: optional(slug),
  sort: optional(z.enum(SORTS, { error: `must be one of ${SORTS.join(', ')}` })),
  page: optional(wholeNumberParam(1, MAX_PAGE)),
  lang: optional(z.string().max(16)),
});
export type ListingQuery = z.infer<typeof listingQuerySchema> & { pageSize?: number };

/** What a filter of the catalogue page reads as when the link names a category or sort that does not exist. */
export const UNKNOWN_FILTER = '?';
const knownOr = (values: readonly string[]) =>
  optional(
    z
      .string()
      .max(MAX_QUERY_LENGTH)
      .transform((v) => (values.includes(v) ? v : UNKNOWN_FILTER)),
  );
/** What a page number of the catalogue page reads as when it is not one: the first page, or the last (a number past them). */
export const FIRST_PAGE = 'first';
export const LAST_PAGE = 'last';
/**
 * The catalogue page's page number: a whole number from 1 to MAX_PAGE, else the first page (`abc`,
 * `0`, `-1`, `1.5`, a repeated parameter) or the last (a number past MAX_PAGE). Every bad value
 * reads as one of two values, so the page cache keeps at most two pages for them.
 */
const pageOrFallback = z.preprocess(
  (v) => (Array.isArray(v) ? FIRST_PAGE : blankToUndefined(v)),
  z
    .string()
    .transform((v): number | typeof FIRST_PAGE | typeof LAST_PAGE => {
      const digits = /^[0-9]+$/.test(v.trim()) ? v.trim().replace(/^0+/, '') : '';
      if (digits === '') return FIRST_PAGE; // not a number, or zero
      return digits.length > 4 || Number(digits) > MAX_PAGE ? LAST_PAGE : Number(digits);
    })
    .optional(),
);

/**
 * GET /products, the page: a stale shared link (`?category=zzz`, a village since renamed) shows the
 * catalogue without that filter and a short notice instead of an error; the JSON API stays strict.
 * Unknown categories and sorts all read as one value (one page in the page cache).
 */
export const listingPageQuerySchema = listingQuerySchema.extend({
  page: pageOrFallback,
  category: knownOr(CATEGORIES),
  sort: knownOr(SORTS),
  village: optional(z.string().max(MAX_QUERY_LENGTH)),
  project: optional(z.string().max(MAX_QUERY_LENGTH)),
});

/** The JSON API's listing also takes a page size. */
export const MAX_API_PAGE_SIZE = 100;
export const apiListingQuerySchema = listingQuerySchema.extend({ pageSize: optional(wholeNumberParam(1, MAX_API_PAGE_SIZE)) });

export const slugParamsSchema = z.object({ slug: z.string().min(1).max(120) });

/** Pages that take no query except the language switch. */
export const plainQuerySchema = z.object({ lang: optional(z.string().max(16)) });

// ---- Product management (the first secretary's console) ----

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const text = (max: number) => z.string().trim().max(max, 'validation.too_long');
const optionalText = (max: number) => z.preprocess(blank, text(max).optional()).transform((v) => v ?? null);
const wholeNumber = (max: number, message: string) =>
  z
    .string({ error: 'validation.required' })
    .trim()
    .regex(/^[0-9]{1,9}$/, message)
    .transform(Number)
    .pipe(z.number().int().max(max, message));
/** Yuan typed by a person, at most two decimals, into fen (no floating point). */
const yuan = (message: string) => yuanField(message);
const id = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'validation.invalid')
  .transform(Number);
export const MAX_TIERS = 3;
export const MAX_PRICE_FEN = 100_000_000; // ¥1,000,000 per unit
export const MAX_STOCK = 1_000_000;

export const productFormSchema = z
  .object({
    titleZh: text(60).min(1, 'validation.required'),
    titleEn: optionalText(120),
    slug: z.preprocess(
      blank,
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'validation.slug')
        .optional(),
    ),
    descriptionZh: z.preprocess((v) => v ?? '', text(4000)),
    descriptionEn: optionalText(4000),
    storyZh: z.preprocess((v) => v ?? '', text(4000)),
    storyEn: optionalText(4000),
    category: z.enum(CATEGORIES, { error: 'validation.required' }),
    unit: z.enum(UNITS, { error: 'validation.required' }),
    price: yuan('validation.price').pipe(z.number().min(1, 'validation.price').max(MAX_PRICE_FEN, 'validation.price')),
    minOrderQty: wholeNumber(MAX_STOCK, 'validation.quantity').pipe(z.number().min(1, 'validation.quantity')),
    maxRetailQty: z.preprocess(blank, wholeNumber(MAX_STOCK, 'validation.quantity').optional()).transform((v) => v ?? null),
    lowStockThreshold: z.preprocess((v) => blank(v) ?? '5', wholeNumber(MAX_STOCK, 'validation.quantity')),
    producerId: z.preprocess(blank, id.optional()).pipe(z.number({ error: 'validation.required' })),
    projectId: z.preprocess(blank, id.optional()).pipe(z.number({ error: 'validation.required' })),
    published: z
      .literal('on')
      .optional()
      .transform((v) => v === 'on'),
    featured: z
      .literal('on')
      .optional()
      .transform((v) => v === 'on'),
    /** The secretary confirms publishing a product that has no photo yet (else publishing it is refused). */
    publishWithoutPhoto: z
      .literal('on')
      .optional()
      .transform((v) => v === 'on'),
    /** Only on creation; afterwards stock changes through adjustments with a reason. */
    stock: z.preprocess(blank, wholeNumber(MAX_STOCK, 'validation.stock').optional()),
    ...(Object.fromEntries(
      Array.from({ length: MAX_TIERS }, (_, i) => [
        [`tierQty${i + 1}`, z.preprocess(blank, wholeNumber(MAX_STOCK, 'validation.tier_qty').optional())],
        [`tierPrice${i + 1}`, z.preprocess(blank, yuan('validation.price').optional())],
      ]).flat(),
    ) as Record<`tierQty${1 | 2 | 3}` | `tierPrice${1 | 2 | 3}`, z.ZodType<number | undefined>>),
  })
  .superRefine((f, ctx) => {
    if (f.maxRetailQty !== null && f.maxRetailQty < f.minOrderQty) {
      ctx.addIssue({ code: 'custom', path: ['maxRetailQty'], message: 'validation.max_below_min' });
    }
    let lastQty = f.minOrderQty;
    let lastPrice = f.price;
    for (let i = 1; i <= MAX_TIERS; i++) {
      const qty = f[`tierQty${i}` as `tierQty1`];
      const price = f[`tierPrice${i}` as `tierPrice1`];
      if (qty === undefined && price === undefined) continue;
      if (qty === undefined || price === undefined) {
        ctx.addIssue({ code: 'custom', path: [qty === undefined ? `tierQty${i}` : `tierPrice${i}`], message: 'validation.tier_incomplete' });
        continue;
      }
      // Bulk tiers go up in quantity and down in price.
      if (qty <= lastQty || qty < 2) ctx.addIssue({ code: 'custom', path: [`tierQty${i}`], message: 'validation.tier_qty' });
      if (price >= lastPrice || price < 1) ctx.addIssue({ code: 'custom', path: [`tierPrice${i}`], message: 'validation.tier_price' });
      lastQty = qty;
      lastPrice = price;
    }
  })
  .transform((f) => ({
    titleZh: f.titleZh,
    titleEn: f.titleEn,
    slug: f.slug ?? null,
    descriptionZh: f.descriptionZh,
    descriptionEn: f.descriptionEn,
    storyZh: f.storyZh,
    storyEn: f.storyEn,
    category: f.category,
    unit: f.unit,
    priceFen: f.price,
    minOrderQty: f.minOrderQty,
    maxRetailQty: f.maxRetailQty,
    lowStockThreshold: f.lowStockThreshold,
    producerId: f.producerId,
    projectId: f.projectId,
    published: f.published,
    featured: f.featured,
    publishWithoutPhoto: f.publishWithoutPhoto,
    stock: f.stock ?? 0,
    tiers: Array.from({ length: MAX_TIERS }, (_, i) => ({
      minQty: f[`tierQty${i + 1}` as 'tierQty1'],
      priceFen: f[`tierPrice${i + 1}` as 'tierPrice1'],
    })).filter((t): t is { minQty: number; priceFen: number } => t.minQty !== undefined && t.priceFen !== undefined),
  }));
export type ProductForm = z.infer<typeof productFormSchema>;

export const stockAdjustmentSchema = z.object({
  delta: z
    .string({ error: 'validation.required' })
    .trim()
    .regex(/^[+-]?[0-9]{1,7}$/, 'validation.delta')
    .transform(Number)
    .refine((n) => n !== 0, 'validation.delta'),
  reason: text(200).min(1, 'validation.required'),
});

export const publishSchema = z.object({
  published: z.enum(['0', '1'], { error: 'validation.invalid' }).transform((v) => v === '1'),
  publishWithoutPhoto: z
    .literal('on', { error: 'validation.invalid' })
    .optional()
    .transform((v) => v === 'on'),
});

/** Photos one upload may carry (several chosen at once on a phone). */
export const PHOTOS_PER_UPLOAD = 6;

/** Moves a photo among its product's photos (src/catalog/product-management.ts PHOTO_MOVES). */
export const photoMoveSchema = z.object({ move: z.enum(['main', 'earlier', 'later']) });

/** A photo's alternative text: what it shows, in Chinese (required) and English (optional). */
export const photoAltSchema = z.object({
  altZh: text(200).min(1, 'validation.required'),
  altEn: optionalText(200),
});
