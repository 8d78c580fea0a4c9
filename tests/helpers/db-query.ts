import { count, type SQL } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Database_ } from '../../src/db/client.js';
import { all, one, run } from '../../src/db/unit-of-work.js';

/**
 * What a test reads or writes behind the app's back, on either engine: a drizzle builder or `sql` on
 * the unit's handle, run through the engine (SQLite in `npm test`, PostgreSQL in `npm run test:pg`).
 * Raw SQL here must be engine-neutral: `count(*)` arrives as a number on both, a 0/1 flag compared
 * with `= ${true}`, names of computed columns in snake_case.
 */
export const rowsOf = <R>(db: Database_, query: SQL<unknown> | ((tx: Database_['orm']) => { all(): R[] })): Promise<R[]> =>
  db.uow.read((tx) => all<R>(typeof query === 'function' ? query(tx) : query));

/** The first row of a query, or undefined (see rowsOf). */
export const rowOf = <R>(db: Database_, query: SQL<unknown> | ((tx: Database_['orm']) => { get(): R | undefined })): Promise<R | undefined> =>
  db.uow.read((tx) => one<R>(typeof query === 'function' ? query(tx) : query));

/** Runs a write behind the app's back; answers how many rows it changed. */
export const writeOf = (db: Database_, query: SQL<unknown> | ((tx: Database_['orm']) => { run(): unknown })): Promise<number> =>
  db.uow.write((tx) => run(typeof query === 'function' ? (query(tx) as never) : query));

/** Runs a write that answers a row (an insert … returning) behind the app's back; answers that row. */
export const writtenRowOf = <R>(db: Database_, query: (tx: Database_['orm']) => { get(): R | undefined }): Promise<R | undefined> =>
  db.uow.write((tx) => one<R>(query(tx)));

/** How many rows a table holds (those matching `where`, when given), on either engine. */
export const countOf = async (db: Database_, table: SQLiteTable, where?: SQL): Promise<number> =>
  (await rowOf(db, (tx) => tx.select({ n: count() }).from(table).where(where)))?.n ?? 0;
