import { Column, is, SQL, sql, StringChunk, type Table } from 'drizzle-orm';
import { bigint, boolean, check, customType, foreignKey, index, type PgColumnBuilderBase, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as sqliteSchema from './schema.js';

/**
 * The PostgreSQL schema, derived from the SQLite one (src/<domain>/schema.ts stays the one source
 * of truth): every table, column, key, index and check has its twin here, so drizzle-kit generates
 * PostgreSQL's migrations (drizzle-pg/, `npm run db:generate`) from the same definitions and the
 * two engines cannot drift apart. What SQLite's own SQL says differently is translated:
 *
 * - INTEGER (64-bit in SQLite) → bigint, read as a JS number (fen, ids and epoch milliseconds stay
 *   far below 2^53); an AUTOINCREMENT key → an identity column;
 * - 0/1 flags → boolean; BLOB → bytea;
 * - the epoch-milliseconds default → the same from clock_timestamp();
 * - GLOB patterns in checks → anchored regular expressions; instr() → strpos().
 *
 * What SQLite does in custom migrations (FTS5, triggers that keep the ledger append-only and the
 * cache versions) has its PostgreSQL counterpart in drizzle-pg/'s custom migrations.
 */

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/** SQLite's "now in epoch milliseconds" default, as PostgreSQL says it. */
const PG_NOW_MS = sql`(floor(extract(epoch from clock_timestamp()) * 1000))::bigint`;

/** A SQLite GLOB pattern as an anchored POSIX regular expression (only the forms the schema uses: classes, `*`, `?`, literals). */
function globToRegex(glob: string): string {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      out += glob.slice(i, end + 1);
      i = end;
    } else out += /[.^$+(){}|\\]/.test(c) ? `\\${c}` : c;
  }
  return `${out}$`;
}

/** Renders a check's or a partial index's SQL (column references, text) as PostgreSQL says it. */
export function translateSql(fragment: SQL): string {
  const render = (chunk: unknown): string => {
    if (is(chunk, StringChunk)) return chunk.value.join('');
    if (is(chunk, Column)) return `"${chunk.name}"`;
    if (is(chunk, SQL)) return chunk.queryChunks.map(render).join('');
    if (typeof chunk === 'string') return `'${chunk.replaceAll("'", "''")}'`;
    if (typeof chunk === 'number' || typeof chunk === 'bigint') return String(chunk);
    if (typeof chunk === 'boolean') return chunk ? 'true' : 'false';
    if (chunk && typeof chunk === 'object' && 'value' in chunk) return render((chunk as { value: unknown }).value);
    throw new Error(`pg-schema: cannot translate a ${typeof chunk} in ${JSON.stringify(fragment.queryChunks)}`);
  };
  return render(fragment)
    .replace(/\s+GLOB\s+'([^']*)'/g, (_m, glob: string) => ` ~ '${globToRegex(glob)}'`)
    .replace(/\binstr\(/g, 'strpos(');
}

type SqliteColumn = ReturnType<typeof getTableConfig>['columns'][number];

function pgColumn(column: SqliteColumn): PgColumnBuilderBase {
  let builder;
  switch (column.columnType) {
    case 'SQLiteBoolean':
      builder = boolean(column.name);
      break;
    case 'SQLiteText':
      builder = text(column.name);
      break;
    case 'SQLiteBlobBuffer':
      builder = bytea(column.name);
      break;
    case 'SQLiteInteger':
      builder = bigint(column.name, { mode: 'number' });
      break;
    default:
      throw new Error(`pg-schema: no PostgreSQL type for ${column.columnType} (${column.name})`);
  }
  const autoIncrement = (column as { autoIncrement?: boolean }).autoIncrement === true;
  if (column.primary) builder = builder.primaryKey();
  if (autoIncrement && column.columnType === 'SQLiteInteger') builder = bigint(column.name, { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity();
  if (column.notNull && !column.primary) builder = builder.notNull();
  if (column.hasDefault && column.default !== undefined) {
    const value = column.default;
    if (is(value, SQL)) {
      const text = translateSql(value);
      if (!text.includes('unixepoch')) throw new Error(`pg-schema: no PostgreSQL form for the default ${text} (${column.name})`);
      builder = builder.default(PG_NOW_MS);
    } else builder = builder.default(value as never);
  }
  return builder;
}

/** The PostgreSQL twin of one SQLite table. */
function pgTwin(table: SQLiteTable) {
  const config = getTableConfig(table);
  const keyOf = new Map(Object.entries(table).flatMap(([key, value]) => (is(value, Column) ? [[(value as Column).name, key] as const] : [])));
  const columns = Object.fromEntries(config.columns.map((c) => [keyOf.get(c.name) ?? c.name, pgColumn(c)]));
  return pgTable(config.name, columns, (t) => {
    const twin = (c: Column) => (t as unknown as Record<string, never>)[keyOf.get(c.name) ?? c.name];
    const extras = [];
    for (const ix of config.indexes) {
      const cols = ix.config.columns.map((c) => twin(c as Column));
      const made = (ix.config.unique ? uniqueIndex(ix.config.name) : index(ix.config.name)).on(...(cols as [never, ...never[]]));
      extras.push(ix.config.where ? made.where(sql.raw(translateSql(ix.config.where))) : made);
    }
    for (const fk of config.foreignKeys) {
      const ref = fk.reference();
      const made = foreignKey({
        name: fk.getName(),
        columns: ref.columns.map((c) => twin(c)) as [never, ...never[]],
        foreignColumns: ref.foreignColumns.map((c) => twinColumn(c)) as [never, ...never[]],
      });
      extras.push(fk.onDelete ? made.onDelete(fk.onDelete) : made);
    }
    for (const pk of config.primaryKeys) extras.push(primaryKey({ name: pk.getName(), columns: pk.columns.map((c) => twin(c)) as [never, ...never[]] }));
    for (const ck of config.checks) extras.push(check(ck.name, sql.raw(translateSql(ck.value))));
    return extras;
  });
}

const twins = new Map<string, ReturnType<typeof pgTwin>>();
/** The twin of a column of another table (foreign keys), made on first need. */
function twinColumn(column: Column): never {
  const table = column.table as SQLiteTable;
  const name = getTableConfig(table).name;
  let twin = twins.get(name);
  if (!twin) {
    twin = pgTwin(table);
    twins.set(name, twin);
  }
  const key = Object.entries(table).find(([, value]) => value === column)![0];
  return (twin as unknown as Record<string, never>)[key]!;
}

for (const value of Object.values(sqliteSchema)) {
  if (!is(value, SQLiteTable)) continue;
  const name = getTableConfig(value).name;
  if (!twins.has(name)) twins.set(name, pgTwin(value));
}

/** Every table of the PostgreSQL schema, by its SQL name. */
export const pgTables: Readonly<Record<string, Table>> = Object.fromEntries(twins);
