import { and, asc, count, desc, eq, gt, lte, sql } from 'drizzle-orm';
import { all, one, onPostgres, type Query, type Tx } from '../db/unit-of-work.js';
import { ledgerCheckpoints, ledgerTransactions } from './schema.js';

export type CheckpointRow = Omit<typeof ledgerCheckpoints.$inferSelect, 'createdByUserId'>;

export type NewCheckpoint = Omit<typeof ledgerCheckpoints.$inferInsert, 'id'>;

const checkpointColumns = {
  id: ledgerCheckpoints.id,
  kind: ledgerCheckpoints.kind,
  publishedOn: ledgerCheckpoints.publishedOn,
  takenAt: ledgerCheckpoints.takenAt,
  transactionCount: ledgerCheckpoints.transactionCount,
  headTransactionId: ledgerCheckpoints.headTransactionId,
  headHash: ledgerCheckpoints.headHash,
};

/** Queries of the chain's published checkpoints, and the counts a checkpoint states, as steps of a unit of work. */

/** False on a database from before checkpoints (ledger:check may be run on an old file). */
export function* hasCheckpointTable(tx: Tx): Query<boolean> {
  const found = onPostgres(tx)
    ? sql`SELECT 1 AS found WHERE to_regclass('ledger_checkpoints') IS NOT NULL`
    : sql`SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'ledger_checkpoints'`;
  return (yield* one(found)) !== undefined;
}

/** Writes a checkpoint; null when it is a second daily one of the same day (another server was first), which changes nothing. */
export function* insertCheckpoint(tx: Tx, c: NewCheckpoint): Query<number | null> {
  const row = yield* one(tx.insert(ledgerCheckpoints).values(c).onConflictDoNothing().returning({ id: ledgerCheckpoints.id }));
  return row?.id ?? null;
}

export function* latestCheckpoint(tx: Tx): Query<CheckpointRow | undefined> {
  return yield* one(tx.select(checkpointColumns).from(ledgerCheckpoints).orderBy(desc(ledgerCheckpoints.id)).limit(1));
}

export function* dailyCheckpointOf(tx: Tx, day: string): Query<CheckpointRow | undefined> {
  return yield* one(
    tx
      .select(checkpointColumns)
      .from(ledgerCheckpoints)
      .where(and(eq(ledgerCheckpoints.publishedOn, day), eq(ledgerCheckpoints.kind, 'daily'))),
  );
}

/** Newest first. */
export function* recentCheckpoints(tx: Tx, limit: number): Query<CheckpointRow[]> {
  return yield* all(tx.select(checkpointColumns).from(ledgerCheckpoints).orderBy(desc(ledgerCheckpoints.id)).limit(limit));
}

/** Oldest first, for files that third parties keep. */
export function* allCheckpoints(tx: Tx): Query<CheckpointRow[]> {
  return yield* all(tx.select(checkpointColumns).from(ledgerCheckpoints).orderBy(asc(ledgerCheckpoints.id)));
}

export function* checkpointCount(tx: Tx): Query<number> {
  return (yield* one(tx.select({ n: count() }).from(ledgerCheckpoints)))?.n ?? 0;
}

export function* chainHead(tx: Tx): Query<{ id: number; hash: string; postedAt: number } | undefined> {
  return yield* one(
    tx
      .select({ id: ledgerTransactions.id, hash: ledgerTransactions.hash, postedAt: ledgerTransactions.postedAt })
      .from(ledgerTransactions)
      .orderBy(desc(ledgerTransactions.id))
      .limit(1),
  );
}

export function* hashOf(tx: Tx, id: number): Query<string | undefined> {
  return (yield* one(tx.select({ hash: ledgerTransactions.hash }).from(ledgerTransactions).where(eq(ledgerTransactions.id, id))))?.hash;
}

export function* countAll(tx: Tx): Query<number> {
  return (yield* one(tx.select({ n: count() }).from(ledgerTransactions)))?.n ?? 0;
}

/** Transactions with ids in (afterId, throughId]: a checkpoint's position in the chain is a count, not an id. */
export function* countBetween(tx: Tx, afterId: number, throughId: number): Query<number> {
  return (
    (yield* one(
      tx
        .select({ n: count() })
        .from(ledgerTransactions)
        .where(and(gt(ledgerTransactions.id, afterId), lte(ledgerTransactions.id, throughId))),
    ))?.n ?? 0
  );
}
