import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { epochMs, nowMs } from '../db/columns.js';

/**
 * A coordinator's note on a reconciliation mismatch: why it is so and what was done. Append-only
 * (triggers refuse UPDATE and DELETE): a second note on the same mismatch adds to its history. A
 * mismatch with a note counts as explained, and a month closes only when each of its mismatches
 * is resolved or explained.
 */
export const reconciliationNotes = sqliteTable(
  'reconciliation_notes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Accounting period (YYYY-MM, Asia/Shanghai) of the mismatch. */
    period: text('period').notNull(),
    /** The mismatch it explains: its kind and the record it is about (reconciliation-service mismatchKey), e.g. 'payment_duplicate:payment:42'. */
    mismatchKey: text('mismatch_key').notNull(),
    note: text('note').notNull(),
    createdByUserId: integer('created_by_user_id')
      .notNull()
      .references(() => users.id),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    index('reconciliation_notes_period_idx').on(t.period, t.mismatchKey, t.id),
    check('reconciliation_notes_period_ck', sql`${t.period} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'`),
    check('reconciliation_notes_note_ck', sql`length(${t.note}) BETWEEN 1 AND 2000`),
  ],
);
