import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { claimLease, leaseOf, releaseLease } from './cluster-queries.js';

/**
 * A lease one app server holds at a time, kept in the database (table leases), so several servers
 * on one database agree on who runs the cluster's periodic work with no service beside it, on
 * SQLite and PostgreSQL alike. The holder renews it well before it expires; a server that stops
 * renewing (stopped, crashed, stalled) loses it when it expires, and the next server to ask takes it.
 *
 * Expiry is read by each server's own clock: servers' clocks must agree to well within the lease
 * (NTP keeps them within milliseconds; the lease is 30 s). What runs under the lease is also safe to
 * run twice (conditional writes, claims, unique keys): the lease keeps the work from being done by
 * every server, it is not what keeps it correct.
 */
export interface LeaderLease {
  /** Who this server is in the leases table. */
  readonly holder: string;
  /** Takes the lease or renews it; answers whether this server holds it now. */
  renew(): Promise<boolean>;
  /** Whether this server held the lease at its last renewal and that renewal has not run out. */
  holding(): boolean;
  /** Gives the lease up (at shutdown), so another server takes it at its next renewal, not after expiry. */
  release(): Promise<void>;
  /** Who holds it now, as the database says (for status pages and tests). */
  currentHolder(): Promise<string | null>;
}

export function createLeaderLease(db: Database_, opts: { clock: Clock; name: string; ttlMs: number; holder?: string }): LeaderLease {
  const { clock, name, ttlMs } = opts;
  const holder = opts.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let heldUntil = 0;
  return {
    holder,
    async renew() {
      const now = clock();
      const held = await db.uow.write((tx) => claimLease(tx, name, holder, now, now + ttlMs));
      heldUntil = held ? now + ttlMs : 0;
      return held;
    },
    holding: () => clock() < heldUntil,
    async release() {
      heldUntil = 0;
      await db.uow.write((tx) => releaseLease(tx, name, holder));
    },
    async currentHolder() {
      const lease = await db.uow.read((tx) => leaseOf(tx, name));
      return lease && lease.expiresAt > clock() ? lease.holder : null;
    },
  };
}
