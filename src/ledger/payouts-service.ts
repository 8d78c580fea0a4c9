import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import type { EncodedImage } from '../media/media-service.js';
import { formatFen } from '../money.js';
import type { ProjectScope } from '../projects/project-management.js';
import { householdOfCode } from './accounts.js';
import { attributePayout, owedWithin } from './attribution.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { householdReports, householdSettlement, payoutLimit } from './ledger-reports.js';
import type { Attribution, LedgerService } from './ledger-service.js';
import { insertPayout, payoutById, payoutsOfHousehold, type PayoutMethod, type PayoutRow } from './payouts-queries.js';

export interface PayoutInput {
  householdId: number;
  /** Fen, at least 1. */
  amountFen: number;
  method: PayoutMethod;
  reference: string;
  /** YYYY-MM-DD, the day the money was handed over or sent. */
  paidOn: string;
}

export interface PayoutsDeps {
  clock: Clock;
  ledger: LedgerService;
  audit: AuditService;
  /** Stores re-encoded evidence inside the payout's transaction (media service). */
  /** Stores the evidence: a step of the payout's unit of work (the media service's). */
  addEvidence: (tx: Tx, image: EncodedImage) => Query<number>;
  /** The coordinator's household check (project scope); throws "not found" outside it. */
  /** Refuses a household outside the actor's reach: a step of the caller's unit of work (project management's). */
  assertHousehold: (tx: Tx, actor: CurrentUser, householdId: number) => Query<unknown>;
  /** The projects whose money the coordinator may see and pay out. */
  projectScopeOf: (actor: CurrentUser) => ProjectScope;
}

/** A payout as one coordinator sees it: with the part of it that their projects paid (fen, the payout's sign). */
export type PayoutView = PayoutRow & { inScopeFen: number };

/** Every project's money: what the household is owed in all. */
const everyProject = householdReports('all');

const inScope = (scope: ProjectScope, projectId: number | null) => scope === 'all' || (projectId !== null && scope.includes(projectId));

/** The ledger key of a payout row's posting (a reversal row's is that of the payout it reverses). */
const postingKey = (row: Pick<PayoutRow, 'id' | 'reversesPayoutId'>) =>
  row.reversesPayoutId === null ? `payout:${row.id}` : `payout-reversal:${row.reversesPayoutId}`;

/**
 * Payouts: money handed to a household, moved in the ledger from its payable account to cash.
 * A payout is never edited; a mistake is undone once by a reversal (a negative payout row and the
 * opposite posting). The payout row, its evidence and its posting commit together or not at all.
 *
 * Each payout is attributed to the projects and villages whose money it pays (ledger/attribution.ts):
 * its posting has one household entry per part, carrying its project and village. A coordinator
 * scoped to some projects sees and pays only what those projects owe the household: a payout they
 * record is attributed to their projects alone, and they see a payout only through its part paid
 * by their projects. Another project's money is never visible to them, nor payable by them.
 */
export function createPayoutsService(db: Database_, deps: PayoutsDeps) {
  const { clock, ledger, audit } = deps;

  /** The parts of a payout row's posting: fen with the row's sign, and the project and village of each (null: posted before attribution). */
  function* partsOf(tx: Tx, row: Pick<PayoutRow, 'id' | 'reversesPayoutId'>): Query<{ attribution: Attribution | null; amountFen: number }[]> {
    const posted = yield* ledger.transactionByKeyIn(tx, postingKey(row));
    if (!posted) return [];
    return (yield* ledger.entriesOfIn(tx, posted.id))
      .filter((e) => householdOfCode(e.accountCode) !== null)
      .map((e) => ({
        attribution: e.projectId !== null && e.villageId !== null ? { projectId: e.projectId, villageId: e.villageId } : null,
        amountFen: e.amountFen,
      }));
  }

  /** The part of a payout in the scope, fen; null when none of it is (the payout is then not the coordinator's). */
  function* partIn(tx: Tx, scope: ProjectScope, row: PayoutRow): Query<number | null> {
    if (scope === 'all') return row.amountFen;
    const parts = (yield* partsOf(tx, row)).filter((p) => inScope(scope, p.attribution?.projectId ?? null));
    return parts.length ? parts.reduce((sum, p) => sum + p.amountFen, 0) : null;
  }

  function* payoutIn(tx: Tx, actor: CurrentUser, id: number): Query<PayoutView> {
    const row = yield* payoutById(tx, id);
    if (!row) throw new AppError('not_found', 'payout_not_found');
    try {
      yield* deps.assertHousehold(tx, actor, row.householdId);
    } catch {
      throw new AppError('not_found', 'payout_not_found');
    }
    const inScopeFen = yield* partIn(tx, deps.projectScopeOf(actor), row);
    if (inScopeFen === null) throw new AppError('not_found', 'payout_not_found');
    return { ...row, inScopeFen };
  }

  /**
   * What the actor may pay the household now, fen: owed is what the household is owed (by every
   * project, or by the actor's projects only), available is that less what is held for refunds
   * still pending (see payoutLimit in ledger-reports.ts), held the difference.
   */
  function* limitFor(tx: Tx, scope: ProjectScope, householdId: number): Query<{ owedFen: number; heldFen: number; availableFen: number }> {
    const household = (yield* everyProject.householdBalance(tx, householdId)).owedFen;
    const whole = yield* payoutLimit(tx, householdId, household);
    if (scope === 'all') return { owedFen: household, heldFen: whole.heldFen, availableFen: whole.availableFen };
    const owedFen = owedWithin(yield* householdSettlement(tx, householdId), (b) => inScope(scope, b.projectId));
    const availableFen = Math.min(owedFen, whole.availableFen);
    return { owedFen, heldFen: owedFen - availableFen, availableFen };
  }

  return {
    payout: (actor: CurrentUser, id: number) => db.uow.read((tx) => payoutIn(tx, actor, id)),

    /** The household's payouts the actor may see (those their projects paid part of), newest first. */
    payoutsOf: (actor: CurrentUser, householdId: number) =>
      db.uow.read(function* (tx) {
        yield* deps.assertHousehold(tx, actor, householdId);
        const scope = deps.projectScopeOf(actor);
        const seen: PayoutView[] = [];
        for (const row of yield* payoutsOfHousehold(tx, householdId)) {
          const inScopeFen = yield* partIn(tx, scope, row);
          if (inScopeFen !== null) seen.push({ ...row, inScopeFen });
        }
        return seen;
      }),

    /** What the actor may pay the household now (see limitFor): the figures their household page shows. */
    limit: (actor: CurrentUser, householdId: number) =>
      db.uow.read(function* (tx) {
        yield* deps.assertHousehold(tx, actor, householdId);
        return yield* limitFor(tx, deps.projectScopeOf(actor), householdId);
      }),

    /**
     * Records a payout of at most what the household is owed (by the actor's projects, for a
     * scoped coordinator), less what is held for refunds still pending, attributed to the buckets
     * that owe it (attributePayout). The balances are read inside the write unit, so two payouts
     * racing cannot together overdraw them.
     */
    async record(actor: CurrentUser, input: PayoutInput, evidence: EncodedImage | null, address: string | null): Promise<PayoutRow> {
      await db.uow.read((tx) => deps.assertHousehold(tx, actor, input.householdId));
      if (!Number.isSafeInteger(input.amountFen) || input.amountFen < 1)
        throw new AppError('validation', 'payout_amount_invalid', undefined, { fields: { amount: 'payout_amount_invalid' } });
      const scope = deps.projectScopeOf(actor);
      return db.uow.write(function* (tx) {
        const { owedFen, heldFen, availableFen } = yield* limitFor(tx, scope, input.householdId);
        if (input.amountFen > owedFen) {
          throw new AppError('validation', 'payout_exceeds_owed', undefined, {
            params: { owedFen, owed: formatFen(owedFen) },
            fields: { amount: 'payout_exceeds_owed' },
          });
        }
        if (input.amountFen > availableFen) {
          throw new AppError('validation', 'payout_held_for_refunds', undefined, {
            params: { owedFen, heldFen, availableFen, owed: formatFen(owedFen), held: formatFen(heldFen), available: formatFen(availableFen) },
            fields: { amount: 'payout_held_for_refunds' },
          });
        }
        // What the buckets in scope owe can be less than the balance (a clawback in another project is netted first).
        const settled = yield* householdSettlement(tx, input.householdId);
        const mayPay = (b: { projectId: number }) => inScope(scope, b.projectId);
        const inScopeFen = owedWithin(settled, mayPay);
        if (input.amountFen > inScopeFen) {
          throw new AppError('validation', 'payout_exceeds_project_owed', undefined, {
            params: { owed: formatFen(inScopeFen) },
            fields: { amount: 'payout_exceeds_project_owed' },
          });
        }
        const parts = attributePayout(settled, input.amountFen, mayPay);
        const now = clock();
        const evidenceMediaId = evidence ? yield* deps.addEvidence(tx, evidence) : null;
        const id = yield* insertPayout(tx, { ...input, evidenceMediaId, reversesPayoutId: null, note: null, createdByUserId: actor.id, createdAt: now });
        yield* ledger.postIn(tx, {
          idempotencyKey: `payout:${id}`,
          kind: 'payout',
          payoutId: id,
          memo: `payout ${input.method} ${input.reference}`.trim(),
          createdByUserId: actor.id,
          entries: [
            ...parts.map((p) => ({
              account: { kind: 'household_payable' as const, householdId: input.householdId },
              amountFen: p.amountFen,
              attribution: p.attribution,
            })),
            { account: { kind: 'cash' }, amountFen: -input.amountFen },
          ],
        });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'payout.create',
          entityType: 'payout',
          entityId: id,
          before: { owedFen, heldFen },
          after: {
            householdId: input.householdId,
            amountFen: input.amountFen,
            method: input.method,
            reference: input.reference,
            paidOn: input.paidOn,
            evidenceMediaId,
            projects: parts,
          },
          address,
        });
        return (yield* payoutById(tx, id))!;
      });
    },

    /**
     * Reverses a payout once: a negative payout row and the opposite posting, part by part; the
     * household is owed it again, by the same projects and villages. A scoped coordinator reverses
     * only a payout paid wholly by their projects (else it would give back another project's money).
     */
    reverse: (actor: CurrentUser, payoutId: number, note: string, address: string | null): Promise<PayoutRow> =>
      db.uow.write(function* (tx) {
        const seen = yield* payoutIn(tx, actor, payoutId);
        if (seen.inScopeFen !== seen.amountFen) throw new AppError('conflict', 'payout_other_projects');
        const original = (yield* payoutById(tx, payoutId))!;
        if (original.reversesPayoutId !== null) throw new AppError('conflict', 'payout_is_reversal');
        if (original.reversedById !== null) throw new AppError('conflict', 'payout_already_reversed');
        const parts = yield* partsOf(tx, original);
        const now = clock();
        const id = yield* insertPayout(tx, {
          householdId: original.householdId,
          amountFen: -original.amountFen,
          method: original.method,
          reference: original.reference,
          paidOn: original.paidOn,
          evidenceMediaId: null,
          reversesPayoutId: original.id,
          note,
          createdByUserId: actor.id,
          createdAt: now,
        });
        const household = { kind: 'household_payable' as const, householdId: original.householdId };
        yield* ledger.postIn(tx, {
          idempotencyKey: `payout-reversal:${original.id}`,
          kind: 'payout_reversal',
          payoutId: id,
          memo: `reverses payout ${original.id}: ${note}`,
          createdByUserId: actor.id,
          entries: [
            ...(parts.length
              ? parts.map((p) => ({ account: household, amountFen: -p.amountFen, attribution: p.attribution }))
              : [{ account: household, amountFen: -original.amountFen }]),
            { account: { kind: 'cash' }, amountFen: original.amountFen },
          ],
        });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'payout.reverse',
          entityType: 'payout',
          entityId: original.id,
          after: { reversalId: id, amountFen: original.amountFen, note },
          address,
        });
        return (yield* payoutById(tx, id))!;
      }),
  };
}

export type PayoutsService = ReturnType<typeof createPayoutsService>;
