// Verifies every ledger invariant of the configured database (npm run ledger:check):
// balanced, non-empty transactions, a zero-sum ledger and an unbroken SHA-256 chain.
// Exits 1 and names each offending transaction when anything is wrong.
import { existsSync } from 'node:fs';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { checkLedger } from '../src/ledger/ledger-service.js';

const config = loadConfig();
const path = process.argv[2] ?? config.databasePath;
if (!existsSync(path)) {
  console.error(`no database at ${path}`);
  process.exit(1);
}
const db = openDatabase(path);
try {
  const started = performance.now();
  const { transactions, problems } = checkLedger(db);
  const ms = Math.round(performance.now() - started);
  if (problems.length === 0) {
    console.log(`ledger ok: ${transactions} transactions checked in ${ms} ms (${path})`);
  } else {
    for (const p of problems) console.error(`transaction ${p.transactionId ?? '-'}: ${p.problem}`);
    console.error(`ledger check FAILED: ${problems.length} problem(s) in ${transactions} transactions (${path})`);
    process.exitCode = 1;
  }
} finally {
  db.close();
}
