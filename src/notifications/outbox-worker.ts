import type { FastifyBaseLogger } from 'fastify';
import type { MailTransport } from './mail-transport.js';
import { isPermanentSmtpError } from './mail-transport.js';
import type { ClaimedMail, Outbox, OutboxChannel } from './outbox.js';
import { isPermanentSmsError, type SmsProvider } from './sms-provider.js';

/** The timer the worker waits on; tests pass none and call runOnce themselves. */
export interface WorkerTimers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const systemTimers: WorkerTimers = {
  set: (run, ms) => setTimeout(run, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RunResult {
  sent: number;
  retrying: number;
  failed: number;
  /** Written to the log because no SMTP server is configured. */
  logged: number;
}

/**
 * Delivers the outbox. With an SMTP transport: claims due e-mail (a lease each), sends them one
 * by one and marks each sent, or schedules it again with exponential backoff; text messages (kinds
 * sms:…) go the same way through the SMS provider when there is one. A crash between acceptance
 * and the mark leaves the message claimed; when the lease runs out it is sent again (at least once,
 * never lost). Without a transport no e-mail leaves: each new message is written to the log at
 * info, once, and stays readable at /admin/outbox.
 */
export function createOutboxWorker(deps: {
  outbox: Outbox;
  transport: MailTransport | null;
  /** Text messages (kinds sms:…) go through it with the same leases and retries; null: they stay in the outbox. */
  sms?: SmsProvider | null;
  log: FastifyBaseLogger;
  everyMs?: number;
  batch?: number;
  timers?: WorkerTimers;
  /** Whether this server delivers now (several servers: the one running the periodic work); default always. */
  mayRun?: () => boolean;
}) {
  const { outbox, transport, log } = deps;
  const everyMs = deps.everyMs ?? 5_000;
  const batch = deps.batch ?? 20;
  const timers = deps.timers ?? systemTimers;
  const mayRun = deps.mayRun ?? (() => true);
  let handle: unknown = null;
  let running: Promise<RunResult> | null = null;
  let stopped = true;

  /** Sends the due messages of one channel: each claimed with a lease, marked sent, or retried with backoff. */
  async function deliverChannel(
    channel: OutboxChannel,
    send: (row: ClaimedMail['row']) => Promise<void>,
    permanent: (error: unknown) => boolean,
    result: RunResult,
  ): Promise<void> {
    for (const claimed of await outbox.claim(batch, channel)) {
      try {
        await send(claimed.row);
      } catch (error) {
        const outcome = await outbox.markFailed(claimed, error instanceof Error ? error.message : String(error), permanent(error));
        log.warn(
          { outboxId: claimed.row.id, channel, attempts: claimed.row.attempts, outcome, err: error },
          `${channel === 'sms' ? 'text message' : 'e-mail'} not delivered`,
        );
        if (outcome === 'failed') result.failed++;
        else result.retrying++;
        continue;
      }
      if (await outbox.markSent(claimed)) result.sent++;
    }
  }

  async function deliver(): Promise<RunResult> {
    const result: RunResult = { sent: 0, retrying: 0, failed: 0, logged: 0 };
    if (!transport) {
      for (const row of await outbox.takeUnlogged(batch)) {
        log.info(
          { outboxId: row.id, kind: row.kind, to: row.recipient, subject: row.subject, text: row.textBody },
          'e-mail kept in the outbox (no SMTP_URL): readable at /admin/outbox',
        );
        result.logged++;
      }
    } else {
      await deliverChannel('email', (row) => transport.send(row), isPermanentSmtpError, result);
    }
    if (deps.sms) await deliverChannel('sms', (row) => deps.sms!.send(row), isPermanentSmsError, result);
    return result;
  }

  /** One pass; a pass already running is joined rather than doubled. */
  function runOnce(): Promise<RunResult> {
    running ??= deliver().finally(() => {
      running = null;
    });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    handle = timers.set(() => {
      // Claims keep two servers from sending one message twice; one server delivering keeps them from racing for every batch.
      (mayRun() ? runOnce() : Promise.resolve()).catch((error: unknown) => log.error({ err: error }, 'outbox worker pass failed')).finally(schedule);
    }, everyMs);
  }

  return {
    runOnce,
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    /** Stops scheduling and waits for a pass in flight (a message being sent is marked before this resolves). */
    async stop(): Promise<void> {
      stopped = true;
      if (handle !== null) timers.clear(handle);
      handle = null;
      await running?.catch(() => undefined);
      transport?.close();
    },
  };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
