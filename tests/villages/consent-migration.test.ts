import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../../src/paths.js';

/**
 * The migration that brings consent records (drizzle/*_household_consents.sql): a database with
 * households' single yes/no, migrated, keeps each answer as the household's first record.
 */

const MIGRATIONS = join(ROOT_DIR, 'drizzle');
type Journal = { entries: { tag: string }[] };

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The migrations folder as it was just before consent records: the journal cut before that migration. */
function migrationsBeforeConsent(): string {
  const folder = join(dir, 'before');
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta', '_journal.json'), 'utf8')) as Journal;
  const at = journal.entries.findIndex((e) => e.tag.endsWith('_household_consents'));
  expect(at).toBeGreaterThan(0);
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  return folder;
}

describe('the consent records migration', () => {
  it('turns each household’s yes/no into its first record: name and story, never photos, on the day it was last saved', () => {
    dir = mkdtempSync(join(tmpdir(), 'xiangyi-consent-'));
    const sqlite = new Database(join(dir, 'shop.db'));
    try {
      sqlite.pragma('foreign_keys = ON');
      const orm = drizzle({ client: sqlite });
      migrate(orm, { migrationsFolder: migrationsBeforeConsent() });
      sqlite.prepare(`INSERT INTO regions (id, province, city, county, township) VALUES (1, '广西壮族自治区', '贺州市', '钟山县', '清塘镇')`).run();
      sqlite.prepare(`INSERT INTO villages (id, region_id, slug, name_zh) VALUES (1, 1, 'gulou', '古楼村')`).run();
      // 2026-12-05 17:00 UTC is 2026-12-06 01:00 in China.
      const savedAt = Date.UTC(2026, 11, 5, 17, 0);
      const insert = sqlite.prepare(
        `INSERT INTO households (id, village_id, real_name, display_name, public_story_zh, consent_public, created_at, updated_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?)`,
      );
      insert.run(1, '黄德明', '黄大哥', '黄大哥在深圳的工地干了十年', 1, savedAt, savedAt);
      insert.run(2, '钟文华', '钟大叔', null, 0, savedAt, savedAt);

      migrate(orm, { migrationsFolder: MIGRATIONS });

      const records = sqlite
        .prepare(
          `SELECT household_id AS householdId, withdrawn, name_public AS name, story_public AS story, photo_public AS photo, method, given_on AS givenOn, recorded_by_user_id AS recordedBy FROM household_consents ORDER BY household_id`,
        )
        .all();
      expect(records).toEqual([
        { householdId: 1, withdrawn: 0, name: 1, story: 1, photo: 0, method: 'carried_over', givenOn: '2026-12-06', recordedBy: null },
        { householdId: 2, withdrawn: 0, name: 0, story: 0, photo: 0, method: 'carried_over', givenOn: '2026-12-06', recordedBy: null },
      ]);
      const columns = sqlite.prepare(`SELECT name FROM pragma_table_info('households')`).pluck().all();
      expect(columns).not.toContain('consent_public');
      // The households' page-cache trigger still follows a changed public name.
      const before = sqlite.prepare(`SELECT version FROM cache_versions WHERE scope = 'places'`).pluck().get() as number;
      sqlite.prepare(`UPDATE households SET display_name = '黄师傅' WHERE id = 1`).run();
      expect(sqlite.prepare(`SELECT version FROM cache_versions WHERE scope = 'places'`).pluck().get()).toBe(before + 1);
      expect(() => sqlite.prepare(`UPDATE household_consents SET name_public = 1 WHERE household_id = 2`).run()).toThrow(/append-only/);
    } finally {
      sqlite.close();
    }
  });
});
