import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database_ } from '../../src/db/client.js';

/**
 * Group commit (src/db/group-commit.ts): the writes asked for in one turn of the event loop share
 * one transaction and one fsync; each unit stands or falls alone; nothing is settled before the
 * COMMIT is done. A second connection to the same file (another process would see the same) tells
 * what is committed.
 */
describe('group commit', () => {
  let dir: string;
  let db: Database_;
  let other: Database.Database;
  const committed = () => other.prepare('SELECT name FROM jars ORDER BY name').pluck().all();
  const put = (name: string) => db.sqlite.prepare('INSERT INTO jars (name) VALUES (?)').run(name);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'xiangyi-group-commit-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    db.sqlite.exec(`CREATE TABLE jars (name TEXT PRIMARY KEY);
      CREATE TABLE labels (jar TEXT REFERENCES jars(name) DEFERRABLE INITIALLY DEFERRED)`);
    other = new Database(join(dir, 'db.sqlite'), { readonly: true });
  });
  afterEach(() => {
    other.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the units of one moment as one transaction, and settles each after the commit', async () => {
    const seenByOthers: unknown[][] = [];
    const inTransaction: boolean[] = [];
    const first = db.commitGrouped(() => {
      put('honey');
      return 'first';
    });
    const second = db.commitGrouped(() => {
      put('tea');
      // The first unit's row is there for this one, and not yet for anyone else: one open transaction.
      inTransaction.push(db.sqlite.inTransaction);
      seenByOthers.push(committed());
      return db.sqlite.prepare('SELECT count(*) FROM jars').pluck().get();
    });
    expect(committed()).toEqual([]);
    await expect(first).resolves.toBe('first');
    await expect(second).resolves.toBe(2);
    expect(inTransaction).toEqual([true]);
    expect(seenByOthers).toEqual([[]]);
    expect(committed()).toEqual(['honey', 'tea']);
  });

  it('rolls back a unit that throws, alone: its promise rejects, the others are committed', async () => {
    const refused = new Error('sold out');
    const results = await Promise.allSettled([
      db.commitGrouped(() => put('honey')),
      db.commitGrouped(() => {
        put('eggs');
        throw refused;
      }),
      db.commitGrouped(() => {
        put('honey'); // primary key: fails inside the unit
      }),
      db.commitGrouped(() => put('tea')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBe(refused);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(committed()).toEqual(['honey', 'tea']);
  });

  it('fails every unit when the commit itself fails, and writes none of them', async () => {
    const results = await Promise.allSettled([
      db.commitGrouped(() => put('honey')),
      // A deferred foreign key is checked at COMMIT: the whole group's commit fails.
      db.commitGrouped(() => db.sqlite.prepare("INSERT INTO labels (jar) VALUES ('no such jar')").run()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(db.sqlite.inTransaction).toBe(false);
    expect(committed()).toEqual([]);
    // The next group is not held up by the failed one.
    await db.commitGrouped(() => put('tea'));
    expect(committed()).toEqual(['tea']);
  });

  it('starts a new group for work asked for after a group was committed, and refuses work asked for inside a transaction', async () => {
    await db.commitGrouped(() => put('honey'));
    await db.commitGrouped(() => put('tea'));
    expect(committed()).toEqual(['honey', 'tea']);
    let inside: Promise<unknown> | undefined;
    db.sqlite.transaction(() => {
      inside = db.commitGrouped(() => put('eggs'));
    })();
    await expect(inside).rejects.toThrow(/inside a transaction/);
    expect(committed()).toEqual(['honey', 'tea']);
  });

  it('refuses asynchronous work (it would run outside the transaction)', async () => {
    await expect(db.commitGrouped(async () => put('honey'))).rejects.toThrow(/promise/);
    expect(committed()).toEqual([]);
  });
});
