import { createHash, randomBytes } from 'node:crypto';
import { and, count, eq, gt, isNull, lt } from 'drizzle-orm';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import type { Locale } from '../i18n/i18n.js';
import type { AccountMail } from './account-mail.js';
import type { AccountsQueries } from './accounts-queries.js';
import { normaliseEmail } from './accounts-service.js';
import { hashPassword } from './password.js';
import { passwordResets } from './schema.js';

/** "Forgot password": how long a link works, and how many requests one address may make in a window. */
export const PASSWORD_RESET = {
  linkMs: 3600_000,
  windowMs: 3600_000,
  maxRequestsPerWindow: 3,
} as const;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Password resets by e-mail. A request gets the same answer, after the same work, whether or not
 * the address has an account (a row is written either way, which is also what the throttle
 * counts); only an existing, enabled account is sent a link. The link's secret is stored as its
 * SHA-256, works once and for an hour, and using it ends every session of the account.
 */
export function createPasswordResets(
  db: Database_,
  queries: AccountsQueries,
  deps: { clock: Clock; audit: AuditService; mail: AccountMail; link: (token: string) => string; localeOf: (userId: number) => Locale },
) {
  const { orm } = db;
  const { clock, audit } = deps;

  function issue(user: { id: number; email: string; displayName: string }, locale: Locale, byAdmin: boolean, now: number): void {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + PASSWORD_RESET.linkMs;
    orm
      .insert(passwordResets)
      .values({ email: user.email, userId: user.id, tokenHash: sha256(token), createdAt: now, expiresAt })
      .run();
    deps.mail.send({ kind: 'password_reset', to: user.email, locale, displayName: user.displayName, link: deps.link(token), expiresAt, byAdmin });
  }

  /** The reset behind a link that still works, or "not found". */
  function open(token: string) {
    const row =
      token.length > 0 && token.length <= 100
        ? orm
            .select()
            .from(passwordResets)
            .where(eq(passwordResets.tokenHash, sha256(token)))
            .get()
        : undefined;
    if (!row || row.userId === null || row.usedAt !== null || row.expiresAt <= clock()) throw new AppError('not_found', 'reset_link_invalid');
    const user = queries.userById(row.userId);
    if (!user || user.disabled) throw new AppError('not_found', 'reset_link_invalid');
    return { row, user };
  }

  return {
    /** Someone forgot their password. Never says whether `email` has an account. */
    request(email: string, locale: Locale): void {
      const address = normaliseEmail(email).slice(0, 254);
      queries.transaction(() => {
        const now = clock();
        const recent =
          orm
            .select({ n: count() })
            .from(passwordResets)
            .where(and(eq(passwordResets.email, address), gt(passwordResets.createdAt, now - PASSWORD_RESET.windowMs)))
            .get()?.n ?? 0;
        if (recent >= PASSWORD_RESET.maxRequestsPerWindow) return;
        const user = queries.userByEmail(address);
        if (!user || user.disabled) {
          orm.insert(passwordResets).values({ email: address, userId: null, tokenHash: null, createdAt: now, expiresAt: now }).run();
          return;
        }
        issue(user, locale, false, now);
      });
    },

    /** An admin sends a staff account a link (the admin never learns or sets the password). */
    sendByAdmin(actorId: number, userId: number, address: string | null): string {
      return queries.transaction(() => {
        const user = queries.userById(userId);
        if (!user) throw new AppError('not_found', 'user_not_found');
        if (user.role === 'buyer' || user.disabled) throw new AppError('conflict', 'reset_staff_only');
        issue(user, deps.localeOf(user.id), true, clock());
        audit.record({ userId: actorId, action: 'user.password_reset_sent', entityType: 'user', entityId: user.id, address });
        return user.email;
      });
    },

    /** The account a working link resets (its e-mail, for the page), or "not found". */
    emailFor(token: string): string {
      return open(token).user.email;
    },

    /** Sets the new password through a link, once: the link and every other open one stop working, every session ends. */
    async reset(token: string, password: string, address: string | null): Promise<void> {
      open(token);
      const hash = await hashPassword(password);
      queries.transaction(() => {
        const { row, user } = open(token); // again, after the slow hash: a parallel use may have won
        const now = clock();
        const used = orm
          .update(passwordResets)
          .set({ usedAt: now })
          .where(and(eq(passwordResets.id, row.id), isNull(passwordResets.usedAt)))
          .run();
        if (used.changes !== 1) throw new AppError('not_found', 'reset_link_invalid');
        orm
          .update(passwordResets)
          .set({ usedAt: now })
          .where(and(eq(passwordResets.userId, user.id), isNull(passwordResets.usedAt)))
          .run();
        queries.updatePassword(user.id, hash, now);
        queries.deleteSessionsOfUser(user.id, null);
        audit.record({ userId: user.id, action: 'user.password_reset', entityType: 'user', entityId: user.id, address });
      });
    },

    /** Housekeeping: forgets requests older than a day (their links expired long ago). */
    prune(): void {
      orm
        .delete(passwordResets)
        .where(lt(passwordResets.createdAt, clock() - 24 * 3600_000))
        .run();
    },
  };
}

export type PasswordResets = ReturnType<typeof createPasswordResets>;
