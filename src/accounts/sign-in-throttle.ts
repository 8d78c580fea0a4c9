import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import {
  accountFailures,
  accountsUnderAttack,
  addressesUnderSuspicion,
  addressFailures,
  clearDeviceFailures,
  clearPairFailures,
  deleteAttempt,
  deviceFailures,
  insertAttempt,
  pairFailures,
  passwordChangeFailures,
  pruneLoginFailures,
  type FailureStats,
  type SignInAttemptKind,
} from './accounts-queries.js';

/**
 * Sign-in throttling after OWASP's guidance (Authentication Cheat Sheet; "Slow Down Online
 * Guessing Attacks with Device Cookies"): nobody is locked out outright, guessers are slowed.
 *
 * - A browser the account does not know is throttled per account and address pair, per account
 *   (every address together) and per address (every account together). Each throttle lets
 *   `free` failures through, then makes the next attempt wait after the last failure: one minute,
 *   doubling with every further failure, up to an hour.
 * - A browser that signed in to the account before carries a signed device cookie: it passes those
 *   three throttles, so neither someone guessing from elsewhere nor a shared address can keep the
 *   owner out. Its own failures are counted, and after `deviceFailures` of them within the window
 *   it is treated as a browser the account does not know.
 * - Failures are remembered for `windowMs` (in the database, so every app server sees them).
 *
 * What this gives (stated in README, "Sign-in throttling"; an attacker guessing as fast as allowed):
 * at most 48 guesses per account on the first day however many addresses they use, about 26 a day
 * after that (the account throttle); from one address, 33 and then 24 a day per account, and 78 and
 * then about 56 a day over all accounts. A person who signed in from this browser before is never
 * slowed by these throttles; one on a new browser is slowed only while their account (or their
 * address) is being guessed from, by the wait shown to them, never more than an hour.
 */
export interface ThrottleRule {
  /** Failures let through without a wait. */
  free: number;
  /** The wait after failure number `free`, ms; it doubles with each failure after. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const LOGIN_THROTTLE = {
  windowMs: 24 * 3600_000,
  pair: { free: 5, firstDelayMs: 60_000, maxDelayMs: 3600_000 },
  account: { free: 20, firstDelayMs: 60_000, maxDelayMs: 3600_000 },
  address: { free: 50, firstDelayMs: 60_000, maxDelayMs: 3600_000 },
  /** Failures through one device cookie after which it is no longer trusted (within the window). */
  deviceFailures: 5,
  /** Wrong current passwords on the password-change form, within one session, after which every session of the account ends. */
  passwordChangeGuesses: 5,
} as const satisfies Record<string, unknown>;

/** The wait after the last of `failures` failures (0 while they are within the free ones). */
export function delayAfter(failures: number, rule: ThrottleRule): number {
  if (failures < rule.free) return 0;
  return Math.min(rule.maxDelayMs, rule.firstDelayMs * 2 ** Math.min(failures - rule.free, 30));
}

/** How long an attempt must still wait under one rule, ms. */
export function waitUnder(stats: FailureStats, rule: ThrottleRule, now: number): number {
  if (stats.count === 0 || stats.lastAt === null) return 0;
  return Math.max(0, stats.lastAt + delayAfter(stats.count, rule) - now);
}

/** Until when new attempts are slowed (null when they are not). */
function slowedUntil(failures: number, lastAt: number, rule: ThrottleRule, now: number): number | null {
  const until = lastAt + delayAfter(failures, rule);
  return until > now ? until : null;
}

/** One password check, as the throttle sees it. */
export interface Attempt {
  /** Normalised, whether or not an account has it. */
  email: string;
  address: string;
  /** The trusted device cookie's hash; null for a browser the account does not know. */
  deviceHash: string | null;
  kind: SignInAttemptKind;
}

export interface ThrottleLog {
  warn(details: Record<string, unknown>, message: string): void;
}

export function createSignInThrottle(db: Database_, deps: { clock: Clock; log: ThrottleLog }) {
  const { clock } = deps;
  const since = (now: number) => now - LOGIN_THROTTLE.windowMs;

  /** The longest wait the untrusted throttles ask of this attempt, ms. */
  function* waitFor(tx: Tx, attempt: Attempt, now: number): Query<number> {
    if (attempt.deviceHash !== null) return 0;
    const from = since(now);
    return Math.max(
      waitUnder(yield* pairFailures(tx, attempt.email, attempt.address, from), LOGIN_THROTTLE.pair, now),
      waitUnder(yield* accountFailures(tx, attempt.email, from), LOGIN_THROTTLE.account, now),
      waitUnder(yield* addressFailures(tx, attempt.address, from), LOGIN_THROTTLE.address, now),
    );
  }

  return {
    /** Whether a device cookie's own failures still leave it trusted. */
    deviceTrusted: (deviceHash: string): Promise<boolean> =>
      db.uow.read(function* (tx) {
        return (yield* deviceFailures(tx, deviceHash, since(clock()))) < LOGIN_THROTTLE.deviceFailures;
      }),

    /**
     * Refuses the attempt (429, with the minutes to wait) while a throttle asks it to wait; otherwise
     * records it as a failure before the password is checked, in one write transaction (IMMEDIATE on
     * SQLite), so guesses arriving at the same moment cannot all pass. Returns the record, removed on success.
     */
    begin: (attempt: Attempt): Promise<number> =>
      db.uow.write(function* (tx) {
        const now = clock();
        const wait = yield* waitFor(tx, attempt, now);
        if (wait > 0) throw new AppError('too_many_requests', 'login_throttled', undefined, { params: { minutes: Math.ceil(wait / 60_000) } });
        return yield* insertAttempt(tx, { ...attempt, at: now });
      }),

    /** The password was right: the attempt was no failure, and the pair and the device start afresh. */
    succeeded: (id: number, attempt: Attempt): Promise<void> =>
      db.uow.write(function* (tx) {
        yield* deleteAttempt(tx, id);
        if (attempt.deviceHash === null) yield* clearPairFailures(tx, attempt.email, attempt.address);
        else yield* clearDeviceFailures(tx, attempt.deviceHash);
      }),

    /** The password was wrong (its record stays). Logs when an account or an address starts being slowed. */
    async failed(attempt: Attempt, userId: number | null): Promise<void> {
      if (attempt.deviceHash !== null) return;
      const from = since(clock());
      const [account, address] = await db.uow.read(function* (tx) {
        return [yield* accountFailures(tx, attempt.email, from), yield* addressFailures(tx, attempt.address, from)] as const;
      });
      if (userId !== null && account.count === LOGIN_THROTTLE.account.free) {
        deps.log.warn({ userId, failures: LOGIN_THROTTLE.account.free }, 'sign-in: account under attack; browsers it does not know are slowed');
      }
      if (address.count === LOGIN_THROTTLE.address.free) {
        deps.log.warn({ address: attempt.address, failures: LOGIN_THROTTLE.address.free }, 'sign-in: address failing sign-ins; it is slowed');
      }
    },

    /** Wrong current passwords given on the password-change form for an account from `from` on (within the window). */
    passwordGuessesSince: (email: string, from: number): Promise<number> =>
      db.uow.read((tx) => passwordChangeFailures(tx, email, Math.max(from, since(clock()) + 1))),

    /** What the admin's security page shows: accounts being guessed at, and addresses failing often. */
    underAttack: () =>
      db.uow.read(function* (tx) {
        const now = clock();
        const from = since(now);
        const accounts = yield* accountsUnderAttack(tx, from, LOGIN_THROTTLE.pair.free, 50);
        const addresses = yield* addressesUnderSuspicion(tx, from, LOGIN_THROTTLE.pair.free * 2, 50);
        return {
          accounts: accounts.map((a) => ({ ...a, slowedUntil: slowedUntil(a.failures, a.lastAt, LOGIN_THROTTLE.account, now) })),
          addresses: addresses.map((a) => ({ ...a, slowedUntil: slowedUntil(a.failures, a.lastAt, LOGIN_THROTTLE.address, now) })),
        };
      }),

    /** Housekeeping: forgets failures older than the window. */
    prune: (): Promise<void> => db.uow.write((tx) => pruneLoginFailures(tx, since(clock()))),
  };
}

export type SignInThrottle = ReturnType<typeof createSignInThrottle>;
