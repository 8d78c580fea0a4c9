import type { Database_ } from '../db/client.js';

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
  };
}
