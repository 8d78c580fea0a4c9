import { and, asc, eq, lte, ne, or, sql } from 'drizzle-orm';
import type { Database_ } from '../db/client.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { sessions, userProjects, users, userVillages } from './schema.js';

export type SessionRow = typeof sessions.$inferSelect;

/**
 * The session lookup runs on every request that carries a cookie: its three statements are
 * prepared once, with placeholders, rather than built per request.
 */
export function prepareSessionLookup(db: Database_) {
  const { orm } = db;
  return {
    /** The session and, when it is signed in, its account. */
    session: orm
      .select({
        session: sessions,
        user: { id: users.id, email: users.email, displayName: users.displayName, role: users.role, allProjects: users.allProjects, disabled: users.disabled },
      })
      .from(sessions)
      .leftJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.idHash, sql.placeholder('idHash')))
      .prepare(),
    villageIds: orm
      .select({ id: userVillages.villageId })
      .from(userVillages)
      .where(eq(userVillages.userId, sql.placeholder('userId')))
      .orderBy(asc(userVillages.villageId))
      .prepare(),
    projectIds: orm
      .select({ id: userProjects.projectId })
      .from(userProjects)
      .where(eq(userProjects.userId, sql.placeholder('userId')))
      .orderBy(asc(userProjects.projectId))
      .prepare(),
  };
}

export type SessionLookup = ReturnType<typeof prepareSessionLookup>;

/** The session behind a hash with its account (null for an anonymous one) and the account's scopes. */
export function* sessionWithUser(lookup: SessionLookup, idHash: string) {
  const found = yield* one(lookup.session, { idHash });
  if (!found) return undefined;
  const { session, user } = found;
  if (!user) return { session, user: null, villageIds: [], projectIds: [] };
  const villageIds = (yield* all(lookup.villageIds, { userId: user.id })).map((r) => r.id);
  const projectIds = (yield* all(lookup.projectIds, { userId: user.id })).map((r) => r.id);
  return { session, user, villageIds, projectIds };
}

export function* insertSession(tx: Tx, s: SessionRow): Query<void> {
  yield* run(tx.insert(sessions).values(s));
}

export function* touchSession(tx: Tx, idHash: string, now: number): Query<void> {
  yield* run(tx.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.idHash, idHash)));
}

export function* saveSessionData(tx: Tx, idHash: string, data: string): Query<void> {
  yield* run(tx.update(sessions).set({ data }).where(eq(sessions.idHash, idHash)));
}

export function* deleteSession(tx: Tx, idHash: string): Query<void> {
  yield* run(tx.delete(sessions).where(eq(sessions.idHash, idHash)));
}

/** Every session of a user but the one kept (none when `exceptHash` is null). */
export function* deleteSessionsOfUser(tx: Tx, userId: number, exceptHash: string | null): Query<void> {
  yield* run(tx.delete(sessions).where(and(eq(sessions.userId, userId), exceptHash === null ? undefined : ne(sessions.idHash, exceptHash))));
}

export function* deleteExpiredSessions(tx: Tx, now: number, idleBefore: number): Query<void> {
  yield* run(tx.delete(sessions).where(or(lte(sessions.expiresAt, now), lte(sessions.lastSeenAt, idleBefore))));
}
