import { and, asc, count, desc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { ledgerAccounts, ledgerEntries, ledgerMemoTexts, ledgerTransactions, periodLocks } from './schema.js';

/** A ledger transaction as stored. */
export type TransactionRow = typeof ledgerTransactions.$inferSelect;
type Entry = typeof ledgerEntries.$inferSelect;
type Account = typeof ledgerAccounts.$inferSelect;

/** An entry with its account's code, as the chain's digest and every reader take it. */
export type EntryRow = Pick<Entry, 'transactionId' | 'accountId' | 'amountFen' | 'orderLineId' | 'projectId' | 'villageId'> & {
  accountCode: Account['code'];
};

/** The columns of an entry with its account's code. */
const entryColumns = {
  transactionId: ledgerEntries.transactionId,
  accountId: ledgerEntries.accountId,
  accountCode: ledgerAccounts.code,
  amountFen: ledgerEntries.amountFen,
  orderLineId: ledgerEntries.orderLineId,
  projectId: ledgerEntries.projectId,
  villageId: ledgerEntries.villageId,
};

/** The ledger's queries, as steps of a unit of work (src/db/unit-of-work.ts). Writes run in the caller's unit. */

export function* accountByCode(tx: Tx, code: string): Query<Pick<Account, 'id' | 'code' | 'kind'> | undefined> {
  return yield* one(
    tx.select({ id: ledgerAccounts.id, code: ledgerAccounts.code, kind: ledgerAccounts.kind }).from(ledgerAccounts).where(eq(ledgerAccounts.code, code)),
  );
}

export function* insertAccount(tx: Tx, a: Omit<typeof ledgerAccounts.$inferInsert, 'id'>): Query<number> {
  const row = yield* one(tx.insert(ledgerAccounts).values(a).returning({ id: ledgerAccounts.id }));
  return row!.id;
}

export function* transactionByKey(tx: Tx, key: string): Query<TransactionRow | undefined> {
  return yield* one(tx.select().from(ledgerTransactions).where(eq(ledgerTransactions.idempotencyKey, key)));
}

export function* transactionCount(tx: Tx): Query<number> {
  const row = yield* one(tx.select({ n: count() }).from(ledgerTransactions));
  return row?.n ?? 0;
}

/** The head of the hash chain: the newest transaction (the scan in id order stops at the first row). */
export function* lastTransaction(tx: Tx): Query<TransactionRow | undefined> {
  return yield* one(tx.select().from(ledgerTransactions).orderBy(desc(ledgerTransactions.id)).limit(1));
}

export function* insertTransaction(tx: Tx, t: Omit<TransactionRow, 'id'>): Query<number> {
  const row = yield* one(tx.insert(ledgerTransactions).values(t).returning({ id: ledgerTransactions.id }));
  return row!.id;
}

/** The words behind a transaction's memo commitment (see ledger-service.ts memoCommitment). */
export function* insertMemoText(tx: Tx, transactionId: number, salt: string, text: string): Query<void> {
  yield* run(tx.insert(ledgerMemoTexts).values({ transactionId, salt, text }));
}

/** The memo words of a transaction, kept or erased; undefined when its memo was written in clear. */
export function* memoTextOf(tx: Tx, transactionId: number): Query<typeof ledgerMemoTexts.$inferSelect | undefined> {
  return yield* one(tx.select().from(ledgerMemoTexts).where(eq(ledgerMemoTexts.transactionId, transactionId)));
}

/**
 * Erases the memo words of the transactions of these orders or payouts (a personal-data request);
 * the transactions and their commitments stay, so the chain verifies as before. Returns how many.
 */
export function* eraseMemoTexts(tx: Tx, of: { orderIds?: readonly number[]; payoutIds?: readonly number[] }, now: number): Query<number> {
  const ids: number[] = [];
  const byOrder = of.orderIds?.length
    ? yield* all(
        tx
          .select({ id: ledgerTransactions.id })
          .from(ledgerTransactions)
          .where(inArray(ledgerTransactions.orderId, [...of.orderIds])),
      )
    : [];
  const byPayout = of.payoutIds?.length
    ? yield* all(
        tx
          .select({ id: ledgerTransactions.id })
          .from(ledgerTransactions)
          .where(inArray(ledgerTransactions.payoutId, [...of.payoutIds])),
      )
    : [];
  for (const r of [...byOrder, ...byPayout]) ids.push(r.id);
  if (!ids.length) return 0;
  const erased = yield* all(
    tx
      .update(ledgerMemoTexts)
      .set({ salt: '', text: '', erasedAt: now })
      .where(and(inArray(ledgerMemoTexts.transactionId, ids), isNull(ledgerMemoTexts.erasedAt)))
      .returning({ id: ledgerMemoTexts.transactionId }),
  );
  return erased.length;
}

export function* insertEntry(
  tx: Tx,
  transactionId: number,
  e: Pick<EntryRow, 'accountId' | 'amountFen' | 'orderLineId' | 'projectId' | 'villageId'>,
): Query<void> {
  yield* run(
    tx.insert(ledgerEntries).values({
      transactionId,
      accountId: e.accountId,
      amountFen: e.amountFen,
      orderLineId: e.orderLineId,
      projectId: e.projectId,
      villageId: e.villageId,
    }),
  );
}

export function* isPeriodLocked(tx: Tx, period: string): Query<boolean> {
  return (yield* one(tx.select({ period: periodLocks.period }).from(periodLocks).where(eq(periodLocks.period, period)))) !== undefined;
}

export function* entriesOf(tx: Tx, transactionId: number): Query<EntryRow[]> {
  return yield* all(
    tx
      .select(entryColumns)
      .from(ledgerEntries)
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
      .where(eq(ledgerEntries.transactionId, transactionId))
      .orderBy(asc(ledgerEntries.id)),
  );
}

export function* transactionsOfOrder(tx: Tx, orderId: number): Query<TransactionRow[]> {
  return yield* all(tx.select().from(ledgerTransactions).where(eq(ledgerTransactions.orderId, orderId)).orderBy(asc(ledgerTransactions.id)));
}

export function* balanceOf(tx: Tx, code: string): Query<number> {
  const row = yield* one(
    tx
      .select({ b: sql<number>`coalesce(sum(${ledgerEntries.amountFen}), 0)` })
      .from(ledgerEntries)
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
      .where(eq(ledgerAccounts.code, code)),
  );
  return row?.b ?? 0;
}

/** Transactions with ids in (afterId, throughId], in chain order, at most `limit` of them. */
export function* transactionsBetween(tx: Tx, afterId: number, throughId: number, limit: number): Query<TransactionRow[]> {
  return yield* all(
    tx
      .select()
      .from(ledgerTransactions)
      .where(and(gt(ledgerTransactions.id, afterId), lte(ledgerTransactions.id, throughId)))
      .orderBy(asc(ledgerTransactions.id))
      .limit(limit),
  );
}

/** The entries of the transactions with ids in (afterId, throughId], ordered by transaction. */
export function* entriesBetween(tx: Tx, afterId: number, throughId: number): Query<EntryRow[]> {
  return yield* all(
    tx
      .select(entryColumns)
      .from(ledgerEntries)
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
      .where(and(gt(ledgerEntries.transactionId, afterId), lte(ledgerEntries.transactionId, throughId)))
      .orderBy(asc(ledgerEntries.transactionId), asc(ledgerEntries.id)),
  );
}

export function* unbalancedTransactions(tx: Tx): Query<{ id: number; total: number }[]> {
  const total = sql<number>`sum(${ledgerEntries.amountFen})`;
  return yield* all(tx.select({ id: ledgerEntries.transactionId, total }).from(ledgerEntries).groupBy(ledgerEntries.transactionId).having(sql`${total} <> 0`));
}

export function* transactionsWithoutEntries(tx: Tx): Query<{ id: number }[]> {
  return yield* all(
    tx
      .select({ id: ledgerTransactions.id })
      .from(ledgerTransactions)
      .where(sql`NOT EXISTS (SELECT 1 FROM ${ledgerEntries} WHERE ${ledgerEntries.transactionId} = ${ledgerTransactions.id})`),
  );
}

export function* totalOfAllEntries(tx: Tx): Query<number> {
  const row = yield* one(tx.select({ total: sql<number>`coalesce(sum(${ledgerEntries.amountFen}), 0)` }).from(ledgerEntries));
  return row?.total ?? 0;
}
