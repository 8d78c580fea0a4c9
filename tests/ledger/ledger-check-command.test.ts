import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { placePaidOrder } from '../helpers/orders.js';

/** Runs `npm run ledger:check` (scripts/ledger-check.ts) on a database file, as an operator would. */
function ledgerCheck(path: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ledger-check.ts', path], {
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent' },
    timeout: 30_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('the ledger:check command', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await createTestApp();
  });
  afterEach(async () => {
    await ctx.close();
  });

  it('exits 0 on an untouched ledger with paid orders', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    await placePaidOrder(ctx, [{ slug: 'tiger-head-shoes', quantity: 1 }]);
    const { status, out } = ledgerCheck(ctx.dbPath);
    expect(out).toMatch(/ledger ok: \d+ transactions/);
    expect(status).toBe(0);
  });

  it('fails and names the transaction when an old ledger row is edited directly (bypassing the triggers)', async () => {
    const first = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    await placePaidOrder(ctx, [{ slug: 'tiger-head-shoes', quantity: 1 }]);
    const tampered = ctx.db.sqlite.prepare(`SELECT id FROM ledger_transactions WHERE order_id = ?`).pluck().get(first.orderId) as number;
    ctx.db.sqlite.exec('DROP TRIGGER ledger_entries_no_update');
    // Move one fen from one household credit to another: every sum still balances.
    const [a, b] = ctx.db.sqlite
      .prepare(`SELECT id FROM ledger_entries WHERE transaction_id = ? AND amount_fen < -1 ORDER BY id LIMIT 2`)
      .pluck()
      .all(tampered) as [number, number];
    ctx.db.sqlite.prepare(`UPDATE ledger_entries SET amount_fen = amount_fen + 1 WHERE id = ?`).run(a);
    ctx.db.sqlite.prepare(`UPDATE ledger_entries SET amount_fen = amount_fen - 1 WHERE id = ?`).run(b);
    const { status, out } = ledgerCheck(ctx.dbPath);
    expect(status).toBe(1);
    expect(out).toContain(`transaction ${tampered}:`);
    expect(out).toMatch(/FAILED/);
  });
});
