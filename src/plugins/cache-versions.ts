import { sql } from 'drizzle-orm';
import type { Database_ } from '../db/client.js';
import { all } from '../db/unit-of-work.js';

/** Versions cached pages depend on (drizzle/0015_cache_versions.sql and 0016 say what bumps each). */
export const GLOBAL_SCOPES = ['catalogue', 'places', 'stock', 'figures'] as const;
export type GlobalScope = (typeof GLOBAL_SCOPES)[number];
/** A global scope, or one product's own rows (`product:<id>`). */
export type Scope = GlobalScope | `product:${number}`;

export interface CacheVersions {
  /** Looks whether anything was written since the last look (one cheap query); once per request, before get and stamp. */
  refresh(): void;
  /** The version of a scope as of the last refresh (0 when no write ever bumped it). */
  get(scope: Scope): number;
  /** The global versions as one string: equal strings, no write in between that a page shows. */
  stamp(): string;
  /** Stops reading them (PostgreSQL reads them on a timer). */
  close(): void;
  /**
   * Resolves once the versions are read as of this server's own writes and no read is under way
   * (at once on SQLite, which reads them synchronously): from then on a page can be kept and served.
   * For tests and the bench, which must not depend on when the background read comes back.
   */
  settled(): Promise<void>;
}

/**
 * Reads the versions the database's triggers keep. A refresh first asks whether anything at all was
 * written since the last one: `PRAGMA data_version` changes when another connection or process
 * commits, and the connection's own count of writing statements (src/db/client.ts) when this one
 * writes. Only then are the versions read again (one prepared SELECT); a product's own version is
 * read once per change, when a page asks for it. Versions live in the database, so a second
 * server, `npm run seed` or a script invalidates too.
 */
export function createCacheVersions(db: Database_): CacheVersions {
  if (db.engine === 'postgresql') return polledCacheVersions(db);
  const dataVersion = db.sqlite.prepare('PRAGMA data_version').pluck();
  const globals = db.sqlite.prepare(`SELECT scope, version FROM cache_versions WHERE scope IN (${GLOBAL_SCOPES.map(() => '?').join(',')})`);
  const one = db.sqlite.prepare('SELECT version FROM cache_versions WHERE scope = ?').pluck();

  let seenData = -1;
  let seenWrites = -1;
  let current = new Map<string, number>();
  let stamp = '';

  return {
    refresh() {
      const data = dataVersion.get() as number;
      const writes = db.writes();
      if (data === seenData && writes === seenWrites) return;
      seenData = data;
      seenWrites = writes;
      current = new Map();
      for (const row of globals.all(...GLOBAL_SCOPES) as { scope: string; version: number }[]) current.set(row.scope, row.version);
      stamp = GLOBAL_SCOPES.map((s) => current.get(s) ?? 0).join('.');
    },
    get(scope) {
      let version = current.get(scope);
      if (version === undefined) {
        version = (one.get(scope) as number | undefined) ?? 0;
        current.set(scope, version);
      }
      return version;
    },
    stamp: () => stamp,
    close: () => {},
    settled: async () => {},
  };
}

/** How long another server's write may take to reach this server's cached pages on PostgreSQL. */
export const VERSION_POLL_MS = 250;
/** Product scopes followed at most (the pages cached name far fewer); beyond it the set starts again. */
const MAX_FOLLOWED_PRODUCTS = 10_000;

/**
 * The versions on PostgreSQL, where a query cannot be answered synchronously: read in the background
 * every VERSION_POLL_MS, and at once after this server's own write. Until the read that
 * follows its own write has come back, nothing is fresh (a miss, rendered from the database) and
 * nothing is kept (each stamp is new), so a server never serves a page older than its own writes;
 * another server's write reaches it within VERSION_POLL_MS. A product's version not read yet is -1:
 * a page that depends on it is rendered, and kept from the next read on.
 */
function polledCacheVersions(db: Database_, pollMs = VERSION_POLL_MS): CacheVersions {
  let current = new Map<string, number>();
  let stamp = '';
  let seenWrites = -1;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | null = null;
  let pending = 0;
  const followed = new Set<string>();

  const read = () => {
    if (reading) return;
    const writesBefore = db.writes();
    const scopes = [...GLOBAL_SCOPES, ...followed];
    reading = db.uow
      .read(() =>
        all<{ scope: string; version: string | number }>(
          sql`SELECT scope, version FROM cache_versions WHERE scope IN (${sql.join(
            scopes.map((scope) => sql`${scope}`),
            sql`, `,
          )})`,
        ),
      )
      .then((rows) => {
        const next = new Map<string, number>();
        for (const scope of scopes) next.set(scope, 0);
        for (const row of rows) next.set(row.scope, Number(row.version));
        current = next;
        stamp = GLOBAL_SCOPES.map((s) => next.get(s) ?? 0).join('.');
        seenWrites = writesBefore;
        readAt = performance.now();
      })
      .catch(() => {
        // Read again at the next request; meanwhile pages are rendered, not served stale.
        seenWrites = -1;
      })
      .finally(() => {
        reading = null;
      });
  };
  const upToDate = () => seenWrites === db.writes();
  const timer = setInterval(read, pollMs);
  timer.unref();
  read();

  return {
    refresh() {
      if (!upToDate() || performance.now() - readAt >= pollMs) read();
    },
    get(scope) {
      if (!upToDate()) return -1;
      const version = current.get(scope);
      if (version !== undefined) return version;
      if (followed.size >= MAX_FOLLOWED_PRODUCTS) followed.clear();
      followed.add(scope);
      read();
      return -1;
    },
    stamp: () => (upToDate() ? stamp : `pending:${pending++}`),
    close: () => clearInterval(timer),
    async settled() {
      // A write during a read leaves it behind: read again (a failing database gives up after a few).
      for (let attempt = 0; attempt < 10 && (reading !== null || !upToDate()); attempt++) {
        if (reading === null) read();
        await reading;
      }
    },
  };
}
