import { and, eq, gt, isNull, lte, max, sql } from 'drizzle-orm';
import { all, one, type Query, type Tx } from '../db/unit-of-work.js';
import { ledgerAccounts, ledgerEntries, ledgerTransactions } from '../ledger/schema.js';
import { orderLines } from '../orders/schema.js';

/**
 * The queries behind the public figures, as steps of a unit of work. The ledger is append-only, so
 * its sums can be kept and brought up to date with the postings after the last one seen: every
 * query here takes a range of posting ids (after, upTo] and walks only the entries in it.
 */

/** The id of the newest posting (0 for an empty ledger). */
export function* impactHead(tx: Tx): Query<number> {
  return (yield* one(tx.select({ id: max(ledgerTransactions.id) }).from(ledgerTransactions)))?.id ?? 0;
}

const inRange = (after: number, upTo: number) => and(gt(ledgerEntries.transactionId, after), lte(ledgerEntries.transactionId, upTo));
const householdAccount = and(eq(ledgerAccounts.id, ledgerEntries.accountId), eq(ledgerAccounts.kind, 'household_payable'));
/** Net fen as the household or line sees it: a credit on the ledger is money in. */
const netCredit = sql<number>`-sum(${ledgerEntries.amountFen})`;

/**
 * Net amounts on household accounts that came from order lines (credits of payments, less
 * refunds), per project, village and household. Households appear even when the net is zero.
 */
export function* creditedSince(
  tx: Tx,
  after: number,
  upTo: number,
): Query<{ projectId: number; villageId: number; householdId: number | null; fen: number }[]> {
  return yield* all(
    tx
      .select({ projectId: orderLines.projectId, villageId: orderLines.villageId, householdId: ledgerAccounts.householdId, fen: netCredit })
      .from(ledgerEntries)
      .innerJoin(ledgerAccounts, householdAccount)
      .innerJoin(orderLines, eq(orderLines.id, ledgerEntries.orderLineId))
      .where(inRange(after, upTo))
      .groupBy(orderLines.projectId, orderLines.villageId, ledgerAccounts.householdId),
  );
}

/** Sales per project and village: everything posted against order lines (payments less refunds). */
export function* salesSince(tx: Tx, after: number, upTo: number): Query<{ projectId: number; villageId: number; fen: number }[]> {
  return yield* all(
    tx
      .select({ projectId: orderLines.projectId, villageId: orderLines.villageId, fen: netCredit })
      .from(ledgerEntries)
      .innerJoin(orderLines, eq(orderLines.id, ledgerEntries.orderLineId))
      .where(inRange(after, upTo))
      .groupBy(orderLines.projectId, orderLines.villageId),
  );
}

/**
 * Payouts less reversals per household and the project and village each part is attributed to
 * (null for payouts posted before attribution existed): every household entry without an order line.
 */
export function* attributedSince(
  tx: Tx,
  after: number,
  upTo: number,
): Query<{ householdId: number | null; projectId: number | null; villageId: number | null; fen: number }[]> {
  return yield* all(
    tx
      .select({
        householdId: ledgerAccounts.householdId,
        projectId: ledgerEntries.projectId,
        villageId: ledgerEntries.villageId,
        fen: sql<number>`sum(${ledgerEntries.amountFen})`,
      })
      .from(ledgerEntries)
      .innerJoin(ledgerAccounts, householdAccount)
      .where(and(inRange(after, upTo), isNull(ledgerEntries.orderLineId)))
      .groupBy(ledgerAccounts.householdId, ledgerEntries.projectId, ledgerEntries.villageId),
  );
}
