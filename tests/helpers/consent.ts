import { eq } from 'drizzle-orm';
import type { Database_ } from '../../src/db/client.js';
import { householdConsents, households } from '../../src/villages/schema.js';
import { rowsOf, writeOf } from './db-query.js';

/**
 * Consent as tests read and change it behind the app's back (SQLite): the latest consent record of
 * a household decides what public pages show of it (src/villages/consent-queries.ts).
 */

/** SQL: 1 when the latest consent record of the household `alias` (a households row) lets its name be shown, else 0. */
export const namePublicSql = (alias: string) =>
  `coalesce((SELECT c.name_public FROM household_consents c WHERE c.household_id = ${alias}.id ORDER BY c.id DESC LIMIT 1), 0)`;

/** Records, as a secretary would, that the households matching `where` (SQL on households) withdrew all consent. */
export function withdrawConsentWhere(db: Database_, where: string, ...params: unknown[]): number {
  return db.sqlite
    .prepare(
      `INSERT INTO household_consents (household_id, withdrawn, name_public, story_public, photo_public, method, witness_name, given_on)
       SELECT id, 1, 0, 0, 0, 'verbal', '测试见证人', '2026-12-01' FROM households WHERE ${where}`,
    )
    .run(...params).changes;
}

/** The same on either engine (npm run test:pg): the households with this display name withdrew all consent. */
export async function withdrawConsentOf(db: Database_, displayName: string): Promise<void> {
  const found = await rowsOf<{ id: number }>(db, (tx) => tx.select({ id: households.id }).from(households).where(eq(households.displayName, displayName)));
  for (const { id } of found) {
    await writeOf(db, (tx) =>
      tx.insert(householdConsents).values({
        householdId: id,
        withdrawn: true,
        namePublic: false,
        storyPublic: false,
        photoPublic: false,
        method: 'verbal',
        witnessName: '测试见证人',
        givenOn: '2026-12-01',
      }),
    );
  }
}
