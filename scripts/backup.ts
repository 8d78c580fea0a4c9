// Makes a consistent online copy of the configured database (npm run backup [-- target.db]),
// using SQLite's backup API through better-sqlite3: safe while the shop is taking orders.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { checkLedger } from '../src/ledger/ledger-service.js';

const config = loadConfig();
if (!existsSync(config.databasePath)) {
  console.error(`no database at ${config.databasePath}`);
  process.exit(1);
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const target = process.argv[2] ?? join(dirname(config.databasePath), 'backups', `xiangyi-${stamp}.db`);
mkdirSync(dirname(target), { recursive: true });
if (existsSync(target)) {
  console.error(`refusing to overwrite ${target}`);
  process.exit(1);
}

const db = openDatabase(config.databasePath);
try {
  const started = performance.now();
  await db.sqlite.backup(target);
  const ms = Math.round(performance.now() - started);
  // The copy is checked before it is called a backup.
  const copy = openDatabase(target);
  try {
    const integrity = copy.sqlite.pragma('integrity_check', { simple: true });
    const ledger = checkLedger(copy);
    if (integrity !== 'ok' || ledger.problems.length > 0) {
      console.error(`backup written to ${target} but it FAILED verification: integrity=${String(integrity)}, ledger problems=${ledger.problems.length}`);
      process.exitCode = 1;
    } else {
      console.log(`backup ok: ${target} (${ms} ms; integrity ok; ${ledger.transactions} ledger transactions verified)`);
    }
  } finally {
    copy.close();
  }
} finally {
  db.close();
}
