import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import type { ProducerKind } from './schema.js';

export interface HouseholdRow {
  id: number;
  villageId: number;
  realName: string;
  displayName: string | null;
  publicStoryZh: string | null;
  publicStoryEn: string | null;
  consentPublic: number;
  phone: string | null;
  idCardLast4: string | null;
  povertyRegNo: string | null;
  members: number;
  createdAt: number;
  updatedAt: number;
}

export interface HouseholdInput {
  villageId: number;
  realName: string;
  displayName: string | null;
  publicStoryZh: string | null;
  publicStoryEn: string | null;
  consentPublic: boolean;
  phone: string | null;
  idCardLast4: string | null;
  povertyRegNo: string | null;
  members: number;
}

export interface ProducerRow {
  id: number;
  villageId: number;
  kind: ProducerKind;
  nameZh: string;
  nameEn: string | null;
  storyZh: string;
  storyEn: string | null;
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

const HOUSEHOLD_COLUMNS = `id, village_id AS villageId, real_name AS realName, display_name AS displayName,
  public_story_zh AS publicStoryZh, public_story_en AS publicStoryEn, consent_public AS consentPublic, phone,
  id_card_last4 AS idCardLast4, poverty_reg_no AS povertyRegNo, members, created_at AS createdAt, updated_at AS updatedAt`;
const PRODUCER_COLUMNS = `id, village_id AS villageId, kind, name_zh AS nameZh, name_en AS nameEn, story_zh AS storyZh, story_en AS storyEn`;

/** All SQL of villages, households and producers. */
export function createVillagesQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  const inList = (ids: readonly number[]) => (ids.length ? ids.map(Number).join(',') : 'NULL');
  return {
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn)(),

    villagesByIds: (ids: readonly number[] | 'all') =>
      q(`SELECT id, slug, name_zh AS nameZh, name_en AS nameEn FROM villages ${ids === 'all' ? '' : `WHERE id IN (${inList(ids)})`} ORDER BY id`).all() as {
        id: number;
        slug: string;
        nameZh: string;
        nameEn: string | null;
      }[],

    /**
     * Villages with published products that no enabled first secretary account runs: nobody ships
     * their parcels but a coordinator. Reads users and products only to count; changes neither.
     */
    villagesWithoutSecretary: () =>
      q(
        `SELECT v.id, v.name_zh AS nameZh, v.name_en AS nameEn, count(p.id) AS publishedProducts
         FROM villages v JOIN producers pr ON pr.village_id = v.id JOIN products p ON p.producer_id = pr.id AND p.published = 1
         WHERE NOT EXISTS (SELECT 1 FROM user_villages uv JOIN users u ON u.id = uv.user_id WHERE uv.village_id = v.id AND u.role = 'first_secretary' AND u.disabled = 0)
         GROUP BY v.id ORDER BY v.id`,
      ).all() as { id: number; nameZh: string; nameEn: string | null; publishedProducts: number }[],
    householdById: (id: number) => q(`SELECT ${HOUSEHOLD_COLUMNS} FROM households WHERE id = ?`).get(id) as HouseholdRow | undefined,
    householdsIn: (villageIds: readonly number[] | 'all') =>
      q(
        `SELECT ${HOUSEHOLD_COLUMNS} FROM households ${villageIds === 'all' ? '' : `WHERE village_id IN (${inList(villageIds)})`}
         ORDER BY village_id, id`,
      ).all() as HouseholdRow[],

    insertHousehold(h: HouseholdInput, now: number): number {
      return Number(
        q(
          `INSERT INTO households (village_id, real_name, display_name, public_story_zh, public_story_en, consent_public, phone,
             id_card_last4, poverty_reg_no, members, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
        ).run(
          h.villageId,
          h.realName,
          h.displayName,
          h.publicStoryZh,
          h.publicStoryEn,
          h.consentPublic ? 1 : 0,
          h.phone,
          h.idCardLast4,
          h.povertyRegNo,
          h.members,
          now,
          now,
        ).lastInsertRowid,
      );
    },
    updateHousehold(id: number, h: HouseholdInput, now: number): void {
      q(
        `UPDATE households SET village_id = ?, real_name = ?, display_name = ?, public_story_zh = ?, public_story_en = ?, consent_public = ?,
           phone = ?, id_card_last4 = ?, poverty_reg_no = ?, members = ?, updated_at = ? WHERE id = ?`,
      ).run(
        h.villageId,
        h.realName,
        h.displayName,
        h.publicStoryZh,
        h.publicStoryEn,
        h.consentPublic ? 1 : 0,
        h.phone,
        h.idCardLast4,
        h.povertyRegNo,
        h.members,
        now,
        id,
      );
    },

    /**
     * The consented stories of a producer's households: display name and story, only where the
     * household agreed to be shown and told one (no private field leaves this query).
     */
    publicStoriesOfProducer: (producerId: number) =>
      q(
        `SELECT h.display_name AS displayName, h.public_story_zh AS storyZh, h.public_story_en AS storyEn
         FROM producer_members m JOIN households h ON h.id = m.household_id
         WHERE m.producer_id = ? AND h.consent_public = 1 AND h.display_name IS NOT NULL AND trim(coalesce(h.public_story_zh, '')) <> ''
         ORDER BY h.id`,
      ).all(producerId) as { displayName: string; storyZh: string; storyEn: string | null }[],

    /** Consented public names of households (no private field leaves this query). */
    publicHouseholds: (ids: readonly number[]) =>
      q(
        `SELECT id, village_id AS villageId, CASE WHEN consent_public = 1 THEN display_name END AS displayName
         FROM households WHERE id IN (${inList(ids)})`,
      ).all() as { id: number; villageId: number; displayName: string | null }[],

    producerById: (id: number) => q(`SELECT ${PRODUCER_COLUMNS} FROM producers WHERE id = ?`).get(id) as ProducerRow | undefined,
    producersIn: (villageIds: readonly number[] | 'all') =>
      q(
        `SELECT ${PRODUCER_COLUMNS} FROM producers ${villageIds === 'all' ? '' : `WHERE village_id IN (${inList(villageIds)})`} ORDER BY village_id, id`,
      ).all() as ProducerRow[],
    membersOf: (producerId: number) =>
      q(
        `SELECT pm.household_id AS householdId, pm.weight, h.real_name AS realName, h.display_name AS displayName
         FROM producer_members pm JOIN households h ON h.id = pm.household_id WHERE pm.producer_id = ? ORDER BY h.id`,
      ).all(producerId) as { householdId: number; weight: number; realName: string; displayName: string | null }[],

    insertProducer(p: ProducerInput, now: number): number {
      const id = Number(
        q(`INSERT INTO producers (village_id, kind, name_zh, name_en, story_zh, story_en, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)`).run(
          p.villageId,
          p.kind,
          p.nameZh,
          p.nameEn,
          p.storyZh,
          p.storyEn,
          now,
          now,
        ).lastInsertRowid,
      );
      for (const m of p.members) q(`INSERT INTO producer_members (producer_id, household_id, weight) VALUES (?,?,?)`).run(id, m.householdId, m.weight);
      return id;
    },
    updateProducer(id: number, p: ProducerInput, now: number): void {
      q(`UPDATE producers SET kind = ?, name_zh = ?, name_en = ?, story_zh = ?, story_en = ?, updated_at = ? WHERE id = ?`).run(
        p.kind,
        p.nameZh,
        p.nameEn,
        p.storyZh,
        p.storyEn,
        now,
        id,
      );
      q(`DELETE FROM producer_members WHERE producer_id = ?`).run(id);
      for (const m of p.members) q(`INSERT INTO producer_members (producer_id, household_id, weight) VALUES (?,?,?)`).run(id, m.householdId, m.weight);
    },
  };
}

export type VillagesQueries = ReturnType<typeof createVillagesQueries>;
