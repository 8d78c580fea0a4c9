import type { CurrentUser } from '../accounts/session-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { translatorFor } from '../i18n/i18n.js';
import { formatFen } from '../money.js';
import type { Order } from '../orders/index.js';
import { formatDate, formatDateTime, periodOf } from '../time.js';
import type { MailPreferences } from './mail-preferences.js';
import { renderMail } from './mail-render.js';
import type { Outbox } from './outbox.js';

/** A coordinator as the digest sees them: whom to write to and which projects they see. */
export interface DigestCoordinator {
  id: number;
  email: string;
  displayName: string;
  allProjects: boolean;
  projectIds: number[];
}

/** The hour of the day (China Standard Time) from which the day's digest goes out. */
export const DIGEST_HOUR_CST = 8;
/** At most this many transfers are listed one by one; the count and sum cover them all. */
const LISTED_TRANSFERS = 20;

export interface CoordinatorDigestDeps {
  db: Database_;
  clock: Clock;
  outbox: Outbox;
  preferences: MailPreferences;
  publicUrl: string;
  coordinators(): Promise<DigestCoordinator[]>;
  /** Unpaid bank-transfer orders the coordinator may see (the orders service's pendingOffline). */
  pendingTransfers(actor: CurrentUser): Promise<Order[]>;
  /** The month's reconciliation: how many mismatches and how many have no note yet. */
  mismatches(period: string): Promise<{ count: number; unexplained: number }>;
}

/**
 * The coordinators' daily digest: the bank transfers waiting for them to confirm, and (for a
 * coordinator of all projects, who reconciles the shop's money) the month's mismatches. Run by the
 * periodic sweep; each coordinator gets at most one per day (CST) from DIGEST_HOUR_CST on: the
 * outbox's dedupe key "coordinator_digest:<day>:<user>" makes that hold across restarts and
 * servers, and the day remembered here spares the sweeps after it the reading. A coordinator with
 * nothing to do gets nothing; the digest is a notice they may turn off.
 */
export function createCoordinatorDigest(deps: CoordinatorDigestDeps) {
  const { clock, outbox, preferences } = deps;
  let doneFor: string | null = null;

  async function send(day: string): Promise<number> {
    const now = clock();
    const period = periodOf(now);
    let mismatches: { count: number; unexplained: number } | null = null;
    let written = 0;
    for (const c of await deps.coordinators()) {
      const actor: CurrentUser = { ...c, role: 'coordinator', villageIds: [] };
      const transfers = await deps.pendingTransfers(actor);
      if (c.allProjects) mismatches ??= await deps.mismatches(period);
      const shown = c.allProjects ? mismatches : null;
      if (transfers.length === 0 && (shown === null || shown.count === 0)) continue;
      const wrote = await deps.db.uow.write(function* (tx) {
        if (yield* preferences.noticesOffIn(tx, c.id)) return false;
        const locale = yield* preferences.localeOf(tx, c.id);
        const t = translatorFor(locale);
        const totalFen = transfers.reduce((a, o) => a + o.totalFen, 0);
        const paragraphs = [
          transfers.length ? t('mail.digest.transfers', { count: transfers.length, amount: formatFen(totalFen) }) : t('mail.digest.noTransfers'),
        ];
        const facts = transfers.slice(0, LISTED_TRANSFERS).map((o) => ({
          label: o.number,
          value: t('mail.digest.transferLine', { amount: formatFen(o.totalFen), placed: formatDateTime(o.createdAt), expires: formatDateTime(o.expiresAt) }),
        }));
        const after = shown
          ? [
              shown.count
                ? t('mail.digest.mismatches', { period, count: shown.count, unexplained: shown.unexplained })
                : t('mail.digest.noMismatches', { period }),
              t('mail.digest.reconciliation', { url: `${deps.publicUrl}/coordinator/reconciliation?period=${period}` }),
            ]
          : [];
        yield* outbox.add(
          tx,
          renderMail({
            kind: 'coordinator_digest',
            to: c.email,
            locale,
            dedupeKey: `coordinator_digest:${day}:${c.id}`,
            subject: t('mail.digest.subject', { date: day, transfers: transfers.length, mismatches: shown?.count ?? 0 }),
            greeting: t('mail.greeting', { name: c.displayName }),
            paragraphs,
            facts,
            action: { label: t('mail.digest.openTransfers'), url: `${deps.publicUrl}/coordinator` },
            after,
            unsubscribe: preferences.linksFor(c.id),
          }),
        );
        return true;
      });
      if (wrote) written++;
    }
    return written;
  }

  return {
    /**
     * Writes today's digests if it is time and they were not yet written by this process; returns
     * how many were written (a replay of the day, e.g. on another server, writes none: dedupe key).
     */
    async runDue(): Promise<number> {
      const now = clock();
      const day = formatDate(now);
      if (doneFor === day || new Date(now + 8 * 3600_000).getUTCHours() < DIGEST_HOUR_CST) return 0;
      const written = await send(day);
      doneFor = day;
      return written;
    },
  };
}

export type CoordinatorDigest = ReturnType<typeof createCoordinatorDigest>;
