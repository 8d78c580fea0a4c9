import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { openPgDatabase } from '../db/pg-client.js';
import { checkLedger } from '../ledger/ledger-service.js';
import { type BackupOutcome, PARTIAL_SUFFIX } from './verified-backup.js';

/** `xiangyi-2026-12-02T02-41-00-000Z.dump`: pg_dump's custom format, the moment in the name. */
export function pgBackupFileName(now: number): string {
  return `xiangyi-${new Date(now).toISOString().replace(/[:.]/g, '-')}.dump`;
}

/**
 * A PostgreSQL URL split for the client tools: the password goes through PGPASSWORD, never on a
 * command line another user's `ps` could read.
 */
function toolConnection(url: string): { uri: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { uri: parsed.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/** Runs pg_dump or pg_restore; rejects with its own words on stderr when it fails. */
function runTool(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => reject(new Error(`${command} could not be started (is PostgreSQL's client installed?): ${error.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed (exit ${code}): ${stderr.trim().slice(0, 500)}`))));
  });
}

/** The URL of another database on the same server. */
function sameServer(url: string, name: string): string {
  const other = new URL(url);
  other.pathname = `/${name}`;
  return other.toString();
}

/** Runs one statement on the server's maintenance database (CREATE and DROP DATABASE cannot run in a transaction). */
async function onServer(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: sameServer(url, 'postgres') });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * `npm run backup` on PostgreSQL: pg_dump's custom format (one consistent snapshot, safe while the
 * shop takes orders), then proved restorable before it is called a backup — restored with pg_restore
 * into a scratch database on the same server (the account needs CREATEDB), where every ledger
 * invariant is checked (balance, the hash chain), then the scratch database is dropped. Like the
 * SQLite backup, the dump is written as `<target>.partial` and renamed only once it has passed.
 */
export async function verifiedPgBackup(url: string, target: string): Promise<BackupOutcome> {
  if (existsSync(target)) throw new Error(`refusing to overwrite ${target}`);
  mkdirSync(dirname(target), { recursive: true });
  const partial = target + PARTIAL_SUFFIX;
  rmSync(partial, { force: true });
  const started = performance.now();
  const source = toolConnection(url);
  try {
    await runTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${partial}`, `--dbname=${source.uri}`], source.env);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }

  const scratch = `xiangyi_restore_check_${randomBytes(6).toString('hex')}`;
  const scratchUrl = sameServer(url, scratch);
  let problem: string | null = null;
  let transactions = 0;
  await onServer(url, `CREATE DATABASE ${scratch}`);
  try {
    const restore = toolConnection(scratchUrl);
    await runTool('pg_restore', ['--exit-on-error', '--no-owner', '--no-privileges', `--dbname=${restore.uri}`, partial], restore.env).catch((error: Error) => {
      problem = `the dump does not restore: ${error.message}`;
    });
    if (problem === null) {
      const copy = openPgDatabase(scratchUrl, { maxConnections: 1 });
      try {
        const ledger = await checkLedger(copy);
        transactions = ledger.transactions;
        if (ledger.problems.length > 0)
          problem = ledger.problems
            .slice(0, 5)
            .map((p) => `ledger transaction ${p.transactionId ?? '-'}: ${p.problem}`)
            .join('; ');
      } finally {
        await copy.end();
      }
    }
  } finally {
    await onServer(url, `DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  }
  const ms = Math.round(performance.now() - started);
  if (problem !== null) {
    rmSync(partial, { force: true });
    return { file: target, ok: false, ms, transactions, problem };
  }
  renameSync(partial, target);
  return { file: target, ok: true, ms, transactions, problem: null };
}
