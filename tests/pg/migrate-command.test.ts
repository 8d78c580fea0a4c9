import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/child-server.js';
import { testDatabaseUrl } from './helpers.js';

/** `npm run migrate` with DATABASE_URL: creates the database if missing, applies drizzle-pg/, then finds nothing to do. */
const name = `xiangyi_migrate_${process.pid}`;
const url = (() => {
  const u = new URL(testDatabaseUrl());
  u.pathname = `/${name}`;
  return u.toString();
})();

afterEach(async () => {
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

function migrate() {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
    cwd: REPO_ROOT,
    // DATABASE_PATH as the Docker image sets it: DATABASE_URL wins.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', DATABASE_PATH: '/nonexistent/dir/shop.db', DATABASE_URL: url },
    encoding: 'utf8',
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('npm run migrate on PostgreSQL', () => {
  it('creates and migrates the database named in DATABASE_URL, then finds nothing more to do', async () => {
    const first = migrate();
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/\(PostgreSQL\): [1-9][0-9]* migration\(s\) applied/);
    expect(first.output).not.toContain('xiangyi:xiangyi@');
    const second = migrate();
    expect(second.code, second.output).toBe(0);
    expect(second.output).toMatch(/: 0 migration\(s\) applied/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM villages`);
    await client.end();
    expect(rows[0].n).toBe(0);
  });
});
