import { expect } from 'vitest';
import type { Database_ } from '../../src/db/client.js';
import { runOnSqlite } from '../../src/db/unit-of-work.js';
import { type ChainAnchor, checkLedger, ledgerCheck } from '../../src/ledger/ledger-service.js';

/**
 * The ledger check (src/ledger/ledger-service.ts) run synchronously on an SQLite database, in a
 * read transaction of its own (or the one open), for tests that check between synchronous steps.
 */
export function checkLedgerNow(db: Database_, anchors: readonly ChainAnchor[] = []) {
  const check = () => runOnSqlite(db, ledgerCheck(db.orm, anchors));
  return db.sqlite.inTransaction ? check() : db.sqlite.transaction(check).deferred();
}

/**
 * The ledger as a coordinator's audit would find it: every transaction balanced and non-empty,
 * the whole ledger summing to zero, and the hash chain unbroken, on either engine. Answers how many
 * transactions were checked, so a test can also say how many it expects.
 */
export async function expectLedgerSound(db: Database_): Promise<number> {
  const { transactions, problems } = await checkLedger(db);
  expect(problems, 'the ledger has problems').toEqual([]);
  return transactions;
}
