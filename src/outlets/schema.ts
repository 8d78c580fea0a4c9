import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { products } from '../catalog/schema.js';
import { epochMs, nowMs } from '../db/columns.js';
import { orders } from '../orders/schema.js';

// ---------- Charity supermarkets ----------

/** A physical charity supermarket (慈善超市). */
export const outlets = sqliteTable(
  'outlets',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    nameEn: text('name_en'),
    address: text('address').notNull(),
    openingHours: text('opening_hours').notNull(),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [uniqueIndex('outlets_slug_uq').on(t.slug)],
);

/** Outlet staff and the outlets they work at. */
export const userOutlets = sqliteTable(
  'user_outlets',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    outletId: integer('outlet_id')
      .notNull()
      .references(() => outlets.id),
  },
  (t) => [primaryKey({ columns: [t.userId, t.outletId] })],
);

/** Units of a product allocated to an outlet's shelves (taken out of the online stock). */
export const outletStock = sqliteTable(
  'outlet_stock',
  {
    outletId: integer('outlet_id')
      .notNull()
      .references(() => outlets.id),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.outletId, t.productId] }), check('outlet_stock_qty_ck', sql`${t.quantity} >= 0`)],
);

/** Pick-up of an online order at an outlet: the buyer shows a code, checked once. */
export const pickups = sqliteTable(
  'pickups',
  {
    orderId: integer('order_id')
      .primaryKey()
      .references(() => orders.id),
    outletId: integer('outlet_id')
      .notNull()
      .references(() => outlets.id),
    /** SHA-256 of the pickup code shown to the buyer. */
    codeHash: text('code_hash').notNull(),
    pickedUpAt: epochMs('picked_up_at'),
    checkedByUserId: integer('checked_by_user_id').references(() => users.id),
  },
  (t) => [index('pickups_outlet_idx').on(t.outletId)],
);

/** A counter sale at an outlet is an order with this row (channel cash / wechat / alipay). */
export const counterSales = sqliteTable(
  'counter_sales',
  {
    orderId: integer('order_id')
      .primaryKey()
      .references(() => orders.id),
    outletId: integer('outlet_id')
      .notNull()
      .references(() => outlets.id),
    channel: text('channel', { enum: ['cash', 'wechat', 'alipay'] }).notNull(),
    staffUserId: integer('staff_user_id')
      .notNull()
      .references(() => users.id),
  },
  (t) => [check('counter_sales_channel_ck', sql`${t.channel} IN ('cash','wechat','alipay')`)],
);
