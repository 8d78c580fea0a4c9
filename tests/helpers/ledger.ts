import { expect } from 'vitest';
import type { Database_ } from '../../src/db/client.js';
import { checkLedgerNow } from '../../src/ledger/ledger-service.js';

/**
 * The ledger as a coordinator's audit would find it: every transaction balanced and non-empty,
 * the whole ledger summing to zero, and the hash chain unbroken. Returns how many transactions
 * were checked, so a test can also say how many it expects.
 */
export function expectLedgerSound(db: Database_): number {
  const { transactions, problems } = checkLedgerNow(db);
  expect(problems, 'the ledger has problems').toEqual([]);
  return transactions;
}
