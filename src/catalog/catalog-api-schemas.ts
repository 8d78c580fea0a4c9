import { z } from 'zod';
import { fenSchema, figuresSchema, pageSchema, yuanSchema } from '../api/api-schemas.js';
import { PRODUCER_KINDS } from '../villages/schema.js';
import { SORTS } from './catalog-schemas.js';
import { CATEGORIES } from './schema.js';

/**
 * What the JSON API answers about the catalogue: public fields only, the same as the pages show.
 * The response schemas also serialize the answers, so a field not named here never leaves.
 */

const ref = z.object({ slug: z.string(), name: z.string() });
const pageUrl = z.string().describe("The shop's page for it (a path)");

export const productCardSchema = z.object({
  slug: z.string(),
  url: pageUrl,
  title: z.string(),
  titleZh: z.string(),
  titleEn: z.string().nullable(),
  price: yuanSchema,
  priceFen: fenSchema,
  unit: z.string().describe('The unit, in the language asked for'),
  stock: z.number().int(),
  soldOut: z.boolean(),
  village: z.string(),
  villageSlug: z.string(),
  producer: z.string(),
  category: z.enum(CATEGORIES),
  photoUrl: z.string().nullable(),
  project: ref,
});

export const productListSchema = pageSchema(productCardSchema).extend({ sort: z.enum(SORTS) });

export const productSchema = z.object({
  slug: z.string(),
  url: pageUrl,
  title: z.string(),
  titleZh: z.string(),
  titleEn: z.string().nullable(),
  description: z.string(),
  story: z.string(),
  category: z.enum(CATEGORIES),
  unit: z.string().describe('The unit code (jin, kg, box …)'),
  unitLabel: z.string().describe('The unit, in the language asked for'),
  priceFen: fenSchema,
  price: yuanSchema,
  stock: z.number().int(),
  onSale: z.boolean().describe('False while its project has ended or not yet started: it cannot be bought'),
  minOrderQty: z.number().int(),
  maxRetailQty: z.number().int().nullable().describe('The most one retail order may take; null: no limit but the stock'),
  bulkTiers: z.array(z.object({ minQty: z.number().int(), priceFen: fenSchema, price: yuanSchema })),
  producer: z.object({
    kind: z.enum(PRODUCER_KINDS),
    name: z.string(),
    story: z.string(),
    households: z.number().int().describe('Households the producer counts (members or employees)'),
  }),
  village: ref,
  project: ref.extend({
    startsOn: z.string().nullable().describe('First day of sale (YYYY-MM-DD, China time)'),
    endsOn: z.string().nullable().describe('Last day of sale'),
  }),
  photos: z.array(z.object({ list: z.string().nullable(), detail: z.string().nullable() })),
});

export const villageSchema = z.object({ slug: z.string(), url: pageUrl, name: z.string(), region: z.string() });

export const villageDetailSchema = villageSchema.extend({
  story: z.string(),
  figures: figuresSchema.extend({ producers: z.number().int() }),
  producers: z.array(z.object({ name: z.string(), kind: z.enum(PRODUCER_KINDS), story: z.string() })),
  products: z.array(productCardSchema).describe('Its most popular products (at most 48)'),
});

export const projectSchema = z.object({
  slug: z.string(),
  url: pageUrl,
  name: z.string(),
  story: z.string(),
  fundingSource: z.string(),
  startsOn: z.string().nullable(),
  endsOn: z.string().nullable(),
  targetFen: fenSchema.nullable(),
  target: yuanSchema.nullable(),
});

const basisPoints = z.number().int().describe('Basis points (10000 = all of it)');

export const projectDetailSchema = projectSchema.extend({
  split: z
    .object({ householdBp: basisPoints, projectFundBp: basisPoints, operationsBp: basisPoints })
    .nullable()
    .describe("How each sale's proceeds are split now: to the producer's households, to the project fund, to operations"),
  figures: figuresSchema.extend({ villages: z.number().int() }),
  villages: z.array(ref),
  products: z.array(productCardSchema).describe('Its most popular products (at most 48)'),
});
