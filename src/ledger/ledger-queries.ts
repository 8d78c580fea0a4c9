import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import type { AccountKind } from './schema.js';

export interface TransactionRow {
  id: number;
  idempotencyKey: string;
  kind: string;
  orderId: number | null;
  payoutId: number | null;
  splitRuleId: number | null;
  memo: string;
  period: string;
  postedAt: number;
  createdByUserId: number | null;
  prevHash: string;
  hash: string;
}

export interface EntryRow {
  transactionId: number;
  accountId: number;
  accountCode: string;
  amountFen: number;
  orderLineId: number | null;
  /** Set on a household posting without an order line (a payout's part). */
  projectId: number | null;
  villageId: number | null;
}

const TX_COLUMNS = `id, idempotency_key AS idempotencyKey, kind, order_id AS orderId, payout_id AS payoutId, split_rule_id AS splitRuleId,
  memo, period, posted_at AS postedAt, created_by_user_id AS createdByUserId, prev_hash AS prevHash, hash`;

/** All SQL of the ledger. Writes are called inside the caller's transaction. */
export function createLedgerQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    accountByCode: (code: string) =>
      q(`SELECT id, code, kind FROM ledger_accounts WHERE code = ?`).get(code) as { id: number; code: string; kind: AccountKind } | undefined,
    insertAccount(a: { code: string; kind: AccountKind; householdId: number | null; projectId: number | null; channel: string | null; now: number }): number {
      return Number(
        q(`INSERT INTO ledger_accounts (code, kind, household_id, project_id, channel, created_at) VALUES (?,?,?,?,?,?)`).run(
          a.code,
          a.kind,
          a.householdId,
          a.projectId,
          a.channel,
          a.now,
        ).lastInsertRowid,
      );
    },
    transactionByKey: (key: string) => q(`SELECT ${TX_COLUMNS} FROM ledger_transactions WHERE idempotency_key = ?`).get(key) as TransactionRow | undefined,
    transactionCount: () => q(`SELECT count(*) FROM ledger_transactions`).pluck().get() as number,
    lastTransaction: () => q(`SELECT ${TX_COLUMNS} FROM ledger_transactions ORDER BY id DESC LIMIT 1`).get() as TransactionRow | undefined,
    insertTransaction(t: Omit<TransactionRow, 'id'>): number {
      return Number(
        q(
          `INSERT INTO ledger_transactions (idempotency_key, kind, order_id, payout_id, split_rule_id, memo, period, posted_at, created_by_user_id, prev_hash, hash)
           VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
        ).run(t.idempotencyKey, t.kind, t.orderId, t.payoutId, t.splitRuleId, t.memo, t.period, t.postedAt, t.createdByUserId, t.prevHash, t.hash)
          .lastInsertRowid,
      );
    },
    insertEntry: (transactionId: number, e: Pick<EntryRow, 'accountId' | 'amountFen' | 'orderLineId' | 'projectId' | 'villageId'>) =>
      q(`INSERT INTO ledger_entries (transaction_id, account_id, amount_fen, order_line_id, project_id, village_id) VALUES (?,?,?,?,?,?)`).run(
        transactionId,
        e.accountId,
        e.amountFen,
        e.orderLineId,
        e.projectId,
        e.villageId,
      ),
    isPeriodLocked: (period: string) => q(`SELECT 1 FROM period_locks WHERE period = ?`).get(period) !== undefined,

    entriesOf: (transactionId: number) =>
      q(
        `SELECT e.transaction_id AS transactionId, e.account_id AS accountId, a.code AS accountCode, e.amount_fen AS amountFen, e.order_line_id AS orderLineId,
                e.project_id AS projectId, e.village_id AS villageId
         FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE e.transaction_id = ? ORDER BY e.id`,
      ).all(transactionId) as EntryRow[],
    transactionsOfOrder: (orderId: number) =>
      q(`SELECT ${TX_COLUMNS} FROM ledger_transactions WHERE order_id = ? ORDER BY id`).all(orderId) as TransactionRow[],
    balanceOf: (code: string) =>
      (
        q(`SELECT coalesce(sum(e.amount_fen), 0) AS b FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.code = ?`).get(code) as {
          b: number;
        }
      ).b,

    /** Streams every transaction in order with its entries, for the chain check. */
    *allTransactions(): Generator<TransactionRow> {
      yield* q(`SELECT ${TX_COLUMNS} FROM ledger_transactions ORDER BY id`).iterate() as Iterable<TransactionRow>;
    },
    allEntriesByTransaction: () =>
      q(
        `SELECT e.transaction_id AS transactionId, e.account_id AS accountId, a.code AS accountCode, e.amount_fen AS amountFen, e.order_line_id AS orderLineId,
                e.project_id AS projectId, e.village_id AS villageId
         FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id ORDER BY e.transaction_id, e.id`,
      ).iterate() as Iterable<EntryRow>,
    unbalancedTransactions: () =>
      q(`SELECT transaction_id AS id, sum(amount_fen) AS total FROM ledger_entries GROUP BY transaction_id HAVING sum(amount_fen) <> 0`).all() as {
        id: number;
        total: number;
      }[],
    transactionsWithoutEntries: () =>
      q(`SELECT t.id FROM ledger_transactions t WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id)`).all() as { id: number }[],
    totalOfAllEntries: () => (q(`SELECT coalesce(sum(amount_fen), 0) AS total FROM ledger_entries`).get() as { total: number }).total,
  };
}

export type LedgerQueries = ReturnType<typeof createLedgerQueries>;
