import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { MIGRATIONS_DIR } from '../paths.js';
import { createGroupCommit, type GroupCommit } from './group-commit.js';
import { sqliteUnitOfWork, type UnitOfWork } from './unit-of-work.js';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface Database_ {
  /** Which engine answers: the embedded SQLite file, or a PostgreSQL server (DATABASE_URL). */
  readonly engine: 'sqlite' | 'postgresql';
  /**
   * Drizzle over the connection, for typed queries. On PostgreSQL its builders render PostgreSQL's
   * SQL and run only as steps of a unit of work (src/db/pg-engine.ts).
   */
  readonly orm: Db;
  /** The raw better-sqlite3 connection, for prepared statements and transactions (SQLite only: on PostgreSQL it throws). */
  readonly sqlite: Database.Database;
  /** A write transaction committed together with the others of the same moment (src/db/group-commit.ts). */
  readonly commitGrouped: GroupCommit;
  /** Transactions as services ask for them, whatever the engine (src/db/unit-of-work.ts). */
  readonly uow: UnitOfWork;
  /**
   * Grows with every statement run on this connection that may write: a cheap way to ask "has this
   * connection written since?" (SQLite's data_version only tells of other connections' commits).
   */
  writes(): number;
  /** Closes the connection (on PostgreSQL starts ending the pool; `end()` answers when it has). */
  close(): void;
}

/**
 * Opens the SQLite file with the pragmas the money tables need: WAL so readers never block the
 * writer, synchronous=FULL so a committed payment survives power loss, foreign keys enforced,
 * and a busy timeout so concurrent writers wait instead of failing.
 */
export function openDatabase(path: string): Database_ {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 16 MB of page cache (the OS caches the file as well): on the scale database 32 MB made no
  // statement or reconciliation faster and only raised the memory peak.
  sqlite.pragma('cache_size = -16000');
  sqlite.pragma('temp_store = MEMORY');
  let writes = 0;
  // Every statement that may write counts, whoever prepared it (drizzle, a query module, a script).
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    const statement = prepare(source);
    if (!statement.readonly) {
      for (const method of ['run', 'get', 'all', 'iterate'] as const) {
        const original = statement[method].bind(statement) as (...args: unknown[]) => unknown;
        (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          writes++;
          return original(...args);
        };
      }
    }
    return statement;
  }) as typeof sqlite.prepare;
  const exec = sqlite.exec.bind(sqlite);
  sqlite.exec = (source: string) => {
    writes++;
    return exec(source);
  };
  const orm = drizzle({ client: sqlite, schema }) as Db;
  const handle: Database_ = {
    engine: 'sqlite',
    orm,
    sqlite,
    commitGrouped: createGroupCommit(sqlite),
    get uow() {
      return uow;
    },
    writes: () => writes,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
  const uow = sqliteUnitOfWork(handle);
  return handle;
}

/** How many migrations the database has had applied (0 for a new file). */
export function appliedMigrations(db: Database_): number {
  const table = db.sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'`).get();
  return table ? (db.sqlite.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get() as number) : 0;
}

/** Applies the committed drizzle-kit migrations in drizzle/. */
export function migrateDatabase(db: Database_): void {
  if (db.engine !== 'sqlite') throw new Error('migrateDatabase is for SQLite; PostgreSQL migrates with migratePgDatabase (src/db/pg-client.ts)');
  migrate(db.orm, { migrationsFolder: MIGRATIONS_DIR });
}

/**
 * Brings the query planner's statistics up to date where they are missing or stale, as SQLite
 * advises for long-lived connections; each index is sampled rather than read through, so this
 * stays quick on a large database. Without statistics the planner reads a household's postings
 * through the wide transaction rows instead of the narrow covering index.
 */
export function optimizeDatabase(db: Database_): void {
  // PostgreSQL's autovacuum keeps its statistics.
  if (db.engine !== 'sqlite') return;
  db.sqlite.pragma('analysis_limit = 400');
  db.sqlite.pragma('optimize = 0x10002');
}
