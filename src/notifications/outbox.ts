import { randomBytes } from 'node:crypto';
import { and, asc, count, desc, eq, getTableColumns, inArray, isNull, like, lte, min, notLike, or, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import type { Locale } from '../i18n/i18n.js';
import { outboxMessages, type OutboxStatus } from './schema.js';

/** One e-mail, rendered, as it is written to the outbox. */
export interface OutgoingMail {
  /** What it reports (order_placed, password_reset …): for the admin's list and the tests. */
  kind: string;
  to: string;
  locale: Locale;
  subject: string;
  text: string;
  html: string;
  /** Extra headers (List-Unsubscribe for mail that is not transactional). */
  headers?: Record<string, string>;
  /** False for notices the recipient may turn off. */
  transactional?: boolean;
  /** At most one message per key (the event's own key: "order_paid:42:buyer"): a replay writes nothing. */
  dedupeKey?: string;
}

export type OutboxRow = typeof outboxMessages.$inferSelect;

/** A message a worker holds for delivery: the lease token proves the hold when it reports back. */
export interface ClaimedMail {
  row: OutboxRow;
  leaseToken: string;
}

/** How delivery retries: the wait doubles from `baseDelayMs` up to `maxDelayMs`; after `maxAttempts` the message is failed. */
export const DELIVERY = {
  baseDelayMs: 30_000,
  maxDelayMs: 6 * 3600_000,
  maxAttempts: 10,
  /** A claim lasts this long; a worker that died holding one loses it then. */
  leaseMs: 5 * 60_000,
} as const;

/** The wait before attempt n+1 after n failed attempts (n ≥ 1): 30 s, 1 min, 2 min … at most 6 h. */
export const retryDelayMs = (attempts: number) => Math.min(DELIVERY.baseDelayMs * 2 ** Math.max(0, attempts - 1), DELIVERY.maxDelayMs);

export const OUTBOX_PAGE_SIZE = 50;

/**
 * Kinds of text messages (to a mobile number): claimed only for the SMS provider (sms-provider.ts),
 * never for SMTP. Without a provider (SMS_API_URL unset) they stay pending in the outbox, readable
 * at /admin/outbox.
 */
export const SMS_KIND_PREFIX = 'sms:';

/** Which messages a claim takes: e-mail for the SMTP transport, text messages for the SMS provider. */
export type OutboxChannel = 'email' | 'sms';

/**
 * The transactional outbox. `add(tx, mail)` writes a message as a step of the unit of work that
 * makes the change the message reports, so a change that rolls back leaves no message (there is
 * no way to write one outside a unit of work). The worker (outbox-worker.ts)
 * claims due messages with a lease, sends them and marks them sent.
 */
export function createOutbox(db: Database_, deps: { clock: Clock }) {
  const { clock } = deps;

  function* add(tx: Tx, mail: OutgoingMail): Query<void> {
    const now = clock();
    yield* run(
      tx
        .insert(outboxMessages)
        .values({
          kind: mail.kind,
          recipient: mail.to.trim().toLowerCase(),
          locale: mail.locale,
          subject: mail.subject,
          textBody: mail.text,
          htmlBody: mail.html,
          headers: JSON.stringify(mail.headers ?? {}),
          transactional: mail.transactional ?? true,
          dedupeKey: mail.dedupeKey ?? null,
          nextAttemptAt: now,
          createdAt: now,
        })
        .onConflictDoNothing(),
    );
  }

  return {
    /** Writes a message as part of the caller's unit of work (one per dedupe key: a replay writes nothing). */
    add,

    /**
     * Takes up to `limit` due messages for delivery: each gets a fresh lease token and an attempt
     * counted, in one write transaction, so two workers never hold the same message at once.
     */
    claim: (limit: number, channel: OutboxChannel = 'email'): Promise<ClaimedMail[]> =>
      db.uow.write(function* (tx) {
        const now = clock();
        const due = yield* all(
          tx
            .select()
            .from(outboxMessages)
            .where(
              and(
                eq(outboxMessages.status, 'pending'),
                channel === 'sms' ? like(outboxMessages.kind, `${SMS_KIND_PREFIX}%`) : notLike(outboxMessages.kind, `${SMS_KIND_PREFIX}%`),
                lte(outboxMessages.nextAttemptAt, now),
                or(isNull(outboxMessages.leaseUntil), lte(outboxMessages.leaseUntil, now)),
              ),
            )
            .orderBy(asc(outboxMessages.nextAttemptAt), asc(outboxMessages.id))
            .limit(limit),
        );
        const claimed: ClaimedMail[] = [];
        for (const row of due) {
          const leaseToken = randomBytes(12).toString('base64url');
          const leaseUntil = now + DELIVERY.leaseMs;
          yield* run(
            tx
              .update(outboxMessages)
              .set({ leaseUntil, leaseToken, attempts: sql`${outboxMessages.attempts} + 1` })
              .where(eq(outboxMessages.id, row.id)),
          );
          claimed.push({ row: { ...row, attempts: row.attempts + 1, leaseToken, leaseUntil }, leaseToken });
        }
        return claimed;
      }),

    /** The SMTP server (or SMS provider) took the message: it is done. False when the lease was lost (another worker took it). */
    markSent: (claimed: ClaimedMail): Promise<boolean> =>
      db.uow.write(function* (tx) {
        const changed = yield* run(
          tx
            .update(outboxMessages)
            .set({ status: 'sent', sentAt: clock(), leaseUntil: null, leaseToken: null, lastError: null })
            .where(and(eq(outboxMessages.id, claimed.row.id), eq(outboxMessages.leaseToken, claimed.leaseToken), eq(outboxMessages.status, 'pending'))),
        );
        return changed === 1;
      }),

    /** Delivery failed: tried again after the backoff, or failed for good after the last attempt (or at once when `permanent`). */
    markFailed: (claimed: ClaimedMail, error: string, permanent: boolean): Promise<'retry' | 'failed'> =>
      db.uow.write(function* (tx) {
        const giveUp = permanent || claimed.row.attempts >= DELIVERY.maxAttempts;
        yield* run(
          tx
            .update(outboxMessages)
            .set({
              status: giveUp ? 'failed' : 'pending',
              nextAttemptAt: clock() + retryDelayMs(claimed.row.attempts),
              leaseUntil: null,
              leaseToken: null,
              lastError: error.slice(0, 500),
            })
            .where(and(eq(outboxMessages.id, claimed.row.id), eq(outboxMessages.leaseToken, claimed.leaseToken))),
        );
        return giveUp ? 'failed' : 'retry';
      }),

    /** Messages not yet written to the log (no SMTP server configured), marked as logged once returned. */
    takeUnlogged: (limit: number): Promise<OutboxRow[]> =>
      db.uow.write(function* (tx) {
        const rows = yield* all(
          tx
            .select()
            .from(outboxMessages)
            .where(and(eq(outboxMessages.status, 'pending'), isNull(outboxMessages.loggedAt)))
            .orderBy(asc(outboxMessages.id))
            .limit(limit),
        );
        if (rows.length) {
          const now = clock();
          yield* run(
            tx
              .update(outboxMessages)
              .set({ loggedAt: now })
              .where(
                inArray(
                  outboxMessages.id,
                  rows.map((r) => r.id),
                ),
              ),
          );
        }
        return rows;
      }),

    /** Messages waiting for delivery and the creation time of the oldest (for the metrics). */
    backlog: (): Promise<{ pending: number; failed: number; oldestPendingAt: number | null }> =>
      db.uow.read(function* (tx) {
        const pending = yield* one(
          tx
            .select({ n: count(), oldest: min(outboxMessages.createdAt) })
            .from(outboxMessages)
            .where(eq(outboxMessages.status, 'pending')),
        );
        const failed = yield* one(tx.select({ n: count() }).from(outboxMessages).where(eq(outboxMessages.status, 'failed')));
        return { pending: pending?.n ?? 0, failed: failed?.n ?? 0, oldestPendingAt: pending?.oldest ?? null };
      }),

    /** One page of messages, newest first, optionally of one status. */
    list: (page: number, status?: OutboxStatus): Promise<{ rows: Omit<OutboxRow, 'textBody' | 'htmlBody'>[]; total: number }> =>
      db.uow.read(function* (tx) {
        const where = status ? eq(outboxMessages.status, status) : undefined;
        const { textBody: _t, htmlBody: _h, ...columns } = getTableColumns(outboxMessages);
        const rows = yield* all(
          tx
            .select(columns)
            .from(outboxMessages)
            .where(where)
            .orderBy(desc(outboxMessages.id))
            .limit(OUTBOX_PAGE_SIZE)
            .offset((page - 1) * OUTBOX_PAGE_SIZE),
        );
        const total = (yield* one(tx.select({ n: count() }).from(outboxMessages).where(where)))?.n ?? 0;
        return { rows, total };
      }),

    byId: (id: number): Promise<OutboxRow | undefined> => db.uow.read((tx) => one(tx.select().from(outboxMessages).where(eq(outboxMessages.id, id)))),
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
