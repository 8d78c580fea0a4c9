import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../clock.js';
import { backupFileName, backupTime, PARTIAL_SUFFIX, type BackupOutcome } from './verified-backup.js';

/** One verified backup of `sourcePath` into `target`; rejects when no copy could be made or it was aborted. */
export type RunBackup = (sourcePath: string, target: string, signal: AbortSignal) => Promise<BackupOutcome>;

/** The timer the schedule waits on; tests pass one they advance by hand. */
export interface BackupTimers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface BackupStatus {
  /** When the last backup since start-up finished (ms), whatever its outcome. */
  lastAt: number | null;
  /** That backup's outcome: null before the first one. */
  ok: boolean | null;
  problem: string | null;
  /** The newest verified backup in the directory (made by this process or an earlier one). */
  lastGood: { at: number; file: string } | null;
  /** When the next one is due (ms). */
  nextAt: number | null;
  running: boolean;
}

/** While another server takes the backups, how often this one looks again whether it should. */
const NOT_MINE_RECHECK_MS = 60_000;

const systemTimers: BackupTimers = {
  set: (run, ms) => setTimeout(run, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Runs the backup in a worker thread: the copy and its checks (integrity, the whole ledger) take
 * seconds on a large database and must not stall requests. From source (tsx, tests) the thread
 * registers tsx's loader before it imports the TypeScript module.
 */
export const backupInWorker: RunBackup = (sourcePath, target, signal) => {
  const url = new URL(import.meta.url.endsWith('.ts') ? './backup-worker.ts' : './backup-worker.js', import.meta.url);
  const worker = url.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`, {
        eval: true,
        workerData: { sourcePath, target },
      })
    : new Worker(url, { workerData: { sourcePath, target } });
  return new Promise<BackupOutcome>((resolve, reject) => {
    let settled = false;
    worker.once('message', (message: { outcome?: BackupOutcome; error?: string }) => {
      settled = true;
      if (message.outcome) resolve(message.outcome);
      else reject(new Error(message.error ?? 'the backup thread failed'));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the backup thread stopped (exit ${code}) before it finished`));
    });
    // Shutting down: the copy is abandoned (it is only ever a .partial file until verified).
    signal.addEventListener('abort', () => void worker.terminate(), { once: true });
  });
};

/**
 * Verified online backups on a schedule: every `everyMs` a copy of the database goes into `dir`,
 * named by the moment it was taken; after each good one only the newest `keep` are kept. The next
 * backup is due `everyMs` after the newest one in the directory, so restarting the server neither
 * skips nor repeats one. Only one runs at a time. Files in `dir` with other names are left alone.
 */
export function createBackupSchedule(opts: {
  sourcePath: string;
  dir: string;
  everyMs: number;
  keep: number;
  clock: Clock;
  run?: RunBackup;
  timers?: BackupTimers;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Whether this server takes the backups now (several servers on one file: the one running the periodic work); default always. */
  mayRun?: () => boolean;
}) {
  const run = opts.run ?? backupInWorker;
  const timers = opts.timers ?? systemTimers;
  const status: BackupStatus = { lastAt: null, ok: null, problem: null, lastGood: null, nextAt: null, running: false };
  let timer: unknown = null;
  let stopped = false;
  let current: Promise<void> | null = null;
  let abort: AbortController | null = null;

  /** Our backups in the directory, oldest first. */
  function backups(): { name: string; at: number }[] {
    let names: string[];
    try {
      names = readdirSync(opts.dir);
    } catch {
      return [];
    }
    return names
      .flatMap((name) => {
        const at = backupTime(name);
        return at === null ? [] : [{ name, at }];
      })
      .sort((a, b) => a.at - b.at);
  }

  function schedule(): void {
    if (stopped) return;
    const newest = backups().at(-1);
    status.lastGood = newest ? { at: newest.at, file: newest.name } : null;
    const now = opts.clock();
    // Due one interval after the newest backup; a failed attempt waits an interval too (no tight retry loop).
    const from = Math.max(newest?.at ?? -Infinity, status.ok === false && status.lastAt !== null ? status.lastAt : -Infinity);
    status.nextAt = Number.isFinite(from) ? Math.max(now, from + opts.everyMs) : now;
    timer = timers.set(due, status.nextAt - now);
  }

  /** A backup is due: taken here, or, while another server takes them, asked again a little later. */
  function due(): void {
    if (!opts.mayRun || opts.mayRun()) {
      void runNow();
      return;
    }
    status.nextAt = opts.clock() + NOT_MINE_RECHECK_MS;
    timer = timers.set(() => {
      timer = null;
      if (!stopped) schedule();
    }, NOT_MINE_RECHECK_MS);
  }

  function prune(): void {
    const all = backups();

    for (const old of all.slice(0, Math.max(0, all.length - opts.keep))) {
      rmSync(join(opts.dir, old.name), { force: true });
      opts.log.info({ file: old.name }, 'backup removed (retention)');
    }
  }

  async function attempt(): Promise<void> {
    const target = join(opts.dir, backupFileName(opts.clock()));
    status.running = true;
    abort = new AbortController();
    try {
      const outcome = await run(opts.sourcePath, target, abort.signal);
      status.ok = outcome.ok;
      status.problem = outcome.problem;
      if (outcome.ok) {
        opts.log.info({ file: outcome.file, ms: outcome.ms, transactions: outcome.transactions }, 'backup ok');
        prune();
      } else {
        opts.log.error({ file: outcome.file, problem: outcome.problem }, 'backup FAILED verification; the copy was removed');
      }
    } catch (error) {
      if (stopped) return;
      status.ok = false;
      status.problem = 'the copy could not be made';
      opts.log.error({ err: error, file: target }, 'backup failed');
    } finally {
      abort = null;
      status.running = false;
      status.lastAt = opts.clock();
    }
  }

  /** Takes a backup now (unless one is running), then schedules the next. */
  function runNow(): Promise<void> {
    if (current) return current;
    if (timer !== null) timers.clear(timer);
    timer = null;
    current = attempt().finally(() => {
      current = null;
      schedule();
    });
    return current;
  }

  return {
    start(): void {
      stopped = false;
      // Copies left half-made by a process that was stopped during a backup.
      try {
        for (const name of readdirSync(opts.dir))
          if (name.startsWith('xiangyi-') && name.includes(`.db${PARTIAL_SUFFIX}`)) rmSync(join(opts.dir, name), { force: true });
      } catch {
        // No directory yet: the first backup makes it.
      }
      schedule();
    },
    /** Stops the schedule and abandons a backup under way (its half-made copy is removed at the next start). */
    stop(): Promise<void> {
      stopped = true;
      if (timer !== null) timers.clear(timer);
      timer = null;
      abort?.abort();
      return current ?? Promise.resolve();
    },
    runNow,
    status: (): Readonly<BackupStatus> => ({ ...status }),
  };
}

export type BackupSchedule = ReturnType<typeof createBackupSchedule>;
