import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import type { EncodedImage } from '../media/media-service.js';
import { formatFen } from '../money.js';
import { projectScopeOf } from '../projects/project-management.js';
import { attributePayout, owedWithin } from './attribution.js';
import type { LedgerReports } from './ledger-reports.js';
import type { LedgerService } from './ledger-service.js';
import { createPayoutsQueries, type PayoutMethod, type PayoutRow } from './payouts-queries.js';

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
  reports: LedgerReports;
  audit: AuditService;
  /** Stores re-encoded evidence inside the payout's transaction (media service). */
  saveEvidence: (image: EncodedImage) => number;
  /** The coordinator's household check (project scope); throws "not found" outside it. */
  assertHousehold: (actor: CurrentUser, householdId: number) => void;
}

/**
 * Payouts: money handed to a household, moved in the ledger from its payable account to cash.
 * A payout is never edited; a mistake is undone once by a reversal (a negative payout row and the
 * opposite posting). The payout row, its evidence and its posting commit together or not at all.
 */
export function createPayoutsService(db: Database_, deps: PayoutsDeps) {
  const queries = createPayoutsQueries(db);
  const { clock, ledger, reports, audit } = deps;

  function payout(actor: CurrentUser, id: number): PayoutRow {
    const row = queries.byId(id);
    if (!row) throw new AppError('not_found', 'payout_not_found');
    try {
      deps.assertHousehold(actor, row.householdId);
    } catch {
      throw new AppError('not_found', 'payout_not_found');
    }
    return row;
  }

  return {
    payout,

    payoutsOf(actor: CurrentUser, householdId: number): PayoutRow[] {
      deps.assertHousehold(actor, householdId);
      return queries.ofHousehold(householdId);
    },

    /**
     * Records a payout of at most what the household is owed, less what is held for refunds still
     * pending (see LedgerReports.payoutLimit). The balance is read after the write lock is taken
     * (IMMEDIATE), so two payouts racing cannot together overdraw it.
     */
    record(actor: CurrentUser, input: PayoutInput, evidence: EncodedImage | null, address: string | null): PayoutRow {
      deps.assertHousehold(actor, input.householdId);
      if (!Number.isSafeInteger(input.amountFen) || input.amountFen < 1) throw new AppError('validation', 'payout_amount_invalid', undefined, { fields: { amount: 'payout_amount_invalid' } });
      return queries.transaction(() => {
        const owedFen = reports.householdBalance(input.householdId).owedFen;
        if (input.amountFen > owedFen) {
          throw new AppError('validation', 'payout_exceeds_owed', undefined, { params: { owedFen, owed: formatFen(owedFen) }, fields: { amount: 'payout_exceeds_owed' } });
        }
        const { heldFen, availableFen } = reports.payoutLimit(input.householdId, owedFen);
        if (input.amountFen > availableFen) {
          throw new AppError('validation', 'payout_held_for_refunds', undefined, {
            params: { owedFen, heldFen, availableFen, owed: formatFen(owedFen), held: formatFen(heldFen), available: formatFen(availableFen) },
            fields: { amount: 'payout_held_for_refunds' },
          });
        }
        // A coordinator pays out only what the household earned in their own projects.
        const scope = projectScopeOf(actor);
        const mayPay = (b: { projectId: number }) => scope === 'all' || scope.includes(b.projectId);
        const settled = reports.householdSettlement(input.householdId);
        const inScopeFen = owedWithin(settled, mayPay);
        if (input.amountFen > inScopeFen) {
          throw new AppError('validation', 'payout_exceeds_project_owed', undefined, { params: { owed: formatFen(inScopeFen) }, fields: { amount: 'payout_exceeds_project_owed' } });
        }
        const parts = attributePayout(settled, input.amountFen, mayPay);
        const now = clock();
        const evidenceMediaId = evidence ? deps.saveEvidence(evidence) : null;
        const id = queries.insert({ ...input, evidenceMediaId, reversesPayoutId: null, note: null, createdByUserId: actor.id, createdAt: now });
        ledger.post({
          idempotencyKey: `payout:${id}`,
          kind: 'payout',
          payoutId: id,
          memo: `payout ${input.method} ${input.reference}`.trim(),
          createdByUserId: actor.id,
          entries: [
            ...parts.map((p) => ({ account: { kind: 'household_payable' as const, householdId: input.householdId }, amountFen: p.amountFen, attribution: p.attribution })),
            { account: { kind: 'cash' }, amountFen: -input.amountFen },
          ],
        });
        audit.record({
          userId: actor.id,
          action: 'payout.create',
          entityType: 'payout',
          entityId: id,
          before: { owedFen, heldFen },
          after: { householdId: input.householdId, amountFen: input.amountFen, method: input.method, reference: input.reference, paidOn: input.paidOn, evidenceMediaId, projects: parts },
          address,
        });
        return queries.byId(id)!;
      });
    },

    /** Reverses a payout once: a negative payout row and the opposite posting; the household is owed it again. */
    reverse(actor: CurrentUser, payoutId: number, note: string, address: string | null): PayoutRow {
      payout(actor, payoutId);
      return queries.transaction(() => {
        const original = queries.byId(payoutId)!;
        if (original.reversesPayoutId !== null) throw new AppError('conflict', 'payout_is_reversal');
        if (original.reversedById !== null) throw new AppError('conflict', 'payout_already_reversed');
        const now = clock();
        const id = queries.insert({
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
        // The reversal takes back exactly the parts the payout was attributed to.
        const posted = ledger.transactionByKey(`payout:${original.id}`);
        const parts = posted ? ledger.entriesOf(posted.id).filter((e) => e.accountCode.startsWith('household:')) : [];
        ledger.post({
          idempotencyKey: `payout-reversal:${original.id}`,
          kind: 'payout_reversal',
          payoutId: id,
          memo: `reverses payout ${original.id}: ${note}`,
          createdByUserId: actor.id,
          entries: [
            ...(parts.length
              ? parts.map((e) => ({
                  account: { kind: 'household_payable' as const, householdId: original.householdId },
                  amountFen: -e.amountFen,
                  attribution: e.projectId !== null && e.villageId !== null ? { projectId: e.projectId, villageId: e.villageId } : null,
                }))
              : [{ account: { kind: 'household_payable' as const, householdId: original.householdId }, amountFen: -original.amountFen }]),
            { account: { kind: 'cash' }, amountFen: original.amountFen },
          ],
        });
        audit.record({ userId: actor.id, action: 'payout.reverse', entityType: 'payout', entityId: original.id, after: { reversalId: id, amountFen: original.amountFen, note }, address });
        return queries.byId(id)!;
      });
    },

    /** Payout rows by id, unchecked: for labelling ledger lines the caller already may see. */
    byIds(ids: readonly number[]): Map<number, PayoutRow> {
      const map = new Map<number, PayoutRow>();
      for (const id of new Set(ids)) {
        const row = queries.byId(id);
        if (row) map.set(id, row);
      }
      return map;
    },
  };
}

export type PayoutsService = ReturnType<typeof createPayoutsService>;
