import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migratePgDatabase, openPgDatabase } from '../../src/db/pg-client.js';
import { seedDemoData } from '../../src/demo/seed.js';
import { databaseUrl, onServer, SCRATCH_PREFIX } from './helpers.js';

/**
 * PostgreSQL's counterpart of tests/helpers/global-setup.ts: two template databases for the whole
 * run, migrated (one with the demo data seeded), from which every test app gets its own copy
 * (tests/helpers/test-app.ts). A template must have no connection while it is copied, so its pool
 * is ended here.
 */
export default async function setup(project: TestProject) {
  const run = randomBytes(4).toString('hex');
  const seeded = `xiangyi_template_${run}`;
  const empty = `xiangyi_template_empty_${run}`;
  for (const [name, seed] of [
    [empty, false],
    [seeded, true],
  ] as const) {
    const url = databaseUrl(name);
    const db = openPgDatabase(url, { maxConnections: 2 });
    try {
      await migratePgDatabase(db, url);
      if (seed) await seedDemoData(db, {});
    } finally {
      await db.end();
    }
  }
  project.provide('pgTemplate', seeded);
  project.provide('pgEmptyTemplate', empty);
  project.provide('pgRun', run);
  return async () => {
    await onServer(`DROP DATABASE IF EXISTS ${seeded} WITH (FORCE)`, `DROP DATABASE IF EXISTS ${empty} WITH (FORCE)`);
    // What a worker killed before its app's close left behind (only this run's: other runs may share the server).
    const client = new pg.Client({ connectionString: databaseUrl('postgres') });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [`${SCRATCH_PREFIX}${run}_`]);
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The seeded template database on TEST_DATABASE_URL's server (npm run test:pg). */
    pgTemplate?: string;
    /** The migrated, empty template database. */
    pgEmptyTemplate?: string;
    /** This run's mark in its scratch databases' names. */
    pgRun?: string;
  }
}
