import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { epochMs } from '../db/columns.js';

/**
 * Request counts of the per-route rate limits (@fastify/rate-limit), shared by every app server
 * through the database: one row per route and client address, counted atomically
 * (src/cluster/rate-limit-store.ts). Rows whose window has ended are deleted by the periodic work.
 */
export const rateLimitCounters = sqliteTable('rate_limit_counters', {
  /** The route (method and path) and the client's key, e.g. "POST /login|203.0.113.10". */
  key: text('key').primaryKey(),
  /** Requests counted in the current window. */
  hits: integer('hits').notNull(),
  /** When the current window ends and the count starts again, epoch ms. */
  resetAt: epochMs('reset_at').notNull(),
});

/**
 * Leases held by one app server at a time (src/cluster/leader-lease.ts): the holder of
 * "periodic-work" runs the cluster's timers (order expiry, housekeeping, the outbox, backups).
 * A holder renews its lease well before it expires; when it stops renewing (it stopped or died),
 * another server takes the lease once it has expired.
 */
export const leases = sqliteTable('leases', {
  name: text('name').primaryKey(),
  /** The server holding it: a random id chosen at start-up, with its host name and pid for people. */
  holder: text('holder').notNull(),
  /** Held until then, epoch ms (by the holder's clock). */
  expiresAt: epochMs('expires_at').notNull(),
});
