import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { epochMs, nowMs } from '../db/columns.js';

/** Who did what to money, stock, households and roles, when and from where. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').references(() => users.id),
    /** Stable action code, e.g. household.update, product.stock_adjust, order.mark_paid. */
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    /** JSON { before, after } summary. */
    summary: text('summary').notNull().default('{}'),
    /** Client IP address. */
    address: text('address'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    index('audit_log_created_idx').on(t.createdAt),
    index('audit_log_user_idx').on(t.userId, t.createdAt),
    index('audit_log_entity_idx').on(t.entityType, t.entityId),
  ],
);
