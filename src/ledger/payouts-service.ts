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
import type { BankAccount } from '../villages/villages-service.js';
import { accountDigits, type BatchLine, payoutIdOfReference, type StatementLine } from './bank-batch-file.js';
import {
  bankOutcomesOf,
  decidePayoutRequest,
  insertBankConfirmation,
  unpaidBankPayoutsFor,
  decidedPayoutRequests,
  insertPayout,
  insertPayoutRequest,
  linkPayoutRequest,
  payoutById,
  payoutRequestById,
  payoutsOfHousehold,
  pendingPayoutRequests,
  type PayoutMethod,
  type PayoutRequestRow,
  type PayoutRow,
} from './payouts-queries.js';

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
  /** A payout above this (fen) waits for a second coordinator's approval; every reversal does. */
  approvalThresholdFen: number;
  /** A household's bank account (private): a step of the caller's unit (the villages service's). */
  bankAccountOf: (tx: Tx, householdId: number) => Query<BankAccount | null>;
}

/** A payout of a bank batch: its line of the file, or why it cannot be in it (no account recorded). */
export interface BatchEntry {
  payout: PayoutRow;
  account: BankAccount;
  /** The line of the batch file; null when the household has no bank account recorded. */
  line: BatchLine | null;
  /** What earlier statements said of its transfer when it failed (the bank's words, newest last): it is sent again. */
  failures: { status: string; statementName: string; at: number }[];
}

/** Why a line of a returned statement cannot be applied; any one refuses the whole statement. */
export type StatementMismatch = {
  line: number;
  reference: string;
  code: 'unknown_reference' | 'duplicate_reference' | 'amount_differs' | 'account_differs' | 'already_paid' | 'not_in_batch' | 'status_unknown';
  params: Record<string, string | number>;
};

/** A line of a returned statement matched to its payout. */
export interface StatementMatch {
  line: number;
  reference: string;
  payoutId: number;
  householdId: number;
  amountFen: number;
  /** The bank's word, as its statement wrote it. */
  status: string;
}

/**
 * What applying a statement did: `paid` and `failed` were recorded (in one transaction), or, when
 * there is any mismatch, nothing was and `mismatches` says why, line by line (paid and failed then
 * say what would have been recorded).
 */
export interface StatementResult {
  applied: boolean;
  paid: StatementMatch[];
  failed: StatementMatch[];
  mismatches: StatementMismatch[];
}

/**
 * The entity id of a batch's audit entry: the day or statement it is about, and the payouts in it
 * (` #12 #13`), by which the projects' scope rule finds it (auditConditions' payout_batch).
 */
export const batchAuditId = (label: string, payoutIds: readonly number[]) =>
  [label.replace(/#/g, '＃').trim() || '-', ...payoutIds.map((id) => `#${id}`)].join(' ');

/** What recording a payout did: posted it, or asked a second coordinator to approve it. */
export type RecordedPayout = { posted: PayoutRow; requested?: never } | { requested: PayoutRequestRow; posted?: never };

/** A request as one coordinator sees it: may they decide it (not their own, wholly in their projects)? */
export type PayoutRequestView = PayoutRequestRow & { mine: boolean };

/** A payout as one coordinator sees it: with the part of it that their projects paid (fen, the payout's sign). */
export type PayoutView = PayoutRow & { inScopeFen: number };

/** An account number as a mismatch message shows it: the last four digits. */
const maskAccount = (digits: string) => (digits.length > 4 ? `…${digits.slice(-4)}` : digits);

/** Every project's money: what the household is owed in all. */
const everyProject = householdReports('all');

const inScope = (scope: ProjectScope, projectId: number | null) => scope === 'all' || (projectId !== null && scope.includes(projectId));

/** The projects a request's requester could pay from, as stored with it (null: every project). */
const scopeOfRequest = (r: Pick<PayoutRequestRow, 'projectIds'>): ProjectScope =>
  r.projectIds === null ? 'all' : r.projectIds.split(',').filter(Boolean).map(Number);
const scopeText = (scope: ProjectScope) => (scope === 'all' ? null : scope.join(','));
/** Whether two scopes share a project: a pending request of one may pay money the other also may. */
const overlaps = (a: ProjectScope, b: ProjectScope) => a === 'all' || b === 'all' || a.some((id) => b.includes(id));
const sumFen = (rows: readonly { amountFen: number }[]) => rows.reduce((sum, r) => sum + r.amountFen, 0);

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
   * project, or by the actor's projects only); held is what refunds still pending may take back
   * (see payoutLimit in ledger-reports.ts); pending is what payout requests waiting for a second
   * coordinator hold back (every pending payout of the household from the whole, and those whose
   * requester's projects share one with the actor's from what their projects owe), so that two
   * requests cannot together pay more than is owed; available is what is left.
   * `exceptRequestId`: the request being approved, which does not hold back against itself.
   */
  function* limitFor(
    tx: Tx,
    scope: ProjectScope,
    householdId: number,
    exceptRequestId: number | null = null,
  ): Query<{ owedFen: number; heldFen: number; pendingFen: number; availableFen: number }> {
    const household = (yield* everyProject.householdBalance(tx, householdId)).owedFen;
    const whole = yield* payoutLimit(tx, householdId, household);
    const pending = (yield* pendingPayoutRequests(tx, householdId)).filter((r) => r.kind === 'payout' && r.id !== exceptRequestId);
    const wholeAvailable = Math.max(0, whole.availableFen - sumFen(pending));
    if (scope === 'all') return { owedFen: household, heldFen: whole.heldFen, pendingFen: whole.availableFen - wholeAvailable, availableFen: wholeAvailable };
    const owedFen = owedWithin(yield* householdSettlement(tx, householdId), (b) => inScope(scope, b.projectId));
    const unheld = Math.min(owedFen, whole.availableFen);
    const pendingHere = sumFen(pending.filter((r) => overlaps(scope, scopeOfRequest(r))));
    const availableFen = Math.max(0, Math.min(unheld - pendingHere, wholeAvailable));
    return { owedFen, heldFen: owedFen - unheld, pendingFen: unheld - availableFen, availableFen };
  }

  /**
   * Refuses an amount the scope may not pay the household now (see limitFor), with the message by
   * the amount field; answers the figures and the buckets the payout would be attributed to.
   */
  function* checkAmount(tx: Tx, scope: ProjectScope, householdId: number, amountFen: number, exceptRequestId: number | null = null) {
    const { owedFen, heldFen, pendingFen, availableFen } = yield* limitFor(tx, scope, householdId, exceptRequestId);
    if (amountFen > owedFen) {
      throw new AppError('validation', 'payout_exceeds_owed', undefined, {
        params: { owedFen, owed: formatFen(owedFen) },
        fields: { amount: 'payout_exceeds_owed' },
      });
    }
    if (amountFen > owedFen - heldFen) {
      const unheld = owedFen - heldFen;
      throw new AppError('validation', 'payout_held_for_refunds', undefined, {
        params: { owedFen, heldFen, availableFen: unheld, owed: formatFen(owedFen), held: formatFen(heldFen), available: formatFen(unheld) },
        fields: { amount: 'payout_held_for_refunds' },
      });
    }
    if (amountFen > availableFen) {
      throw new AppError('validation', 'payout_reserved_by_requests', undefined, {
        params: { pendingFen, availableFen, pending: formatFen(pendingFen), available: formatFen(availableFen) },
        fields: { amount: 'payout_reserved_by_requests' },
      });
    }
    // What the buckets in scope owe can be less than the balance (a clawback in another project is netted first).
    const settled = yield* householdSettlement(tx, householdId);
    const mayPay = (b: { projectId: number }) => inScope(scope, b.projectId);
    const inScopeFen = owedWithin(settled, mayPay);
    if (amountFen > inScopeFen) {
      throw new AppError('validation', 'payout_exceeds_project_owed', undefined, {
        params: { owed: formatFen(inScopeFen) },
        fields: { amount: 'payout_exceeds_project_owed' },
      });
    }
    return { owedFen, heldFen, parts: attributePayout(settled, amountFen, mayPay) };
  }

  /**
   * Posts a payout the scope may pay: the payouts row, its ledger transaction (one household entry
   * per bucket it pays) and the audit entry, as steps of the caller's unit.
   */
  function* postPayout(
    tx: Tx,
    who: { recordedBy: number; postedBy: number; requestId: number | null },
    scope: ProjectScope,
    input: PayoutInput,
    evidenceMediaId: number | null,
    address: string | null,
  ): Query<number> {
    const { owedFen, heldFen, parts } = yield* checkAmount(tx, scope, input.householdId, input.amountFen, who.requestId);
    const now = clock();
    const id = yield* insertPayout(tx, { ...input, evidenceMediaId, reversesPayoutId: null, note: null, createdByUserId: who.recordedBy, createdAt: now });
    yield* ledger.postIn(tx, {
      idempotencyKey: `payout:${id}`,
      kind: 'payout',
      payoutId: id,
      memo: `payout ${input.method} ${input.reference}`.trim(),
      memoMayNamePeople: true,
      createdByUserId: who.postedBy,
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
      userId: who.postedBy,
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
        ...(who.requestId !== null ? { requestId: who.requestId, requestedByUserId: who.recordedBy, approvedByUserId: who.postedBy } : {}),
      },
      address,
    });
    return id;
  }

  /** The payout a reversal would reverse, refused as `reverse` refuses it: not the actor's wholly, a reversal, reversed already. */
  function* reversible(tx: Tx, actor: CurrentUser, payoutId: number): Query<PayoutRow> {
    const seen = yield* payoutIn(tx, actor, payoutId);
    if (seen.inScopeFen !== seen.amountFen) throw new AppError('conflict', 'payout_other_projects');
    const original = (yield* payoutById(tx, payoutId))!;
    if (original.reversesPayoutId !== null) throw new AppError('conflict', 'payout_is_reversal');
    if (original.reversedById !== null) throw new AppError('conflict', 'payout_already_reversed');
    return original;
  }

  /** Posts the reversal of a payout (checked by `reversible`): the negative row, the opposite posting part by part, the audit entry. */
  function* postReversal(
    tx: Tx,
    who: { recordedBy: number; postedBy: number; requestId: number | null },
    original: PayoutRow,
    note: string,
    address: string | null,
  ) {
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
      createdByUserId: who.recordedBy,
      createdAt: now,
    });
    const household = { kind: 'household_payable' as const, householdId: original.householdId };
    yield* ledger.postIn(tx, {
      idempotencyKey: `payout-reversal:${original.id}`,
      kind: 'payout_reversal',
      payoutId: id,
      memo: `reverses payout ${original.id}: ${note}`,
      memoMayNamePeople: true,
      createdByUserId: who.postedBy,
      entries: [
        ...(parts.length
          ? parts.map((p) => ({ account: household, amountFen: -p.amountFen, attribution: p.attribution }))
          : [{ account: household, amountFen: -original.amountFen }]),
        { account: { kind: 'cash' }, amountFen: original.amountFen },
      ],
    });
    yield* audit.add(tx, {
      userId: who.postedBy,
      action: 'payout.reverse',
      entityType: 'payout',
      entityId: original.id,
      after: {
        reversalId: id,
        amountFen: original.amountFen,
        note,
        ...(who.requestId !== null ? { requestId: who.requestId, requestedByUserId: who.recordedBy, approvedByUserId: who.postedBy } : {}),
      },
      address,
    });
    return id;
  }

  /**
   * A request the actor may see: its household is theirs to see, and its money is some of their
   * projects' (its requester's projects share one with theirs); otherwise "not found".
   */
  function* requestIn(tx: Tx, actor: CurrentUser, id: number): Query<PayoutRequestView> {
    const row = yield* payoutRequestById(tx, id);
    if (!row) throw new AppError('not_found', 'payout_request_not_found');
    try {
      yield* deps.assertHousehold(tx, actor, row.householdId);
    } catch {
      throw new AppError('not_found', 'payout_request_not_found');
    }
    if (!overlaps(deps.projectScopeOf(actor), scopeOfRequest(row))) throw new AppError('not_found', 'payout_request_not_found');
    return { ...row, mine: row.requestedByUserId === actor.id };
  }

  /** Refuses a decision the actor may not make on a pending request: their own, decided already, or money outside their projects. */
  function* checkDecider(tx: Tx, actor: CurrentUser, request: PayoutRequestView): Query<void> {
    if (request.status !== 'pending') throw new AppError('conflict', 'payout_request_decided');
    if (request.mine) throw new AppError('forbidden', 'payout_request_own');
    const scope = deps.projectScopeOf(actor);
    if (scope === 'all') return;
    // The decider answers for every fen of it: the projects it would pay from (or, for a reversal, paid from) must all be theirs.
    let projectIds: (number | null)[];
    if (request.kind === 'reversal') {
      projectIds = (yield* partsOf(tx, { id: request.reversesPayoutId!, reversesPayoutId: null })).map((p) => p.attribution?.projectId ?? null);
    } else {
      // The buckets it would be attributed to now, within its requester's projects.
      const mayPay = (b: { projectId: number }) => inScope(scopeOfRequest(request), b.projectId);
      const settled = yield* householdSettlement(tx, request.householdId);
      const payable = Math.min(request.amountFen, Math.max(0, owedWithin(settled, mayPay)));
      projectIds = attributePayout(settled, payable, mayPay).map((p) => p.attribution?.projectId ?? null);
    }
    if (projectIds.some((p) => !inScope(scope, p))) throw new AppError('forbidden', 'payout_request_out_of_scope');
  }

  /**
   * The bank batch of a day as the actor may send it (see unpaidBankPayoutsFor: the day's unpaid
   * bank transfers, and earlier ones whose transfer failed): of households they may see and paid
   * wholly by their projects (another project's money, or a household they do not see, is not
   * theirs to send).
   */
  function* batchOf(tx: Tx, actor: CurrentUser, day: string, purpose: (p: PayoutRow) => string): Query<BatchEntry[]> {
    const entries: BatchEntry[] = [];
    for (const row of yield* unpaidBankPayoutsFor(tx, day)) {
      let seen: PayoutView;
      try {
        seen = yield* payoutIn(tx, actor, row.id);
      } catch (error) {
        if (error instanceof AppError && error.type === 'not_found') continue;
        throw error;
      }
      if (seen.inScopeFen !== seen.amountFen) continue;
      const account = yield* deps.bankAccountOf(tx, row.householdId);
      if (!account) continue;
      const failures = (yield* bankOutcomesOf(tx, row.id))
        .filter((o) => o.outcome === 'failed')
        .map((o) => ({ status: o.bankStatus, statementName: o.statementName, at: o.confirmedAt }));
      entries.push({
        payout: row,
        account,
        failures,
        line:
          account.accountNo !== null
            ? {
                payoutId: row.id,
                payee: account.accountName,
                accountNo: account.accountNo,
                bankName: account.bankName ?? '',
                amountFen: row.amountFen,
                purpose: purpose(row),
              }
            : null,
      });
    }
    return entries;
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
     * scoped coordinator), less what is held for refunds still pending and for payout requests
     * waiting, attributed to the buckets that owe it (attributePayout). The balances are read inside
     * the write unit, so two payouts racing cannot together overdraw them. A payout above the
     * approval threshold posts nothing yet: it becomes a request for a second coordinator, holding
     * its amount back meanwhile.
     */
    async record(actor: CurrentUser, input: PayoutInput, evidence: EncodedImage | null, address: string | null): Promise<RecordedPayout> {
      await db.uow.read((tx) => deps.assertHousehold(tx, actor, input.householdId));
      if (!Number.isSafeInteger(input.amountFen) || input.amountFen < 1)
        throw new AppError('validation', 'payout_amount_invalid', undefined, { fields: { amount: 'payout_amount_invalid' } });
      const scope = deps.projectScopeOf(actor);
      if (input.amountFen <= deps.approvalThresholdFen) {
        return db.uow.write(function* (tx) {
          const evidenceMediaId = evidence ? yield* deps.addEvidence(tx, evidence) : null;
          const id = yield* postPayout(tx, { recordedBy: actor.id, postedBy: actor.id, requestId: null }, scope, input, evidenceMediaId, address);
          return { posted: (yield* payoutById(tx, id))! };
        });
      }
      return db.uow.write(function* (tx) {
        const { owedFen, heldFen } = yield* checkAmount(tx, scope, input.householdId, input.amountFen);
        const evidenceMediaId = evidence ? yield* deps.addEvidence(tx, evidence) : null;
        const id = yield* insertPayoutRequest(tx, {
          kind: 'payout',
          ...input,
          evidenceMediaId,
          reversesPayoutId: null,
          note: null,
          projectIds: scopeText(scope),
          requestedByUserId: actor.id,
          requestedAt: clock(),
        });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'payout_request.create',
          entityType: 'payout_request',
          entityId: id,
          before: { owedFen, heldFen },
          after: { kind: 'payout', ...input, evidenceMediaId, requestedByUserId: actor.id, thresholdFen: deps.approvalThresholdFen },
          address,
        });
        return { requested: (yield* payoutRequestById(tx, id))! };
      });
    },

    /**
     * Asks for a payout's reversal: every reversal waits for a second coordinator. Refused as the
     * reversal itself would be (see `reversible`), and while another reversal of it is waiting.
     * A scoped coordinator asks only for a payout paid wholly by their projects.
     */
    requestReversal: (actor: CurrentUser, payoutId: number, note: string, address: string | null): Promise<PayoutRequestRow> =>
      db.uow.write(function* (tx) {
        const original = yield* reversible(tx, actor, payoutId);
        if ((yield* pendingPayoutRequests(tx, original.householdId)).some((r) => r.reversesPayoutId === original.id)) {
          throw new AppError('conflict', 'payout_reversal_pending');
        }
        const id = yield* insertPayoutRequest(tx, {
          kind: 'reversal',
          householdId: original.householdId,
          amountFen: original.amountFen,
          method: original.method,
          reference: original.reference,
          paidOn: original.paidOn,
          evidenceMediaId: null,
          reversesPayoutId: original.id,
          note,
          projectIds: scopeText(deps.projectScopeOf(actor)),
          requestedByUserId: actor.id,
          requestedAt: clock(),
        });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'payout_request.create',
          entityType: 'payout_request',
          entityId: id,
          after: { kind: 'reversal', payoutId: original.id, amountFen: original.amountFen, note, requestedByUserId: actor.id },
          address,
        });
        return (yield* payoutRequestById(tx, id))!;
      }),

    /** One request, if the actor may see it (see requestIn). */
    request: (actor: CurrentUser, id: number) => db.uow.read((tx) => requestIn(tx, actor, id)),

    /**
     * The pending requests the actor may see, oldest first: `waiting` those they may decide (not
     * their own), `mine` those they asked for, waiting for someone else.
     */
    pendingFor: (actor: CurrentUser, householdId?: number) =>
      db.uow.read(function* (tx) {
        const seen: PayoutRequestView[] = [];
        for (const row of yield* pendingPayoutRequests(tx, householdId)) {
          try {
            seen.push(yield* requestIn(tx, actor, row.id));
          } catch (error) {
            if (!(error instanceof AppError && error.type === 'not_found')) throw error;
          }
        }
        return { waiting: seen.filter((r) => !r.mine), mine: seen.filter((r) => r.mine) };
      }),

    /** Requests decided lately that the actor may see, newest first. */
    decidedFor: (actor: CurrentUser, limit = 20) =>
      db.uow.read(function* (tx) {
        const seen: PayoutRequestView[] = [];
        for (const row of yield* decidedPayoutRequests(tx, limit * 4)) {
          if (seen.length >= limit) break;
          try {
            seen.push(yield* requestIn(tx, actor, row.id));
          } catch (error) {
            if (!(error instanceof AppError && error.type === 'not_found')) throw error;
          }
        }
        return seen;
      }),

    /**
     * A second coordinator approves a request: it posts as its requester asked (a payout checked
     * again against what is owed now, attributed within the requester's projects; or the
     * reversal), in the same unit as the decision. Refused for one's own request (403), for money
     * outside the approver's projects (403), and once decided (409): the decision is a conditional
     * write, so two approvals racing post once.
     */
    approve: (actor: CurrentUser, id: number, address: string | null): Promise<{ request: PayoutRequestRow; payout: PayoutRow }> =>
      db.uow.write(function* (tx) {
        const request = yield* requestIn(tx, actor, id);
        yield* checkDecider(tx, actor, request);
        const now = clock();
        if (!(yield* decidePayoutRequest(tx, id, { status: 'approved', decidedByUserId: actor.id, decidedAt: now, decisionNote: null }))) {
          throw new AppError('conflict', 'payout_request_decided');
        }
        const who = { recordedBy: request.requestedByUserId, postedBy: actor.id, requestId: id };
        let payoutId: number;
        if (request.kind === 'reversal') {
          const original = (yield* payoutById(tx, request.reversesPayoutId!))!;
          if (original.reversedById !== null) throw new AppError('conflict', 'payout_already_reversed');
          payoutId = yield* postReversal(tx, who, original, request.note ?? '', address);
        } else {
          payoutId = yield* postPayout(
            tx,
            who,
            scopeOfRequest(request),
            { householdId: request.householdId, amountFen: request.amountFen, method: request.method, reference: request.reference, paidOn: request.paidOn },
            request.evidenceMediaId,
            address,
          );
        }
        yield* linkPayoutRequest(tx, id, payoutId);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'payout_request.approve',
          entityType: 'payout_request',
          entityId: id,
          before: { status: 'pending' },
          after: {
            status: 'approved',
            kind: request.kind,
            amountFen: request.amountFen,
            payoutId,
            requestedByUserId: request.requestedByUserId,
            approvedByUserId: actor.id,
          },
          address,
        });
        return { request: (yield* payoutRequestById(tx, id))!, payout: (yield* payoutById(tx, payoutId))! };
      }),

    /** A second coordinator rejects a request, saying why: nothing posts, and what it held back is free again. Refused as `approve` is. */
    reject: (actor: CurrentUser, id: number, reason: string, address: string | null): Promise<PayoutRequestRow> =>
      db.uow.write(function* (tx) {
        const request = yield* requestIn(tx, actor, id);
        yield* checkDecider(tx, actor, request);
        if (!(yield* decidePayoutRequest(tx, id, { status: 'rejected', decidedByUserId: actor.id, decidedAt: clock(), decisionNote: reason }))) {
          throw new AppError('conflict', 'payout_request_decided');
        }
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'payout_request.reject',
          entityType: 'payout_request',
          entityId: id,
          before: { status: 'pending' },
          after: {
            status: 'rejected',
            kind: request.kind,
            amountFen: request.amountFen,
            reason,
            requestedByUserId: request.requestedByUserId,
            rejectedByUserId: actor.id,
          },
          address,
        });
        return (yield* payoutRequestById(tx, id))!;
      }),

    /** The bank batch of a day (see batchOf), to look at before sending; nothing is written. */
    bankBatch: (actor: CurrentUser, day: string, purpose: (p: PayoutRow) => string) => db.uow.read((tx) => batchOf(tx, actor, day, purpose)),

    /**
     * The batch file's lines of a day, for the bank. Account numbers are private household fields,
     * so the export itself is audited: who, when, from where, which payouts and how much.
     */
    exportBankBatch: (
      actor: CurrentUser,
      day: string,
      payoutIds: readonly number[],
      purpose: (p: PayoutRow) => string,
      address: string | null,
    ): Promise<BatchLine[]> =>
      db.uow.write(function* (tx) {
        // The payouts chosen on the page, each checked again: another coordinator's (404) or partly another project's money (403) is refused.
        const batch = new Map((yield* batchOf(tx, actor, day, purpose)).map((e) => [e.payout.id, e]));
        const lines: BatchLine[] = [];
        for (const id of new Set(payoutIds)) {
          const entry = batch.get(id);
          if (!entry) {
            const seen = yield* payoutIn(tx, actor, id);
            if (seen.inScopeFen !== seen.amountFen) throw new AppError('forbidden', 'payout_batch_other_projects', undefined, { params: { id } });
            throw new AppError('conflict', 'payout_not_in_batch', undefined, { params: { id, day } });
          }
          if (!entry.line) throw new AppError('conflict', 'payout_no_bank_account', undefined, { params: { id, name: entry.account.realName } });
          lines.push(entry.line);
        }
        if (lines.length === 0) throw new AppError('validation', 'payout_batch_empty', undefined, { fields: { payout: 'payout_batch_empty' } });
        const exported = lines.map((l) => l.payoutId);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'payout.bank_batch_export',
          entityType: 'payout_batch',
          entityId: batchAuditId(day, exported),
          after: { day, payoutIds: exported, count: lines.length, totalFen: sumFen(lines) },
          address,
        });
        return lines;
      }),

    /**
     * Applies the bank's returned statement in one transaction, matching each line by its batch
     * reference to a payout the actor could send. A line the bank reports as paid marks its payout
     * paid; a line it reports as failed is recorded as a failure of that payout, which stays unpaid
     * and goes into a later batch. A real mismatch (an unknown or repeated reference, an amount or
     * account that differs, a payout paid already or not sent by batch, a status word that is no
     * outcome) refuses the whole statement: nothing is recorded and every mismatch is answered,
     * each with its line.
     */
    applyBankStatement: (actor: CurrentUser, lines: readonly StatementLine[], statementName: string, address: string | null): Promise<StatementResult> =>
      db.uow.write(function* (tx) {
        const mismatches: StatementMismatch[] = [];
        const paid: StatementMatch[] = [];
        const failed: StatementMatch[] = [];
        const seenRefs = new Set<string>();
        for (const l of lines) {
          const miss = (code: StatementMismatch['code'], params: Record<string, string | number> = {}) =>
            mismatches.push({ line: l.line, reference: l.reference, code, params: { line: l.line, reference: l.reference, ...params } });
          const payoutId = payoutIdOfReference(l.reference);
          const ref = l.reference.toUpperCase();
          if (seenRefs.has(ref)) {
            miss('duplicate_reference');
            continue;
          }
          seenRefs.add(ref);
          let seen: PayoutView | null = null;
          if (payoutId !== null) {
            try {
              seen = yield* payoutIn(tx, actor, payoutId);
            } catch (error) {
              if (!(error instanceof AppError && error.type === 'not_found')) throw error;
            }
          }
          // A payout the actor may not see (or not wholly) is as unknown as one that does not exist.
          if (!seen || seen.inScopeFen !== seen.amountFen) {
            miss('unknown_reference');
            continue;
          }
          const earlier = yield* bankOutcomesOf(tx, seen.id);
          const paidBefore = earlier.find((o) => o.outcome === 'paid');
          if (paidBefore) {
            miss('already_paid', { statement: paidBefore.statementName });
            continue;
          }
          if (seen.method !== 'bank_transfer' || seen.reversesPayoutId !== null || seen.reversedById !== null) {
            miss('not_in_batch');
            continue;
          }
          // A failed line may leave the amount out; one it gives must be the payout's.
          if (l.amountFen !== seen.amountFen && (l.outcome !== 'failed' || l.amountFen !== null)) {
            miss('amount_differs', { expected: formatFen(seen.amountFen), got: l.amountFen === null ? '?' : formatFen(l.amountFen) });
            continue;
          }
          if (l.accountNo !== null) {
            const recorded = accountDigits((yield* deps.bankAccountOf(tx, seen.householdId))?.accountNo);
            if (recorded !== l.accountNo) {
              miss('account_differs', { account: maskAccount(l.accountNo), recorded: recorded === null ? '—' : maskAccount(recorded) });
              continue;
            }
          }
          if (l.outcome === null) {
            miss('status_unknown', { status: l.status });
            continue;
          }
          const match = { line: l.line, reference: l.reference, payoutId: seen.id, householdId: seen.householdId, amountFen: seen.amountFen, status: l.status };
          (l.outcome === 'paid' ? paid : failed).push(match);
        }
        if (mismatches.length > 0 || paid.length + failed.length === 0) return { applied: false, paid, failed, mismatches };
        const now = clock();
        for (const [outcome, matches] of [
          ['paid', paid],
          ['failed', failed],
        ] as const) {
          for (const m of matches) {
            yield* insertBankConfirmation(tx, {
              payoutId: m.payoutId,
              outcome,
              bankStatus: m.status,
              amountFen: m.amountFen,
              statementName,
              confirmedByUserId: actor.id,
              confirmedAt: now,
            });
          }
        }
        const payoutIds = [...paid, ...failed].map((m) => m.payoutId).sort((a, b) => a - b);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'payout.bank_confirm',
          entityType: 'payout_batch',
          entityId: batchAuditId(statementName || 'statement', payoutIds),
          after: {
            statementName,
            paidPayoutIds: paid.map((m) => m.payoutId),
            failedPayoutIds: failed.map((m) => m.payoutId),
            paidFen: sumFen(paid),
            failures: failed.map((m) => ({ payoutId: m.payoutId, status: m.status })),
          },
          address,
        });
        return { applied: true, paid, failed, mismatches };
      }),
  };
}

export type PayoutsService = ReturnType<typeof createPayoutsService>;
