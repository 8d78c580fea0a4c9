import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the PostgreSQL tests use; they refuse to run without one rather than pass unchecked. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: `npm run test:pg` needs a PostgreSQL server (.ci/run starts one)');
  return url;
}

/** The URL of database `name` on the test server. */
export function databaseUrl(name: string): string {
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs statements on the test server's maintenance database (CREATE/DROP DATABASE cannot run in a transaction). */
export async function onServer(...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Every scratch database's name starts so: a run's teardown drops what a crashed worker left. */
export const SCRATCH_PREFIX = 'xiangyi_test_';

/**
 * A new database on the test server, and how to drop it: empty, or a copy of `template` (a seeded
 * template database: CREATE DATABASE … TEMPLATE copies it block by block, in well under a second).
 * `run` marks it as this run's, for the run's teardown.
 */
export async function scratchDatabase(template?: string, run?: string): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${SCRATCH_PREFIX}${run ? `${run}_` : ''}${randomBytes(6).toString('hex')}`;
  await onServer(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
  return { name, url: databaseUrl(name), drop: () => dropDatabase(name) };
}

/**
 * Drops a scratch database and ends its sessions. A session of another role (a monitoring or
 * maintenance connection of the shared server) cannot be ended by ours: FORCE then fails with
 * insufficient_privilege, so wait for it to leave and try again a few times.
 */
async function dropDatabase(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '42501' || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
    }
  }
}
