import type { Database, Statement } from 'better-sqlite3';

/** Prepares each distinct SQL text once per connection and reuses the statement afterwards. */
export function statementCache(sqlite: Database): (sql: string) => Statement<unknown[]> {
  const cache = new Map<string, Statement<unknown[]>>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = sqlite.prepare<unknown[]>(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}
