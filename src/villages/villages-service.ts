import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { AppError, forbidden, notFound } from '../errors.js';
import type { EncodedImage } from '../media/media-service.js';
import { formatDate } from '../time.js';
import { assertVillage, canManageVillage, villageScopeOf } from './access.js';
import { consentHistory, insertConsent, latestConsent, type ConsentItem, type ConsentRecord } from './consent-queries.js';
import type { ConsentForm, HouseholdForm, ProducerForm, WithdrawalForm } from './villages-schemas.js';
import {
  householdById,
  householdsIn,
  insertHousehold,
  insertProducer,
  membersOf,
  producerById,
  producersIn,
  publicHouseholds,
  publicStoriesOfProducer,
  updateHousehold,
  updateProducer,
  villagesByIds,
  villagesWithoutSecretary,
  type Household,
} from './villages-queries.js';

/** What the audit log keeps of a household: which fields changed, never the private values. */
function householdSummary(h: Household | HouseholdForm) {
  return {
    villageId: h.villageId,
    displayName: h.displayName,
    hasPhone: Boolean(h.phone),
    hasIdCardLast4: Boolean(h.idCardLast4),
    hasPovertyRegNo: Boolean(h.povertyRegNo),
    hasBankAccount: Boolean(h.bankAccountNo),
  };
}

/** Where a household is paid by bank transfer; the account number is null until the secretary records it. */
export interface BankAccount {
  householdId: number;
  realName: string;
  /** The payee as the bank knows them (the real name unless recorded otherwise). */
  accountName: string;
  accountNo: string | null;
  bankName: string | null;
}

/** A household's names for staff: the real name, and the display name only where consented. */
export interface HouseholdName {
  realName: string;
  displayName: string | null;
}

/**
 * The household register and producers of a village. Every function takes the acting user and
 * checks the object's village against their scope: outside it, the object "does not exist".
 * Functions answer with promises; the ones other domains read inside their own units of work are
 * offered as generators of `tx` too (`readVillageNames`, `readPublicHouseholds`, `readPublicStories`,
 * `readProducer`).
 */
/** What a consent record lets the public see, item by item; nothing without a record. */
export type ConsentState = Record<ConsentItem, boolean> & { withdrawn: boolean; recorded: boolean };

const consentState = (c: Pick<ConsentRecord, 'withdrawn' | ConsentItem> | undefined): ConsentState => ({
  recorded: Boolean(c),
  withdrawn: Boolean(c?.withdrawn),
  namePublic: Boolean(c?.namePublic),
  storyPublic: Boolean(c?.storyPublic),
  photoPublic: Boolean(c?.photoPublic),
});

/** What the audit log keeps of a consent record: what was agreed and how, never the scan or the witness's name. */
const consentSummary = (c: Pick<ConsentRecord, 'withdrawn' | 'namePublic' | 'storyPublic' | 'photoPublic' | 'method' | 'givenOn'>) => ({
  withdrawn: Boolean(c.withdrawn),
  namePublic: Boolean(c.namePublic),
  storyPublic: Boolean(c.storyPublic),
  photoPublic: Boolean(c.photoPublic),
  method: c.method,
  givenOn: c.givenOn,
});

export interface VillagesDeps {
  clock: Clock;
  audit: AuditService;
  /** The scan of a signed consent form: checked and re-encoded outside the transaction, stored (private) inside it. */
  media: { encodeEvidence(input: Buffer): Promise<EncodedImage>; addEvidence(tx: Tx, image: EncodedImage): Query<number> };
}

export function createVillagesService(db: Database_, deps: VillagesDeps) {
  const { clock, audit } = deps;

  /**
   * A household whose consent the actor may record: one of their own villages. Consent is asked
   * for by household id from the household's page; another village's household is refused (403).
   */
  function* consentHousehold(tx: Tx, actor: CurrentUser, id: number): Query<Household> {
    const row = yield* householdById(tx, id);
    if (!row) throw notFound('household_not_found');
    if (!canManageVillage(actor, row.villageId)) throw forbidden('household_not_in_your_villages');
    return row;
  }

  /** The day a consent was given: a real date, not after today (China time). */
  function checkGivenOn(givenOn: string) {
    if (Number.isNaN(Date.parse(`${givenOn}T00:00:00+08:00`)) || new Date(`${givenOn}T00:00:00Z`).toISOString().slice(0, 10) !== givenOn) {
      throw new AppError('validation', 'consent_date', undefined, { fields: { givenOn: 'consent_date' } });
    }
    if (givenOn > formatDate(clock())) throw new AppError('validation', 'consent_future', undefined, { fields: { givenOn: 'consent_future' } });
  }

  /** A paper form comes with its scan; the scan is re-encoded (metadata dropped) before any write. */
  async function encodeScan(method: 'paper_form' | 'verbal', scan: Buffer | null): Promise<EncodedImage | null> {
    if (method !== 'paper_form') return null;
    if (!scan) throw new AppError('validation', 'consent_scan_missing', undefined, { fields: { scan: 'consent_scan_missing' } });
    try {
      return await deps.media.encodeEvidence(scan);
    } catch (error) {
      if (error instanceof AppError && error.type === 'validation') throw new AppError('validation', error.code, undefined, { fields: { scan: error.code } });
      throw error;
    }
  }

  function* household(tx: Tx, actor: CurrentUser, id: number): Query<Household> {
    const row = yield* householdById(tx, id);
    assertVillage(actor, row?.villageId, 'household_not_found');
    return row!;
  }

  function* checkMembers(tx: Tx, villageId: number, members: ProducerForm['members']): Query<void> {
    for (const m of members) {
      const h = yield* householdById(tx, m.householdId);
      // A household id from another village (or none) in a hidden field is refused the same way.
      if (!h || h.villageId !== villageId) {
        throw new AppError('validation', 'member_not_in_village', undefined, { fields: { members: 'member_not_in_village' } });
      }
    }
  }

  /** A producer the actor manages, with its members; else not found. */
  function* readProducer(tx: Tx, actor: CurrentUser, id: number) {
    const row = yield* producerById(tx, id);
    assertVillage(actor, row?.villageId, 'producer_not_found');
    return { ...row!, members: yield* membersOf(tx, id) };
  }

  const readVillageNames = (tx: Tx) => villagesByIds(tx, 'all');
  const readPublicHouseholds = (tx: Tx, ids: readonly number[]) => publicHouseholds(tx, ids);
  const readPublicStories = (tx: Tx, producerId: number) => publicStoriesOfProducer(tx, producerId);

  /**
   * A consent record (what was agreed, or a withdrawal), how it was given and by whom, in the
   * caller's unit of work, audit-logged with what it replaces.
   */
  function* addConsent(
    tx: Tx,
    actor: CurrentUser,
    householdId: number,
    how: Pick<WithdrawalForm, 'method' | 'witnessName' | 'givenOn'>,
    scan: EncodedImage | null,
    address: string | null,
    items: { withdrawn: boolean; namePublic: boolean; storyPublic: boolean; photoPublic: boolean },
  ): Query<number> {
    const record = {
      householdId,
      ...items,
      method: how.method,
      formMediaId: scan ? yield* deps.media.addEvidence(tx, scan) : null,
      witnessName: how.method === 'verbal' ? how.witnessName : null,
      givenOn: how.givenOn,
      recordedByUserId: actor.id,
      recordedAt: clock(),
    };
    const before = yield* latestConsent(tx, householdId);
    const consentId = yield* insertConsent(tx, record);
    yield* audit.add(tx, {
      userId: actor.id,
      action: items.withdrawn ? 'household.consent_withdraw' : 'household.consent_record',
      entityType: 'household',
      entityId: householdId,
      before: before ? consentSummary(before) : null,
      after: consentSummary(record),
      address,
    });
    return consentId;
  }

  return {
    readVillageNames,
    readPublicHouseholds,
    readProducer,
    readPublicStories,
    /** Public view of households: village and the consented display name only. */
    publicHouseholds: (ids: readonly number[]) => db.uow.read((tx) => readPublicHouseholds(tx, ids)),
    publicStoriesOfProducer: (producerId: number) => db.uow.read((tx) => readPublicStories(tx, producerId)),
    /** Villages with published products but no first secretary to ship them (a warning for staff). */
    villagesWithoutSecretary: () => db.uow.read(villagesWithoutSecretary),
    villageNames: () => db.uow.read(readVillageNames),

    villagesOf: (actor: CurrentUser) => db.uow.read((tx) => villagesByIds(tx, villageScopeOf(actor))),
    households: (actor: CurrentUser) => db.uow.read((tx) => householdsIn(tx, villageScopeOf(actor))),
    household: (actor: CurrentUser, id: number) => db.uow.read((tx) => household(tx, actor, id)),

    /**
     * A household's bank account (private) for a payout batch file, as a step of the caller's unit;
     * the caller has checked that the coordinator may pay the household.
     */
    *bankAccountOf(tx: Tx, householdId: number): Query<BankAccount | null> {
      const h = yield* householdById(tx, householdId);
      if (!h) return null;
      return { householdId: h.id, realName: h.realName, accountName: h.bankAccountName ?? h.realName, accountNo: h.bankAccountNo, bankName: h.bankName };
    },

    /**
     * The names of these households for a staff member, by id: only those they may see (real
     * name, consented display name); the others are left out.
     */
    householdNames: (actor: CurrentUser, ids: readonly number[]) =>
      db.uow.read(function* (tx) {
        const scope = villageScopeOf(actor);
        const names = new Map<number, HouseholdName>();
        for (const id of new Set(ids)) {
          const row = yield* householdById(tx, id);
          if (!row || (scope !== 'all' && !scope.includes(row.villageId))) continue;
          const consent = yield* latestConsent(tx, id);
          names.set(id, { realName: row.realName, displayName: consent?.namePublic ? row.displayName : null });
        }
        return names;
      }),

    createHousehold: (actor: CurrentUser, form: HouseholdForm, address: string | null) =>
      db.uow.write(function* (tx) {
        assertVillage(actor, form.villageId, 'village_not_found');
        const id = yield* insertHousehold(tx, form, clock());
        yield* audit.add(tx, { userId: actor.id, action: 'household.create', entityType: 'household', entityId: id, after: householdSummary(form), address });
        return id;
      }),

    updateHousehold: (actor: CurrentUser, id: number, form: HouseholdForm, address: string | null) =>
      db.uow.write(function* (tx) {
        const before = yield* household(tx, actor, id);
        assertVillage(actor, form.villageId, 'village_not_found');
        yield* updateHousehold(tx, id, form, clock());
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'household.update',
          entityType: 'household',
          entityId: id,
          before: householdSummary(before),
          after: householdSummary(form),
          address,
        });
      }),

    /** A household of the actor's villages for its consent pages (another village's: 403), with its consent now and its history, newest first. */
    consentOf: (actor: CurrentUser, id: number) =>
      db.uow.read(function* (tx) {
        const household = yield* consentHousehold(tx, actor, id);
        const history = yield* consentHistory(tx, id);
        return { household, current: consentState(history[0]), history };
      }),

    /** The scan of one of a household's signed consent forms, for its secretary; null when the record has none. */
    consentScan: (actor: CurrentUser, householdId: number, consentId: number) =>
      db.uow.read(function* (tx) {
        yield* consentHousehold(tx, actor, householdId);
        const record = (yield* consentHistory(tx, householdId)).find((c) => c.id === consentId);
        return record?.formMediaId ?? null;
      }),

    /**
     * Records what a household agreed to show (a new record; earlier ones stay as history). Public
     * pages follow it at once: they read the latest record, and its insert bumps the page cache.
     */
    async recordConsent(actor: CurrentUser, id: number, form: ConsentForm, scan: Buffer | null, address: string | null): Promise<number> {
      checkGivenOn(form.givenOn);
      const encoded = await encodeScan(form.method, scan);
      return db.uow.write(function* (tx) {
        const household = yield* consentHousehold(tx, actor, id);
        if (form.namePublic && !household.displayName) {
          throw new AppError('validation', 'consent_needs_display_name', undefined, { fields: { namePublic: 'consent_needs_display_name' } });
        }
        if (form.storyPublic && !household.publicStoryZh?.trim()) {
          throw new AppError('validation', 'consent_needs_story', undefined, { fields: { storyPublic: 'consent_needs_story' } });
        }
        return yield* addConsent(tx, actor, id, form, encoded, address, {
          withdrawn: false,
          namePublic: form.namePublic,
          storyPublic: form.storyPublic,
          photoPublic: form.photoPublic,
        });
      });
    },

    /** Records that a household withdrew all its consent: name, story and photos leave every public page at once. */
    async withdrawConsent(actor: CurrentUser, id: number, form: WithdrawalForm, scan: Buffer | null, address: string | null): Promise<number> {
      checkGivenOn(form.givenOn);
      const encoded = await encodeScan(form.method, scan);
      return db.uow.write(function* (tx) {
        yield* consentHousehold(tx, actor, id);
        return yield* addConsent(tx, actor, id, form, encoded, address, { withdrawn: true, namePublic: false, storyPublic: false, photoPublic: false });
      });
    },

    producers: (actor: CurrentUser) => db.uow.read((tx) => producersIn(tx, villageScopeOf(actor))),

    producer: (actor: CurrentUser, id: number) => db.uow.read((tx) => readProducer(tx, actor, id)),

    createProducer: (actor: CurrentUser, form: ProducerForm, address: string | null) =>
      db.uow.write(function* (tx) {
        assertVillage(actor, form.villageId, 'village_not_found');
        yield* checkMembers(tx, form.villageId, form.members);
        const id = yield* insertProducer(tx, form, clock());
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'producer.create',
          entityType: 'producer',
          entityId: id,
          after: { kind: form.kind, nameZh: form.nameZh, members: form.members },
          address,
        });
        return id;
      }),

    updateProducer: (actor: CurrentUser, id: number, form: ProducerForm, address: string | null) =>
      db.uow.write(function* (tx) {
        const before = yield* producerById(tx, id);
        assertVillage(actor, before?.villageId, 'producer_not_found');
        // A producer stays in its village; its members must be households of that village.
        const villageId = before!.villageId;
        yield* checkMembers(tx, villageId, form.members);
        const beforeMembers = (yield* membersOf(tx, id)).map((m) => ({ householdId: m.householdId, weight: m.weight }));
        yield* updateProducer(tx, id, { ...form, villageId }, clock());
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'producer.update',
          entityType: 'producer',
          entityId: id,
          before: { kind: before!.kind, nameZh: before!.nameZh, members: beforeMembers },
          after: { kind: form.kind, nameZh: form.nameZh, members: form.members },
          address,
        });
      }),
  };
}

export type VillagesService = ReturnType<typeof createVillagesService>;

/** A village's names, as other domains show them. */
export type VillageName = { id: number; slug: string; nameZh: string; nameEn: string | null };
/** A household as the public may see it: its village and the consented display name only. */
export type PublicHousehold = { id: number; villageId: number; displayName: string | null };
