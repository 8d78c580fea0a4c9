import { and, asc, count, countDistinct, desc, eq, gt, gte, inArray, isNull, lte, max, or, sql } from 'drizzle-orm';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { projects } from '../projects/schema.js';
import { villages } from '../villages/schema.js';
import {
  loginFailures,
  passwordResets,
  registrationRequests,
  sessions,
  users,
  userProjects,
  userVillages,
  type Role,
  type SIGN_IN_ATTEMPT_KINDS,
} from './schema.js';

/**
 * The queries of accounts, scopes, sign-in failures and registration requests, as steps of a unit
 * of work (src/db/unit-of-work.ts). Sessions have theirs in session-queries.ts, password resets in
 * password-reset.ts.
 */

export type SignInAttemptKind = (typeof SIGN_IN_ATTEMPT_KINDS)[number];
export type User = typeof users.$inferSelect;
export type RegistrationRequest = typeof registrationRequests.$inferSelect;

/** Failures counted for a throttle: how many, and when the last one was (null when none). */
export interface FailureStats {
  count: number;
  lastAt: number | null;
}

// Users

export function* userByEmail(tx: Tx, email: string): Query<User | undefined> {
  return yield* one(tx.select().from(users).where(eq(users.email, email)));
}

export function* userById(tx: Tx, id: number): Query<User | undefined> {
  return yield* one(tx.select().from(users).where(eq(users.id, id)));
}

export function* listUsers(tx: Tx): Query<User[]> {
  return yield* all(tx.select().from(users).orderBy(asc(users.role), asc(users.email)));
}

export function* insertUser(
  tx: Tx,
  u: { email: string; passwordHash: string; displayName: string; role: Role; allProjects: boolean; now: number },
): Query<number> {
  const row = yield* one(
    tx
      .insert(users)
      .values({
        email: u.email,
        passwordHash: u.passwordHash,
        displayName: u.displayName,
        role: u.role,
        allProjects: u.allProjects,
        createdAt: u.now,
        updatedAt: u.now,
        passwordChangedAt: u.now,
      })
      .returning({ id: users.id }),
  );
  return row!.id;
}

export function* updateUserRole(tx: Tx, id: number, role: Role, allProjects: boolean, displayName: string, disabled: boolean, now: number): Query<void> {
  yield* run(tx.update(users).set({ role, allProjects, displayName, disabled, updatedAt: now }).where(eq(users.id, id)));
}

export function* updatePassword(tx: Tx, id: number, passwordHash: string, now: number): Query<void> {
  yield* run(tx.update(users).set({ passwordHash, passwordChangedAt: now, updatedAt: now }).where(eq(users.id, id)));
}

/** The enabled first secretaries of a village (who ship its parcels). */
export function* secretariesOfVillage(tx: Tx, villageId: number): Query<{ id: number; email: string; displayName: string }[]> {
  return yield* all(
    tx
      .select({ id: users.id, email: users.email, displayName: users.displayName })
      .from(users)
      .innerJoin(userVillages, eq(userVillages.userId, users.id))
      .where(and(eq(userVillages.villageId, villageId), eq(users.role, 'first_secretary'), eq(users.disabled, false)))
      .orderBy(asc(users.id)),
  );
}

/** The enabled coordinators, each with the projects they see (all, or a list). */
export function* activeCoordinators(tx: Tx): Query<{ id: number; email: string; displayName: string; allProjects: boolean; projectIds: number[] }[]> {
  const rows = yield* all(
    tx
      .select({ id: users.id, email: users.email, displayName: users.displayName, allProjects: users.allProjects })
      .from(users)
      .where(and(eq(users.role, 'coordinator'), eq(users.disabled, false)))
      .orderBy(asc(users.id)),
  );
  const out = [];
  for (const row of rows) out.push({ ...row, projectIds: row.allProjects ? [] : yield* projectIdsOf(tx, row.id) });
  return out;
}

// Scopes

export function* villageIdsOf(tx: Tx, userId: number): Query<number[]> {
  const rows = yield* all(
    tx.select({ id: userVillages.villageId }).from(userVillages).where(eq(userVillages.userId, userId)).orderBy(asc(userVillages.villageId)),
  );
  return rows.map((r) => r.id);
}

export function* projectIdsOf(tx: Tx, userId: number): Query<number[]> {
  const rows = yield* all(
    tx.select({ id: userProjects.projectId }).from(userProjects).where(eq(userProjects.userId, userId)).orderBy(asc(userProjects.projectId)),
  );
  return rows.map((r) => r.id);
}

export function* replaceScopes(tx: Tx, userId: number, villageIds: number[], projectIds: number[]): Query<void> {
  yield* run(tx.delete(userVillages).where(eq(userVillages.userId, userId)));
  yield* run(tx.delete(userProjects).where(eq(userProjects.userId, userId)));
  if (villageIds.length) yield* run(tx.insert(userVillages).values(villageIds.map((villageId) => ({ userId, villageId }))));
  if (projectIds.length) yield* run(tx.insert(userProjects).values(projectIds.map((projectId) => ({ userId, projectId }))));
}

/** Which of these villages and projects exist. */
export function* existingScopes(tx: Tx, villageIds: number[], projectIds: number[]): Query<{ villageIds: Set<number>; projectIds: Set<number> }> {
  const v = villageIds.length ? yield* all(tx.select({ id: villages.id }).from(villages).where(inArray(villages.id, villageIds))) : [];
  const p = projectIds.length ? yield* all(tx.select({ id: projects.id }).from(projects).where(inArray(projects.id, projectIds))) : [];
  return { villageIds: new Set(v.map((r) => r.id)), projectIds: new Set(p.map((r) => r.id)) };
}

// Sign-in throttling (src/accounts/sign-in-throttle.ts)

export function* insertAttempt(tx: Tx, a: { email: string; address: string; deviceHash: string | null; kind: SignInAttemptKind; at: number }): Query<number> {
  const row = yield* one(tx.insert(loginFailures).values(a).returning({ id: loginFailures.id }));
  return row!.id;
}

export function* deleteAttempt(tx: Tx, id: number): Query<void> {
  yield* run(tx.delete(loginFailures).where(eq(loginFailures.id, id)));
}

const untrusted = isNull(loginFailures.deviceHash);

function* failureStats(tx: Tx, ...conditions: ReturnType<typeof eq>[]): Query<FailureStats> {
  const row = yield* one(
    tx
      .select({ count: count(), lastAt: max(loginFailures.at) })
      .from(loginFailures)
      .where(and(...conditions, untrusted)),
  );
  return { count: row?.count ?? 0, lastAt: row?.lastAt ?? null };
}

/** Failures of an account from one address, from browsers the account does not know. */
export const pairFailures = (tx: Tx, email: string, address: string, since: number) =>
  failureStats(tx, eq(loginFailures.email, email), eq(loginFailures.address, address), gt(loginFailures.at, since));

/** Failures of an account from every address, from browsers the account does not know. */
export const accountFailures = (tx: Tx, email: string, since: number) => failureStats(tx, eq(loginFailures.email, email), gt(loginFailures.at, since));

/** Failures from one address over every account, from browsers the accounts do not know. */
export const addressFailures = (tx: Tx, address: string, since: number) => failureStats(tx, eq(loginFailures.address, address), gt(loginFailures.at, since));

export function* deviceFailures(tx: Tx, deviceHash: string, since: number): Query<number> {
  const row = yield* one(
    tx
      .select({ n: count() })
      .from(loginFailures)
      .where(and(eq(loginFailures.deviceHash, deviceHash), gt(loginFailures.at, since))),
  );
  return row?.n ?? 0;
}

/** Wrong current passwords given for an account at or after `from`. */
export function* passwordChangeFailures(tx: Tx, email: string, from: number): Query<number> {
  const row = yield* one(
    tx
      .select({ n: count() })
      .from(loginFailures)
      .where(and(eq(loginFailures.email, email), gte(loginFailures.at, from), eq(loginFailures.kind, 'password_change'))),
  );
  return row?.n ?? 0;
}

export function* clearPairFailures(tx: Tx, email: string, address: string): Query<void> {
  yield* run(tx.delete(loginFailures).where(and(eq(loginFailures.email, email), eq(loginFailures.address, address), untrusted)));
}

export function* clearDeviceFailures(tx: Tx, deviceHash: string): Query<void> {
  yield* run(tx.delete(loginFailures).where(eq(loginFailures.deviceHash, deviceHash)));
}

export function* pruneLoginFailures(tx: Tx, before: number): Query<void> {
  yield* run(tx.delete(loginFailures).where(lte(loginFailures.at, before)));
}

/** Accounts that exist and failed at least `min` times from browsers they do not know. */
export function* accountsUnderAttack(
  tx: Tx,
  since: number,
  min: number,
  limit: number,
): Query<{ id: number; email: string; role: Role; failures: number; addresses: number; lastAt: number }[]> {
  const failures = count();
  const lastAt = sql<number>`max(${loginFailures.at})`;
  return yield* all(
    tx
      .select({ id: users.id, email: users.email, role: users.role, failures, addresses: countDistinct(loginFailures.address), lastAt })
      .from(loginFailures)
      .innerJoin(users, eq(users.email, loginFailures.email))
      .where(and(gt(loginFailures.at, since), untrusted))
      .groupBy(users.id)
      .having(gte(failures, min))
      .orderBy(desc(failures), desc(lastAt))
      .limit(limit),
  );
}

/** Addresses with at least `min` failures, and how many different e-mails they tried. */
export function* addressesUnderSuspicion(
  tx: Tx,
  since: number,
  min: number,
  limit: number,
): Query<{ address: string; failures: number; emails: number; lastAt: number }[]> {
  const failures = count();
  const lastAt = sql<number>`max(${loginFailures.at})`;
  return yield* all(
    tx
      .select({ address: loginFailures.address, failures, emails: countDistinct(loginFailures.email), lastAt })
      .from(loginFailures)
      .where(and(gt(loginFailures.at, since), untrusted))
      .groupBy(loginFailures.address)
      .having(gte(failures, min))
      .orderBy(desc(failures), desc(lastAt))
      .limit(limit),
  );
}

// Registration requests

export function* insertRegistrationRequest(
  tx: Tx,
  r: { email: string; displayName: string; passwordHash: string | null; tokenHash: string | null; createdAt: number; expiresAt: number },
): Query<void> {
  yield* run(tx.insert(registrationRequests).values(r));
}

export function* registrationRequestsSince(tx: Tx, email: string, since: number): Query<number> {
  const row = yield* one(
    tx
      .select({ n: count() })
      .from(registrationRequests)
      .where(and(eq(registrationRequests.email, email), gt(registrationRequests.createdAt, since))),
  );
  return row?.n ?? 0;
}

export function* registrationByToken(tx: Tx, tokenHash: string): Query<RegistrationRequest | undefined> {
  return yield* one(tx.select().from(registrationRequests).where(eq(registrationRequests.tokenHash, tokenHash)));
}

/** Marks a request confirmed, once: false when it already was. */
export function* markRegistrationConfirmed(tx: Tx, id: number, now: number): Query<boolean> {
  return (
    (yield* run(
      tx
        .update(registrationRequests)
        .set({ confirmedAt: now })
        .where(and(eq(registrationRequests.id, id), isNull(registrationRequests.confirmedAt))),
    )) === 1
  );
}

export function* pruneRegistrationRequests(tx: Tx, before: number): Query<void> {
  yield* run(tx.delete(registrationRequests).where(lte(registrationRequests.expiresAt, before)));
}

// Personal-data requests (src/privacy)

/** The address an erased account keeps: unique, never delivered to (.invalid), and free for its old address to register again. */
export const erasedEmail = (id: number) => `erased-${id}@erased.invalid`;

/**
 * Erases an account's personal fields (a personal-data request): the e-mail becomes an erased
 * address, the name empty, the password unusable and the account disabled; its sessions end and
 * what sign-in and registration kept of its address goes. The row stays, so orders and the audit
 * log keep pointing at one (anonymous) account.
 */
export function* eraseUser(tx: Tx, user: Pick<User, 'id' | 'email'>, now: number): Query<void> {
  yield* run(
    tx
      .update(users)
      .set({ email: erasedEmail(user.id), displayName: '', passwordHash: '', disabled: true, updatedAt: now, passwordChangedAt: now })
      .where(eq(users.id, user.id)),
  );
  yield* run(tx.delete(sessions).where(eq(sessions.userId, user.id)));
  yield* run(tx.delete(passwordResets).where(or(eq(passwordResets.userId, user.id), eq(passwordResets.email, user.email))));
  yield* run(tx.delete(registrationRequests).where(eq(registrationRequests.email, user.email)));
  yield* run(tx.delete(loginFailures).where(eq(loginFailures.email, user.email)));
}
