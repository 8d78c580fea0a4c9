import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../../src/paths.js';
import { scratchDatabase } from './helpers.js';

/**
 * The consent records migration on PostgreSQL (drizzle-pg/*_household_consents.sql): households'
 * single yes/no becomes each one's first record, as on SQLite (tests/villages/consent-migration.test.ts).
 */

const MIGRATIONS = join(ROOT_DIR, 'drizzle-pg');
type Journal = { entries: { tag: string }[] };

describe('the consent records migration on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;
  let dir: string;

  beforeAll(async () => {
    database = await scratchDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    dir = mkdtempSync(join(tmpdir(), 'xiangyi-consent-pg-'));
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

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

  it('turns each household’s yes/no into its first record: name and story, never photos, on the day it was last saved in China', async () => {
    const orm = drizzle({ client: pool });
    await migrate(orm, { migrationsFolder: migrationsBeforeConsent() });
    const region = await pool.query(
      `INSERT INTO regions (province, city, county, township) VALUES ('广西壮族自治区', '贺州市', '钟山县', '清塘镇') RETURNING id`,
    );
    const village = await pool.query(`INSERT INTO villages (region_id, slug, name_zh) VALUES ($1, 'gulou', '古楼村') RETURNING id`, [region.rows[0].id]);
    // 2026-12-05 17:00 UTC is 2026-12-06 01:00 in China.
    const savedAt = Date.UTC(2026, 11, 5, 17, 0);
    const insert = `INSERT INTO households (village_id, real_name, display_name, public_story_zh, consent_public, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`;
    const yes = await pool.query(insert, [village.rows[0].id, '黄德明', '黄大哥', '黄大哥在深圳的工地干了十年', true, savedAt]);
    const no = await pool.query(insert, [village.rows[0].id, '钟文华', '钟大叔', null, false, savedAt]);

    await migrate(orm, { migrationsFolder: MIGRATIONS });

    const { rows } = await pool.query(
      `SELECT household_id::int AS "householdId", withdrawn, name_public AS name, story_public AS story, photo_public AS photo, method, given_on AS "givenOn", recorded_by_user_id AS "recordedBy" FROM household_consents ORDER BY household_id`,
    );
    expect(rows).toEqual([
      {
        householdId: Number(yes.rows[0].id),
        withdrawn: false,
        name: true,
        story: true,
        photo: false,
        method: 'carried_over',
        givenOn: '2026-12-06',
        recordedBy: null,
      },
      {
        householdId: Number(no.rows[0].id),
        withdrawn: false,
        name: false,
        story: false,
        photo: false,
        method: 'carried_over',
        givenOn: '2026-12-06',
        recordedBy: null,
      },
    ]);
    const columns = await pool.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'households'`);
    expect(columns.rows.map((r) => r.column_name)).not.toContain('consent_public');
    // The households' page-cache trigger still follows a changed public name; a new record bumps the pages too.
    const version = async () => Number((await pool.query(`SELECT version FROM cache_versions WHERE scope = 'places'`)).rows[0].version);
    const before = await version();
    await pool.query(`UPDATE households SET display_name = '黄师傅' WHERE id = $1`, [yes.rows[0].id]);
    expect(await version()).toBe(before + 1);
    await pool.query(
      `INSERT INTO household_consents (household_id, withdrawn, name_public, story_public, photo_public, method, witness_name, given_on) VALUES ($1, true, false, false, false, 'verbal', '村委会文书', '2026-12-06')`,
      [yes.rows[0].id],
    );
    expect(await version()).toBe(before + 2);
    await expect(pool.query(`UPDATE household_consents SET name_public = true`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`DELETE FROM household_consents`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`TRUNCATE household_consents`)).rejects.toThrow(/append-only/);
    // A withdrawal cannot keep anything public.
    await expect(
      pool.query(
        `INSERT INTO household_consents (household_id, withdrawn, name_public, story_public, photo_public, method, witness_name, given_on) VALUES ($1, true, true, false, false, 'verbal', '村委会文书', '2026-12-06')`,
        [yes.rows[0].id],
      ),
    ).rejects.toThrow(/household_consents_withdrawn_ck/);
  });
});
