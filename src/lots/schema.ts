import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { products } from '../catalog/schema.js';
import { epochMs, nowMs } from '../db/columns.js';
import { media } from '../media/schema.js';
import { orderLines } from '../orders/schema.js';
import { refunds } from '../payments/schema.js';
import { households } from '../villages/schema.js';

// ---------- Harvest lots (traceability) ----------

/** A harvest or production lot of a product: stock can be held in lots, sold first-in-first-out. */
export const lots = sqliteTable(
  'lots',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    /** Public code (/lots/:code). */
    code: text('code').notNull(),
    /** ISO date of harvest or production. */
    harvestedOn: text('harvested_on').notNull(),
    /** Units put into the lot, and units not yet sold. */
    quantity: integer('quantity').notNull(),
    remaining: integer('remaining').notNull(),
    notes: text('notes'),
    certificateMediaId: integer('certificate_media_id').references(() => media.id),
    recalledAt: epochMs('recalled_at'),
    recallReason: text('recall_reason'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('lots_code_uq').on(t.code),
    index('lots_fifo_idx').on(t.productId, t.harvestedOn, t.id),
    check('lots_qty_ck', sql`${t.quantity} > 0 AND ${t.remaining} >= 0 AND ${t.remaining} <= ${t.quantity}`),
  ],
);

/** The households whose harvest a lot is. */
export const lotHouseholds = sqliteTable(
  'lot_households',
  {
    lotId: integer('lot_id')
      .notNull()
      .references(() => lots.id),
    householdId: integer('household_id')
      .notNull()
      .references(() => households.id),
  },
  (t) => [primaryKey({ columns: [t.lotId, t.householdId] })],
);

/** Which lots each order line was served from (units). */
export const orderLineLots = sqliteTable(
  'order_line_lots',
  {
    orderLineId: integer('order_line_id')
      .notNull()
      .references(() => orderLines.id),
    lotId: integer('lot_id')
      .notNull()
      .references(() => lots.id),
    quantity: integer('quantity').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderLineId, t.lotId] }),
    index('order_line_lots_lot_idx').on(t.lotId),
    check('order_line_lots_qty_ck', sql`${t.quantity} > 0`),
  ],
);

export const RECALL_ACTIONS = ['refund', 'replace'] as const;
export type RecallAction = (typeof RECALL_ACTIONS)[number];

/**
 * What a coordinator did about an order line's units of a recalled lot: refunded them (through the
 * order's refund, which may still be pending or fail at Stripe: a failed refund settles nothing) or
 * replaced them with units of other lots of the product (the line's lot allocation moved there).
 * Units of a recalled lot that no row settles hold their parcel back and their unpaid order unpaid.
 */
export const recallResolutions = sqliteTable(
  'recall_resolutions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The recalled lot. */
    lotId: integer('lot_id')
      .notNull()
      .references(() => lots.id),
    orderLineId: integer('order_line_id')
      .notNull()
      .references(() => orderLines.id),
    /** Units of the recalled lot settled. */
    quantity: integer('quantity').notNull(),
    action: text('action', { enum: RECALL_ACTIONS }).notNull(),
    refundId: integer('refund_id').references(() => refunds.id),
    /** The lot the units were replaced from (a replacement from several lots is a row for each). */
    replacementLotId: integer('replacement_lot_id').references(() => lots.id),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    index('recall_resolutions_lot_idx').on(t.lotId),
    index('recall_resolutions_line_idx').on(t.orderLineId, t.lotId),
    check('recall_resolutions_qty_ck', sql`${t.quantity} > 0`),
    check('recall_resolutions_action_ck', sql`${t.action} IN ('refund','replace')`),
    check('recall_resolutions_refund_ck', sql`(${t.action} = 'refund') = (${t.refundId} IS NOT NULL)`),
    check('recall_resolutions_replacement_ck', sql`(${t.action} = 'replace') = (${t.replacementLotId} IS NOT NULL)`),
  ],
);
