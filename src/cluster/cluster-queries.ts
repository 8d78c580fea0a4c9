import { and, eq, lte, or, sql } from 'drizzle-orm';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { leases, rateLimitCounters } from './schema.js';

/** A rate-limit count as of the request just counted. */
export type Count = Pick<typeof rateLimitCounters.$inferSelect, 'hits' | 'resetAt'>;

/**
 * Counts one request against `key` in one statement, atomically on both engines (an upsert that
 * answers the new count): the first request of a window starts it at 1 and sets when it ends; a
 * later one in the window adds 1; the first after it ended starts a new window.
 */
export function* countHit(tx: Tx, key: string, now: number, windowMs: number): Query<Count> {
  const ended = sql`${rateLimitCounters.resetAt} <= ${now}`;
  const row = yield* one(
    tx
      .insert(rateLimitCounters)
      .values({ key, hits: 1, resetAt: now + windowMs })
      .onConflictDoUpdate({
        target: rateLimitCounters.key,
        set: {
          hits: sql`CASE WHEN ${ended} THEN 1 ELSE ${rateLimitCounters.hits} + 1 END`,
          resetAt: sql`CASE WHEN ${ended} THEN ${now + windowMs} ELSE ${rateLimitCounters.resetAt} END`,
        },
      })
      .returning({ hits: rateLimitCounters.hits, resetAt: rateLimitCounters.resetAt }),
  );
  if (!row) throw new Error(`rate limit: the count of ${key} was neither inserted nor updated`);
  return row;
}

/** The count of `key` without counting (undefined when it has none). */
export function* countOf(tx: Tx, key: string): Query<Count | undefined> {
  return yield* one(
    tx.select({ hits: rateLimitCounters.hits, resetAt: rateLimitCounters.resetAt }).from(rateLimitCounters).where(eq(rateLimitCounters.key, key)),
  );
}

/** Housekeeping: forgets counts whose window has ended. */
export function* pruneRateLimits(tx: Tx, now: number): Query<number> {
  return yield* run(tx.delete(rateLimitCounters).where(lte(rateLimitCounters.resetAt, now)));
}

/**
 * Takes the lease `name` for `holder` until `expiresAt`, or renews it, in one statement: it is
 * written only when nobody holds it, when `holder` already does, or when the last holder's lease
 * has expired. Answers whether `holder` holds it now.
 */
export function* claimLease(tx: Tx, name: string, holder: string, now: number, expiresAt: number): Query<boolean> {
  const rows = yield* all(
    tx
      .insert(leases)
      .values({ name, holder, expiresAt })
      .onConflictDoUpdate({
        target: leases.name,
        set: { holder, expiresAt },
        setWhere: or(eq(leases.holder, holder), lte(leases.expiresAt, now)),
      })
      .returning({ holder: leases.holder }),
  );
  return rows.length === 1 && rows[0]!.holder === holder;
}

/** Gives the lease up, if `holder` still holds it, so another server need not wait for it to expire. */
export function* releaseLease(tx: Tx, name: string, holder: string): Query<number> {
  return yield* run(tx.delete(leases).where(and(eq(leases.name, name), eq(leases.holder, holder))));
}

/** Who holds the lease and until when (undefined when nobody ever took it or it was given up). */
export function* leaseOf(tx: Tx, name: string): Query<typeof leases.$inferSelect | undefined> {
  return yield* one(tx.select().from(leases).where(eq(leases.name, name)));
}
