import { formatDate } from '../time.js';
import { and, asc, count, eq, inArray, isNotNull, notExists, sql } from 'drizzle-orm';
import { userVillages, users } from '../accounts/schema.js';
import { products } from '../catalog/schema.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { consentAllows, insertConsent, publicDisplayName } from './consent-queries.js';
import { households, producerMembers, producers, villages, type ProducerKind } from './schema.js';

export type Household = typeof households.$inferSelect;

export interface HouseholdInput {
  villageId: number;
  realName: string;
  displayName: string | null;
  publicStoryZh: string | null;
  publicStoryEn: string | null;
  phone: string | null;
  idCardLast4: string | null;
  povertyRegNo: string | null;
  members: number;
  bankAccountName: string | null;
  bankAccountNo: string | null;
  bankName: string | null;
}

export interface ProducerInput {
  villageId: number;
  kind: ProducerKind;
  nameZh: string;
  nameEn: string | null;
  storyZh: string;
  storyEn: string | null;
  members: { householdId: number; weight: number }[];
}

/** A village scope: every village, or these (an empty list matches none). */
export type VillageIds = readonly number[] | 'all';

const householdColumns = {
  id: households.id,
  villageId: households.villageId,
  realName: households.realName,
  displayName: households.displayName,
  publicStoryZh: households.publicStoryZh,
  publicStoryEn: households.publicStoryEn,
  phone: households.phone,
  idCardLast4: households.idCardLast4,
  povertyRegNo: households.povertyRegNo,
  members: households.members,
  bankAccountName: households.bankAccountName,
  bankAccountNo: households.bankAccountNo,
  bankName: households.bankName,
  createdAt: households.createdAt,
  updatedAt: households.updatedAt,
};
const producerColumns = {
  id: producers.id,
  villageId: producers.villageId,
  kind: producers.kind,
  nameZh: producers.nameZh,
  nameEn: producers.nameEn,
  storyZh: producers.storyZh,
  storyEn: producers.storyEn,
};
export type Producer = { [K in keyof typeof producerColumns]: (typeof producers.$inferSelect)[K] };

export function* villagesByIds(tx: Tx, ids: VillageIds) {
  if (ids !== 'all' && ids.length === 0) return [];
  return yield* all(
    tx
      .select({ id: villages.id, slug: villages.slug, nameZh: villages.nameZh, nameEn: villages.nameEn })
      .from(villages)
      .where(ids === 'all' ? undefined : inArray(villages.id, [...ids]))
      .orderBy(asc(villages.id)),
  );
}

/**
 * Villages with published products that no enabled first secretary account runs: nobody ships
 * their parcels but a coordinator. Reads users and products only to count; changes neither.
 */
export function* villagesWithoutSecretary(tx: Tx) {
  const secretary = tx
    .select({ one: sql`1` })
    .from(userVillages)
    .innerJoin(users, eq(users.id, userVillages.userId))
    .where(and(eq(userVillages.villageId, villages.id), eq(users.role, 'first_secretary'), eq(users.disabled, false)));
  return yield* all(
    tx
      .select({ id: villages.id, nameZh: villages.nameZh, nameEn: villages.nameEn, publishedProducts: count(products.id) })
      .from(villages)
      .innerJoin(producers, eq(producers.villageId, villages.id))
      .innerJoin(products, and(eq(products.producerId, producers.id), eq(products.published, true)))
      .where(notExists(secretary))
      .groupBy(villages.id)
      .orderBy(asc(villages.id)),
  );
}

export function* householdById(tx: Tx, id: number): Query<Household | undefined> {
  return yield* one(tx.select(householdColumns).from(households).where(eq(households.id, id)));
}

/** The households of these villages, each with what its latest consent record lets the public see. */
export function* householdsIn(tx: Tx, villageIds: VillageIds): Query<(Household & { namePublic: boolean; storyPublic: boolean; photoPublic: boolean })[]> {
  if (villageIds !== 'all' && villageIds.length === 0) return [];
  return yield* all(
    tx
      .select({
        ...householdColumns,
        namePublic: consentAllows('namePublic'),
        storyPublic: consentAllows('storyPublic'),
        photoPublic: consentAllows('photoPublic'),
      })
      .from(households)
      .where(villageIds === 'all' ? undefined : inArray(households.villageId, [...villageIds]))
      .orderBy(asc(households.villageId), asc(households.id)),
  );
}

/** The columns a household form sets. */
const householdValues = (h: HouseholdInput) => ({
  villageId: h.villageId,
  realName: h.realName,
  displayName: h.displayName,
  publicStoryZh: h.publicStoryZh,
  publicStoryEn: h.publicStoryEn,
  phone: h.phone,
  idCardLast4: h.idCardLast4,
  povertyRegNo: h.povertyRegNo,
  members: h.members,
  bankAccountName: h.bankAccountName,
  bankAccountNo: h.bankAccountNo,
  bankName: h.bankName,
});

export function* insertHousehold(tx: Tx, h: HouseholdInput, now: number): Query<number> {
  const row = yield* one(
    tx
      .insert(households)
      .values({ ...householdValues(h), createdAt: now, updatedAt: now })
      .returning({ id: households.id }),
  );
  return row!.id;
}

export function* updateHousehold(tx: Tx, id: number, h: HouseholdInput, now: number): Query<void> {
  yield* run(
    tx
      .update(households)
      .set({ ...householdValues(h), updatedAt: now })
      .where(eq(households.id, id)),
  );
}

/**
 * The consented stories of a producer's households: display name and story, only where the
 * household's latest consent record shows both its name and its story and it told one (no
 * private field leaves this query).
 */
export function* publicStoriesOfProducer(tx: Tx, producerId: number) {
  const rows = yield* all(
    tx
      .select({ displayName: households.displayName, storyZh: households.publicStoryZh, storyEn: households.publicStoryEn })
      .from(producerMembers)
      .innerJoin(households, eq(households.id, producerMembers.householdId))
      .where(
        and(
          eq(producerMembers.producerId, producerId),
          consentAllows('namePublic'),
          consentAllows('storyPublic'),
          isNotNull(households.displayName),
          sql`trim(coalesce(${households.publicStoryZh}, '')) <> ''`,
        ),
      )
      .orderBy(asc(households.id)),
  );
  // The conditions above guarantee both: the types say so.
  return rows.map((r) => ({ displayName: r.displayName!, storyZh: r.storyZh!, storyEn: r.storyEn }));
}

/** Consented public names of households, by their latest consent record (no private field leaves this query). */
export function* publicHouseholds(tx: Tx, ids: readonly number[]) {
  if (ids.length === 0) return [];
  return yield* all(
    tx
      .select({
        id: households.id,
        villageId: households.villageId,
        displayName: publicDisplayName(),
      })
      .from(households)
      .where(inArray(households.id, [...ids])),
  );
}

export function* producerById(tx: Tx, id: number): Query<Producer | undefined> {
  return yield* one(tx.select(producerColumns).from(producers).where(eq(producers.id, id)));
}

export function* producersIn(tx: Tx, villageIds: VillageIds): Query<Producer[]> {
  if (villageIds !== 'all' && villageIds.length === 0) return [];
  return yield* all(
    tx
      .select(producerColumns)
      .from(producers)
      .where(villageIds === 'all' ? undefined : inArray(producers.villageId, [...villageIds]))
      .orderBy(asc(producers.villageId), asc(producers.id)),
  );
}

export function* membersOf(tx: Tx, producerId: number) {
  return yield* all(
    tx
      .select({ householdId: producerMembers.householdId, weight: producerMembers.weight, realName: households.realName, displayName: households.displayName })
      .from(producerMembers)
      .innerJoin(households, eq(households.id, producerMembers.householdId))
      .where(eq(producerMembers.producerId, producerId))
      .orderBy(asc(households.id)),
  );
}

function* insertMembers(tx: Tx, producerId: number, members: ProducerInput['members']): Query<void> {
  if (members.length === 0) return;
  yield* run(tx.insert(producerMembers).values(members.map((m) => ({ producerId, householdId: m.householdId, weight: m.weight }))));
}

export function* insertProducer(tx: Tx, p: ProducerInput, now: number): Query<number> {
  const row = yield* one(
    tx
      .insert(producers)
      .values({
        villageId: p.villageId,
        kind: p.kind,
        nameZh: p.nameZh,
        nameEn: p.nameEn,
        storyZh: p.storyZh,
        storyEn: p.storyEn,
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: producers.id }),
  );
  yield* insertMembers(tx, row!.id, p.members);
  return row!.id;
}

export function* updateProducer(tx: Tx, id: number, p: ProducerInput, now: number): Query<void> {
  yield* run(
    tx
      .update(producers)
      .set({ kind: p.kind, nameZh: p.nameZh, nameEn: p.nameEn, storyZh: p.storyZh, storyEn: p.storyEn, updatedAt: now })
      .where(eq(producers.id, id)),
  );
  yield* run(tx.delete(producerMembers).where(eq(producerMembers.producerId, id)));
  yield* insertMembers(tx, id, p.members);
}

/** The producers a household belongs to, with its weight in each (a personal-data export). */
export function* producersOfHousehold(tx: Tx, householdId: number) {
  return yield* all(
    tx
      .select({ producerId: producers.id, nameZh: producers.nameZh, nameEn: producers.nameEn, kind: producers.kind, weight: producerMembers.weight })
      .from(producerMembers)
      .innerJoin(producers, eq(producers.id, producerMembers.producerId))
      .where(eq(producerMembers.householdId, householdId))
      .orderBy(asc(producers.id)),
  );
}

/**
 * Erases a household's personal fields (a personal-data request handled by its secretary): real
 * name, display name, stories, phone, ID-card digits, 建档立卡 number and bank details; consent to
 * be shown publicly is withdrawn. The row, its village and its number of members stay: payouts,
 * producers' weights and the ledger keep pointing at one (anonymous) household.
 */
export function* eraseHouseholdFields(tx: Tx, id: number, now: number, by: { userId: number; name: string }): Query<void> {
  // Consent ends with the data: a withdrawal record, the household's request taken in person by its secretary.
  yield* insertConsent(tx, {
    householdId: id,
    withdrawn: true,
    namePublic: false,
    storyPublic: false,
    photoPublic: false,
    method: 'verbal',
    formMediaId: null,
    witnessName: by.name,
    givenOn: formatDate(now),
    recordedByUserId: by.userId,
    recordedAt: now,
  });
  yield* run(
    tx
      .update(households)
      .set({
        realName: '',
        displayName: null,
        publicStoryZh: null,
        publicStoryEn: null,
        phone: null,
        idCardLast4: null,
        povertyRegNo: null,
        bankAccountName: null,
        bankAccountNo: null,
        bankName: null,
        updatedAt: now,
      })
      .where(eq(households.id, id)),
  );
}
