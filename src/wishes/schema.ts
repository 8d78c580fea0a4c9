import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { epochMs, flag, nowMs } from '../db/columns.js';
import { media } from '../media/schema.js';
import { orders } from '../orders/schema.js';
import { projects } from '../projects/schema.js';
import { villages } from '../villages/schema.js';

// ---------- Micro-wishes ----------

export const WISH_STATUSES = ['open', 'claimed', 'paid', 'delivered', 'cancelled'] as const;

/** A child's micro-wish (微心愿) posted by a social worker; fulfilled by one donor. */
export const wishes = sqliteTable(
  'wishes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    villageId: integer('village_id').references(() => villages.id),
    /** Consented first name or a pseudonym; never a full name. */
    childName: text('child_name').notNull(),
    /** Years. */
    childAge: integer('child_age').notNull(),
    item: text('item').notNull(),
    itemEn: text('item_en'),
    /** Price of the wish, fen. */
    amountFen: integer('amount_fen').notNull(),
    story: text('story').notNull().default(''),
    storyEn: text('story_en'),
    /** Shown only when photoConsent. */
    photoMediaId: integer('photo_media_id').references(() => media.id),
    photoConsent: flag('photo_consent').notNull().default(false),
    status: text('status', { enum: WISH_STATUSES }).notNull().default('open'),
    /** Order that pays for the wish (the claim). */
    orderId: integer('order_id').references(() => orders.id),
    deliveredAt: epochMs('delivered_at'),
    deliveryPhotoMediaId: integer('delivery_photo_media_id').references(() => media.id),
    deliveryNote: text('delivery_note'),
    postedByUserId: integer('posted_by_user_id').references(() => users.id),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    index('wishes_status_idx').on(t.status),
    uniqueIndex('wishes_order_uq').on(t.orderId),
    check('wishes_amount_ck', sql`${t.amountFen} > 0`),
    check('wishes_age_ck', sql`${t.childAge} BETWEEN 0 AND 18`),
    check('wishes_status_ck', sql`${t.status} IN ('open','claimed','paid','delivered','cancelled')`),
  ],
);
