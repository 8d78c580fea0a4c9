// Makes a consistent online copy of the configured database (npm run backup [-- target.db]),
// using SQLite's backup API through better-sqlite3: safe while the shop is taking orders. The copy
// is called a backup only once it has passed integrity_check and the ledger's checks.
import { dirname, join } from 'node:path';
import { backupFileName, verifiedBackup } from '../src/backups/verified-backup.js';
import { loadConfig } from '../src/config.js';

const config = loadConfig();
const target = process.argv[2] ?? join(config.backups?.dir ?? join(dirname(config.databasePath), 'backups'), backupFileName(Date.now()));
try {
  const outcome = await verifiedBackup(config.databasePath, target);
  if (outcome.ok) {
    console.log(`backup ok: ${outcome.file} (${outcome.ms} ms; integrity ok; ${outcome.transactions} ledger transactions verified)`);
  } else {
    console.error(`backup of ${config.databasePath} FAILED verification (${outcome.problem}); no copy was kept`);
    process.exitCode = 1;
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
