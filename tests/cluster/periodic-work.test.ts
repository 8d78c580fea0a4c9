import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackupSchedule } from '../../src/backups/backup-schedule.js';
import { LEASE_MS, RENEW_EVERY_MS, type PeriodicTimers } from '../../src/cluster/index.js';
import { createOutboxWorker } from '../../src/notifications/outbox-worker.js';
import type { Outbox } from '../../src/notifications/outbox.js';
import { createTestCluster, type TestCluster } from '../helpers/test-cluster.js';

/**
 * The periodic work (expiry sweep, housekeeping, the hourly ledger checkpoint, the outbox worker,
 * backups) runs on one of several app servers over one database: the one holding the lease. Each
 * server has its own timers (moved by hand here) and the cluster one clock (moved by the test).
 */

/** Timers that fire only when the test says. */
function handTimers() {
  const pending = new Map<number, { run: () => void; ms: number }>();
  let next = 0;
  const timers: PeriodicTimers = {
    set(run, ms) {
      pending.set(++next, { run, ms });
      return next;
    },
    clear(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    /** Fires every timer set for at most `upToMs` (all of them by default), then lets their work finish. */
    async fire(upToMs = Number.POSITIVE_INFINITY) {
      for (const [handle, timer] of [...pending]) {
        if (timer.ms > upToMs) continue;
        pending.delete(handle);
        timer.run();
      }
      await settle();
    },
  };
}

/** Lets the units of work the timers started commit (the group commit waits a moment). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

let cluster: TestCluster;
let hands: ReturnType<typeof handTimers>[];

beforeEach(async () => {
  hands = [handTimers(), handTimers()];
  cluster = await createTestCluster(2, { deps: (i) => ({ periodic: { timers: hands[i]!.timers, holder: `server-${i + 1}` } }) });
});
afterEach(async () => {
  await cluster.close();
});

const work = (i: number) => cluster.servers[i]!.app.periodicWork;
const leaseRow = () => cluster.servers[0]!.db.sqlite.prepare(`SELECT holder, expires_at AS expiresAt FROM leases WHERE name = 'periodic-work'`).get();

describe('the periodic work on two servers over one database', () => {
  it('runs each tick on one server only: the first to take the lease', async () => {
    await work(0).start();
    await work(1).start();
    expect(work(0).status().leader).toBe(true);
    expect(work(1).status().leader).toBe(false);
    expect(leaseRow()).toEqual({ holder: 'server-1', expiresAt: cluster.clock.now + LEASE_MS });

    for (let round = 0; round < 3; round++) {
      cluster.clock.advance(RENEW_EVERY_MS);
      await hands[0]!.fire();
      await hands[1]!.fire();
    }
    expect(work(0).status().runs).toEqual({ 'expiry-sweep': 3, 'receipt-auto-confirm': 3, 'ledger-checkpoint': 3 });
    expect(work(1).status().runs).toEqual({ 'expiry-sweep': 0, 'receipt-auto-confirm': 0, 'ledger-checkpoint': 0 });
    // Work with its own timer asks too: the outbox and backups run on the leader only.
    expect(work(0).mayRun()).toBe(true);
    expect(work(1).mayRun()).toBe(false);
    // Each says so in its health check, for the operator.
    const roles = await Promise.all(cluster.servers.map(async (s) => (await s.app.inject({ method: 'GET', url: '/healthz' })).json().periodicWork));
    expect(roles).toEqual(['leader', 'standby']);
  });

  it('lets the other server take over once the lease of a leader that stopped renewing has expired, not before', async () => {
    await work(0).start();
    await work(1).start();
    const takenAt = cluster.clock.now;

    // The leader hangs (or died without a word): its timers never fire again.
    cluster.clock.advance(LEASE_MS - 1);
    await hands[1]!.fire(RENEW_EVERY_MS);
    expect(work(1).status().leader).toBe(false);
    await hands[1]!.fire();
    expect(work(1).status().runs['expiry-sweep']).toBe(0);

    cluster.clock.advance(1);
    await hands[1]!.fire(RENEW_EVERY_MS);
    expect(work(1).status().leader).toBe(true);
    expect(leaseRow()).toEqual({ holder: 'server-2', expiresAt: takenAt + 2 * LEASE_MS });
    await hands[1]!.fire();
    expect(work(1).status().runs['expiry-sweep']).toBe(1);

    // The old leader comes back: by its clock its lease has run out, so its ticks do nothing, and
    // its renewal finds the lease taken.
    await hands[0]!.fire();
    expect(work(0).status()).toMatchObject({ leader: false, runs: { 'expiry-sweep': 0 } });
    await hands[0]!.fire(RENEW_EVERY_MS);
    expect(work(0).status().leader).toBe(false);
    expect(leaseRow()).toMatchObject({ holder: 'server-2' });
  });

  it('hands the work over at the next renewal when the leader shuts down, without waiting for the lease to expire', async () => {
    await work(0).start();
    await work(1).start();
    await cluster.servers[0]!.app.close();
    expect(leaseRow()).toBeUndefined();

    await hands[1]!.fire(RENEW_EVERY_MS);
    expect(work(1).status().leader).toBe(true);
    await hands[1]!.fire();
    expect(work(1).status().runs['expiry-sweep']).toBe(1);
  });

  it('forgets the request counts whose window ended in the sweep, which runs on the leader only', async () => {
    const db = cluster.servers[0]!.db.sqlite;
    db.prepare(`INSERT INTO rate_limit_counters (key, hits, reset_at) VALUES ('POST /login|192.0.2.1', 3, ?), ('POST /login|192.0.2.2', 1, ?)`).run(
      Date.now() - 1,
      Date.now() + 60_000,
    );
    await work(0).start();
    await work(1).start();
    await hands[1]!.fire();
    expect(db.prepare('SELECT count(*) FROM rate_limit_counters').pluck().get()).toBe(2);
    await hands[0]!.fire();
    expect(db.prepare('SELECT key FROM rate_limit_counters').pluck().all()).toEqual(['POST /login|192.0.2.2']);
  });
});

describe('work with its own timer, on a server that does not run the periodic work', () => {
  const quiet = { info() {}, error() {}, warn() {} };

  it('takes no scheduled backup while another server runs the work, looks again a minute later, and takes it once it runs the work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiangyi-backups-'));
    try {
      const hand = handTimers();
      let mine = false;
      const taken: string[] = [];
      const schedule = createBackupSchedule({
        sourcePath: cluster.dbPath,
        dir,
        everyMs: 6 * 3600_000,
        keep: 2,
        clock: () => cluster.clock.now,
        timers: hand.timers,
        log: quiet,
        mayRun: () => mine,
        run: async (_source, target) => {
          taken.push(target);
          return { ok: false, problem: 'not a real backup', file: target, ms: 0, transactions: 0 };
        },
      });
      schedule.start();
      await hand.fire();
      expect(taken).toEqual([]);
      expect(schedule.status().nextAt).toBe(cluster.clock.now + 60_000);
      mine = true;
      await hand.fire();
      await hand.fire(0);
      expect(taken).toHaveLength(1);
      await schedule.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('delivers no outbox pass while another server runs the work; asked directly, it still does', async () => {
    const hand = handTimers();
    let mine = false;
    let passes = 0;
    const outbox = {
      takeUnlogged: async () => {
        passes++;
        return [];
      },
    } as unknown as Outbox;
    const worker = createOutboxWorker({ outbox, transport: null, log: quiet as never, timers: hand.timers, mayRun: () => mine });
    worker.start();
    await hand.fire();
    await hand.fire();
    expect(passes).toBe(0);
    mine = true;
    await hand.fire();
    expect(passes).toBe(1);
    await worker.runOnce();
    expect(passes).toBe(2);
    await worker.stop();
  });
});
