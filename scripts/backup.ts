// Makes a consistent online copy of the configured database (npm run backup [-- target]), safe while
// the shop is taking orders, and calls it a backup only once it has been proved good:
// - SQLite (DATABASE_PATH): SQLite's backup API through better-sqlite3, then integrity_check and the
//   ledger's checks on the copy;
// - PostgreSQL (DATABASE_URL): pg_dump's custom format, restored into a scratch database on the same
//   server and the ledger's checks run there (src/backups/pg-backup.ts).
import { dirname, join } from 'node:path';
import { pgBackupFileName, verifiedPgBackup } from '../src/backups/pg-backup.js';
import { backupFileName, verifiedBackup } from '../src/backups/verified-backup.js';
import { loadConfig } from '../src/config.js';

const config = loadConfig();
const { database } = config;
const now = Date.now();
const fileName = database.engine === 'postgresql' ? pgBackupFileName(now) : backupFileName(now);
const target = process.argv[2] ?? join(config.backups?.dir ?? join(dirname(config.databasePath), 'backups'), fileName);
const source = database.engine === 'postgresql' ? redacted(database.url) : database.path;
try {
  const outcome = database.engine === 'postgresql' ? await verifiedPgBackup(database.url, target) : await verifiedBackup(database.path, target);
  const checks = database.engine === 'postgresql' ? 'restored into a scratch database' : 'integrity ok';
  if (outcome.ok) {
    console.log(`backup ok: ${outcome.file} (${outcome.ms} ms; ${checks}; ${outcome.transactions} ledger transactions verified)`);
  } else {
    console.error(`backup of ${source} FAILED verification (${outcome.problem}); no copy was kept`);
    process.exitCode = 1;
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}

/** A database URL without its password, for messages. */
function redacted(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}
