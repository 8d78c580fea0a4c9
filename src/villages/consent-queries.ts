import { desc, eq, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { all, one, type Query, type Tx } from '../db/unit-of-work.js';
import { type ConsentMethod, householdConsents, households } from './schema.js';

/** What a household may agree to show publicly, item by item. */
export type ConsentItem = 'namePublic' | 'storyPublic' | 'photoPublic';

export type ConsentRecord = typeof householdConsents.$inferSelect;

/**
 * Whether the latest consent record of a household allows an item: false without any record or
 * after a withdrawal. A piece of SQL for a query over `households` (or another household id column):
 * public pages ask it where they choose what to show, so they follow the latest record at once.
 */
export function consentAllows(item: ConsentItem, householdId: SQLiteColumn = households.id): SQL<boolean> {
  const c = householdConsents;
  return sql<boolean>`coalesce((SELECT ${c[item]} FROM ${c} WHERE ${c.householdId} = ${householdId} ORDER BY ${c.id} DESC LIMIT 1), false)`.mapWith(
    (v: unknown) => v === true || v === 1,
  );
}

/** The display name as the public may see it: only under a consent to show the name. */
export const publicDisplayName = (householdId: SQLiteColumn = households.id, displayName: SQLiteColumn = households.displayName) =>
  sql<string | null>`CASE WHEN ${consentAllows('namePublic', householdId)} THEN ${displayName} END`;

/** The latest consent record of a household, or undefined when none was ever recorded. */
export function* latestConsent(tx: Tx, householdId: number): Query<ConsentRecord | undefined> {
  return yield* one(tx.select().from(householdConsents).where(eq(householdConsents.householdId, householdId)).orderBy(desc(householdConsents.id)).limit(1));
}

/** A household's consent history, newest first, with the name of the staff member who recorded each. */
export function* consentHistory(tx: Tx, householdId: number) {
  return yield* all(
    tx
      .select({
        id: householdConsents.id,
        withdrawn: householdConsents.withdrawn,
        namePublic: householdConsents.namePublic,
        storyPublic: householdConsents.storyPublic,
        photoPublic: householdConsents.photoPublic,
        method: householdConsents.method,
        formMediaId: householdConsents.formMediaId,
        witnessName: householdConsents.witnessName,
        givenOn: householdConsents.givenOn,
        recordedAt: householdConsents.recordedAt,
        recordedBy: users.displayName,
      })
      .from(householdConsents)
      .leftJoin(users, eq(users.id, householdConsents.recordedByUserId))
      .where(eq(householdConsents.householdId, householdId))
      .orderBy(desc(householdConsents.id)),
  );
}

export interface NewConsent {
  householdId: number;
  withdrawn: boolean;
  namePublic: boolean;
  storyPublic: boolean;
  photoPublic: boolean;
  method: Exclude<ConsentMethod, 'carried_over'>;
  formMediaId: number | null;
  witnessName: string | null;
  givenOn: string;
  recordedByUserId: number;
  recordedAt: number;
}

export function* insertConsent(tx: Tx, c: NewConsent): Query<number> {
  const row = yield* one(tx.insert(householdConsents).values(c).returning({ id: householdConsents.id }));
  return row!.id;
}
