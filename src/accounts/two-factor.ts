import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { generateSecret, generateURI, verifySync } from 'otplib';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import { type Role, staffRecoveryCodes, staffTotp } from './schema.js';

/** How two-factor sign-in is checked and throttled. */
export const TWO_FACTOR = {
  /** A code of the step before or after the current one is accepted too (a phone's clock a little off). */
  toleranceSeconds: 30,
  /** Wrong codes in a row before the account's codes are not checked for `lockMs`. */
  maxFailures: 5,
  lockMs: 15 * 60_000,
  recoveryCodes: 10,
  /** How long a correct password waits for its code before the person starts again. */
  pendingMs: 5 * 60_000,
} as const;

/** Staff roles may turn two-factor sign-in on; buyers sign in with a password (and their e-mail). */
export const TWO_FACTOR_ROLES: readonly Role[] = ['first_secretary', 'coordinator', 'admin', 'outlet_staff'];
/** The roles that must use it when the operator says so (TWO_FACTOR_REQUIRED=true). */
export const TWO_FACTOR_REQUIRED_ROLES: readonly Role[] = ['admin', 'coordinator'];

export type TwoFactorStatus = 'off' | 'pending' | 'on';

const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const recoveryCode = () => {
  const chars = [...randomBytes(10)].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
};
/** What a person types is compared without case, spaces or dashes. */
const normaliseRecovery = (code: string) => code.toUpperCase().replace(/[\s-]/g, '');
const hashRecovery = (code: string) =>
  createHash('sha256')
    .update(`xiangyi recovery:${normaliseRecovery(code)}`)
    .digest('hex');

/**
 * TOTP two-factor sign-in for staff (otplib, RFC 6238): enrolment shows a QR code of the secret
 * and is confirmed with a first code, which also gives ten one-time recovery codes (kept hashed);
 * from then on a correct password is followed by a code. Each code is accepted once (its time
 * step is kept), and after TWO_FACTOR.maxFailures wrong ones no code is checked for
 * TWO_FACTOR.lockMs. The secret is sealed with AES-256-GCM under a key derived from the
 * application secret, so a copy of the database alone does not give the codes away.
 */
export function createTwoFactor(db: Database_, deps: { clock: Clock; secret: string; audit: AuditService; issuer: string; required: boolean }) {
  const { clock, audit } = deps;
  const key = createHmac('sha256', deps.secret).update('xiangyi totp secret v1').digest();

  const seal = (plain: string) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  };
  const unseal = (sealed: string) => {
    const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', key, iv!);
    decipher.setAuthTag(tag!);
    return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
  };

  const rowOf = (tx: Tx, userId: number) => one(tx.select().from(staffTotp).where(eq(staffTotp.userId, userId)));
  const statusOf = (row: typeof staffTotp.$inferSelect | undefined): TwoFactorStatus => (!row ? 'off' : row.confirmedAt === null ? 'pending' : 'on');

  /**
   * Checks a code against the account's secret, counting a wrong one; answers the outcome rather
   * than throwing, so the count commits with the unit (a throw would roll it back).
   */
  function* checkCode(tx: Tx, userId: number, code: string, now: number): Query<'ok' | 'wrong' | 'locked' | 'none'> {
    const row = yield* rowOf(tx, userId);
    if (!row) return 'none';
    if (row.lockedUntil !== null && row.lockedUntil > now) return 'locked';
    const token = code.replace(/\s/g, '');
    const result = /^\d{6}$/.test(token)
      ? verifySync({
          secret: unseal(row.sealedSecret),
          token,
          epoch: Math.floor(now / 1000),
          epochTolerance: TWO_FACTOR.toleranceSeconds,
          ...(row.lastTimeStep !== null ? { afterTimeStep: row.lastTimeStep } : {}),
        })
      : { valid: false as const };
    if (result.valid && 'timeStep' in result) {
      yield* run(tx.update(staffTotp).set({ lastTimeStep: result.timeStep, failures: 0, lockedUntil: null }).where(eq(staffTotp.userId, userId)));
      return 'ok';
    }
    yield* wrongCode(tx, row, now);
    return 'wrong';
  }

  function* wrongCode(tx: Tx, row: typeof staffTotp.$inferSelect, now: number): Query<void> {
    const failures = row.failures + 1;
    const lock = failures >= TWO_FACTOR.maxFailures;
    yield* run(
      tx
        .update(staffTotp)
        .set({ failures: lock ? 0 : failures, lockedUntil: lock ? now + TWO_FACTOR.lockMs : row.lockedUntil })
        .where(eq(staffTotp.userId, row.userId)),
    );
  }

  const refusal = (outcome: 'wrong' | 'locked' | 'none', field: string) =>
    outcome === 'locked'
      ? new AppError('too_many_requests', 'two_factor_locked', undefined, { fields: { [field]: 'two_factor_locked' } })
      : new AppError('validation', 'two_factor_wrong_code', undefined, { fields: { [field]: 'two_factor_wrong_code' } });

  return {
    required: deps.required,

    status: (userId: number): Promise<TwoFactorStatus> =>
      db.uow.read(function* (tx) {
        return statusOf(yield* rowOf(tx, userId));
      }),

    /** Whether this person must enrol before anything else (an admin or coordinator while the operator requires it). */
    async mustEnrol(user: { id: number; role: Role }): Promise<boolean> {
      if (!deps.required || !TWO_FACTOR_REQUIRED_ROLES.includes(user.role)) return false;
      return (await this.status(user.id)) !== 'on';
    },

    /**
     * Starts (or shows again) enrolment: an unconfirmed secret, its otpauth:// URI for the QR
     * code and the secret itself for typing in by hand.
     */
    startEnrolment: (user: { id: number; email: string }): Promise<{ secret: string; uri: string }> =>
      db.uow.write(function* (tx) {
        const row = yield* rowOf(tx, user.id);
        if (statusOf(row) === 'on') throw new AppError('conflict', 'two_factor_already_on');
        let secret: string;
        if (row) secret = unseal(row.sealedSecret);
        else {
          secret = generateSecret();
          yield* run(tx.insert(staffTotp).values({ userId: user.id, sealedSecret: seal(secret), createdAt: clock() }));
        }
        return { secret, uri: generateURI({ issuer: deps.issuer, label: user.email, secret }) };
      }),

    /** Confirms enrolment with a first code; answers the recovery codes, shown once. */
    async confirmEnrolment(user: { id: number }, code: string, address: string | null): Promise<string[]> {
      const result = await db.uow.write(function* (tx) {
        const row = yield* rowOf(tx, user.id);
        if (statusOf(row) !== 'pending') throw new AppError('conflict', 'two_factor_not_pending');
        const now = clock();
        const outcome = yield* checkCode(tx, user.id, code, now);
        if (outcome !== 'ok') return { outcome, codes: [] };
        yield* run(tx.update(staffTotp).set({ confirmedAt: now }).where(eq(staffTotp.userId, user.id)));
        const codes = Array.from({ length: TWO_FACTOR.recoveryCodes }, recoveryCode);
        yield* run(tx.delete(staffRecoveryCodes).where(eq(staffRecoveryCodes.userId, user.id)));
        for (const c of codes) yield* run(tx.insert(staffRecoveryCodes).values({ userId: user.id, codeHash: hashRecovery(c), createdAt: now }));
        yield* audit.add(tx, { userId: user.id, action: 'user.two_factor_on', entityType: 'user', entityId: user.id, address });
        return { outcome, codes };
      });
      if (result.outcome !== 'ok') throw refusal(result.outcome, 'code');
      return result.codes;
    },

    /**
     * The second step of a sign-in: a code from the app, or one of the recovery codes (used up).
     * Throws two_factor_wrong_code (422) or two_factor_locked (429).
     */
    async verifySignIn(userId: number, input: { code: string; recoveryCode: string }, address: string | null): Promise<void> {
      const outcome = await db.uow.write(function* (tx) {
        const now = clock();
        if (input.recoveryCode.trim() !== '') {
          const row = yield* rowOf(tx, userId);
          if (!row || row.confirmedAt === null) return 'none' as const;
          if (row.lockedUntil !== null && row.lockedUntil > now) return 'locked' as const;
          const used = yield* run(
            tx
              .update(staffRecoveryCodes)
              .set({ usedAt: now })
              .where(
                and(
                  eq(staffRecoveryCodes.userId, userId),
                  eq(staffRecoveryCodes.codeHash, hashRecovery(input.recoveryCode)),
                  isNull(staffRecoveryCodes.usedAt),
                ),
              ),
          );
          if (used !== 1) {
            yield* wrongCode(tx, row, now);
            return 'wrong' as const;
          }
          yield* run(tx.update(staffTotp).set({ failures: 0, lockedUntil: null }).where(eq(staffTotp.userId, userId)));
          yield* audit.add(tx, { userId, action: 'user.two_factor_recovery_used', entityType: 'user', entityId: userId, address });
          return 'ok' as const;
        }
        return yield* checkCode(tx, userId, input.code, now);
      });
      if (outcome !== 'ok') throw refusal(outcome, input.recoveryCode.trim() !== '' ? 'recoveryCode' : 'code');
    },

    /** Recovery codes not yet used. */
    recoveryCodesLeft: (userId: number): Promise<number> =>
      db.uow.read(function* (tx) {
        return (yield* all(
          tx
            .select({ id: staffRecoveryCodes.id })
            .from(staffRecoveryCodes)
            .where(and(eq(staffRecoveryCodes.userId, userId), isNull(staffRecoveryCodes.usedAt))),
        )).length;
      }),

    /** Turns two-factor sign-in off with a current code; refused while the operator requires it for the role. */
    async turnOff(user: { id: number; role: Role }, code: string, address: string | null): Promise<void> {
      if (deps.required && TWO_FACTOR_REQUIRED_ROLES.includes(user.role)) throw new AppError('forbidden', 'two_factor_required');
      const outcome = await db.uow.write(function* (tx) {
        const outcome = yield* checkCode(tx, user.id, code, clock());
        if (outcome !== 'ok') return outcome;
        yield* run(tx.delete(staffRecoveryCodes).where(eq(staffRecoveryCodes.userId, user.id)));
        yield* run(tx.delete(staffTotp).where(eq(staffTotp.userId, user.id)));
        yield* audit.add(tx, { userId: user.id, action: 'user.two_factor_off', entityType: 'user', entityId: user.id, address });
        return outcome;
      });
      if (outcome !== 'ok') throw refusal(outcome, 'code');
    },
  };
}

export type TwoFactor = ReturnType<typeof createTwoFactor>;
