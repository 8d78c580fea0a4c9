import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database_ } from '../../src/db/client.js';
import { createLedgerService, type Posting } from '../../src/ledger/ledger-service.js';
import { REPO_ROOT } from '../helpers/child-server.js';
import { rowOf } from '../helpers/db-query.js';
import { freshTestDatabase } from '../helpers/test-app.js';
import { testDatabaseUrl } from './helpers.js';

/** Runs an operator's command (scripts/*.ts) with DATABASE_URL, as `npm run …` would, without blocking the worker. */
function command(script: string, url: string, ...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `scripts/${script}`, ...args], {
      cwd: REPO_ROOT,
      // DATABASE_PATH as the Docker image sets it: DATABASE_URL wins.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', DATABASE_PATH: '/nonexistent/dir/shop.db', DATABASE_URL: url },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

const sale = (key: string, fen: number): Posting => ({
  idempotencyKey: key,
  kind: 'test_sale',
  entries: [
    { account: { kind: 'clearing', channel: 'bank' }, amountFen: fen },
    { account: { kind: 'operations' }, amountFen: -fen },
  ],
});

/** Restores a dump into a new database on the test server and answers how many products it has. */
async function restoredProducts(dump: string): Promise<number> {
  const name = `xiangyi_test_restore_${process.pid}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(testDatabaseUrl());
    const password = url.password;
    url.password = '';
    url.pathname = `/${name}`;
    await new Promise<void>((resolve, reject) => {
      const child = spawn('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${url}`, dump], { env: { ...process.env, PGPASSWORD: password } });
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_restore exited ${code}`))));
    });
    url.password = password;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM products');
    await client.end();
    return rows[0]!.n;
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

// Each command starts a Node process, and a backup a pg_dump, a scratch database and a pg_restore.
describe('npm run ledger:check and npm run backup on PostgreSQL', { timeout: 120_000 }, () => {
  let fresh: Awaited<ReturnType<typeof freshTestDatabase>>;
  let db: Database_;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'xiangyi-pg-backup-'));

  beforeAll(async () => {
    fresh = await freshTestDatabase(true);
    db = fresh.db;
    url = fresh.path;
    const ledger = createLedgerService(db, { clock: () => Date.now() });
    for (let i = 0; i < 5; i++) await db.uow.write((tx) => ledger.postIn(tx, sale(`backup-${i}`, 1_000 + i)));
  });
  afterAll(async () => {
    await fresh.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ledger:check follows DATABASE_URL and passes an untouched ledger', async () => {
    const { code, output } = await command('ledger-check.ts', url);
    expect(output).toMatch(/ledger ok: 5 transactions/);
    expect(output).not.toContain('xiangyi:xiangyi@');
    expect(code).toBe(0);
  });

  it('backup dumps with pg_dump, proves the dump restores with an intact ledger, and keeps it', async () => {
    const target = join(dir, 'shop.dump');
    const { code, output } = await command('backup.ts', url, target);
    expect(output).toMatch(/backup ok: .*shop\.dump .*restored into a scratch database; 5 ledger transactions verified/);
    expect(code).toBe(0);
    expect(existsSync(target)).toBe(true);
    expect(await restoredProducts(target)).toBeGreaterThanOrEqual(24);
    // The scratch database the dump was restored into for its check is gone.
    const left = await rowOf<{ n: number }>(db, sql`SELECT count(*) AS n FROM pg_database WHERE datname LIKE 'xiangyi_restore_check_%'`);
    expect(left?.n).toBe(0);
  });

  it('ledger:check and backup both refuse a ledger edited behind the triggers, and no dump is kept', async () => {
    // What an attacker with the database does: drop the append-only guard and change an old amount.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('DROP TRIGGER ledger_entries_no_update ON ledger_entries');
    await admin.query(`UPDATE ledger_entries SET amount_fen = amount_fen + 1 WHERE id = (SELECT min(id) FROM ledger_entries)`);
    await admin.end();

    const check = await command('ledger-check.ts', url);
    expect(check.output).toMatch(/ledger check FAILED/);
    expect(check.code).toBe(1);

    const target = join(dir, 'tampered.dump');
    const backup = await command('backup.ts', url, target);
    expect(backup.output).toMatch(/FAILED verification/);
    expect(backup.code).toBe(1);
    expect(readdirSync(dir).filter((f) => f.startsWith('tampered'))).toEqual([]);
  });
});
