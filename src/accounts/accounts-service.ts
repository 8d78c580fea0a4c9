import { createHash, randomBytes } from 'node:crypto';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Locale } from '../i18n/i18n.js';
import type { Database_ } from '../db/client.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import type { AccountMail } from './account-mail.js';
import {
  eraseUser,
  existingScopes,
  insertRegistrationRequest,
  insertUser,
  listUsers,
  markRegistrationConfirmed,
  projectIdsOf,
  pruneRegistrationRequests,
  registrationByToken,
  registrationRequestsSince,
  replaceScopes,
  secretariesOfVillage,
  activeCoordinators,
  updatePassword,
  updateUserRole,
  userByEmail,
  userById,
  villageIdsOf,
  type User,
} from './accounts-queries.js';
import type { DeviceClaim } from './device-cookie.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from './password.js';
import type { Role } from './schema.js';
import { deleteSessionsOfUser } from './session-queries.js';
import { LOGIN_THROTTLE, type Attempt, type SignInThrottle } from './sign-in-throttle.js';

export { LOGIN_THROTTLE } from './sign-in-throttle.js';

/** Registration: how long a confirmation link works, and how many e-mails one address gets a day. */
export const REGISTRATION = {
  linkMs: 24 * 3600_000,
  windowMs: 24 * 3600_000,
  maxMessagesPerWindow: 3,
} as const;

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export interface StaffInput {
  email: string;
  displayName: string;
  role: Role;
  allProjects: boolean;
  villageIds: number[];
  projectIds: number[];
  disabled?: boolean;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Where the links in account e-mails point (the shop's public address). */
export interface AccountLinks {
  confirmRegistration(token: string): string;
  signIn(): string;
}

/** Someone an e-mail can be written to: an enabled account's address and name. */
export interface MailRecipient {
  id: number;
  email: string;
  displayName: string;
}

const emailTaken = () => new AppError('conflict', 'email_taken', undefined, { fields: { email: 'email_taken' } });

/** Refuses villages and projects that do not exist. */
function* checkScopes(tx: Tx, input: Pick<StaffInput, 'villageIds' | 'projectIds'>): Query<void> {
  const existing = yield* existingScopes(tx, input.villageIds, input.projectIds);
  if (input.villageIds.some((id) => !existing.villageIds.has(id)))
    throw new AppError('validation', 'unknown_scope', undefined, { fields: { villageIds: 'unknown_scope' } });
  if (input.projectIds.some((id) => !existing.projectIds.has(id)))
    throw new AppError('validation', 'unknown_scope', undefined, { fields: { projectIds: 'unknown_scope' } });
}

/** Only the scopes that mean something for the role are kept. */
function scopesFor(input: StaffInput): { villageIds: number[]; projectIds: number[]; allProjects: boolean } {
  return {
    villageIds: input.role === 'first_secretary' ? [...new Set(input.villageIds)] : [],
    projectIds: input.role === 'coordinator' && !input.allProjects ? [...new Set(input.projectIds)] : [],
    allProjects: input.role === 'coordinator' && input.allProjects,
  };
}

function* withScopes(tx: Tx, user: User) {
  return { ...user, villageIds: yield* villageIdsOf(tx, user.id), projectIds: yield* projectIdsOf(tx, user.id) };
}

export function createAccountsService(
  db: Database_,
  deps: { clock: Clock; audit: AuditService; throttle: SignInThrottle; mail: AccountMail; links: AccountLinks },
) {
  const { clock, audit, throttle } = deps;

  /** The device cookie's hash when it is trusted for this account: given to it, since its last password change, not used for guessing since. */
  async function trustedDevice(user: User | undefined, device: DeviceClaim | null): Promise<string | null> {
    if (!device || !user || device.userId !== user.id || device.issuedAt < user.passwordChangedAt) return null;
    return (await throttle.deviceTrusted(device.hash)) ? device.hash : null;
  }

  /** A registration request whose link still works, or "not found". */
  function* openRegistration(tx: Tx, token: string) {
    const row = token.length <= 100 ? yield* registrationByToken(tx, sha256(token)) : undefined;
    if (!row || row.passwordHash === null || row.confirmedAt !== null || row.expiresAt <= clock()) throw new AppError('not_found', 'registration_link_invalid');
    return { ...row, passwordHash: row.passwordHash };
  }

  return {
    /**
     * Asks for an account. The answer is the same whether or not the address has one, and costs the
     * same (the password is hashed either way): a new address is sent a link that creates the
     * account, a taken one a message telling its owner so. At most a few e-mails go to one address
     * a day; past that nothing is sent, and the answer is still the same.
     */
    async requestRegistration(input: { email: string; displayName: string; password: string }, locale: Locale): Promise<void> {
      const email = normaliseEmail(input.email);
      const passwordHash = await hashPassword(input.password);
      const token = randomBytes(32).toString('base64url');
      await db.uow.write(function* (tx) {
        const now = clock();
        if ((yield* registrationRequestsSince(tx, email, now - REGISTRATION.windowMs)) >= REGISTRATION.maxMessagesPerWindow) return;
        const taken = (yield* userByEmail(tx, email)) !== undefined;
        const expiresAt = now + REGISTRATION.linkMs;
        yield* insertRegistrationRequest(tx, {
          email,
          displayName: input.displayName.trim(),
          passwordHash: taken ? null : passwordHash,
          tokenHash: taken ? null : sha256(token),
          createdAt: now,
          expiresAt,
        });
        // The e-mail leaves with the request: the outbox writes it in this transaction.
        yield* deps.mail.send(
          tx,
          taken
            ? { kind: 'account_exists', to: email, locale, signInLink: deps.links.signIn() }
            : {
                kind: 'confirm_registration',
                to: email,
                locale,
                displayName: input.displayName.trim(),
                link: deps.links.confirmRegistration(token),
                expiresAt,
              },
        );
      });
    },

    /** The registration behind a confirmation link (its e-mail and name), or "not found". */
    registrationFor: (token: string): Promise<{ email: string; displayName: string }> =>
      db.uow.read(function* (tx) {
        const { email, displayName } = yield* openRegistration(tx, token);
        return { email, displayName };
      }),

    /**
     * Follows a confirmation link: the buyer account is created with the name and password of the
     * form, once. If the address got an account meanwhile (another link followed first), nothing
     * is created and the person is told to sign in.
     */
    confirmRegistration: (token: string, address: string | null): Promise<User> =>
      db.uow.write(function* (tx) {
        const request = yield* openRegistration(tx, token);
        const now = clock();
        if (!(yield* markRegistrationConfirmed(tx, request.id, now))) throw new AppError('not_found', 'registration_link_invalid');
        if (yield* userByEmail(tx, request.email)) throw new AppError('conflict', 'registration_already_done');
        const userId = yield* insertUser(tx, {
          email: request.email,
          passwordHash: request.passwordHash,
          displayName: request.displayName,
          role: 'buyer',
          allProjects: false,
          now,
        });
        yield* audit.add(tx, {
          userId,
          action: 'user.register',
          entityType: 'user',
          entityId: userId,
          after: { email: request.email, role: 'buyer' },
          address,
        });
        return (yield* userById(tx, userId))!;
      }),

    /**
     * Checks an email and password. Every failure gives the same generic error; unknown emails
     * cost the same time as wrong passwords. Guessing is slowed by the sign-in throttle, which a
     * browser that signed in to this account before (a trusted device cookie) passes.
     */
    async authenticate(input: { email: string; password: string }, address: string, device: DeviceClaim | null): Promise<User> {
      const email = normaliseEmail(input.email).slice(0, 254);
      const user = await db.uow.read((tx) => userByEmail(tx, email));
      const attempt: Attempt = { email, address, deviceHash: await trustedDevice(user, device), kind: 'sign_in' };
      const record = await throttle.begin(attempt);
      const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
      if (!user || !ok || user.disabled) {
        await throttle.failed(attempt, user?.id ?? null);
        throw new AppError('unauthenticated', 'login_failed');
      }
      await throttle.succeeded(record, attempt);
      return user;
    },

    /**
     * Changes the password after checking the current one. Guesses of the current password are
     * throttled like sign-ins; after LOGIN_THROTTLE.passwordChangeGuesses wrong ones within the
     * session, every session of the account ends (someone holding a session is not the owner, or
     * the owner signs in again) and this throws `password_guesses_signed_out`.
     */
    async changePassword(
      userId: number,
      current: string,
      next: string,
      context: { address: string; device: DeviceClaim | null; sessionStartedAt: number },
    ): Promise<void> {
      const user = await db.uow.read((tx) => userById(tx, userId));
      if (!user) throw new AppError('not_found', 'not_found');
      const attempt: Attempt = { email: user.email, address: context.address, deviceHash: await trustedDevice(user, context.device), kind: 'password_change' };
      const record = await throttle.begin(attempt);
      if (!(await verifyPassword(current, user.passwordHash))) {
        await throttle.failed(attempt, user.id);
        if ((await throttle.passwordGuessesSince(user.email, context.sessionStartedAt)) >= LOGIN_THROTTLE.passwordChangeGuesses) {
          await db.uow.write(function* (tx) {
            yield* deleteSessionsOfUser(tx, userId, null);
            yield* audit.add(tx, {
              userId,
              action: 'user.sign_out_everywhere',
              entityType: 'user',
              entityId: userId,
              after: { reason: 'password_change_guesses' },
              address: context.address,
            });
          });
          throw new AppError('unauthenticated', 'password_guesses_signed_out');
        }
        throw new AppError('validation', 'wrong_current_password', undefined, { fields: { currentPassword: 'wrong_current_password' } });
      }
      await throttle.succeeded(record, attempt);
      const hash = await hashPassword(next);
      await db.uow.write(function* (tx) {
        yield* updatePassword(tx, userId, hash, clock());
        yield* audit.add(tx, { userId, action: 'user.password_change', entityType: 'user', entityId: userId, address: context.address });
      });
    },

    /** Accounts being guessed at and addresses failing often (the admin's security page). */
    underAttack: () => throttle.underAttack(),

    /** Housekeeping: forgets old sign-in failures and registration requests whose links expired. */
    async prune(): Promise<void> {
      await throttle.prune();
      await db.uow.write((tx) => pruneRegistrationRequests(tx, clock()));
    },

    /** The account's own fields, for a personal-data export. A step of the caller's unit of work. */
    *ownData(tx: Tx, userId: number): Query<Pick<User, 'id' | 'email' | 'displayName' | 'role' | 'createdAt'> | undefined> {
      const user = yield* userById(tx, userId);
      return user && { id: user.id, email: user.email, displayName: user.displayName, role: user.role, createdAt: user.createdAt };
    },

    /** Whether this is the account's password (a deletion asks for it again); wrong guesses are counted like sign-ins. */
    async passwordMatches(userId: number, password: string, address: string): Promise<boolean> {
      const user = await db.uow.read((tx) => userById(tx, userId));
      if (!user || user.disabled) return false;
      const attempt: Attempt = { email: user.email, address, deviceHash: null, kind: 'password_change' };
      const record = await throttle.begin(attempt);
      if (!(await verifyPassword(password, user.passwordHash))) {
        await throttle.failed(attempt, user.id);
        return false;
      }
      await throttle.succeeded(record, attempt);
      return true;
    },

    /** Erases the account's personal fields and ends its sessions (src/privacy). A step of the caller's unit of work. */
    *eraseIn(tx: Tx, userId: number): Query<void> {
      const user = yield* userById(tx, userId);
      if (user) yield* eraseUser(tx, user, clock());
    },

    /** Ends every session of a user but one (after a password change). */
    endOtherSessions: (userId: number, keepSessionHash: string): Promise<void> => db.uow.write((tx) => deleteSessionsOfUser(tx, userId, keepSessionHash)),

    /** The enabled first secretaries of a village: whom its paid parcels are announced to. A step of the caller's unit of work. */
    secretariesOfVillage: (tx: Tx, villageId: number): Query<MailRecipient[]> => secretariesOfVillage(tx, villageId),

    /** The enabled coordinators and their projects: whom the daily digest goes to. */
    coordinators: () => db.uow.read((tx) => activeCoordinators(tx)),

    /** An enabled account's address and name (for the e-mail about it), or undefined. A step of the caller's unit of work. */
    *mailRecipient(tx: Tx, userId: number): Query<MailRecipient | undefined> {
      const user = yield* userById(tx, userId);
      return user && !user.disabled ? { id: user.id, email: user.email, displayName: user.displayName } : undefined;
    },

    /** The account with this e-mail address (one lookup on the unique index), or undefined. A step of the caller's unit of work. */
    *userByEmail(tx: Tx, email: string): Query<{ id: number; role: Role } | undefined> {
      const user = yield* userByEmail(tx, normaliseEmail(email));
      return user && { id: user.id, role: user.role };
    },

    listUsers: () =>
      db.uow.read(function* (tx) {
        const users = [];
        for (const user of yield* listUsers(tx)) users.push(yield* withScopes(tx, user));
        return users;
      }),

    userById: (id: number) =>
      db.uow.read(function* (tx) {
        const user = yield* userById(tx, id);
        if (!user) throw new AppError('not_found', 'user_not_found');
        return yield* withScopes(tx, user);
      }),

    async createStaff(input: StaffInput & { password: string }, actorId: number, address: string | null): Promise<number> {
      const email = normaliseEmail(input.email);
      await db.uow.read(function* (tx) {
        yield* checkScopes(tx, input);
        if (yield* userByEmail(tx, email)) throw emailTaken();
      });
      const passwordHash = await hashPassword(input.password);
      const scopes = scopesFor(input);
      return db.uow.write(function* (tx) {
        if (yield* userByEmail(tx, email)) throw emailTaken();
        const id = yield* insertUser(tx, {
          email,
          passwordHash,
          displayName: input.displayName.trim(),
          role: input.role,
          allProjects: scopes.allProjects,
          now: clock(),
        });
        yield* replaceScopes(tx, id, scopes.villageIds, scopes.projectIds);
        yield* audit.add(tx, {
          userId: actorId,
          action: 'user.create',
          entityType: 'user',
          entityId: id,
          after: { email, role: input.role, ...scopes },
          address,
        });
        return id;
      });
    },

    updateStaff: (id: number, input: Omit<StaffInput, 'email'>, actorId: number, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        const user = yield* userById(tx, id);
        if (!user) throw new AppError('not_found', 'user_not_found');
        if (id === actorId && (input.role !== 'admin' || input.disabled)) {
          throw new AppError('conflict', 'cannot_demote_self');
        }
        yield* checkScopes(tx, input);
        const scopes = scopesFor({ ...input, email: user.email });
        const before = {
          role: user.role,
          allProjects: user.allProjects,
          disabled: user.disabled,
          villageIds: yield* villageIdsOf(tx, id),
          projectIds: yield* projectIdsOf(tx, id),
        };
        yield* updateUserRole(tx, id, input.role, scopes.allProjects, input.displayName.trim(), Boolean(input.disabled), clock());
        yield* replaceScopes(tx, id, scopes.villageIds, scopes.projectIds);
        // A disabled account, or one whose role changed, signs in again (session limits follow the role).
        if (input.disabled || input.role !== user.role) yield* deleteSessionsOfUser(tx, id, null);
        yield* audit.add(tx, {
          userId: actorId,
          action: 'user.update',
          entityType: 'user',
          entityId: id,
          before,
          after: {
            role: input.role,
            allProjects: scopes.allProjects,
            disabled: Boolean(input.disabled),
            villageIds: scopes.villageIds,
            projectIds: scopes.projectIds,
          },
          address,
        });
      }),
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
