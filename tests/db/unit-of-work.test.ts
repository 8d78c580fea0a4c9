import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database_ } from '../../src/db/client.js';
import { all, one, run, savepoint } from '../../src/db/unit-of-work.js';

/**
 * The unit of work (src/db/unit-of-work.ts) on the embedded engine: a unit's steps run in one
 * transaction, their answers come back into the unit, a step's throw can be caught by the unit, a
 * savepoint's throw undoes only its own writes, and a unit that throws leaves nothing behind. A
 * second connection tells what is committed.
 */
describe('unit of work on SQLite', () => {
  let dir: string;
  let db: Database_;
  let other: Database.Database;
  const committed = () => other.prepare('SELECT name FROM jars ORDER BY name').pluck().all();
  const put = (name: string) => run(sql`INSERT INTO jars (name, stock) VALUES (${name}, 3)`);
  const take = (name: string, n: number) => run(sql`UPDATE jars SET stock = stock - ${n} WHERE name = ${name} AND stock >= ${n}`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'xiangyi-uow-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    db.sqlite.exec('CREATE TABLE jars (name TEXT PRIMARY KEY, stock INTEGER NOT NULL)');
    other = new Database(join(dir, 'db.sqlite'), { readonly: true });
  });
  afterEach(() => {
    other.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands each step its answer and commits the unit as one', async () => {
    const result = await db.uow.write(function* () {
      yield* put('honey');
      yield* put('tea');
      const changed = yield* take('honey', 2);
      const rows = yield* all<{ name: string; stock: number }>(sql`SELECT name, stock FROM jars ORDER BY name`);
      return { changed, rows };
    });
    expect(result).toEqual({
      changed: 1,
      rows: [
        { name: 'honey', stock: 1 },
        { name: 'tea', stock: 3 },
      ],
    });
    expect(committed()).toEqual(['honey', 'tea']);
  });

  it('tells a conditional write that changed nothing by its count', async () => {
    await db.uow.write(() => put('honey'));
    const changed = await db.uow.write(() => take('honey', 4));
    expect(changed).toBe(0);
    expect(await db.uow.read(() => one<{ stock: number }>(sql`SELECT stock FROM jars`))).toEqual({ stock: 3 });
  });

  it('leaves nothing behind when the unit throws', async () => {
    const unit = db.uow.write(function* () {
      yield* put('honey');
      throw new Error('sold out');
    });
    await expect(unit).rejects.toThrow('sold out');
    expect(committed()).toEqual([]);
  });

  it('throws a failed step into the unit, which may catch it and go on', async () => {
    const outcome = await db.uow.write(function* () {
      yield* put('honey');
      try {
        yield* put('honey');
        return 'written twice';
      } catch (error) {
        // drizzle wraps the driver's error: the constraint is named in its cause
        const cause = (error as Error & { cause?: Error }).cause;
        return `${(error as Error).message} ${cause?.message ?? ''}`.includes('UNIQUE') ? 'refused' : 'other';
      }
    });
    expect(outcome).toBe('refused');
    expect(committed()).toEqual(['honey']);
  });

  it('undoes only a savepoint’s own writes when it throws', async () => {
    await db.uow.write(function* () {
      yield* put('honey');
      try {
        yield* savepoint(
          (function* () {
            yield* put('tea');
            throw new Error('no tea today');
          })(),
        );
      } catch {
        // the tea is gone, the honey stays
      }
    });
    expect(committed()).toEqual(['honey']);
  });

  it('reads a snapshot and refuses nothing to a writer meanwhile', async () => {
    await db.uow.write(() => put('honey'));
    const seen = await db.uow.read(function* () {
      const before = yield* all<{ name: string }>(sql`SELECT name FROM jars`);
      const after = yield* one<{ n: number }>(sql`SELECT count(*) AS n FROM jars`);
      return { before: before.length, after: after?.n };
    });
    expect(seen).toEqual({ before: 1, after: 1 });
  });

  it('runs drizzle builders and prepared statements with their placeholders', async () => {
    await db.uow.write(() => put('honey'));
    const statement = db.orm.get<{ stock: number }>(sql`SELECT stock FROM jars WHERE name = ${'honey'}`);
    expect(statement).toEqual({ stock: 3 });
    const prepared = db.sqlite.prepare('SELECT stock FROM jars WHERE name = :name');
    const row = await db.uow.read(() => one<{ stock: number }>({ get: (params) => prepared.get(params) as { stock: number } | undefined }, { name: 'honey' }));
    expect(row).toEqual({ stock: 3 });
  });
});

/** The connection's count of writing statements (src/db/client.ts), which tells the page cache of this connection's own writes. */
describe('the count of writes on a connection', () => {
  it('grows with each statement that may write, whoever prepared it, and not with reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiangyi-writes-'));
    const db = openDatabase(join(dir, 'db.sqlite'));
    try {
      db.sqlite.exec('CREATE TABLE jars (name TEXT PRIMARY KEY)');
      const start = db.writes();
      db.sqlite.prepare('SELECT count(*) FROM jars').get();
      await db.uow.read(() => all(sql`SELECT name FROM jars`));
      expect(db.writes()).toBe(start);
      db.sqlite.prepare('INSERT INTO jars (name) VALUES (?)').run('honey');
      expect(db.writes()).toBe(start + 1);
      await db.uow.write(() => one(sql`INSERT INTO jars (name) VALUES ('tea') RETURNING name`));
      expect(db.writes()).toBeGreaterThan(start + 1);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
