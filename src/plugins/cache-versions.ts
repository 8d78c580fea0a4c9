import type Database from 'better-sqlite3';

/** Versions cached pages depend on (drizzle/0015_cache_versions.sql and 0016 say what bumps each). */
export const GLOBAL_SCOPES = ['catalogue', 'places', 'stock', 'figures'] as const;
export type GlobalScope = (typeof GLOBAL_SCOPES)[number];
/** A global scope, or one product's own rows (`product:<id>`). */
export type Scope = GlobalScope | `product:${number}`;

export interface CacheVersions {
  /** The current version of a scope (0 when no write ever bumped it). */
  get(scope: Scope): number;
  /** The global versions as one string: equal strings, no write in between that a page shows. */
  stamp(): string;
}

/**
 * Reads the versions the database's triggers keep. A lookup first asks whether anything at all was
 * written since the last one: `PRAGMA data_version` changes when another connection or process
 * commits, `total_changes()` when this one writes. Only then are the versions read again (one
 * prepared SELECT); a product's own version is read once per change, when a page asks for it.
 * Versions live in the database, so a second server, `npm run seed` or a script invalidates too.
 */
export function createCacheVersions(sqlite: Database.Database): CacheVersions {
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  const totalChanges = sqlite.prepare('SELECT total_changes()').pluck();
  const globals = sqlite.prepare(`SELECT scope, version FROM cache_versions WHERE scope IN (${GLOBAL_SCOPES.map(() => '?').join(',')})`);
  const one = sqlite.prepare('SELECT version FROM cache_versions WHERE scope = ?').pluck();

  let seen = '';
  let current = new Map<string, number>();
  let stamp = '';

  function refresh(): void {
    const now = `${String(dataVersion.get())}:${String(totalChanges.get())}`;
    if (now === seen) return;
    seen = now;
    current = new Map();
    for (const row of globals.all(...GLOBAL_SCOPES) as { scope: string; version: number }[]) current.set(row.scope, row.version);
    stamp = GLOBAL_SCOPES.map((s) => current.get(s) ?? 0).join('.');
  }

  return {
    get(scope) {
      refresh();
      let version = current.get(scope);
      if (version === undefined) {
        version = (one.get(scope) as number | undefined) ?? 0;
        current.set(scope, version);
      }
      return version;
    },
    stamp() {
      refresh();
      return stamp;
    },
  };
}
