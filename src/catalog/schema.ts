import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { epochMs, flag, nowMs } from '../db/columns.js';
import { media } from '../media/schema.js';
import { projects } from '../projects/schema.js';
import { producers } from '../villages/schema.js';

export const CATEGORIES = ['tea', 'honey', 'grain-oil', 'eggs-poultry', 'dried-goods', 'fruit', 'spices', 'handicrafts'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Selling units. Quantities are whole units. */
export const UNITS = ['jian', 'jin', 'kg', 'box', 'bottle', 'jar', 'pair', 'bag', 'dozen'] as const;
export type Unit = (typeof UNITS)[number];

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(','));

export const products = sqliteTable(
  'products',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    slug: text('slug').notNull(),
    producerId: integer('producer_id')
      .notNull()
      .references(() => producers.id),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    category: text('category', { enum: CATEGORIES }).notNull(),
    unit: text('unit', { enum: UNITS }).notNull(),
    titleZh: text('title_zh').notNull(),
    titleEn: text('title_en'),
    descriptionZh: text('description_zh').notNull().default(''),
    descriptionEn: text('description_en'),
    storyZh: text('story_zh').notNull().default(''),
    storyEn: text('story_en'),
    /** Retail price per unit in fen. */
    priceFen: integer('price_fen').notNull(),
    /** Units available to sell (not yet reserved by an order). */
    stock: integer('stock').notNull().default(0),
    /** Smallest quantity, in units, one order line may have. */
    minOrderQty: integer('min_order_qty').notNull().default(1),
    /** Largest retail quantity in units; above it buyers ask for a quote. Null = no limit. */
    maxRetailQty: integer('max_retail_qty'),
    /** At or below this many units the secretary's dashboard flags the product. */
    lowStockThreshold: integer('low_stock_threshold').notNull().default(5),
    published: flag('published').notNull().default(false),
    featured: flag('featured').notNull().default(false),
    /** Units sold in paid orders; the popularity sort. */
    soldCount: integer('sold_count').notNull().default(0),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    updatedAt: epochMs('updated_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('products_slug_uq').on(t.slug),
    index('products_producer_idx').on(t.producerId),
    index('products_project_idx').on(t.projectId),
    index('products_listing_idx').on(t.published, t.createdAt),
    index('products_category_idx').on(t.category, t.published),
    // What a one- or two-character search term (茶, 蜂蜜) is matched and ranked on, narrow enough to scan
    // whole: a scan of the table itself reads every description and story (src/catalog/catalog-queries.ts).
    index('products_search_idx').on(t.titleZh, t.titleEn, t.producerId, t.category, t.featured, t.soldCount, t.published),
    check('products_price_ck', sql`${t.priceFen} >= 0`),
    check('products_stock_ck', sql`${t.stock} >= 0`),
    check('products_min_order_ck', sql`${t.minOrderQty} >= 1`),
    check('products_max_retail_ck', sql`${t.maxRetailQty} IS NULL OR ${t.maxRetailQty} >= ${t.minOrderQty}`),
    check('products_low_stock_ck', sql`${t.lowStockThreshold} >= 0`),
    check('products_sold_ck', sql`${t.soldCount} >= 0`),
    check('products_category_ck', sql`${t.category} IN (${inList(CATEGORIES)})`),
    check('products_unit_ck', sql`${t.unit} IN (${inList(UNITS)})`),
    check('products_slug_ck', sql`${t.slug} GLOB '[a-z0-9]*' AND length(${t.slug}) BETWEEN 1 AND 80`),
  ],
);

/** Bulk price: from minQty units upward each unit costs priceFen. */
export const priceTiers = sqliteTable(
  'price_tiers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    minQty: integer('min_qty').notNull(),
    priceFen: integer('price_fen').notNull(),
  },
  (t) => [
    uniqueIndex('price_tiers_product_qty_uq').on(t.productId, t.minQty),
    check('price_tiers_qty_ck', sql`${t.minQty} >= 2`),
    check('price_tiers_price_ck', sql`${t.priceFen} >= 0`),
  ],
);

/** A product photo, re-encoded into a list size and a detail size (both WebP). */
export const productPhotos = sqliteTable(
  'product_photos',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    position: integer('position').notNull().default(0),
    listMediaId: integer('list_media_id')
      .notNull()
      .references(() => media.id),
    detailMediaId: integer('detail_media_id')
      .notNull()
      .references(() => media.id),
    altZh: text('alt_zh').notNull().default(''),
    altEn: text('alt_en'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [index('product_photos_product_idx').on(t.productId, t.position)],
);

/** Every manual change of stock, with its reason (orders change stock through reservations). */
export const stockAdjustments = sqliteTable(
  'stock_adjustments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    /** Units added (positive) or removed (negative). */
    delta: integer('delta').notNull(),
    reason: text('reason').notNull(),
    userId: integer('user_id'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [index('stock_adjustments_product_idx').on(t.productId), check('stock_adjustments_delta_ck', sql`${t.delta} <> 0`)],
);
