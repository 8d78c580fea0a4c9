import { and, asc, desc, eq, exists, inArray, isNull, lt, ne, notExists, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { payoutBankConfirmations, payoutRequests, payouts, type PAYOUT_METHODS, type PayoutRequestStatus } from './schema.js';

export type PayoutMethod = (typeof PAYOUT_METHODS)[number];

export type NewPayout = Omit<typeof payouts.$inferInsert, 'id' | 'createdByUserId' | 'createdAt'> & { createdByUserId: number; createdAt: number };

/** The reversal row of a payout, if it was reversed. */
const reversal = alias(payouts, 'r');

const payoutColumns = {
  id: payouts.id,
  householdId: payouts.householdId,
  amountFen: payouts.amountFen,
  method: payouts.method,
  reference: payouts.reference,
  paidOn: payouts.paidOn,
  evidenceMediaId: payouts.evidenceMediaId,
  reversesPayoutId: payouts.reversesPayoutId,
  note: payouts.note,
  createdByUserId: payouts.createdByUserId,
  createdByName: users.displayName,
  createdAt: payouts.createdAt,
  reversedById: reversal.id,
};

const payoutRows = (tx: Tx) =>
  tx.select(payoutColumns).from(payouts).leftJoin(users, eq(users.id, payouts.createdByUserId)).leftJoin(reversal, eq(reversal.reversesPayoutId, payouts.id));

/** A payout row as the coordinator's pages show it: who recorded it, and its reversal if any. */
export type PayoutRow = Awaited<ReturnType<ReturnType<typeof payoutRows>['all']>>[number];

/** Queries of the payouts table (append-only: triggers refuse UPDATE and DELETE), as steps of a unit of work. */

export function* insertPayout(tx: Tx, p: NewPayout): Query<number> {
  const row = yield* one(tx.insert(payouts).values(p).returning({ id: payouts.id }));
  return row!.id;
}

export function* payoutById(tx: Tx, id: number): Query<PayoutRow | undefined> {
  return yield* one(payoutRows(tx).where(eq(payouts.id, id)));
}

/** Newest first. */
export function* payoutsOfHousehold(tx: Tx, householdId: number): Query<PayoutRow[]> {
  return yield* all(payoutRows(tx).where(eq(payouts.householdId, householdId)).orderBy(desc(payouts.id)));
}

/** Payout rows by id, for labelling ledger lines. */
export function* payoutsByIds(tx: Tx, ids: readonly number[]): Query<Map<number, PayoutRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = yield* all(payoutRows(tx).where(inArray(payouts.id, unique)));
  return new Map(rows.map((r) => [r.id, r]));
}

// ---------- Payout requests (two-person payouts) ----------

export type NewPayoutRequest = Omit<typeof payoutRequests.$inferInsert, 'id' | 'status' | 'decidedByUserId' | 'decidedAt' | 'decisionNote' | 'payoutId'> & {
  requestedByUserId: number;
  requestedAt: number;
};

const requester = alias(users, 'requester');
const decider = alias(users, 'decider');

const requestColumns = {
  id: payoutRequests.id,
  kind: payoutRequests.kind,
  status: payoutRequests.status,
  householdId: payoutRequests.householdId,
  amountFen: payoutRequests.amountFen,
  method: payoutRequests.method,
  reference: payoutRequests.reference,
  paidOn: payoutRequests.paidOn,
  evidenceMediaId: payoutRequests.evidenceMediaId,
  reversesPayoutId: payoutRequests.reversesPayoutId,
  note: payoutRequests.note,
  projectIds: payoutRequests.projectIds,
  requestedByUserId: payoutRequests.requestedByUserId,
  requestedByName: requester.displayName,
  requestedAt: payoutRequests.requestedAt,
  decidedByUserId: payoutRequests.decidedByUserId,
  decidedByName: decider.displayName,
  decidedAt: payoutRequests.decidedAt,
  decisionNote: payoutRequests.decisionNote,
  payoutId: payoutRequests.payoutId,
};

const requestRows = (tx: Tx) =>
  tx
    .select(requestColumns)
    .from(payoutRequests)
    .innerJoin(requester, eq(requester.id, payoutRequests.requestedByUserId))
    .leftJoin(decider, eq(decider.id, payoutRequests.decidedByUserId));

/** A payout request with the names of who asked and who decided. */
export type PayoutRequestRow = Awaited<ReturnType<ReturnType<typeof requestRows>['all']>>[number];

export function* insertPayoutRequest(tx: Tx, r: NewPayoutRequest): Query<number> {
  const row = yield* one(tx.insert(payoutRequests).values(r).returning({ id: payoutRequests.id }));
  return row!.id;
}

export function* payoutRequestById(tx: Tx, id: number): Query<PayoutRequestRow | undefined> {
  return yield* one(requestRows(tx).where(eq(payoutRequests.id, id)));
}

/** Requests still waiting for a second coordinator, oldest first (of one household, or all). */
export function* pendingPayoutRequests(tx: Tx, householdId?: number): Query<PayoutRequestRow[]> {
  const pending = eq(payoutRequests.status, 'pending');
  return yield* all(
    requestRows(tx)
      .where(householdId === undefined ? pending : and(pending, eq(payoutRequests.householdId, householdId)))
      .orderBy(asc(payoutRequests.id)),
  );
}

/** Requests decided lately, newest first. */
export function* decidedPayoutRequests(tx: Tx, limit: number): Query<PayoutRequestRow[]> {
  return yield* all(requestRows(tx).where(ne(payoutRequests.status, 'pending')).orderBy(desc(payoutRequests.decidedAt), desc(payoutRequests.id)).limit(limit));
}

/**
 * Decides a pending request: a conditional write, so of two deciders racing only one changes it
 * (on PostgreSQL the second waits on the row's lock, then finds it decided). Answers whether it did.
 */
export function* decidePayoutRequest(
  tx: Tx,
  id: number,
  decision: { status: Exclude<PayoutRequestStatus, 'pending'>; decidedByUserId: number; decidedAt: number; decisionNote: string | null },
): Query<boolean> {
  const changed = yield* run(
    tx
      .update(payoutRequests)
      .set(decision)
      .where(and(eq(payoutRequests.id, id), eq(payoutRequests.status, 'pending'), ne(payoutRequests.requestedByUserId, decision.decidedByUserId))),
  );
  return changed === 1;
}

/** Links an approved request to the payouts row its approval posted. */
export function* linkPayoutRequest(tx: Tx, id: number, payoutId: number): Query<void> {
  yield* run(
    tx
      .update(payoutRequests)
      .set({ payoutId })
      .where(and(eq(payoutRequests.id, id), isNull(payoutRequests.payoutId))),
  );
}

// ---------- Bank batches (批量代发) ----------

const paidByBank = (tx: Tx) =>
  tx
    .select({ one: sql`1` })
    .from(payoutBankConfirmations)
    .where(and(eq(payoutBankConfirmations.payoutId, payouts.id), eq(payoutBankConfirmations.outcome, 'paid')));
const failedAtBank = (tx: Tx) =>
  tx
    .select({ one: sql`1` })
    .from(payoutBankConfirmations)
    .where(and(eq(payoutBankConfirmations.payoutId, payouts.id), eq(payoutBankConfirmations.outcome, 'failed')));

/**
 * What a batch file of a day (YYYY-MM-DD) sends: bank-transfer payouts not yet paid by the bank,
 * neither reversals nor reversed, paid out on that day, or on an earlier day whose transfer the
 * bank reported as failed (they go into the next batch). Oldest first.
 */
export function* unpaidBankPayoutsFor(tx: Tx, day: string): Query<PayoutRow[]> {
  return yield* all(
    payoutRows(tx)
      .where(
        and(
          eq(payouts.method, 'bank_transfer'),
          or(eq(payouts.paidOn, day), and(lt(payouts.paidOn, day), exists(failedAtBank(tx)))),
          isNull(payouts.reversesPayoutId),
          isNull(reversal.id),
          notExists(paidByBank(tx)),
        ),
      )
      .orderBy(asc(payouts.paidOn), asc(payouts.id)),
  );
}

/** What the bank's statements said of a payout, oldest first (failures, and its payment). */
export function* bankOutcomesOf(tx: Tx, payoutId: number) {
  return yield* all(tx.select().from(payoutBankConfirmations).where(eq(payoutBankConfirmations.payoutId, payoutId)).orderBy(asc(payoutBankConfirmations.id)));
}

/** Appends what a statement said of a payout (the table is append-only). */
export function* insertBankConfirmation(tx: Tx, c: Omit<typeof payoutBankConfirmations.$inferInsert, 'id'>): Query<void> {
  yield* run(tx.insert(payoutBankConfirmations).values(c));
}
