import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import type { Role, SIGN_IN_ATTEMPT_KINDS } from './schema.js';

export type SignInAttemptKind = (typeof SIGN_IN_ATTEMPT_KINDS)[number];

/** Failures counted for a throttle: how many, and when the last one was (null when none). */
export interface FailureStats {
  count: number;
  lastAt: number | null;
}

export interface RegistrationRow {
  id: number;
  email: string;
  displayName: string;
  passwordHash: string | null;
  expiresAt: number;
  confirmedAt: number | null;
}

export interface UserRow {
  id: number;
  email: string;
  passwordHash: string;
  displayName: string;
  role: Role;
  allProjects: number;
  disabled: number;
  createdAt: number;
  /** When the password was last set (epoch ms): device cookies given before it are not trusted. */
  passwordChangedAt: number;
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
  all_projects AS allProjects, disabled, created_at AS createdAt, password_changed_at AS passwordChangedAt`;

/** All SQL of accounts, sessions and scopes. */
export function createAccountsQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    /** IMMEDIATE: every one of them writes, and the throttle's check-then-record must hold across app servers too. */
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn).immediate(),

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

    /** The enabled first secretaries of a village (who ship its parcels). */
    secretariesOfVillage: (villageId: number) =>
      q(
        `SELECT u.id, u.email, u.display_name AS displayName FROM users u JOIN user_villages uv ON uv.user_id = u.id
         WHERE uv.village_id = ? AND u.role = 'first_secretary' AND u.disabled = 0 ORDER BY u.id`,
      ).all(villageId) as { id: number; email: string; displayName: string }[],

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
    deleteExpiredSessions: (now: number, idleBefore: number) => q(`DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`).run(now, idleBefore),

    // Sign-in throttling (src/accounts/sign-in-throttle.ts)
    insertAttempt: (a: { email: string; address: string; deviceHash: string | null; kind: SignInAttemptKind; at: number }) =>
      Number(
        q(`INSERT INTO login_failures (email, address, device_hash, kind, at) VALUES (?, ?, ?, ?, ?)`).run(a.email, a.address, a.deviceHash, a.kind, a.at)
          .lastInsertRowid,
      ),
    deleteAttempt: (id: number) => q(`DELETE FROM login_failures WHERE id = ?`).run(id),
    /** Failures of an account from one address, from browsers the account does not know. */
    pairFailures: (email: string, address: string, since: number) =>
      q(`SELECT count(*) AS count, max(at) AS lastAt FROM login_failures WHERE email = ? AND address = ? AND at > ? AND device_hash IS NULL`).get(
        email,
        address,
        since,
      ) as FailureStats,
    /** Failures of an account from every address, from browsers the account does not know. */
    accountFailures: (email: string, since: number) =>
      q(`SELECT count(*) AS count, max(at) AS lastAt FROM login_failures WHERE email = ? AND at > ? AND device_hash IS NULL`).get(email, since) as FailureStats,
    /** Failures from one address over every account, from browsers the accounts do not know. */
    addressFailures: (address: string, since: number) =>
      q(`SELECT count(*) AS count, max(at) AS lastAt FROM login_failures WHERE address = ? AND at > ? AND device_hash IS NULL`).get(
        address,
        since,
      ) as FailureStats,
    deviceFailures: (deviceHash: string, since: number) =>
      (q(`SELECT count(*) AS n FROM login_failures WHERE device_hash = ? AND at > ?`).get(deviceHash, since) as { n: number }).n,
    /** Wrong current passwords given for an account at or after `from`. */
    passwordChangeFailures: (email: string, from: number) =>
      (q(`SELECT count(*) AS n FROM login_failures WHERE email = ? AND at >= ? AND kind = 'password_change'`).get(email, from) as { n: number }).n,
    clearPairFailures: (email: string, address: string) =>
      q(`DELETE FROM login_failures WHERE email = ? AND address = ? AND device_hash IS NULL`).run(email, address),
    clearDeviceFailures: (deviceHash: string) => q(`DELETE FROM login_failures WHERE device_hash = ?`).run(deviceHash),
    pruneLoginFailures: (before: number) => q(`DELETE FROM login_failures WHERE at <= ?`).run(before),
    /** Accounts that exist and failed at least `min` times from browsers they do not know. */
    accountsUnderAttack: (since: number, min: number, limit: number) =>
      q(
        `SELECT u.id, u.email, u.role, count(*) AS failures, count(DISTINCT f.address) AS addresses, max(f.at) AS lastAt
         FROM login_failures f JOIN users u ON u.email = f.email
         WHERE f.at > ? AND f.device_hash IS NULL
         GROUP BY u.id HAVING count(*) >= ? ORDER BY failures DESC, lastAt DESC LIMIT ?`,
      ).all(since, min, limit) as { id: number; email: string; role: Role; failures: number; addresses: number; lastAt: number }[],
    /** Addresses with at least `min` failures, and how many different e-mails they tried. */
    addressesUnderSuspicion: (since: number, min: number, limit: number) =>
      q(
        `SELECT address, count(*) AS failures, count(DISTINCT email) AS emails, max(at) AS lastAt
         FROM login_failures WHERE at > ? AND device_hash IS NULL
         GROUP BY address HAVING count(*) >= ? ORDER BY failures DESC, lastAt DESC LIMIT ?`,
      ).all(since, min, limit) as { address: string; failures: number; emails: number; lastAt: number }[],

    // Registration requests
    insertRegistrationRequest: (r: {
      email: string;
      displayName: string;
      passwordHash: string | null;
      tokenHash: string | null;
      createdAt: number;
      expiresAt: number;
    }) =>
      q(`INSERT INTO registration_requests (email, display_name, password_hash, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
        r.email,
        r.displayName,
        r.passwordHash,
        r.tokenHash,
        r.createdAt,
        r.expiresAt,
      ),
    registrationRequestsSince: (email: string, since: number) =>
      (q(`SELECT count(*) AS n FROM registration_requests WHERE email = ? AND created_at > ?`).get(email, since) as { n: number }).n,
    registrationByToken: (tokenHash: string) =>
      q(
        `SELECT id, email, display_name AS displayName, password_hash AS passwordHash, expires_at AS expiresAt, confirmed_at AS confirmedAt
         FROM registration_requests WHERE token_hash = ?`,
      ).get(tokenHash) as RegistrationRow | undefined,
    markRegistrationConfirmed: (id: number, now: number) =>
      q(`UPDATE registration_requests SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL`).run(now, id).changes === 1,
    pruneRegistrationRequests: (before: number) => q(`DELETE FROM registration_requests WHERE expires_at <= ?`).run(before),
  };
}

export type AccountsQueries = ReturnType<typeof createAccountsQueries>;
