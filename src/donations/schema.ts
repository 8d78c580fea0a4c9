import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { epochMs, nowMs } from '../db/columns.js';
import { orders } from '../orders/schema.js';
import { projects } from '../projects/schema.js';

// ---------- Donation receipts (捐赠票据) ----------

/**
 * The last donation receipt number given out in each year (CST). The next number is one upsert on
 * this row inside the paying transaction, so two donations paid at once on two servers wait on the
 * row's lock and get consecutive numbers; a rolled-back payment gives its number back.
 */
export const donationReceiptCounters = sqliteTable('donation_receipt_counters', {
  /** Calendar year in China Standard Time, e.g. 2026. */
  year: integer('year').primaryKey(),
  lastNumber: integer('last_number').notNull(),
});

/**
 * A numbered receipt for a donation (a micro-wish's donation order), issued when the donation is
 * paid, in the same transaction. Its figures never change afterwards: donor name as given on the
 * claim, amount, project, date.
 */
export const donationReceipts = sqliteTable(
  'donation_receipts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Human reference, e.g. JZ-2026-000042: year and that year's sequence. */
    number: text('number').notNull(),
    year: integer('year').notNull(),
    /** 1, 2, 3 … within the year, without gaps. */
    sequence: integer('sequence').notNull(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    /** The donor's name exactly as they gave it. */
    donorName: text('donor_name').notNull(),
    /** Fen. */
    amountFen: integer('amount_fen').notNull(),
    /** When the donation was paid (and the receipt issued). */
    issuedAt: epochMs('issued_at').notNull(),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('donation_receipts_number_uq').on(t.number),
    uniqueIndex('donation_receipts_year_seq_uq').on(t.year, t.sequence),
    uniqueIndex('donation_receipts_order_uq').on(t.orderId),
    index('donation_receipts_project_idx').on(t.projectId, t.issuedAt),
    index('donation_receipts_issued_idx').on(t.issuedAt),
    check('donation_receipts_amount_ck', sql`${t.amountFen} > 0`),
    check('donation_receipts_seq_ck', sql`${t.sequence} > 0`),
  ],
);
