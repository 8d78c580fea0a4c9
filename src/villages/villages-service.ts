import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import { assertVillage, villageScopeOf } from './access.js';
import type { HouseholdForm, ProducerForm } from './villages-schemas.js';
import { createVillagesQueries, type HouseholdRow } from './villages-queries.js';

/** What the audit log keeps of a household: which fields changed, never the private values. */
function householdSummary(h: HouseholdRow | HouseholdForm) {
  return {
    villageId: h.villageId,
    displayName: h.displayName,
    consentPublic: Boolean(h.consentPublic),
    hasPhone: Boolean(h.phone),
    hasIdCardLast4: Boolean(h.idCardLast4),
    hasPovertyRegNo: Boolean(h.povertyRegNo),
  };
}

/**
 * The household register and producers of a village. Every function takes the acting user and
 * checks the object's village against their scope: outside it, the object "does not exist".
 */
export function createVillagesService(db: Database_, deps: { clock: Clock; audit: AuditService }) {
  const queries = createVillagesQueries(db);
  const { clock, audit } = deps;

  function household(actor: CurrentUser, id: number): HouseholdRow {
    const row = queries.householdById(id);
    assertVillage(actor, row?.villageId, 'household_not_found');
    return row!;
  }

  function checkMembers(_actor: CurrentUser, villageId: number, members: ProducerForm['members']): void {
    for (const m of members) {
      const h = queries.householdById(m.householdId);
      // A household id from another village (or none) in a hidden field is refused the same way.
      if (!h || h.villageId !== villageId) {
        throw new AppError('validation', 'member_not_in_village', undefined, { fields: { members: 'member_not_in_village' } });
      }
    }
  }

  return {
    /** Public view of households: village and the consented display name only. */
    publicHouseholds: (ids: readonly number[]) => queries.publicHouseholds(ids),
    publicStoriesOfProducer: (producerId: number) => queries.publicStoriesOfProducer(producerId),
    /** Villages with published products but no first secretary to ship them (a warning for staff). */
    villagesWithoutSecretary: () => queries.villagesWithoutSecretary(),
    villageNames: () => queries.villagesByIds('all'),

    villagesOf: (actor: CurrentUser) => queries.villagesByIds(villageScopeOf(actor)),
    households: (actor: CurrentUser) => queries.householdsIn(villageScopeOf(actor)),
    household,
    /** A household's names for a staff member who may see it (real name, consented display name), else null. */
    householdName(actor: CurrentUser, id: number): { realName: string; displayName: string | null } | null {
      const row = queries.householdById(id);
      if (!row) return null;
      const scope = villageScopeOf(actor);
      if (scope !== 'all' && !scope.includes(row.villageId)) return null;
      return { realName: row.realName, displayName: row.consentPublic ? row.displayName : null };
    },

    createHousehold(actor: CurrentUser, form: HouseholdForm, address: string | null): number {
      assertVillage(actor, form.villageId, 'village_not_found');
      return queries.transaction(() => {
        const id = queries.insertHousehold(form, clock());
        audit.record({ userId: actor.id, action: 'household.create', entityType: 'household', entityId: id, after: householdSummary(form), address });
        return id;
      });
    },

    updateHousehold(actor: CurrentUser, id: number, form: HouseholdForm, address: string | null): void {
      const before = household(actor, id);
      assertVillage(actor, form.villageId, 'village_not_found');
      queries.transaction(() => {
        queries.updateHousehold(id, form, clock());
        audit.record({
          userId: actor.id,
          action: 'household.update',
          entityType: 'household',
          entityId: id,
          before: householdSummary(before),
          after: householdSummary(form),
          address,
        });
      });
    },

    producers: (actor: CurrentUser) => queries.producersIn(villageScopeOf(actor)),

    producer(actor: CurrentUser, id: number) {
      const row = queries.producerById(id);
      assertVillage(actor, row?.villageId, 'producer_not_found');
      return { ...row!, members: queries.membersOf(id) };
    },

    createProducer(actor: CurrentUser, form: ProducerForm, address: string | null): number {
      assertVillage(actor, form.villageId, 'village_not_found');
      checkMembers(actor, form.villageId, form.members);
      return queries.transaction(() => {
        const id = queries.insertProducer(form, clock());
        audit.record({
          userId: actor.id,
          action: 'producer.create',
          entityType: 'producer',
          entityId: id,
          after: { kind: form.kind, nameZh: form.nameZh, members: form.members },
          address,
        });
        return id;
      });
    },

    updateProducer(actor: CurrentUser, id: number, form: ProducerForm, address: string | null): void {
      const before = queries.producerById(id);
      assertVillage(actor, before?.villageId, 'producer_not_found');
      // A producer stays in its village; its members must be households of that village.
      const villageId = before!.villageId;
      checkMembers(actor, villageId, form.members);
      queries.transaction(() => {
        const beforeMembers = queries.membersOf(id).map((m) => ({ householdId: m.householdId, weight: m.weight }));
        queries.updateProducer(id, { ...form, villageId }, clock());
        audit.record({
          userId: actor.id,
          action: 'producer.update',
          entityType: 'producer',
          entityId: id,
          before: { kind: before!.kind, nameZh: before!.nameZh, members: beforeMembers },
          after: { kind: form.kind, nameZh: form.nameZh, members: form.members },
          address,
        });
      });
    },
  };
}

export type VillagesService = ReturnType<typeof createVillagesService>;
