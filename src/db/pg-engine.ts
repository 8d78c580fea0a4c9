import * as drizzleOrm from 'drizzle-orm';
import { Column, fillPlaceholders, is, Param, type Query as RenderedQuery, SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { BaseSQLiteDatabase, type SQLiteColumn, SQLiteSession, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { createTableRelationsHelpers, extractTablesRelationalConfig } from 'drizzle-orm';
import pg from 'pg';
import type { Db } from './client.js';
import * as schema from './schema.js';
import { POSTGRES_HANDLE, type Query, type Step, type UnitOfWork, type Work } from './unit-of-work.js';

/**
 * The unit of work on PostgreSQL (src/db/unit-of-work.ts).
 *
 * Units are written once, against the SQLite tables: `tx.select().from(products)` where products is
 * a sqliteTable. On PostgreSQL `tx` is a drizzle SQLite database that executes nothing: its query
 * builders and prepared statements are rendered by PostgreSQL's dialect ($n placeholders, the same
 * double-quoted names) and captured as a {@link PgStatement} — the SQL, its parameters (placeholders
 * still to bind) and the selected fields. The runner executes each yielded step on one pooled
 * client inside BEGIN … COMMIT and maps the rows with the fields exactly as drizzle does, so the
 * SQLite columns' decoders (0/1 flags, JSON text) still apply. bigint and numeric come back as JS
 * numbers: fen, ids and epoch milliseconds stay far below 2^53.
 *
 * Differences from SQLite a unit must respect (both engines accept what follows):
 * - SQL inside `sql` templates is engine-neutral: CASE or greatest() rather than SQLite's scalar
 *   max(a, b), COALESCE rather than IFNULL, `eq(flag, true)` rather than `flag = 1`, and aliases of
 *   raw-SQL columns in snake_case or quoted (PostgreSQL folds unquoted names to lower case).
 * - a failed statement aborts the PostgreSQL transaction: a unit that wants to carry on after a
 *   failing step wraps that step in `savepoint`.
 * - a write transaction is READ COMMITTED: invariants are conditional writes and unique keys, and
 *   a serialisation failure, a deadlock or a unique key taken by a concurrent unit reruns the whole
 *   unit (a few times at most).
 */

/**
 * SQLSTATEs after which the whole unit is run again: serialization_failure, deadlock_detected, and
 * unique_violation. The last is how a unit that read, then wrote, learns that another unit wrote
 * first (two postings on the same ledger head, the same idempotency key or account from two
 * servers): run again, it reads the winner's row and answers as SQLite's single writer would (the
 * next link of the chain, the existing posting). A real duplicate fails the same way each time and
 * reaches the caller after the last attempt.
 */
const RETRYABLE = new Set(['40001', '40P01', '23505']);
/** How many times a unit runs at most before its serialisation failure is the caller's. */
const MAX_ATTEMPTS = 4;

const pgDialect = new PgDialect();

/** drizzle's own row mapping (nested selections, joined tables that may be null, column decoders); internal to drizzle's typings. */
const mapResultRow = (
  drizzleOrm as unknown as { mapResultRow: (fields: unknown, row: unknown[], joinsNotNullableMap: Record<string, boolean> | undefined) => unknown }
).mapResultRow;

/** A query rendered for PostgreSQL: what the runner executes for one step. */
export class PgStatement {
  /** Set by the select builder after it prepares (which joined tables may be null). */
  joinsNotNullableMap: Record<string, boolean> | undefined;
  constructor(
    readonly query: RenderedQuery,
    readonly fields: { path: string[]; field: unknown }[] | undefined,
    readonly customResultMapper: ((rows: unknown[][]) => unknown) | undefined,
  ) {}
  private refuse(): never {
    throw new Error('On PostgreSQL a query runs only as a step of a unit of work (yield* all/one/run), not on its own');
  }
  run(): never {
    return this.refuse();
  }
  all(): never {
    return this.refuse();
  }
  get(): never {
    return this.refuse();
  }
  values(): never {
    return this.refuse();
  }
  execute(): never {
    return this.refuse();
  }
}

/**
 * SQLite's query building, PostgreSQL's rendering. Inserts say DEFAULT for a column left out, where
 * SQLite's builder would inline the SQLite default expression or NULL (an identity key refuses NULL).
 */
class SqliteBuiltPgRenderedDialect extends SQLiteSyncDialect {
  override sqlToQuery(query: SQL, invokeSource?: 'indexes' | undefined): RenderedQuery {
    return pgDialect.sqlToQuery(query, invokeSource);
  }
  override buildInsertQuery(config: Parameters<SQLiteSyncDialect['buildInsertQuery']>[0]): SQL {
    if (config.select) return super.buildInsertQuery(config);
    const columns = Object.entries((config.table as unknown as Record<symbol, Record<string, InsertableColumn>>)[TABLE_COLUMNS]!).filter(
      ([, column]) => !column.shouldDisableInsert(),
    );
    const values = (config.values as Record<string, Param | SQL>[]).map((row) => {
      const filled: Record<string, Param | SQL> = { ...row };
      for (const [key, column] of columns) {
        const value = row[key];
        const missing = value === undefined || (is(value, Param) && value.value === undefined);
        if (missing && column.defaultFn === undefined && column.onUpdateFn === undefined) filled[key] = sql`default`;
      }
      return filled;
    });
    const onConflict = config.onConflict?.map(unqualifiedConflictTarget);
    return super.buildInsertQuery({ ...config, values, onConflict } as typeof config);
  }
}

/**
 * SQLite's builder names an ON CONFLICT target's columns with their table ("media"."sha256"), which
 * SQLite accepts and PostgreSQL refuses: there they are the bare column names of a unique index.
 */
function unqualifiedConflictTarget(clause: SQL): SQL {
  const [head, target, ...rest] = clause.queryChunks;
  if (!is(target, SQL)) return clause;
  const columns = target.queryChunks.map((chunk) => (Array.isArray(chunk) ? chunk.map((c: unknown) => (is(c, Column) ? sql.identifier(c.name) : c)) : chunk));
  return new SQL([head, new SQL(columns), ...rest] as SQL['queryChunks']);
}

/** What an insert needs to know of a column (shouldDisableInsert is internal to drizzle's typings). */
type InsertableColumn = SQLiteColumn & { shouldDisableInsert(): boolean };

/** drizzle's symbol for a table's columns. */
const TABLE_COLUMNS = Symbol.for('drizzle:Columns');

/** A session that captures each prepared query for the runner instead of executing it. */
class CapturingSession extends SQLiteSession<'sync', unknown, Record<string, never>, never> {
  override prepareQuery(
    query: RenderedQuery,
    fields: { path: string[]; field: unknown }[] | undefined,
    _executeMethod: unknown,
    _isResponseInArrayMode: boolean,
    customResultMapper?: (rows: unknown[][]) => unknown,
  ) {
    return new PgStatement(query, fields, customResultMapper) as never;
  }
  override transaction(): never {
    throw new Error('On PostgreSQL a transaction is a unit of work (db.uow.write/read), not tx.transaction()');
  }
}

/**
 * The handle units build their queries on when the engine is PostgreSQL: drizzle's SQLite database
 * over the shop's schema, whose builders render PostgreSQL and execute nothing on their own. It holds
 * no connection, so one serves every unit.
 */
export function pgQueryBuilder(): Db {
  const dialect = new SqliteBuiltPgRenderedDialect();
  const tables = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
  const relational = { fullSchema: schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap };
  const session = new CapturingSession(dialect as never);
  const handle = new BaseSQLiteDatabase('sync', dialect as never, session as never, relational as never) as unknown as Db;
  Object.defineProperty(handle, POSTGRES_HANDLE, { value: true });
  return handle;
}

/** The statement a step stands for: a builder prepared on the PostgreSQL handle, a prepared statement, or `sql`. */
function statementOf(query: unknown): PgStatement {
  if (query instanceof PgStatement) return query;
  if (is(query, SQL)) return new PgStatement(pgDialect.sqlToQuery(query), undefined, undefined);
  const prepare = (query as { _prepare?: (oneTime?: boolean) => unknown })._prepare;
  if (typeof prepare === 'function') {
    const prepared = prepare.call(query, true);
    if (prepared instanceof PgStatement) return prepared;
  }
  throw new Error('On PostgreSQL a step must be a query built on the unit’s tx (or `sql`); this one was built on another engine’s handle');
}

/** Runs one query step on the client and answers as better-sqlite3 would: rows, a row, or the number changed. */
async function executeStep(client: pg.PoolClient, op: 'all' | 'get' | 'run', query: unknown, params: Record<string, unknown> | undefined): Promise<unknown> {
  const statement = statementOf(query);
  const text = statement.query.sql;
  const values = fillPlaceholders(statement.query.params, params ?? {});
  if (op === 'run') return (await client.query({ text, values })).rowCount ?? 0;
  const { fields, customResultMapper } = statement;
  if (!fields && !customResultMapper) {
    const { rows } = await client.query({ text, values });
    return op === 'get' ? rows[0] : rows;
  }
  const { rows } = await client.query<unknown[]>({ text, values, rowMode: 'array' });
  if (customResultMapper) throw new Error('On PostgreSQL relational queries (tx.query.…) are not supported in units of work; use select with joins');
  const mapped = (op === 'get' ? rows.slice(0, 1) : rows).map((row) => mapResultRow(fields as never, row, statement.joinsNotNullableMap));
  return op === 'get' ? mapped[0] : mapped;
}

let savepoints = 0;

/**
 * Runs a unit to its end on one client already inside a transaction, awaiting each step. A step's
 * error is thrown into the unit, which may catch it (after a failed statement PostgreSQL accepts no
 * other until the transaction or a savepoint is rolled back: catch around `savepoint`).
 */
async function runOnClient<T>(client: pg.PoolClient, work: Query<T>): Promise<T> {
  let next = work.next();
  while (!next.done) {
    const step: Step = next.value;
    let answer: unknown;
    try {
      if (step.op === 'savepoint') answer = await runSavepoint(client, step.work);
      else if (step.op === 'serialize') answer = void (await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [step.key]));
      else answer = await executeStep(client, step.op, step.query, step.params);
    } catch (error) {
      next = work.throw(error);
      continue;
    }
    next = work.next(answer);
  }
  return next.value;
}

async function runSavepoint<T>(client: pg.PoolClient, work: Query<T>): Promise<T> {
  const name = `uow_sp_${++savepoints}`;
  await client.query(`SAVEPOINT ${name}`);
  let result: T;
  try {
    result = await runOnClient(client, work);
  } catch (error) {
    await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
    await client.query(`RELEASE SAVEPOINT ${name}`);
    throw error;
  }
  await client.query(`RELEASE SAVEPOINT ${name}`);
  return result;
}

/** The SQLSTATE of a failed query, if it is one. */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export interface PgUnitOfWorkOptions {
  /** Called before each rerun of a unit after a serialisation failure or deadlock (for logs and tests). */
  onRetry?: (attempt: number, error: unknown) => void;
  /** How many times a unit runs at most (default 4). */
  maxAttempts?: number;
}

/** The unit of work over a PostgreSQL pool: each unit on one client, in one transaction. */
export function pgUnitOfWork(pool: pg.Pool, tx: Db, options: PgUnitOfWorkOptions = {}): UnitOfWork {
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const transaction = async <T>(begin: string, work: Work<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query(begin);
        try {
          const result = await runOnClient(client, work(tx));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          throw error;
        }
      } catch (error) {
        const state = sqlState(error);
        if (state === undefined || !RETRYABLE.has(state) || attempt >= maxAttempts) throw error;
        options.onRetry?.(attempt, error);
        // A short, growing pause with jitter, so the units that collided do not collide again.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** attempt));
      } finally {
        client.release(broken);
      }
    }
  };
  return {
    write: (work) => transaction('BEGIN', work),
    // One snapshot for all the unit's reads; it writes nothing and waits for no writer.
    read: (work) => transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', work),
    now: () => {
      throw new Error('db.uow.now is SQLite only (a transitional bridge): on PostgreSQL use db.uow.read or db.uow.write');
    },
    within: () => {
      throw new Error('db.uow.within is SQLite only (a transitional bridge): on PostgreSQL compose units with yield*');
    },
  };
}

/** pg's parsers for int8 and numeric: JS numbers, as better-sqlite3 answers (values stay below 2^53). */
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/** A pool on the server at `url` whose bigint and numeric values arrive as JS numbers. */
export function createPgPool(url: string, options: { max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types });
  // An idle client's error (the server restarted or ended it) must not crash the process; the pool drops that client.
  pool.on('error', () => {});
  return pool;
}
