import { fillPlaceholders, is, SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { Database_, Db } from './client.js';

/**
 * The unit of work: how a service asks for a transaction without knowing the engine.
 *
 * A unit of work is a generator function of the transaction's handle. It builds its queries with
 * drizzle on that handle and hands each to the engine with `yield*`, getting the rows back:
 *
 *   const placed = await db.uow.write(function* (tx) {
 *     const changed = yield* run(tx.update(products).set({ stock: sql`stock - ${n}` }).where(and(eq(products.id, id), gte(products.stock, n))));
 *     if (changed === 0) throw new OutOfStock(id);
 *     return yield* one(tx.insert(orders).values(order).returning());
 *   });
 *
 * The engine decides how the steps run:
 * - better-sqlite3 (the embedded default) runs the whole unit synchronously, start to end, on its
 *   one connection: nothing else interleaves with it, and `write` keeps the group commit
 *   (src/db/group-commit.ts), so the writes of one moment share one fsync with synchronous=FULL.
 * - a pool-based engine (PostgreSQL) runs the same unit in BEGIN … COMMIT on one pooled
 *   connection, awaiting each step; there, row locks and the conditional writes below are what
 *   keep money and stock right, not a single writer.
 *
 * Because a unit is a generator, not an async function, it cannot await anything but its own
 * queries: the type checker refuses a network call (Stripe, SMTP) inside a transaction. Such calls
 * go before or after, with an undo (src/orders/checkout.ts). A unit states its invariants as
 * conditional writes and unique keys (`UPDATE … WHERE stock >= ?` checking the changes, an
 * idempotency key per posting, one successor per ledger head), so it stays correct when several
 * run at once on an engine with row locks.
 *
 * - `write(work)`: one write transaction, answered once it is durable.
 * - `read(work)`: a consistent snapshot to read from; no writer waits on it.
 * - inside a unit, `yield* savepoint(work)` runs a part whose throw undoes only its own writes,
 *   and `yield* other(tx)` composes another unit into this one.
 *
 * Services answer with promises (`Promise<T>`), whatever the engine: their callers never know
 * whether the work ran synchronously.
 */
export interface UnitOfWork {
  write<T>(work: Work<T>): Promise<T>;
  read<T>(work: Work<T>): Promise<T>;
  /**
   * Transitional, SQLite only: runs a unit synchronously for code not yet converted to units of
   * work (it throws on any other engine). New code does not call it.
   */
  now<T>(work: Work<T>): T;
  /**
   * Transitional: a synchronous part of a larger write; joins the caller's transaction when there
   * is one, else runs as a transaction of its own. Units compose with `yield*` instead.
   */
  within<T>(work: (tx: Db) => T): T;
}

/** The handle a unit of work builds its queries on. */
export type Tx = Db;

/** Marks the handle a unit builds its queries on when the engine is PostgreSQL (src/db/pg-engine.ts). */
export const POSTGRES_HANDLE = Symbol.for('xiangyi.postgresHandle');

/**
 * Whether the unit's queries run on PostgreSQL: for the few queries the builder cannot say the same
 * way on both engines (full-text search: FTS5 on SQLite, pg_trgm on PostgreSQL).
 */
export const onPostgres = (tx: Tx): boolean => (tx as unknown as Record<symbol, unknown>)[POSTGRES_HANDLE] === true;

/** One query handed to the engine. */
export type Step =
  | { readonly op: 'all' | 'get' | 'run'; readonly query: unknown; readonly params: Record<string, unknown> | undefined }
  | { readonly op: 'savepoint'; readonly work: Query<unknown> }
  | { readonly op: 'serialize'; readonly key: string };

/** A unit of work in progress: it yields steps and returns T. */
export type Query<T> = Generator<Step, T, unknown>;

/** A unit of work: builds its queries on the transaction's handle. */
export type Work<T> = (tx: Tx) => Query<T>;

/** What a drizzle query or prepared statement offers on the embedded engine. */
interface Runnable<R> {
  all(params?: Record<string, unknown>): R[];
  get(params?: Record<string, unknown>): R | undefined;
  run(params?: Record<string, unknown>): { changes: number };
}

/** Every row of a query (a drizzle builder, a prepared statement, or `sql` with its row type). */
export function* all<R>(query: Pick<Runnable<R>, 'all'> | SQL<unknown>, params?: Record<string, unknown>): Query<R[]> {
  return (yield { op: 'all', query, params }) as R[];
}

/** The first row of a query, or undefined. */
export function* one<R>(query: Pick<Runnable<R>, 'get'> | SQL<unknown>, params?: Record<string, unknown>): Query<R | undefined> {
  return (yield { op: 'get', query, params }) as R | undefined;
}

/** Runs a write; answers how many rows it changed. */
export function* run(query: Pick<Runnable<unknown>, 'run'> | SQL<unknown>, params?: Record<string, unknown>): Query<number> {
  return (yield { op: 'run', query, params }) as number;
}

/** Runs a part of the unit whose throw undoes only its own writes (a savepoint). */
export function* savepoint<T>(work: Query<T>): Query<T> {
  return (yield { op: 'savepoint', work }) as T;
}

/**
 * Makes the rest of this unit wait for any other unit that serialised on the same key until that one
 * commits or rolls back: for an invariant no row lock can hold, such as the ledger's single head.
 * On SQLite, where one writer runs at a time, it does nothing; on PostgreSQL it is a transaction-level
 * advisory lock.
 */
export function* serialize(key: string): Query<void> {
  yield { op: 'serialize', key };
}

/**
 * Runs a unit to its end on better-sqlite3, synchronously: each step is executed when yielded and
 * its answer handed back; a step's throw is thrown into the unit, which may catch it.
 */
export function runOnSqlite<T>(db: Database_, work: Query<T>): T {
  let next = work.next();
  while (!next.done) {
    let answer: unknown;
    try {
      answer = executeOnSqlite(db, next.value);
    } catch (error) {
      next = work.throw(error);
      continue;
    }
    next = work.next(answer);
  }
  return next.value;
}

function executeOnSqlite(db: Database_, step: Step): unknown {
  if (step.op === 'savepoint') {
    // Inside a transaction better-sqlite3 makes this a savepoint: its throw undoes only its own writes.
    return db.sqlite.transaction(() => runOnSqlite(db, step.work))();
  }
  // One writer at a time already.
  if (step.op === 'serialize') return undefined;
  const { op, query, params } = step;
  if (is(query, SQL)) {
    if (op === 'all') return db.orm.all(query);
    if (op === 'get') return db.orm.get(query);
    return db.orm.run(query).changes;
  }
  const runnable = query as Runnable<unknown>;
  if (op === 'all') return runnable.all(params);
  if (op === 'get') return runnable.get(params);
  return runnable.run(params).changes;
}

/** The unit of work over the embedded SQLite database. */
export function sqliteUnitOfWork(db: Database_): UnitOfWork {
  const perform = <T>(work: Work<T>): T => runOnSqlite(db, work(db.orm));
  return {
    write: (work) => db.commitGrouped(() => perform(work)),
    // A deferred transaction: the reads see one state of the database, and no writer waits on them (WAL).
    read: async (work) => (db.sqlite.inTransaction ? perform(work) : db.sqlite.transaction(() => perform(work)).deferred()),
    now: (work) => perform(work),
    // Inside a transaction better-sqlite3 makes this a savepoint: its throw undoes only its own writes.
    within: (work) => db.sqlite.transaction(() => work(db.orm)).immediate(),
  };
}

/**
 * A prepared statement built once per database handle: a hot read skips building its query each
 * time and is run with `one(prepared, params)` / `all(prepared, params)`.
 */
export function preparedOn<T>(build: (tx: Tx) => T): (tx: Tx) => T {
  const cache = new WeakMap<Tx, T>();
  return (tx) => {
    let prepared = cache.get(tx);
    if (prepared === undefined) {
      prepared = build(tx);
      cache.set(tx, prepared);
    }
    return prepared;
  };
}

/**
 * Prepared statements of one query whose shape varies (which filters a listing has), one per shape
 * and database handle: `key` names the shape, and `build` prepares it on first use.
 */
export function preparedByShape<T>(): (tx: Tx, key: string, build: () => T) => T {
  const cache = new WeakMap<Tx, Map<string, T>>();
  return (tx, key, build) => {
    let shapes = cache.get(tx);
    if (!shapes) {
      shapes = new Map();
      cache.set(tx, shapes);
    }
    let prepared = shapes.get(key);
    if (prepared === undefined) {
      prepared = build();
      shapes.set(key, prepared);
    }
    return prepared;
  };
}

const sqliteDialect = new SQLiteSyncDialect();

/**
 * Prepares a query the builder cannot say (FTS5 with a materialised CTE), written as `sql<R>` with
 * `sql.placeholder(...)` for its values and its columns named with AS: a hot one is prepared once
 * (with preparedOn or preparedByShape) instead of per run, like the builder's `.prepare()`. Its rows
 * are the statement's, by the AS names: nothing is mapped from the driver.
 */
export function prepareSql<R>(tx: Tx, query: SQL<R>): Runnable<R> {
  const { sql: text, params } = sqliteDialect.sqlToQuery(query);
  const statement = tx.$client.prepare(text);
  const values = (placeholders?: Record<string, unknown>) => fillPlaceholders(params, placeholders ?? {});
  return {
    all: (placeholders) => statement.all(...values(placeholders)) as R[],
    get: (placeholders) => statement.get(...values(placeholders)) as R | undefined,
    run: (placeholders) => ({ changes: statement.run(...values(placeholders)).changes }),
  };
}
