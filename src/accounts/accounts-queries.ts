import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import type { Role } from './schema.js';

export interface UserRow {
  id: number;
  email: string;
  passwordHash: string;
  displayName: string;
  role: Role;
  allProjects: number;
  disabled: number;
  createdAt: number;
}

export interface SessionRow {
  idHash: string;
  userId: number | null;
  data: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

const USER_COLUMNS = `id, email, password_hash AS passwordHash, display_name AS displayName, role,
  all_projects AS allProjects, disabled, created_at AS createdAt`;

/** All SQL of accounts, sessions and scopes. */
export function createAccountsQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn)(),

    userByEmail: (email: string) => q(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`).get(email) as UserRow | undefined,
    userById: (id: number) => q(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).get(id) as UserRow | undefined,
    listUsers: () => q(`SELECT ${USER_COLUMNS} FROM users ORDER BY role, email`).all() as UserRow[],

    insertUser(u: { email: string; passwordHash: string; displayName: string; role: Role; allProjects: boolean; now: number }): number {
      const r = q(
        `INSERT INTO users (email, password_hash, display_name, role, all_projects, created_at, updated_at, password_changed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(u.email, u.passwordHash, u.displayName, u.role, u.allProjects ? 1 : 0, u.now, u.now, u.now);
      return Number(r.lastInsertRowid);
    },

    updateUserRole(id: number, role: Role, allProjects: boolean, displayName: string, disabled: boolean, now: number): void {
      q(`UPDATE users SET role = ?, all_projects = ?, display_name = ?, disabled = ?, updated_at = ? WHERE id = ?`).run(
        role,
        allProjects ? 1 : 0,
        displayName,
        disabled ? 1 : 0,
        now,
        id,
      );
    },

    updatePassword(id: number, passwordHash: string, now: number): void {
      q(`UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?`).run(passwordHash, now, now, id);
    },

    villageIdsOf: (userId: number) =>
      (q(`SELECT village_id AS id FROM user_villages WHERE user_id = ? ORDER BY village_id`).all(userId) as { id: number }[]).map((r) => r.id),
    projectIdsOf: (userId: number) =>
      (q(`SELECT project_id AS id FROM user_projects WHERE user_id = ? ORDER BY project_id`).all(userId) as { id: number }[]).map((r) => r.id),

    replaceScopes(userId: number, villageIds: number[], projectIds: number[]): void {
      q(`DELETE FROM user_villages WHERE user_id = ?`).run(userId);
      q(`DELETE FROM user_projects WHERE user_id = ?`).run(userId);
      for (const id of villageIds) q(`INSERT INTO user_villages (user_id, village_id) VALUES (?, ?)`).run(userId, id);
      for (const id of projectIds) q(`INSERT INTO user_projects (user_id, project_id) VALUES (?, ?)`).run(userId, id);
    },

    allVillageIds: () => (q(`SELECT id FROM villages`).all() as { id: number }[]).map((r) => r.id),
    allProjectIds: () => (q(`SELECT id FROM projects`).all() as { id: number }[]).map((r) => r.id),

    // Sessions
    sessionByHash: (idHash: string) =>
      q(
        `SELECT id_hash AS idHash, user_id AS userId, data, created_at AS createdAt, last_seen_at AS lastSeenAt, expires_at AS expiresAt
         FROM sessions WHERE id_hash = ?`,
      ).get(idHash) as SessionRow | undefined,
    insertSession(s: SessionRow): void {
      q(`INSERT INTO sessions (id_hash, user_id, data, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
        s.idHash,
        s.userId,
        s.data,
        s.createdAt,
        s.lastSeenAt,
        s.expiresAt,
      );
    },
    touchSession: (idHash: string, now: number) => q(`UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`).run(now, idHash),
    saveSessionData: (idHash: string, data: string) => q(`UPDATE sessions SET data = ? WHERE id_hash = ?`).run(data, idHash),
    deleteSession: (idHash: string) => q(`DELETE FROM sessions WHERE id_hash = ?`).run(idHash),
    deleteSessionsOfUser: (userId: number, exceptHash: string | null) =>
      q(`DELETE FROM sessions WHERE user_id = ? AND id_hash IS NOT ?`).run(userId, exceptHash),
    deleteExpiredSessions: (now: number, idleBefore: number) =>
      q(`DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`).run(now, idleBefore),

    // Login throttling
    recordLoginFailure: (email: string, address: string, now: number) =>
      q(`INSERT INTO login_failures (email, address, at) VALUES (?, ?, ?)`).run(email, address, now),
    failuresForEmailSince: (email: string, since: number) =>
      (q(`SELECT count(*) AS n FROM login_failures WHERE email = ? AND at > ?`).get(email, since) as { n: number }).n,
    failuresForAddressSince: (address: string, since: number) =>
      (q(`SELECT count(*) AS n FROM login_failures WHERE address = ? AND at > ?`).get(address, since) as { n: number }).n,
    clearLoginFailures: (email: string) => q(`DELETE FROM login_failures WHERE email = ?`).run(email),
    pruneLoginFailures: (before: number) => q(`DELETE FROM login_failures WHERE at <= ?`).run(before),
  };
}

export type AccountsQueries = ReturnType<typeof createAccountsQueries>;
