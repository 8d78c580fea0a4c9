import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database_ } from '../../src/db/client.js';
import { createLedgerService, memoCommitment } from '../../src/ledger/ledger-service.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { freshDatabase } from '../helpers/test-app.js';

/**
 * Memo words that may name a person stay out of the hashed content: the chain covers a salted
 * commitment to them, the words sit beside it, and erasing them (a personal-data request) leaves
 * every hash as it was.
 */
describe('memo commitments', () => {
  let db: Database_;
  let dispose: () => void;
  let ledger: ReturnType<typeof createLedgerService>;
  const now = Date.UTC(2030, 5, 15, 4, 0);

  beforeEach(() => {
    ({ db, dispose } = freshDatabase(true));
    ledger = createLedgerService(db, { clock: () => now });
  });
  afterEach(() => dispose());

  const posting = (key: string, memo: string, memoMayNamePeople: boolean, payoutId: number | null = null) => ({
    idempotencyKey: key,
    kind: 'adjustment',
    memo,
    memoMayNamePeople,
    payoutId,
    entries: [
      { account: { kind: 'clearing' as const, channel: 'bank' }, amountFen: 100 },
      { account: { kind: 'operations' as const }, amountFen: -100 },
    ],
  });
  const row = (id: number) => db.sqlite.prepare(`SELECT memo, hash FROM ledger_transactions WHERE id = ?`).get(id) as { memo: string; hash: string };
  const words = (id: number) =>
    db.sqlite.prepare(`SELECT salt, text, erased_at AS erasedAt FROM ledger_memo_texts WHERE transaction_id = ?`).get(id) as
      | { salt: string; text: string; erasedAt: number | null }
      | undefined;

  it('hashes a commitment, not the words, when the memo may name a person; machine words stay in clear', async () => {
    const named = (await ledger.post(posting('memo-1', '韩梅梅 来电取消', true))).transaction;
    const plain = (await ledger.post(posting('memo-2', 'stripe cs_test_1', false))).transaction;
    const kept = words(named.id)!;
    expect(row(named.id).memo).toBe(memoCommitment(kept.salt, '韩梅梅 来电取消'));
    expect(row(named.id).memo).not.toContain('韩梅梅');
    expect(kept).toMatchObject({ text: '韩梅梅 来电取消', erasedAt: null });
    expect(kept.salt).toMatch(/^[0-9a-f]{32}$/);
    // The same words twice give different commitments: a short text cannot be guessed from its hash.
    const again = (await ledger.post(posting('memo-3', '韩梅梅 来电取消', true))).transaction;
    expect(row(again.id).memo).not.toBe(row(named.id).memo);
    expect(row(plain.id).memo).toBe('stripe cs_test_1');
    expect(words(plain.id)).toBeUndefined();
    await expectLedgerSound(db);
  });

  it('erases the words of a payout’s postings and leaves every hash and the chain as they were', async () => {
    const payoutId = 4242;
    const mine = (await ledger.post(posting('memo-4', 'payout bank_transfer 韩梅梅', true, payoutId))).transaction;
    const other = (await ledger.post(posting('memo-5', 'payout 王秀兰', true))).transaction;
    const before = row(mine.id);
    const erased = await db.uow.write((tx) => ledger.eraseMemoTextsIn(tx, { payoutIds: [payoutId] }));
    expect(erased).toBe(1);
    expect(words(mine.id)).toEqual({ salt: '', text: '', erasedAt: now });
    expect(row(mine.id)).toEqual(before);
    expect(words(other.id)?.text).toBe('payout 王秀兰');
    // Erasing again finds nothing more to erase.
    expect(await db.uow.write((tx) => ledger.eraseMemoTextsIn(tx, { payoutIds: [payoutId] }))).toBe(0);
    await expectLedgerSound(db);
  });
});
