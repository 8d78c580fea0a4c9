import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { products } from '../catalog/schema.js';
import { epochMs, nowMs } from '../db/columns.js';
import { media } from '../media/schema.js';
import { orders } from '../orders/schema.js';

// ---------- Bulk and institutional buying ----------

/** A buying organisation: a trade union, a public budget unit, a merchant. */
export const organizations = sqliteTable(
  'organizations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    /** 统一社会信用代码: 18 characters. */
    creditCode: text('credit_code').notNull(),
    invoiceTitle: text('invoice_title').notNull(),
    taxNumber: text('tax_number').notNull(),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [uniqueIndex('organizations_credit_code_uq').on(t.creditCode), check('organizations_credit_code_ck', sql`length(${t.creditCode}) = 18`)],
);

/** Buyer accounts that act for an organisation. */
export const organizationMembers = sqliteTable(
  'organization_members',
  {
    organizationId: integer('organization_id')
      .notNull()
      .references(() => organizations.id),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.userId] }), uniqueIndex('organization_members_user_uq').on(t.userId)],
);

/** Yearly purchase quota of poverty-area produce (as the 832 programme sets for budget units), fen. */
export const organizationQuotas = sqliteTable(
  'organization_quotas',
  {
    organizationId: integer('organization_id')
      .notNull()
      .references(() => organizations.id),
    year: integer('year').notNull(),
    quotaFen: integer('quota_fen').notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.year] }), check('organization_quotas_ck', sql`${t.quotaFen} >= 0 AND ${t.year} BETWEEN 2000 AND 2100`)],
);

export const QUOTE_STATUSES = ['requested', 'answered', 'accepted', 'declined', 'expired'] as const;

/** A request for a price on a quantity above a product's retail limit, answered by the village's secretary. */
export const quotes = sqliteTable(
  'quotes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    organizationId: integer('organization_id').references(() => organizations.id),
    requestedByUserId: integer('requested_by_user_id')
      .notNull()
      .references(() => users.id),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    /** Units. */
    quantity: integer('quantity').notNull(),
    note: text('note'),
    status: text('status', { enum: QUOTE_STATUSES }).notNull().default('requested'),
    /** Offered price per unit, fen. */
    unitPriceFen: integer('unit_price_fen'),
    validUntil: epochMs('valid_until'),
    answeredByUserId: integer('answered_by_user_id').references(() => users.id),
    answeredAt: epochMs('answered_at'),
    orderId: integer('order_id').references(() => orders.id),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    index('quotes_product_idx').on(t.productId, t.status),
    index('quotes_requester_idx').on(t.requestedByUserId),
    check('quotes_qty_ck', sql`${t.quantity} > 0`),
    check('quotes_price_ck', sql`${t.unitPriceFen} IS NULL OR ${t.unitPriceFen} >= 0`),
    check('quotes_status_ck', sql`${t.status} IN ('requested','answered','accepted','declined','expired')`),
  ],
);

/** 发票 request captured on an order, exported for the accountant. */
export const invoiceRequests = sqliteTable('invoice_requests', {
  orderId: integer('order_id')
    .primaryKey()
    .references(() => orders.id),
  organizationId: integer('organization_id').references(() => organizations.id),
  title: text('title').notNull(),
  taxNumber: text('tax_number').notNull(),
  email: text('email'),
  createdAt: epochMs('created_at').notNull().default(nowMs),
  /** The issued invoice's number (发票号码), once the accountant has issued it. */
  invoiceNumber: text('invoice_number'),
  /** The date printed on the issued invoice (midnight CST, epoch ms). */
  invoiceDate: epochMs('invoice_date'),
  /** The issued invoice as a file (PDF as uploaded, or a photo re-encoded); private. */
  invoiceMediaId: integer('invoice_media_id').references(() => media.id),
  issuedByUserId: integer('issued_by_user_id').references(() => users.id),
  /** When the issued invoice was recorded here. */
  issuedAt: epochMs('issued_at'),
});
