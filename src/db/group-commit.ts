import type Database from 'better-sqlite3';

/** Totals since the connection opened, read by the metrics endpoint. */
export interface GroupCommitStats {
  /** Shared transactions committed (or failed). */
  batches: number;
  /** Units of work run in them. */
  transactions: number;
  /** Time spent running and committing them, seconds (the event loop does nothing else meanwhile). */
  seconds: number;
}

/** Runs `work` in a transaction committed together with others; settles once it is on disk. */
export type GroupCommit = (<T>(work: () => T) => Promise<T>) & { readonly stats: Readonly<GroupCommitStats> };

interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: the write transactions asked for in one turn of the event loop are committed as
 * one, so they share one fsync (synchronous=FULL syncs the WAL on every commit, about half a
 * millisecond here, during which the one thread does nothing else).
 *
 * Each unit of work runs in its own savepoint inside the shared transaction: one that throws is
 * rolled back alone and its promise rejected, the others stand. Every promise settles only after
 * the COMMIT has returned, so a request is answered only once what it wrote is durable; if the
 * COMMIT fails, every unit of the group fails with it and none of them was written.
 *
 * The whole group runs synchronously in one callback: no other request sees it half-done. Work
 * must be synchronous and keep its side effects in the database (or undo them on failure).
 */
export function createGroupCommit(sqlite: Database.Database): GroupCommit {
  let queue: Job[] = [];
  const stats: GroupCommitStats = { batches: 0, transactions: 0, seconds: 0 };
  const runAlone = (work: () => unknown) => sqlite.transaction(work)();

  function flush(): void {
    const jobs = queue;
    queue = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const started = performance.now();
    stats.batches++;
    stats.transactions += jobs.length;
    try {
      sqlite
        .transaction(() => {
          for (const job of jobs) {
            try {
              outcomes.push({ ok: true, value: runAlone(job.work) });
            } catch (error) {
              outcomes.push({ ok: false, value: error });
            }
          }
        })
        .immediate();
    } catch (error) {
      stats.seconds += (performance.now() - started) / 1000;
      for (const job of jobs) job.reject(error);
      return;
    }
    stats.seconds += (performance.now() - started) / 1000;
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.value);
    });
  }

  const commitGrouped = <T>(work: () => T): Promise<T> => {
    // Deferred work inside a caller's transaction would commit outside it.
    if (sqlite.inTransaction) return Promise.reject(new Error('group commit asked for inside a transaction'));
    return new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  };
  return Object.assign(commitGrouped, { stats });
}
