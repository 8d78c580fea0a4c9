import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import type { EntryRow, TransactionRow } from './ledger-queries.js';
import type { CheckpointKind } from './schema.js';

export interface CheckpointRow {
  id: number;
  kind: CheckpointKind;
  /** YYYY-MM-DD (China Standard Time). */
  publishedOn: string;
  takenAt: number;
  transactionCount: number;
  headTransactionId: number;
  headHash: string;
}

export type NewCheckpoint = Omit<CheckpointRow, 'id'> & { createdByUserId: number | null };

const CHECKPOINT_COLUMNS = `id, kind, published_on AS publishedOn, taken_at AS takenAt, transaction_count AS transactionCount,
  head_transaction_id AS headTransactionId, head_hash AS headHash`;
const TX_COLUMNS = `id, idempotency_key AS idempotencyKey, kind, order_id AS orderId, payout_id AS payoutId, split_rule_id AS splitRuleId,
  memo, period, posted_at AS postedAt, created_by_user_id AS createdByUserId, prev_hash AS prevHash, hash`;

/** SQL of the chain's published checkpoints, and the slices of the chain a checkpoint verifies. */
export function createCheckpointQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn).immediate(),
    /** Reads that must see one snapshot (a head and its count). */
    read: <T>(fn: () => T): T => db.sqlite.transaction(fn).deferred(),

    /** False on a database from before checkpoints (ledger:check may be run on an old file). */
    hasCheckpointTable: () => db.sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_checkpoints'`).get() !== undefined,
    insert(c: NewCheckpoint): number | null {
      // A second daily checkpoint of the same day (another server was first) is no error: it changes nothing.
      const result = q(
        `INSERT INTO ledger_checkpoints (kind, published_on, taken_at, transaction_count, head_transaction_id, head_hash, created_by_user_id)
         VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
      ).run(c.kind, c.publishedOn, c.takenAt, c.transactionCount, c.headTransactionId, c.headHash, c.createdByUserId);
      return result.changes === 1 ? Number(result.lastInsertRowid) : null;
    },
    latest: () => q(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY id DESC LIMIT 1`).get() as CheckpointRow | undefined,
    dailyOf: (day: string) =>
      q(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints WHERE published_on = ? AND kind = 'daily'`).get(day) as CheckpointRow | undefined,
    /** Newest first. */
    list: (limit: number) => q(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY id DESC LIMIT ?`).all(limit) as CheckpointRow[],
    /** Oldest first, for files that third parties keep. */
    all: () => q(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY id`).all() as CheckpointRow[],
    count: () => q(`SELECT count(*) FROM ledger_checkpoints`).pluck().get() as number,

    head: () =>
      q(`SELECT id, hash, posted_at AS postedAt FROM ledger_transactions ORDER BY id DESC LIMIT 1`).get() as
        | { id: number; hash: string; postedAt: number }
        | undefined,
    hashOf: (id: number) => q(`SELECT hash FROM ledger_transactions WHERE id = ?`).pluck().get(id) as string | undefined,
    countAll: () => q(`SELECT count(*) FROM ledger_transactions`).pluck().get() as number,
    /** Transactions with ids in (afterId, throughId]: a checkpoint's position in the chain is a count, not an id. */
    countBetween: (afterId: number, throughId: number) =>
      q(`SELECT count(*) FROM ledger_transactions WHERE id > ? AND id <= ?`).pluck().get(afterId, throughId) as number,
    transactionsBetween: (afterId: number, throughId: number) =>
      q(`SELECT ${TX_COLUMNS} FROM ledger_transactions WHERE id > ? AND id <= ? ORDER BY id`).iterate(afterId, throughId) as Iterable<TransactionRow>,
    entriesBetween: (afterId: number, throughId: number) =>
      q(
        `SELECT e.transaction_id AS transactionId, e.account_id AS accountId, a.code AS accountCode, e.amount_fen AS amountFen, e.order_line_id AS orderLineId
         FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE e.transaction_id > ? AND e.transaction_id <= ? ORDER BY e.transaction_id, e.id`,
      ).iterate(afterId, throughId) as Iterable<EntryRow>,
  };
}

export type CheckpointQueries = ReturnType<typeof createCheckpointQueries>;
