// Verifies every ledger invariant of the configured database (npm run ledger:check):
// balanced, non-empty transactions, a zero-sum ledger, an unbroken SHA-256 chain, and the chain
// still holding every published checkpoint at its position (the database's own, and any given):
//
//   npm run ledger:check -- [database] [--head <hash> [--count <n>]] [--checkpoints <file>]
//
// database: a SQLite file or a postgres:// URL; without it, the configured database (DATABASE_URL,
// else DATABASE_PATH).
//
// --head: a head published earlier (on /impact, in a statement PDF); --count: how many
// transactions it said the ledger had. --checkpoints: a copy of /impact/checkpoints.txt or .json.
// Both may be repeated. Exits 1 and names each problem when anything is wrong, 2 on bad arguments.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { openPgDatabase, type PgDatabase } from '../src/db/pg-client.js';
import { CheckpointListError, parseCheckpointList } from '../src/ledger/checkpoint-list.js';
import { checkLedger, type ChainAnchor } from '../src/ledger/ledger-service.js';

function usage(message: string): never {
  console.error(message);
  console.error('usage: npm run ledger:check -- [database] [--head <hash> [--count <n>]] [--checkpoints <file>]');
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: { head: { type: 'string', multiple: true }, count: { type: 'string', multiple: true }, checkpoints: { type: 'string', multiple: true } },
  });
} catch (error) {
  usage((error as Error).message);
}
const { positionals, values } = args;
if (positionals.length > 1) usage(`one database at a time, not ${positionals.length}`);

const anchors: ChainAnchor[] = [];
const heads = values.head ?? [];
const counts = values.count ?? [];
if (counts.length > 0 && counts.length !== heads.length) usage('give --count once for each --head (or not at all)');
heads.forEach((given, i) => {
  const hash = given.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hash)) usage(`--head ${given}: a head hash is 64 hexadecimal characters`);
  const countText = counts[i];
  if (countText !== undefined && !/^[1-9][0-9]{0,14}$/.test(countText)) usage(`--count ${countText}: a transaction count is a whole number of at least 1`);
  anchors.push({ label: `the published head --head ${hash.slice(0, 12)}…`, hash, count: countText === undefined ? undefined : Number(countText) });
});
for (const file of values.checkpoints ?? []) {
  if (!existsSync(file)) usage(`--checkpoints ${file}: no such file`);
  try {
    anchors.push(...parseCheckpointList(readFileSync(file, 'utf8'), file));
  } catch (error) {
    if (error instanceof CheckpointListError) usage(error.message);
    throw error;
  }
}

// The database: a file or postgres:// URL given, else the configured one (DATABASE_URL wins over DATABASE_PATH).
const configured = positionals[0] === undefined ? loadConfig().database : null;
const target = positionals[0] ?? (configured?.engine === 'postgresql' ? configured.url : (configured?.path ?? ''));
const onPostgres = /^postgres(ql)?:\/\//.test(target);
/** The database named in messages, without a password. */
const where = onPostgres ? Object.assign(new URL(target), { password: '' }).toString() : target;
if (!onPostgres && !existsSync(target)) {
  console.error(`no database at ${target}`);
  process.exit(1);
}
const db = onPostgres ? openPgDatabase(target, { maxConnections: 1 }) : openDatabase(target);
try {
  const started = performance.now();
  const { transactions, problems } = await checkLedger(db, anchors);
  const ms = Math.round(performance.now() - started);
  if (problems.length === 0) {
    const given = anchors.length > 0 ? `, ${anchors.length} published checkpoint(s) given all found in place` : '';
    console.log(`ledger ok: ${transactions} transactions checked in ${ms} ms${given} (${where})`);
  } else {
    for (const p of problems) console.error(`${p.transactionId === null ? 'ledger' : `transaction ${p.transactionId}`}: ${p.problem}`);
    console.error(`ledger check FAILED: ${problems.length} problem(s) in ${transactions} transactions (${where})`);
    process.exitCode = 1;
  }
} finally {
  if (onPostgres) await (db as PgDatabase).end();
  else db.close();
}
