import { createHash, randomBytes } from 'node:crypto';
import { and, count, eq, gt, isNull, lt } from 'drizzle-orm';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import type { Locale } from '../i18n/i18n.js';
import type { AccountMail } from './account-mail.js';
import { updatePassword, userByEmail, userById } from './accounts-queries.js';
import { normaliseEmail } from './accounts-service.js';
import { hashPassword } from './password.js';
import { passwordResets } from './schema.js';
import { deleteSessionsOfUser } from './session-queries.js';

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
  deps: {
    clock: Clock;
    audit: AuditService;
    mail: AccountMail;
    link: (token: string) => string;
    /** The language of the person's e-mail: a step of the unit of work that sends it. */
    localeOf: (tx: Tx, userId: number) => Query<Locale>;
  },
) {
  const { clock, audit } = deps;

  function* issue(tx: Tx, user: { id: number; email: string; displayName: string }, locale: Locale, byAdmin: boolean, now: number): Query<void> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + PASSWORD_RESET.linkMs;
    yield* run(tx.insert(passwordResets).values({ email: user.email, userId: user.id, tokenHash: sha256(token), createdAt: now, expiresAt }));
    yield* deps.mail.send(tx, { kind: 'password_reset', to: user.email, locale, displayName: user.displayName, link: deps.link(token), expiresAt, byAdmin });
  }

  /** The reset behind a link that still works, or "not found". */
  function* open(tx: Tx, token: string) {
    const row =
      token.length > 0 && token.length <= 100
        ? yield* one(
            tx
              .select()
              .from(passwordResets)
              .where(eq(passwordResets.tokenHash, sha256(token))),
          )
        : undefined;
    if (!row || row.userId === null || row.usedAt !== null || row.expiresAt <= clock()) throw new AppError('not_found', 'reset_link_invalid');
    const user = yield* userById(tx, row.userId);
    if (!user || user.disabled) throw new AppError('not_found', 'reset_link_invalid');
    return { row, user };
  }

  return {
    /** Someone forgot their password. Never says whether `email` has an account. */
    request(email: string, locale: Locale): Promise<void> {
      const address = normaliseEmail(email).slice(0, 254);
      return db.uow.write(function* (tx) {
        const now = clock();
        const recent =
          (yield* one(
            tx
              .select({ n: count() })
              .from(passwordResets)
              .where(and(eq(passwordResets.email, address), gt(passwordResets.createdAt, now - PASSWORD_RESET.windowMs))),
          ))?.n ?? 0;
        if (recent >= PASSWORD_RESET.maxRequestsPerWindow) return;
        const user = yield* userByEmail(tx, address);
        if (!user || user.disabled) {
          yield* run(tx.insert(passwordResets).values({ email: address, userId: null, tokenHash: null, createdAt: now, expiresAt: now }));
          return;
        }
        yield* issue(tx, user, locale, false, now);
      });
    },

    /** An admin sends a staff account a link (the admin never learns or sets the password). */
    sendByAdmin: (actorId: number, userId: number, address: string | null): Promise<string> =>
      db.uow.write(function* (tx) {
        const user = yield* userById(tx, userId);
        if (!user) throw new AppError('not_found', 'user_not_found');
        if (user.role === 'buyer' || user.disabled) throw new AppError('conflict', 'reset_staff_only');
        yield* issue(tx, user, yield* deps.localeOf(tx, user.id), true, clock());
        yield* audit.add(tx, { userId: actorId, action: 'user.password_reset_sent', entityType: 'user', entityId: user.id, address });
        return user.email;
      }),

    /** The account a working link resets (its e-mail, for the page), or "not found". */
    emailFor: (token: string): Promise<string> =>
      db.uow.read(function* (tx) {
        return (yield* open(tx, token)).user.email;
      }),

    /** Sets the new password through a link, once: the link and every other open one stop working, every session ends. */
    async reset(token: string, password: string, address: string | null): Promise<void> {
      await db.uow.read((tx) => open(tx, token));
      const hash = await hashPassword(password);
      await db.uow.write(function* (tx) {
        const { row, user } = yield* open(tx, token); // again, after the slow hash: a parallel use may have won
        const now = clock();
        const used = yield* run(
          tx
            .update(passwordResets)
            .set({ usedAt: now })
            .where(and(eq(passwordResets.id, row.id), isNull(passwordResets.usedAt))),
        );
        if (used !== 1) throw new AppError('not_found', 'reset_link_invalid');
        yield* run(
          tx
            .update(passwordResets)
            .set({ usedAt: now })
            .where(and(eq(passwordResets.userId, user.id), isNull(passwordResets.usedAt))),
        );
        yield* updatePassword(tx, user.id, hash, now);
        yield* deleteSessionsOfUser(tx, user.id, null);
        yield* audit.add(tx, { userId: user.id, action: 'user.password_reset', entityType: 'user', entityId: user.id, address });
      });
    },

    /** Housekeeping: forgets requests older than a day (their links expired long ago). */
    prune: (): Promise<void> =>
      db.uow.write(function* (tx) {
        yield* run(tx.delete(passwordResets).where(lt(passwordResets.createdAt, clock() - 24 * 3600_000)));
      }),
  };
}

export type PasswordResets = ReturnType<typeof createPasswordResets>;
