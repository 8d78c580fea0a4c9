import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { epochMs, flag, nowMs } from '../db/columns.js';
import { projects } from '../projects/schema.js';
import { villages } from '../villages/schema.js';

export const ROLES = ['buyer', 'first_secretary', 'coordinator', 'admin', 'outlet_staff'] as const;
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Stored lower-cased and trimmed. */
    email: text('email').notNull(),
    /** scrypt$N$r$p$salt$hash (base64). */
    passwordHash: text('password_hash').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role', { enum: ROLES }).notNull().default('buyer'),
    /** A coordinator scoped to every project (otherwise to user_projects). */
    allProjects: flag('all_projects').notNull().default(false),
    disabled: flag('disabled').notNull().default(false),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    updatedAt: epochMs('updated_at').notNull().default(nowMs),
    passwordChangedAt: epochMs('password_changed_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('users_email_uq').on(t.email),
    check('users_role_ck', sql`${t.role} IN ('buyer','first_secretary','coordinator','admin','outlet_staff')`),
    check('users_email_ck', sql`${t.email} = lower(trim(${t.email})) AND instr(${t.email}, '@') > 1`),
  ],
);

/** Villages a first secretary runs. */
export const userVillages = sqliteTable(
  'user_villages',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    villageId: integer('village_id')
      .notNull()
      .references(() => villages.id),
  },
  (t) => [primaryKey({ columns: [t.userId, t.villageId] })],
);

/** Projects a coordinator is scoped to (unless users.all_projects). */
export const userProjects = sqliteTable(
  'user_projects',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
  },
  (t) => [primaryKey({ columns: [t.userId, t.projectId] })],
);

/**
 * Server-side sessions, anonymous ones included (they carry the cart and the CSRF secret).
 * The cookie holds a random id; only its SHA-256 is stored here.
 */
export const sessions = sqliteTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** JSON: csrf secret, locale, flash messages. */
    data: text('data').notNull().default('{}'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    lastSeenAt: epochMs('last_seen_at').notNull().default(nowMs),
    /** Absolute expiry, whatever the activity. */
    expiresAt: epochMs('expires_at').notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

export const SIGN_IN_ATTEMPT_KINDS = ['sign_in', 'password_change'] as const;

/**
 * Password checks that failed (or are still being checked: a row is written before the check and
 * removed when it succeeds), for throttling per account and address pair, per account, per address
 * and per trusted device (src/accounts/sign-in-throttle.ts). Rows older than the throttle's window
 * are pruned.
 */
export const loginFailures = sqliteTable(
  'login_failures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** As typed (normalised), whether or not an account has it. */
    email: text('email').notNull(),
    address: text('address').notNull(),
    /** SHA-256 of the nonce of the trusted device cookie the attempt came with; null for a browser the account does not know. */
    deviceHash: text('device_hash'),
    /** A sign-in, or a guess of the current password on the password-change form. */
    kind: text('kind', { enum: SIGN_IN_ATTEMPT_KINDS }).notNull().default('sign_in'),
    at: epochMs('at').notNull().default(nowMs),
  },
  (t) => [
    index('login_failures_email_idx').on(t.email, t.at),
    index('login_failures_address_idx').on(t.address, t.at),
    index('login_failures_pair_idx').on(t.email, t.address, t.at),
    index('login_failures_device_idx').on(t.deviceHash, t.at).where(sql`${t.deviceHash} IS NOT NULL`),
  ],
);

/**
 * Registrations waiting for the link sent to their e-mail address. The form always gets the same
 * answer ("check your e-mail"), so it never tells whether an address has an account: a new address
 * gets a confirmation link (token_hash set), a taken one a message saying it has an account
 * (token_hash null). The account is made only when the link is followed.
 */
export const registrationRequests = sqliteTable(
  'registration_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Stored lower-cased and trimmed. */
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    /** scrypt hash of the password chosen on the form; null for an address that already had an account. */
    passwordHash: text('password_hash'),
    /** SHA-256 of the secret in the confirmation link; null when no link was sent. */
    tokenHash: text('token_hash'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    /** The link works until then. */
    expiresAt: epochMs('expires_at').notNull(),
    confirmedAt: epochMs('confirmed_at'),
  },
  (t) => [uniqueIndex('registration_requests_token_uq').on(t.tokenHash), index('registration_requests_email_idx').on(t.email, t.createdAt)],
);

/**
 * "Forgot password" links: only the SHA-256 of the secret is stored; a link works once, until
 * expires_at. Rows also count the requests per address for throttling.
 */
export const passwordResets = sqliteTable(
  'password_resets',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** As typed (normalised), whether or not an account has it: the throttle counts requests per address. */
    email: text('email').notNull(),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** Null when no account has the address (nothing was sent). */
    tokenHash: text('token_hash'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    expiresAt: epochMs('expires_at').notNull(),
    usedAt: epochMs('used_at'),
  },
  (t) => [
    index('password_resets_email_idx').on(t.email, t.createdAt),
    uniqueIndex('password_resets_token_uq').on(t.tokenHash).where(sql`${t.tokenHash} IS NOT NULL`),
  ],
);

/**
 * A staff account's TOTP two-factor secret (RFC 6238, 30-second steps, 6 digits). Written
 * unconfirmed when enrolment starts; from `confirmedAt` on, sign-in asks a code after the password.
 * The secret is sealed (AES-256-GCM, a key derived from SESSION_SECRET), never stored in clear.
 */
export const staffTotp = sqliteTable('staff_totp', {
  userId: integer('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** iv.tag.ciphertext, base64url. */
  sealedSecret: text('sealed_secret').notNull(),
  /** Null while enrolment waits for its first code. */
  confirmedAt: epochMs('confirmed_at'),
  /** The 30-second step of the last accepted code: a code is accepted once (no replay). */
  lastTimeStep: integer('last_time_step'),
  /** Wrong codes since the last right one, and until when (epoch ms) no code is checked after too many. */
  failures: integer('failures').notNull().default(0),
  lockedUntil: epochMs('locked_until'),
  createdAt: epochMs('created_at').notNull().default(nowMs),
});

/** One-time recovery codes of a staff account's two-factor sign-in; only their SHA-256 is kept. */
export const staffRecoveryCodes = sqliteTable(
  'staff_recovery_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: epochMs('used_at'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [uniqueIndex('staff_recovery_codes_uq').on(t.userId, t.codeHash)],
);
