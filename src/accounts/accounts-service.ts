import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { AccountsQueries, UserRow } from './accounts-queries.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from './password.js';
import type { Role } from './schema.js';

/** Sign-in throttling: failures counted over a sliding window, per account and per address. */
export const LOGIN_THROTTLE = {
  windowMs: 15 * 60_000,
  maxPerAccount: 5,
  maxPerAddress: 30,
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

export function createAccountsService(queries: AccountsQueries, deps: { clock: Clock; audit: AuditService }) {
  const { clock, audit } = deps;

  function checkScopes(input: Pick<StaffInput, 'villageIds' | 'projectIds'>): void {
    const villages = new Set(queries.allVillageIds());
    const projects = new Set(queries.allProjectIds());
    if (input.villageIds.some((id) => !villages.has(id))) throw new AppError('validation', 'unknown_scope', undefined, { fields: { villageIds: 'unknown_scope' } });
    if (input.projectIds.some((id) => !projects.has(id))) throw new AppError('validation', 'unknown_scope', undefined, { fields: { projectIds: 'unknown_scope' } });
  }

  /** Only the scopes that mean something for the role are kept. */
  function scopesFor(input: StaffInput): { villageIds: number[]; projectIds: number[]; allProjects: boolean } {
    return {
      villageIds: input.role === 'first_secretary' ? [...new Set(input.villageIds)] : [],
      projectIds: input.role === 'coordinator' && !input.allProjects ? [...new Set(input.projectIds)] : [],
      allProjects: input.role === 'coordinator' && input.allProjects,
    };
  }

  return {
    async register(input: { email: string; displayName: string; password: string }, address: string | null): Promise<UserRow> {
      const email = normaliseEmail(input.email);
      if (queries.userByEmail(email)) throw new AppError('conflict', 'email_taken', undefined, { fields: { email: 'email_taken' } });
      const passwordHash = await hashPassword(input.password);
      const now = clock();
      const id = queries.transaction(() => {
        // Checked again inside the transaction: two registrations racing for one email.
        if (queries.userByEmail(email)) throw new AppError('conflict', 'email_taken', undefined, { fields: { email: 'email_taken' } });
        const userId = queries.insertUser({ email, passwordHash, displayName: input.displayName.trim(), role: 'buyer', allProjects: false, now });
        audit.record({ userId, action: 'user.register', entityType: 'user', entityId: userId, after: { email, role: 'buyer' }, address });
        return userId;
      });
      return queries.userById(id)!;
    },

    /**
     * Checks an email and password. Every failure gives the same generic error; unknown emails
     * cost the same time as wrong passwords. Too many failures per account or address are throttled.
     */
    async authenticate(input: { email: string; password: string }, address: string): Promise<UserRow> {
      const email = normaliseEmail(input.email).slice(0, 254);
      const now = clock();
      const since = now - LOGIN_THROTTLE.windowMs;
      // Check and count in one synchronous step before the (asynchronous) password check, so
      // guesses arriving at the same moment cannot all pass the limit. Success removes the count.
      queries.transaction(() => {
        if (
          queries.failuresForEmailSince(email, since) >= LOGIN_THROTTLE.maxPerAccount ||
          queries.failuresForAddressSince(address, since) >= LOGIN_THROTTLE.maxPerAddress
        ) {
          throw new AppError('too_many_requests', 'login_throttled');
        }
        queries.recordLoginFailure(email, address, now);
      });
      const user = queries.userByEmail(email);
      const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
      if (!user || !ok || user.disabled) throw new AppError('unauthenticated', 'login_failed');
      queries.clearLoginFailures(email);
      queries.pruneLoginFailures(since);
      return user;
    },

    async changePassword(userId: number, current: string, next: string, address: string | null): Promise<void> {
      const user = queries.userById(userId);
      if (!user) throw new AppError('not_found', 'not_found');
      if (!(await verifyPassword(current, user.passwordHash))) {
        throw new AppError('validation', 'wrong_current_password', undefined, { fields: { currentPassword: 'wrong_current_password' } });
      }
      const hash = await hashPassword(next);
      queries.transaction(() => {
        queries.updatePassword(userId, hash, clock());
        audit.record({ userId, action: 'user.password_change', entityType: 'user', entityId: userId, address });
      });
    },

    /** Ends every session of a user but one (after a password change). */
    endOtherSessions(userId: number, keepSessionHash: string): void {
      queries.deleteSessionsOfUser(userId, keepSessionHash);
    },

    listUsers() {
      return queries.listUsers().map((u) => ({ ...u, villageIds: queries.villageIdsOf(u.id), projectIds: queries.projectIdsOf(u.id) }));
    },

    userById(id: number) {
      const user = queries.userById(id);
      if (!user) throw new AppError('not_found', 'user_not_found');
      return { ...user, villageIds: queries.villageIdsOf(id), projectIds: queries.projectIdsOf(id) };
    },

    async createStaff(input: StaffInput & { password: string }, actorId: number, address: string | null): Promise<number> {
      const email = normaliseEmail(input.email);
      checkScopes(input);
      if (queries.userByEmail(email)) throw new AppError('conflict', 'email_taken', undefined, { fields: { email: 'email_taken' } });
      const passwordHash = await hashPassword(input.password);
      const scopes = scopesFor(input);
      return queries.transaction(() => {
        if (queries.userByEmail(email)) throw new AppError('conflict', 'email_taken', undefined, { fields: { email: 'email_taken' } });
        const id = queries.insertUser({ email, passwordHash, displayName: input.displayName.trim(), role: input.role, allProjects: scopes.allProjects, now: clock() });
        queries.replaceScopes(id, scopes.villageIds, scopes.projectIds);
        audit.record({ userId: actorId, action: 'user.create', entityType: 'user', entityId: id, after: { email, role: input.role, ...scopes }, address });
        return id;
      });
    },

    updateStaff(id: number, input: Omit<StaffInput, 'email'>, actorId: number, address: string | null): void {
      const user = queries.userById(id);
      if (!user) throw new AppError('not_found', 'user_not_found');
      if (id === actorId && (input.role !== 'admin' || input.disabled)) {
        throw new AppError('conflict', 'cannot_demote_self');
      }
      checkScopes(input);
      const scopes = scopesFor({ ...input, email: user.email });
      queries.transaction(() => {
        const before = { role: user.role, allProjects: Boolean(user.allProjects), disabled: Boolean(user.disabled), villageIds: queries.villageIdsOf(id), projectIds: queries.projectIdsOf(id) };
        queries.updateUserRole(id, input.role, scopes.allProjects, input.displayName.trim(), Boolean(input.disabled), clock());
        queries.replaceScopes(id, scopes.villageIds, scopes.projectIds);
        // A disabled account, or one whose role changed, signs in again (session limits follow the role).
        if (input.disabled || input.role !== user.role) queries.deleteSessionsOfUser(id, null);
        audit.record({
          userId: actorId,
          action: 'user.update',
          entityType: 'user',
          entityId: id,
          before,
          after: { role: input.role, allProjects: scopes.allProjects, disabled: Boolean(input.disabled), villageIds: scopes.villageIds, projectIds: scopes.projectIds },
          address,
        });
      });
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
