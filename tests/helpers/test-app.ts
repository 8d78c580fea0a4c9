import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type Stripe from 'stripe';
import type { AccountMail, AccountMessage } from '../../src/accounts/account-mail.js';
import { buildApp, type App, type AppDeps } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { migrateDatabase, openDatabase, type Database_ } from '../../src/db/client.js';
import { openPgDatabase } from '../../src/db/pg-client.js';
import { scratchDatabase } from '../pg/helpers.js';

export interface TestContext {
  app: App;
  db: Database_;
  config: Config;
  /** The SQLite file, or on PostgreSQL (npm run test:pg) the scratch database's URL. */
  dbPath: string;
  /** Moves the injected clock (ms). */
  clock: { now: number; advance(ms: number): void };
  /** Every account e-mail the app sent (registration links …), oldest first. */
  mailbox: AccountMessage[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Start from the seeded demo data (default) or an empty migrated database. */
  seeded?: boolean;
  env?: Record<string, string>;
  /** The Stripe client (a fake Stripe's) used when the env configures Stripe. */
  stripe?: Stripe;
  /** Pino options (a test reading the log passes a stream); no logger by default. */
  logger?: AppDeps['logger'];
  /** The scheduled backups' timer and runner, when the env sets BACKUP_DIR. */
  backups?: AppDeps['backups'];
}

/** A fresh database file for one test: a copy of the seeded template, or empty and migrated. */
export function freshDatabase(seeded = true): { db: Database_; path: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'xiangyi-test-'));
  const path = join(dir, 'test.db');
  if (seeded) copyFileSync(inject('templateDbPath'), path);
  const db = openDatabase(path);
  migrateDatabase(db);
  return {
    db,
    path,
    dispose: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function testConfig(env: Record<string, string> = {}, dbPath = ':memory:'): Config {
  const database = dbPath.startsWith('postgres://') ? { DATABASE_URL: dbPath } : { DATABASE_PATH: dbPath };
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...database, ...env });
}

/** True when the run is PostgreSQL's (npm run test:pg, tests/pg/global-setup.ts): test apps are built on it. */
export const onPostgres = (): boolean => inject('pgTemplate') !== undefined;

/**
 * A fresh database for one test app, whatever the run's engine: a copy of the seeded (or empty)
 * template, as a SQLite file or, on PostgreSQL, a scratch database of its own on the test server.
 */
export async function freshTestDatabase(seeded = true): Promise<{ db: Database_; path: string; dispose(): Promise<void> }> {
  const template = seeded ? inject('pgTemplate') : inject('pgEmptyTemplate');
  if (template === undefined) {
    const fresh = freshDatabase(seeded);
    return { ...fresh, dispose: async () => fresh.dispose() };
  }
  const scratch = await scratchDatabase(template, inject('pgRun'));
  const db = openPgDatabase(scratch.url, { maxConnections: 4 });
  return {
    db,
    path: scratch.url,
    dispose: async () => {
      await db.end();
      await scratch.drop();
    },
  };
}

/** A mailbox in memory: the app's account e-mails land in `sent`. */
export function memoryAccountMail(): AccountMail & { sent: AccountMessage[] } {
  const sent: AccountMessage[] = [];
  return {
    sent,
    // A step of the sending unit of work that writes nothing: the message is kept here.
    // biome-ignore lint/correctness/useYield: it has no query to hand to the engine
    *send(_tx, message) {
      sent.push(message);
    },
  };
}

/** Builds the app (not listening) on a fresh database, with a clock the test controls. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestContext> {
  const { db, path, dispose } = await freshTestDatabase(options.seeded ?? true);
  const config = testConfig(options.env, path);
  const clock = {
    now: Date.now(),
    advance(ms: number) {
      this.now += ms;
    },
  };
  const mail = memoryAccountMail();
  const app = await buildApp(config, {
    db,
    clock: () => clock.now,
    logger: options.logger ?? false,
    stripe: options.stripe,
    backups: options.backups,
    accountMail: mail,
  });
  return {
    app,
    db,
    config,
    dbPath: path,
    clock,
    mailbox: mail.sent,
    async close() {
      await app.close();
      await dispose();
    },
  };
}
