import type { Database_, Db } from './client.js';

/**
 * The unit of work: how a service asks for a transaction without knowing the engine.
 *
 * - `write(work)`: one write transaction, answered once it is durable. The work gets the
 *   transaction's handle; it may read and write, must not call the network (Stripe is called
 *   before or after, with an undo: src/orders/checkout.ts), and states its invariants as
 *   conditional writes and unique keys (`UPDATE … WHERE stock >= ?` checking the changes, an
 *   idempotency key per posting, one successor per ledger head), so it stays correct when
 *   several run at once on an engine with row locks.
 * - `read(work)`: a consistent snapshot to read from.
 * - `within(work)`: a part of a larger write; joins the caller's transaction when there is one
 *   (a micro-wish claim placing its donation order), else runs as a transaction of its own.
 *
 * better-sqlite3 serves it today: one connection, one writer at a time, synchronous=FULL; `write`
 * goes through the group commit (src/db/group-commit.ts), so the writes of one moment share one
 * fsync. better-sqlite3 transactions cannot await, so on this engine the work runs synchronously
 * start to end and nothing else interleaves with it. A pool-based engine serves the same calls with
 * BEGIN … COMMIT on one pooled connection (and its row locks); the conditional writes above are
 * what keep money and stock right there, not the single writer.
 */
export interface UnitOfWork {
  write<T>(work: (tx: Db) => T): Promise<T>;
  read<T>(work: (tx: Db) => T): Promise<T>;
  within<T>(work: (tx: Db) => T): T;
}

/** The unit of work over the embedded SQLite database. */
export function sqliteUnitOfWork(db: Database_): UnitOfWork {
  return {
    write: (work) => db.commitGrouped(() => work(db.orm)),
    // A deferred transaction: the reads see one state of the database, and no writer waits on them (WAL).
    read: async (work) => db.sqlite.transaction(() => work(db.orm)).deferred(),
    // Inside a transaction better-sqlite3 makes this a savepoint: its throw undoes only its own writes.
    within: (work) => db.sqlite.transaction(() => work(db.orm)).immediate(),
  };
}
