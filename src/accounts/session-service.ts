import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import type { Work } from '../db/unit-of-work.js';
import type { Role } from './schema.js';
import {
  deleteExpiredSessions,
  deleteSession,
  deleteSessionsOfUser,
  insertSession,
  prepareSessionLookup,
  saveSessionData,
  sessionWithUser,
  touchSession,
  type SessionRow,
} from './session-queries.js';

/**
 * Server-side sessions. The cookie carries 256 random bits; the database keeps only their SHA-256,
 * so a leaked database does not hand out live sessions. Staff sessions idle out sooner.
 */
export const SESSION_POLICY = {
  /** Buyers and anonymous carts. */
  idleMs: 14 * 24 * 3600_000,
  absoluteMs: 30 * 24 * 3600_000,
  /** First secretaries, coordinators, admins, outlet staff. */
  staffIdleMs: 2 * 3600_000,
  staffAbsoluteMs: 12 * 3600_000,
  /** last_seen_at is written at most this often. */
  touchEveryMs: 60_000,
} as const;

/** Extra per-session data (JSON in sessions.data); flash messages travel in a cookie instead. */
export type SessionData = Record<string, unknown>;

export interface CurrentUser {
  id: number;
  email: string;
  displayName: string;
  role: Role;
  allProjects: boolean;
  villageIds: number[];
  projectIds: number[];
}

export interface Session {
  idHash: string;
  userId: number | null;
  data: SessionData;
  createdAt: number;
}

export const hashSessionId = (id: string) => createHash('sha256').update(id).digest('hex');
const isStaff = (role: Role | undefined) => role !== undefined && role !== 'buyer';

export function createSessionService(db: Database_, clock: Clock) {
  const lookup = prepareSessionLookup(db);

  function parseData(raw: string): SessionData {
    try {
      const value: unknown = JSON.parse(raw);
      return value && typeof value === 'object' ? (value as SessionData) : {};
    } catch {
      return {};
    }
  }

  function expired(row: SessionRow, role: Role | undefined, now: number): boolean {
    const idle = isStaff(role) ? SESSION_POLICY.staffIdleMs : SESSION_POLICY.idleMs;
    return row.expiresAt <= now || row.lastSeenAt + idle <= now;
  }

  /**
   * A new session (anonymous when userId is null), its cookie value and the step that stores it,
   * for a write that starts it (a visitor's first add to cart: one commit for both).
   */
  function prepare(userId: number | null, role?: Role): { cookieValue: string; session: Session; store: Work<void> } {
    const cookieValue = randomBytes(32).toString('base64url');
    const now = clock();
    const absolute = isStaff(role) ? SESSION_POLICY.staffAbsoluteMs : SESSION_POLICY.absoluteMs;
    const session: Session = { idHash: hashSessionId(cookieValue), userId, data: {}, createdAt: now };
    const store: Work<void> = (tx) =>
      insertSession(tx, { idHash: session.idHash, userId, data: '{}', createdAt: now, lastSeenAt: now, expiresAt: now + absolute });
    return { cookieValue, session, store };
  }

  return {
    /** Loads the session behind a cookie value; expired or unknown ids give null (and expired rows are removed). */
    async load(cookieValue: string | undefined): Promise<{ session: Session; user: CurrentUser | null } | null> {
      if (!cookieValue || cookieValue.length > 100) return null;
      const idHash = hashSessionId(cookieValue);
      const found = await db.uow.read(() => sessionWithUser(lookup, idHash));
      if (!found) return null;
      const { session: row, user: userRow } = found;
      const now = clock();
      if (expired(row, userRow?.role, now) || userRow?.disabled) {
        await db.uow.write((tx) => deleteSession(tx, idHash));
        return null;
      }
      if (now - row.lastSeenAt >= SESSION_POLICY.touchEveryMs) await db.uow.write((tx) => touchSession(tx, idHash, now));
      const user: CurrentUser | null = userRow
        ? {
            id: userRow.id,
            email: userRow.email,
            displayName: userRow.displayName,
            role: userRow.role,
            allProjects: userRow.allProjects,
            villageIds: found.villageIds,
            projectIds: found.projectIds,
          }
        : null;
      return { session: { idHash, userId: row.userId, data: parseData(row.data), createdAt: row.createdAt }, user };
    },

    prepare,

    /** Stores a prepared session on its own. */
    store: (work: Work<void>): Promise<void> => db.uow.write(work),

    /** Creates a session (anonymous when userId is null) and returns the cookie value. */
    async create(userId: number | null, role?: Role): Promise<{ cookieValue: string; session: Session }> {
      const { cookieValue, session, store } = prepare(userId, role);
      await db.uow.write(store);
      return { cookieValue, session };
    },

    save: (session: Session): Promise<void> => db.uow.write((tx) => saveSessionData(tx, session.idHash, JSON.stringify(session.data))),

    destroy: (idHash: string): Promise<void> => db.uow.write((tx) => deleteSession(tx, idHash)),

    /** Ends every other session of a user (after a password change). */
    destroyOthers: (userId: number, keepHash: string | null): Promise<void> => db.uow.write((tx) => deleteSessionsOfUser(tx, userId, keepHash)),

    /** Housekeeping: removes sessions past their absolute expiry or idle longer than the longest idle time. */
    prune(): Promise<void> {
      const now = clock();
      return db.uow.write((tx) => deleteExpiredSessions(tx, now, now - SESSION_POLICY.idleMs));
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
