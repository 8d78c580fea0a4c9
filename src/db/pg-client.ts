import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { PG_MIGRATIONS_DIR } from '../paths.js';
import type { Database_ } from './client.js';
import { createPgPool, pgQueryBuilder, pgUnitOfWork } from './pg-engine.js';

/**
 * The shop's database handle on PostgreSQL (DATABASE_URL=postgres://…): services see the same
 * Database_ as on SQLite, and their units of work run on a pool (src/db/pg-engine.ts). The
 * SQLite-only parts of the handle (the raw connection, the group commit, uow.now/within) are
 * transitional bridges and throw here, saying so.
 */
export interface PgDatabase extends Database_ {
  readonly engine: 'postgresql';
  readonly pool: pg.Pool;
  /** Ends the pool once its clients are released. */
  end(): Promise<void>;
}

const sqliteOnly = (what: string): never => {
  throw new Error(`${what} is SQLite only (a transitional bridge); on PostgreSQL the service must use db.uow.read/write`);
};

/** Opens a pool on the PostgreSQL server at `url` (nothing is connected until the first unit). */
export function openPgDatabase(url: string, options: { maxConnections?: number } = {}): PgDatabase {
  const pool = createPgPool(url, { max: options.maxConnections ?? 10 });
  const orm = pgQueryBuilder();
  const uow = pgUnitOfWork(pool, orm);
  let writes = 0;
  let closed: Promise<void> | null = null;
  return {
    engine: 'postgresql',
    pool,
    orm,
    get sqlite(): never {
      return sqliteOnly('db.sqlite');
    },
    get commitGrouped(): never {
      return sqliteOnly('db.commitGrouped');
    },
    uow: {
      ...uow,
      // Counted once it has ended (committed or not): the page cache reads the versions again after
      // it, and a page rendered while it ran is not kept (src/plugins/cache-versions.ts).
      write: (work) =>
        uow.write(work).finally(() => {
          writes++;
        }),
    },
    writes: () => writes,
    end: () => {
      closed ??= pool.end();
      return closed;
    },
    close: () => {
      closed ??= pool.end();
      closed.catch(() => {});
    },
  };
}

/** Creates the database named in `url` when the server has none by that name (the account needs CREATEDB). */
async function ensureDatabase(url: string): Promise<void> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => {});
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: maintenance.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } catch (error) {
    // Another server created it at the same moment.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await admin.end();
  }
}

/** An arbitrary, fixed key for the advisory lock that keeps two servers from migrating at once. */
const MIGRATION_LOCK = 0x78_69_61_6e; // "xian"

/**
 * Creates the database if it is missing and applies the committed migrations in drizzle-pg/. Several
 * app servers starting together take turns (an advisory lock): the first migrates, the others find
 * nothing left to do. Answers how many were applied and how many there are in all.
 */
export async function migratePgDatabase(db: PgDatabase, url: string): Promise<{ applied: number; total: number }> {
  await ensureDatabase(url);
  const client = await db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const before = await countApplied(client);
      await migrate(drizzle({ client }), { migrationsFolder: PG_MIGRATIONS_DIR });
      const total = await countApplied(client);
      return { applied: total - before, total };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

async function countApplied(client: pg.PoolClient): Promise<number> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('drizzle.__drizzle_migrations')::text AS t`);
  if (!exists.rows[0]?.t) return 0;
  const { rows } = await client.query<{ n: number }>('SELECT count(*) AS n FROM drizzle.__drizzle_migrations');
  return Number(rows[0]!.n);
}
