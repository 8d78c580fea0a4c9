import { desc, eq, inArray } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { all, one, type Query, type Tx } from '../db/unit-of-work.js';
import { payouts, type PAYOUT_METHODS } from './schema.js';

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
