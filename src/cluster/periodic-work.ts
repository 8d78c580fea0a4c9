import type { LeaderLease } from './leader-lease.js';

/** The timer periodic work waits on (setTimeout's shape); tests pass one they advance by hand. */
export interface PeriodicTimers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const systemTimers: PeriodicTimers = {
  set: (run, ms) => setTimeout(run, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PeriodicLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** How often the lease is renewed: a third of it, so two renewals may fail before it runs out. */
export const LEASE_MS = 30_000;
export const RENEW_EVERY_MS = 10_000;

export interface PeriodicStatus {
  /** Whether this server holds the lease and so runs the work. */
  leader: boolean;
  /** leader: runs the work; standby: another server does; off: this process never started it (a test, a script) or stopped. */
  role: 'leader' | 'standby' | 'off';
  holder: string;
  /** Runs of each job on this server since start-up. */
  runs: Record<string, number>;
}

/**
 * The cluster's timers (order expiry and housekeeping, the hourly ledger checkpoint, …): each job
 * runs every so often on the one server that holds the lease (src/cluster/leader-lease.ts), and on
 * the others not at all. Every server renews or tries to take the lease on its own timer; a job's
 * tick on a server that does not hold it does nothing. A job does not overlap itself on a server.
 *
 * Work with its own timer (the outbox worker, scheduled backups) asks `leading()` before each pass.
 */
export function createPeriodicWork(deps: { lease: LeaderLease; log: PeriodicLog; timers?: PeriodicTimers; renewEveryMs?: number }) {
  const { lease, log } = deps;
  const timers = deps.timers ?? systemTimers;
  const renewEveryMs = deps.renewEveryMs ?? RENEW_EVERY_MS;
  const jobs: { name: string; everyMs: number; run: () => Promise<unknown>; handle: unknown; running: Promise<void> | null; runs: number }[] = [];
  let renewal: unknown = null;
  let renewing: Promise<void> | null = null;
  /** 'idle' until started: a process that never joined (a test, a script) is not part of any cluster. */
  let state: 'idle' | 'running' | 'stopped' = 'idle';
  let wasLeader = false;

  async function renew(): Promise<void> {
    try {
      const leader = await lease.renew();
      if (leader !== wasLeader)
        log.info({ holder: lease.holder, leader }, leader ? 'periodic work: this server now runs it' : 'periodic work: another server runs it');
      wasLeader = leader;
    } catch (error) {
      log.error({ err: error }, 'periodic work: the lease could not be renewed');
    }
  }

  function scheduleRenewal(): void {
    if (state !== 'running') return;
    renewal = timers.set(() => {
      renewing = renew().finally(() => {
        renewing = null;
        scheduleRenewal();
      });
    }, renewEveryMs);
  }

  function scheduleJob(job: (typeof jobs)[number]): void {
    if (state !== 'running') return;
    job.handle = timers.set(() => {
      job.running = tick(job).finally(() => {
        job.running = null;
        scheduleJob(job);
      });
    }, job.everyMs);
  }

  async function tick(job: (typeof jobs)[number]): Promise<void> {
    if (!lease.holding()) return;
    job.runs++;
    try {
      await job.run();
    } catch (error) {
      log.error({ err: error, job: job.name }, `periodic work: ${job.name} failed`);
    }
  }

  return {
    /** Adds a job run every `everyMs` on the leading server (before or after start). */
    every(name: string, everyMs: number, run: () => Promise<unknown>): void {
      const job = { name, everyMs, run, handle: null as unknown, running: null, runs: 0 };
      jobs.push(job);
      scheduleJob(job);
    },
    /** Takes the lease if it is free (answered once tried), then keeps renewing it and ticking the jobs. */
    async start(): Promise<void> {
      if (state === 'running') return;
      state = 'running';
      await renew();
      scheduleRenewal();
      for (const job of jobs) scheduleJob(job);
    },
    /** Runs every job once, now, on this server whatever the lease (tests; an operator's script). */
    async runOnce(): Promise<void> {
      for (const job of jobs) await job.run();
    },
    /** Whether this server runs the periodic work now. */
    leading: (): boolean => state === 'running' && lease.holding(),
    /**
     * Whether work with its own timer (the outbox worker, backups) may run on this server now: when it
     * leads, or when it never joined the cluster's periodic work (a process running alone); not once stopped.
     */
    mayRun: (): boolean => state === 'idle' || (state === 'running' && lease.holding()),
    /** Stops the timers, waits for runs in flight, and gives the lease up for the next server. */
    async stop(): Promise<void> {
      if (state !== 'running') {
        state = 'stopped';
        return;
      }
      state = 'stopped';
      if (renewal !== null) timers.clear(renewal);
      for (const job of jobs) if (job.handle !== null) timers.clear(job.handle);
      await renewing;
      await Promise.all(jobs.map((job) => job.running));
      if (wasLeader) {
        wasLeader = false;
        await lease.release().catch((error: unknown) => log.error({ err: error }, 'periodic work: the lease could not be given up'));
      }
    },
    status: (): PeriodicStatus => ({
      leader: state === 'running' && lease.holding(),
      role: state !== 'running' ? 'off' : lease.holding() ? 'leader' : 'standby',
      holder: lease.holder,
      runs: Object.fromEntries(jobs.map((job) => [job.name, job.runs])),
    }),
  };
}

export type PeriodicWork = ReturnType<typeof createPeriodicWork>;
