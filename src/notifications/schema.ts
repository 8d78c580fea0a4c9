import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { epochMs, flag, nowMs } from '../db/columns.js';

export const OUTBOX_STATUSES = ['pending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * The transactional outbox: each e-mail is written here in the same transaction as the change it
 * reports (src/notifications/outbox.ts), rendered once, then delivered by the worker. A change that
 * rolls back leaves no row, so nothing is sent for it.
 */
export const outboxMessages = sqliteTable(
  'outbox_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** What the message reports, e.g. order_placed, order_shipped, password_reset. */
    kind: text('kind').notNull(),
    /** Stored lower-cased and trimmed. */
    recipient: text('recipient').notNull(),
    locale: text('locale').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    htmlBody: text('html_body').notNull(),
    /** JSON object of extra headers (List-Unsubscribe …). */
    headers: text('headers').notNull().default('{}'),
    /** Transactional mail goes out whatever the recipient's preferences; the rest can be turned off. */
    transactional: flag('transactional').notNull().default(true),
    /** Optional: a second enqueue with the same key writes nothing (one message per event). */
    dedupeKey: text('dedupe_key'),
    status: text('status', { enum: OUTBOX_STATUSES }).notNull().default('pending'),
    /** Delivery attempts started (claims). */
    attempts: integer('attempts').notNull().default(0),
    /** Not tried before then. */
    nextAttemptAt: epochMs('next_attempt_at').notNull(),
    /** A worker holds the message until then; after it (a crash) another claim takes it. */
    leaseUntil: epochMs('lease_until'),
    /** The claim's random token: only the worker that holds it marks the message sent. */
    leaseToken: text('lease_token'),
    lastError: text('last_error'),
    /** When the message was written to the log because no SMTP server is configured. */
    loggedAt: epochMs('logged_at'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    sentAt: epochMs('sent_at'),
  },
  (t) => [
    index('outbox_due_idx').on(t.status, t.nextAttemptAt),
    index('outbox_created_idx').on(t.createdAt),
    uniqueIndex('outbox_dedupe_uq').on(t.dedupeKey).where(sql`${t.dedupeKey} IS NOT NULL`),
    check('outbox_status_ck', sql`${t.status} IN ('pending','sent','failed')`),
  ],
);

/**
 * What a signed-in person wants by e-mail: the language of their last sign-in (messages about
 * them are written in it) and whether they turned off the mail that is not transactional.
 */
export const mailPreferences = sqliteTable('mail_preferences', {
  userId: integer('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  locale: text('locale').notNull().default('zh-CN'),
  noticesOff: flag('notices_off').notNull().default(false),
  updatedAt: epochMs('updated_at').notNull().default(nowMs),
});
