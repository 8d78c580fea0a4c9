import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupInWorker, type BackupTimers, type RunBackup } from '../../src/backups/backup-schedule.js';
import { backupFileName } from '../../src/backups/verified-backup.js';
import { openDatabase } from '../../src/db/client.js';
import { checkLedgerNow } from '../helpers/ledger.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Backups on a schedule (BACKUP_DIR, BACKUP_EVERY, BACKUP_KEEP): the server takes the verified online
 * backup itself, keeps the newest N and reports them in /healthz. The clock and the timer are the
 * test's: "six hours later" is a call, not a wait.
 */

const SIX_HOURS = 6 * 3600_000;

/** A timer that only fires when the test says so, and tells when the schedule set it again. */
class ManualTimers implements BackupTimers {
  pending: { run: () => void; ms: number } | null = null;
  private armed: ((ms: number) => void) | null = null;
  set(run: () => void, ms: number) {
    this.pending = { run, ms };
    this.armed?.(ms);
    this.armed = null;
    return this.pending;
  }
  clear(handle: unknown) {
    if (handle === this.pending) this.pending = null;
  }
  /** Fires the pending timer and waits until the backup it started is over and the next one is set; returns that delay. */
  async fire(): Promise<number> {
    const pending = this.pending;
    if (!pending) throw new Error('no backup is scheduled');
    this.pending = null;
    const next = new Promise<number>((resolve) => (this.armed = resolve));
    pending.run();
    return next;
  }
}

let ctx: TestContext;
let dir: string;
let timers: ManualTimers;

const backupFiles = () =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.db'))
    .sort();
const health = async () =>
  (await ctx.app.inject({ method: 'GET', url: '/healthz' })).json<{
    status: string;
    backup: { status: string; lastAttemptAt: string | null; problem: string | null; lastGood: { at: string; file: string } | null; nextAt: string | null };
  }>();

async function start(env: Record<string, string> = {}, run?: RunBackup) {
  timers = new ManualTimers();
  ctx = await createTestApp({ env: { BACKUP_DIR: dir, BACKUP_EVERY: '6h', BACKUP_KEEP: '2', ...env }, backups: { timers, run } });
  // As the server does once it listens.
  ctx.app.backups!.start();
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xiangyi-backups-'));
});
afterEach(async () => {
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('scheduled backups', () => {
  it('takes the first backup at once, one every BACKUP_EVERY after it, and keeps only the newest BACKUP_KEEP', async () => {
    writeFileSync(join(dir, 'README.txt'), 'not a backup: left alone');
    await start();
    // Nothing in the directory yet: due now.
    expect(timers.pending?.ms).toBe(0);
    expect((await health()).backup).toMatchObject({ status: 'not_yet', lastGood: null, nextAt: new Date(ctx.clock.now).toISOString() });

    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const names: string[] = [];
    for (let run = 0; run < 3; run++) {
      if (run > 0) ctx.clock.advance(SIX_HOURS);
      expect(await timers.fire()).toBe(SIX_HOURS);
      names.push(backupFiles().at(-1)!);
    }

    // Three taken, two kept: the newest two; the other file in the directory is still there.
    expect(new Set(names).size).toBe(3);
    expect(backupFiles()).toEqual(names.slice(1));
    expect(readdirSync(dir)).toContain('README.txt');
    // Each kept copy is a whole database whose ledger verifies, and has the paid order.
    for (const name of backupFiles()) {
      const copy = openDatabase(join(dir, name));
      try {
        expect(copy.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(checkLedgerNow(copy).problems).toEqual([]);
        expect(copy.sqlite.prepare(`SELECT count(*) FROM orders WHERE paid_at IS NOT NULL`).pluck().get()).toBeGreaterThan(0);
      } finally {
        copy.close();
      }
    }
    const report = await health();
    expect(report.status).toBe('ok');
    expect(report.backup).toEqual({
      status: 'ok',
      lastAttemptAt: new Date(ctx.clock.now).toISOString(),
      problem: null,
      lastGood: { at: new Date(ctx.clock.now).toISOString(), file: names[2] },
      nextAt: new Date(ctx.clock.now + SIX_HOURS).toISOString(),
    });
    // The report names files, never the server's directories.
    expect(JSON.stringify(report)).not.toContain(dir);
  }, 90_000); // three backups, each checked in a thread of its own

  it('after a restart, waits for what is left of the interval since the newest backup', async () => {
    await start();
    await timers.fire();
    await ctx.close();
    // Make the backup an hour old, as if the server had been stopped an hour after taking it.
    const hourOld = backupFileName(Date.now() - 3600_000);
    renameSync(join(dir, backupFiles()[0]!), join(dir, hourOld));

    await start();
    // Due five hours from now, not at once and not six hours from now.
    expect(timers.pending!.ms).toBeLessThanOrEqual(5 * 3600_000);
    expect(timers.pending!.ms).toBeGreaterThan(4 * 3600_000);
    expect((await health()).backup).toMatchObject({ status: 'not_yet', lastGood: { file: hourOld } });
  });

  it('reports a backup that failed verification, keeps the good ones, and tries again an interval later', async () => {
    let fail = false;
    const run: RunBackup = async (source, target, signal) => {
      if (!fail) return backupInWorker(source, target, signal);
      return { file: target, ok: false, ms: 1, transactions: 0, problem: 'ledger transaction 7: hash does not match its content (edited?)' };
    };
    await start({}, run);
    await timers.fire();
    const good = backupFiles();
    expect(good).toHaveLength(1);

    fail = true;
    ctx.clock.advance(SIX_HOURS);
    expect(await timers.fire()).toBe(SIX_HOURS);
    expect(backupFiles()).toEqual(good);
    const report = await health();
    // The shop still serves: /healthz stays 200 and says what went wrong with the backup.
    expect(report.status).toBe('ok');
    expect(report.backup).toMatchObject({
      status: 'failed',
      problem: 'ledger transaction 7: hash does not match its content (edited?)',
      lastGood: { file: good[0] },
    });
  });

  it('reports no backups at all when BACKUP_DIR is not set', async () => {
    ctx = await createTestApp();
    expect(ctx.app.backups).toBeNull();
    expect(await health()).not.toHaveProperty('backup');
  });

  it('takes none before the server starts them', async () => {
    timers = new ManualTimers();
    ctx = await createTestApp({ env: { BACKUP_DIR: dir, BACKUP_EVERY: '6h' }, backups: { timers } });
    expect(timers.pending).toBeNull();
    expect((await health()).backup).toMatchObject({ status: 'not_yet', nextAt: null });
  });
});
