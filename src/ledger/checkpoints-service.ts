import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import { formatDate } from '../time.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import {
  allCheckpoints,
  chainHead,
  checkpointCount,
  countAll,
  countBetween,
  dailyCheckpointOf,
  hashOf,
  insertCheckpoint,
  latestCheckpoint,
  recentCheckpoints,
  type CheckpointRow,
} from './checkpoint-queries.js';
import { verifyStretch } from './ledger-service.js';
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
  /** The count up to a head seen before: the ledger only grows, so the next count adds what came after. */
  let known: { id: number; count: number } = { id: 0, count: 0 };

  /**
   * The head now, and the count read in the same unit. `recount` (or a first look) counts the
   * whole table, which SQLite answers from its page counts; later looks add what came after.
   */
  function* headIn(tx: Tx, recount = false): Query<LedgerHead | null> {
    const row = yield* chainHead(tx);
    if (!row) return null;
    // (A smaller head than seen before: a replaced database.)
    known =
      recount || known.id === 0 || row.id < known.id
        ? { id: row.id, count: yield* countAll(tx) }
        : { id: row.id, count: known.count + (yield* countBetween(tx, known.id, row.id)) };
    return { transactionCount: known.count, headTransactionId: row.id, headHash: row.hash, postedAt: row.postedAt };
  }

  /** The chain from the previous checkpoint to `now`, checked; refuses when it does not extend that checkpoint. */
  function* verifiedSince(tx: Tx, previous: CheckpointRow | undefined, now: LedgerHead): Query<void> {
    if (!previous) return;
    const broken = () => new AppError('conflict', 'ledger_checkpoint_chain_broken', undefined, { params: { id: previous.id, day: previous.publishedOn } });
    if ((yield* hashOf(tx, previous.headTransactionId)) !== previous.headHash) throw broken();
    const stretch = yield* verifyStretch(tx, previous.headTransactionId, now.headTransactionId, {
      hash: previous.headHash,
      count: previous.transactionCount,
    });
    // The whole ledger must be the previous checkpoint's count plus the stretch: fewer means rows before it were removed.
    if (stretch.problems.length > 0 || stretch.count !== now.transactionCount || stretch.lastHash !== now.headHash) throw broken();
  }

  /** Writes a checkpoint of the head as it is now, in one unit with the check; null when the ledger is empty. */
  const publish = (kind: CheckpointKind, userId: number | null): Promise<CheckpointRow | null> =>
    db.uow.write(function* (tx) {
      const now = yield* headIn(tx, true);
      if (!now) return null;
      const previous = yield* latestCheckpoint(tx);
      const takenAt = deps.clock();
      const publishedOn = formatDate(takenAt);
      if (kind === 'daily') {
        const today = yield* dailyCheckpointOf(tx, publishedOn);
        if (today) return today;
      } else if (previous?.headHash === now.headHash) {
        throw new AppError('conflict', 'ledger_checkpoint_unchanged', undefined, { params: { id: previous.id } });
      }
      yield* verifiedSince(tx, previous, now);
      const id = yield* insertCheckpoint(tx, {
        kind,
        publishedOn,
        takenAt,
        transactionCount: now.transactionCount,
        headTransactionId: now.headTransactionId,
        headHash: now.headHash,
        createdByUserId: userId,
      });
      return id === null ? ((yield* dailyCheckpointOf(tx, publishedOn)) ?? null) : ((yield* latestCheckpoint(tx)) ?? null);
    });

  return {
    /** Where the chain stands now (one snapshot: the head and its count). */
    head: (recount = false) => db.uow.read((tx) => headIn(tx, recount)),
    /** The day's checkpoint, written by the first run of the periodic work on each day (CST). */
    publishDaily: () => publish('daily', null),
    /** A checkpoint now (e.g. right after a month is closed), by a coordinator for all projects. */
    async publishNow(actor: { id: number; role: string; allProjects: boolean }): Promise<CheckpointRow> {
      if (actor.role !== 'coordinator' || !actor.allProjects) throw new AppError('forbidden', 'forbidden');
      const row = await publish('on_demand', actor.id);
      if (!row) throw new AppError('conflict', 'ledger_checkpoint_empty');
      return row;
    },
    latest: () =>
      db.uow.read(function* (tx) {
        return (yield* latestCheckpoint(tx)) ?? null;
      }),
    /** Newest first. */
    recent: (limit: number) => db.uow.read((tx) => recentCheckpoints(tx, limit)),
    count: () => db.uow.read((tx) => checkpointCount(tx)),
    /** Oldest first: the whole list, for the published files. */
    all: () => db.uow.read((tx) => allCheckpoints(tx)),
  };
}

export type CheckpointsService = ReturnType<typeof createCheckpointsService>;
