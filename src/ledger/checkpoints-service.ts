import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import { formatDate } from '../time.js';
import { createCheckpointQueries, type CheckpointRow } from './checkpoint-queries.js';
import { verifyChain } from './ledger-service.js';
import type { CheckpointKind } from './schema.js';

/** Where the chain stands: how many transactions, and the newest one's id, hash and time. */
export interface LedgerHead {
  transactionCount: number;
  headTransactionId: number;
  headHash: string;
  /** When the head transaction was posted (ms). */
  postedAt: number;
}

/**
 * Checkpoints of the ledger's hash chain (the anchor). The chain proves that nothing before its
 * head was changed; only a head published outside the database proves that nothing after it was
 * removed. So the head and its count are published: on /impact, in every statement PDF, and as a
 * checkpoint a day (kept here, listed at /impact/checkpoints for anyone to copy). `npm run
 * ledger:check` compares the chain with every stored checkpoint and with any given to it.
 *
 * A checkpoint is written only when the chain still holds the previous one at its position and
 * links and hashes correctly from there to the new head, so a checkpoint never anchors a ledger
 * that was cut or edited since the last one (the first one anchors what is there).
 */
export function createCheckpointsService(db: Database_, deps: { clock: Clock }) {
  const queries = createCheckpointQueries(db);
  /** The count up to a head seen before: the ledger only grows, so the next count adds what came after. */
  let known: { id: number; count: number } = { id: 0, count: 0 };

  /**
   * The head now, and the count read in the same snapshot. `recount` (or a first look) counts the
   * whole table, which SQLite answers from its page counts; later looks add what came after.
   */
  const head = (recount = false): LedgerHead | null =>
    queries.read(() => {
      const row = queries.head();
      if (!row) return null;
      // (A smaller head than seen before: a replaced database.)
      known =
        recount || known.id === 0 || row.id < known.id
          ? { id: row.id, count: queries.countAll() }
          : { id: row.id, count: known.count + queries.countBetween(known.id, row.id) };
      return { transactionCount: known.count, headTransactionId: row.id, headHash: row.hash, postedAt: row.postedAt };
    });

  /** The chain from the previous checkpoint to `now`, checked; refuses when it does not extend that checkpoint. */
  function verifiedSince(previous: CheckpointRow | undefined, now: LedgerHead): void {
    if (!previous) return;
    const broken = () => new AppError('conflict', 'ledger_checkpoint_chain_broken', undefined, { params: { id: previous.id, day: previous.publishedOn } });
    if (queries.hashOf(previous.headTransactionId) !== previous.headHash) throw broken();
    const stretch = verifyChain(
      queries.transactionsBetween(previous.headTransactionId, now.headTransactionId),
      queries.entriesBetween(previous.headTransactionId, now.headTransactionId),
      { hash: previous.headHash, count: previous.transactionCount },
    );
    // The whole ledger must be the previous checkpoint's count plus the stretch: fewer means rows before it were removed.
    if (stretch.problems.length > 0 || stretch.count !== now.transactionCount || stretch.lastHash !== now.headHash) throw broken();
  }

  /** Writes a checkpoint of the head as it is now, in one transaction with the check; null when the ledger is empty. */
  function publish(kind: CheckpointKind, userId: number | null): CheckpointRow | null {
    return queries.transaction(() => {
      const now = head(true);
      if (!now) return null;
      const previous = queries.latest();
      const takenAt = deps.clock();
      const publishedOn = formatDate(takenAt);
      if (kind === 'daily') {
        const today = queries.dailyOf(publishedOn);
        if (today) return today;
      } else if (previous?.headHash === now.headHash) {
        throw new AppError('conflict', 'ledger_checkpoint_unchanged', undefined, { params: { id: previous.id } });
      }
      verifiedSince(previous, now);
      const id = queries.insert({
        kind,
        publishedOn,
        takenAt,
        transactionCount: now.transactionCount,
        headTransactionId: now.headTransactionId,
        headHash: now.headHash,
        createdByUserId: userId,
      });
      return id === null ? (queries.dailyOf(publishedOn) ?? null) : (queries.latest() ?? null);
    });
  }

  return {
    head,
    /** The day's checkpoint, written by the first run of the periodic work on each day (CST). */
    publishDaily: () => publish('daily', null),
    /** A checkpoint now (e.g. right after a month is closed), by a coordinator for all projects. */
    publishNow(actor: { id: number; role: string; allProjects: boolean }): CheckpointRow {
      if (actor.role !== 'coordinator' || !actor.allProjects) throw new AppError('forbidden', 'forbidden');
      const row = publish('on_demand', actor.id);
      if (!row) throw new AppError('conflict', 'ledger_checkpoint_empty');
      return row;
    },
    latest: () => queries.latest() ?? null,
    /** Newest first. */
    recent: (limit: number) => queries.list(limit),
    count: () => queries.count(),
    /** Oldest first: the whole list, for the published files. */
    all: () => queries.all(),
  };
}

export type CheckpointsService = ReturnType<typeof createCheckpointsService>;
