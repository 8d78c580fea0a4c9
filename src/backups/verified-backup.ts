import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { openDatabase } from '../db/client.js';
import { checkLedger } from '../ledger/ledger-service.js';

export interface BackupOutcome {
  /** The copy's path (only a verified copy is there). */
  file: string;
  ok: boolean;
  /** How long the copy and its checks took, ms. */
  ms: number;
  /** Ledger transactions verified in the copy. */
  transactions: number;
  /** What was wrong with the copy, when it was not ok. */
  problem: string | null;
}

/** `xiangyi-2026-12-02T02-41-00-000Z.db`: the moment in the name, sortable as text. */
export function backupFileName(now: number): string {
  return `xiangyi-${new Date(now).toISOString().replace(/[:.]/g, '-')}.db`;
}
export const BACKUP_FILE_RE = /^xiangyi-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.db$/;

/** The moment a backup file's name records, or null for any other name. */
export function backupTime(name: string): number | null {
  const m = BACKUP_FILE_RE.exec(name);
  if (!m) return null;
  const at = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
  return Number.isNaN(at) ? null : at;
}

/** sqlite3_backup_step's largest page count: everything that is left. */
const ALL_PAGES = 0x7fffffff;

/** Where a copy is written until it has passed its checks. */
export const PARTIAL_SUFFIX = '.partial';

const removeCopy = (path: string) => {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
};

/**
 * A consistent online copy of the database through SQLite's backup API (safe while the shop takes
 * orders: the copy is of one moment), checked before it is called a backup: integrity_check and
 * every ledger invariant (balance, the hash chain). The copy is written as `<target>.partial` and
 * takes its name only once it has passed, so a directory of backups holds only good ones, even
 * when the process was stopped half-way. Used by `npm run backup` and by the server's schedule.
 */
export async function verifiedBackup(sourcePath: string, target: string): Promise<BackupOutcome> {
  if (!existsSync(sourcePath)) throw new Error(`no database at ${sourcePath}`);
  if (existsSync(target)) throw new Error(`refusing to overwrite ${target}`);
  mkdirSync(dirname(target), { recursive: true });
  const partial = target + PARTIAL_SUFFIX;
  removeCopy(partial);
  const started = performance.now();
  const source = openDatabase(sourcePath);
  try {
    // All remaining pages in one step, under one read transaction: copied step by step, a copy
    // is started over whenever another connection (the server's) writes in between, and on a busy
    // shop a large database might never finish. Off the server's thread, one long step costs nothing.
    await source.sqlite.backup(partial, { progress: () => ALL_PAGES });
  } catch (error) {
    removeCopy(partial);
    throw error;
  } finally {
    source.close();
  }
  const copy = openDatabase(partial);
  let integrity: unknown;
  let ledger: Awaited<ReturnType<typeof checkLedger>>;
  try {
    integrity = copy.sqlite.pragma('integrity_check', { simple: true });
    ledger = await checkLedger(copy);
    // One file: the copy's write-ahead log folded in and switched off.
    copy.sqlite.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  const ms = Math.round(performance.now() - started);
  const problems = [
    ...(integrity === 'ok' ? [] : [`integrity_check: ${String(integrity)}`]),
    ...ledger.problems.map((p) => `ledger transaction ${p.transactionId ?? '-'}: ${p.problem}`),
  ];
  if (problems.length > 0) {
    removeCopy(partial);
    return { file: target, ok: false, ms, transactions: ledger.transactions, problem: problems.slice(0, 5).join('; ') };
  }
  renameSync(partial, target);
  return { file: target, ok: true, ms, transactions: ledger.transactions, problem: null };
}
