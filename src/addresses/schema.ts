import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { epochMs, nowMs } from '../db/columns.js';

/**
 * A signed-in buyer's saved delivery addresses (the address book). Province, city and district are
 * names from China's administrative divisions (src/addresses/divisions.ts), as orders keep them.
 */
export const buyerAddresses = sqliteTable(
  'buyer_addresses',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Who receives the parcel. */
    recipientName: text('recipient_name').notNull(),
    /** A mainland mobile number, 11 digits. */
    phone: text('phone').notNull(),
    province: text('province').notNull(),
    city: text('city').notNull(),
    district: text('district').notNull(),
    /** Street, building, room: free text. */
    street: text('street').notNull(),
    /** 1 on the buyer's default address, NULL on the others: the unique key with user_id keeps one default. */
    isDefault: integer('is_default'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    updatedAt: epochMs('updated_at').notNull().default(nowMs),
  },
  (t) => [
    index('buyer_addresses_user_idx').on(t.userId, t.id),
    uniqueIndex('buyer_addresses_default_uq').on(t.userId, t.isDefault),
    check('buyer_addresses_default_ck', sql`${t.isDefault} IS NULL OR ${t.isDefault} = 1`),
  ],
);

export type BuyerAddress = typeof buyerAddresses.$inferSelect;
