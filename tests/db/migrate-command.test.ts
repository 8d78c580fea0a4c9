import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { REPO_ROOT } from '../helpers/child-server.js';

/** `npm run migrate` (scripts/migrate.ts): migrations alone, before new servers are rolled out. */

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function migrate(databasePath: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', DATABASE_PATH: databasePath },
    encoding: 'utf8',
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('npm run migrate', () => {
  it('applies every migration to a new database, then finds nothing more to do', () => {
    dir = mkdtempSync(join(tmpdir(), 'xiangyi-migrate-'));
    const path = join(dir, 'shop.db');
    const migrations = readdirSync(join(REPO_ROOT, 'drizzle')).filter((n) => n.endsWith('.sql')).length;

    const first = migrate(path);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain(`${migrations} migration(s) applied, ${migrations} in all`);
    const db = openDatabase(path);
    try {
      expect(db.sqlite.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('orders', 'ledger_transactions')`).pluck().get()).toBe(2);
      // Migrated, not seeded: loading demo data is the server's or `npm run seed`'s business.
      expect(db.sqlite.prepare(`SELECT count(*) FROM villages`).pluck().get()).toBe(0);
    } finally {
      db.close();
    }

    const again = migrate(path);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain(`0 migration(s) applied, ${migrations} in all`);
  });
});
