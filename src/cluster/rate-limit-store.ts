import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Database_ } from '../db/client.js';
import { countHit, countOf, pruneRateLimits } from './cluster-queries.js';

/** What @fastify/rate-limit hands a store's `child` for each limited route (its merged options). */
interface RouteLimit {
  routeInfo?: { method?: string | string[]; url?: string };
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
}

type Answer = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** Keys remembered as over their limit, per process; past this many the oldest are forgotten. */
const MAX_REFUSED_KEYS = 10_000;

/**
 * A store for @fastify/rate-limit that counts in the database (table rate_limit_counters), so every
 * app server on it shares each route's limit: 20 sign-ins a minute from an address are 20 however
 * the load balancer spreads them. Each counted request is one atomic upsert (src/cluster/cluster-queries.ts)
 * in a unit of work, on SQLite and PostgreSQL alike.
 *
 * Only the routes that declare a limit (`config.rateLimit`: sign-in, registration, password reset,
 * order look-up, wish claims, outlet sales) are counted; nothing is limited globally, so the
 * catalogue's GETs never write. Once the database has answered that a key is over its limit, this
 * process refuses that key itself until its window ends, without writing: a flood of refused requests
 * costs no writes (the count in the database could only have grown, so the answer is the same).
 *
 * Windows are measured in real time (Date.now), as @fastify/rate-limit's own store does. Rows whose
 * window has ended are deleted by the periodic work (`prune`).
 */
export function databaseRateLimitStore(db: Database_): FastifyRateLimitStoreCtor {
  let anonymous = 0;

  class DatabaseRateLimitStore implements FastifyRateLimitStore {
    /** Keys this process knows to be over their limit, and when their window ends (epoch ms). */
    private readonly refused = new Map<string, number>();

    /** @fastify/rate-limit makes the root store with its options (unused); routes' stores come from `child`. */
    constructor(
      _options: unknown,
      private readonly scope = '',
    ) {}

    incr(key: string, answer: Answer, timeWindow: number, max: number): void {
      const counted = `${this.scope}|${key}`;
      const now = Date.now();
      const refusedUntil = this.refused.get(counted);
      if (refusedUntil !== undefined) {
        if (refusedUntil > now) {
          answer(null, { current: max + 1, ttl: refusedUntil - now });
          return;
        }
        this.refused.delete(counted);
      }
      db.uow
        .write((tx) => countHit(tx, counted, now, timeWindow))
        .then(
          ({ hits, resetAt }) => {
            if (hits > max) this.remember(counted, resetAt);
            answer(null, { current: hits, ttl: Math.max(0, resetAt - now) });
          },
          (error: unknown) => answer(error instanceof Error ? error : new Error(String(error))),
        );
    }

    read(key: string, answer: Answer): void {
      const now = Date.now();
      db.uow
        .read((tx) => countOf(tx, `${this.scope}|${key}`))
        .then(
          (count) => answer(null, count && count.resetAt > now ? { current: count.hits, ttl: count.resetAt - now } : { current: 0, ttl: 0 }),
          (error: unknown) => answer(error instanceof Error ? error : new Error(String(error))),
        );
    }

    /** A route's own counts: its method and path name them, the same on every server. */
    child(options: unknown): FastifyRateLimitStore {
      const route = options as RouteLimit;
      // Neither is used by the shop's routes, and the counting statement does not implement them.
      if (route.continueExceeding || route.exponentialBackoff) {
        throw new Error('the database rate-limit store counts fixed windows: continueExceeding and exponentialBackoff are not supported');
      }
      const method = [route.routeInfo?.method ?? ''].flat().join(',');
      const url = route.routeInfo?.url;
      return new DatabaseRateLimitStore(null, url ? `${method} ${url}` : `limiter ${++anonymous}`);
    }

    private remember(key: string, until: number): void {
      if (this.refused.size >= MAX_REFUSED_KEYS) this.refused.delete(this.refused.keys().next().value!);
      this.refused.set(key, until);
    }
  }

  return DatabaseRateLimitStore as unknown as FastifyRateLimitStoreCtor;
}

/** Housekeeping: forgets the counts whose window has ended (real time, as the store counts). */
export const pruneRateLimitCounters = (db: Database_): Promise<number> => db.uow.write((tx) => pruneRateLimits(tx, Date.now()));
