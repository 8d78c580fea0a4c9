import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { placePaidOrder } from '../helpers/orders.js';

/** Runs `npm run ledger:check` (scripts/ledger-check.ts) on a database file, as an operator would. */
function ledgerCheck(path: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ledger-check.ts', path, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent' },
    timeout: 30_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

// Each run of the command starts a Node process (several seconds on a busy machine).
describe('the ledger:check command', { timeout: 120_000 }, () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await createTestApp();
  });
  afterEach(async () => {
    await ctx.close();
  });

  /** The head and count /impact publishes, read the way a journalist would copy them. */
  async function publishedHead() {
    const page = (await anonymous(ctx.app).get('/impact')).body;
    return { hash: /data-ledger-head>([0-9a-f]{64})</.exec(page)![1]!, count: /data-ledger-count>(\d+)</.exec(page)![1]! };
  }

  /** What an attacker with the database file does: drop the append-only guards and delete the newest transaction. */
  function deleteNewestTransaction(): number {
    const db = ctx.db.sqlite;
    db.pragma('foreign_keys = OFF');
    db.exec('DROP TRIGGER ledger_entries_no_delete; DROP TRIGGER ledger_transactions_no_delete');
    const newest = db.prepare(`SELECT max(id) FROM ledger_transactions`).pluck().get() as number;
    db.prepare(`DELETE FROM ledger_entries WHERE transaction_id = ?`).run(newest);
    db.prepare(`DELETE FROM ledger_transactions WHERE id = ?`).run(newest);
    return newest;
  }

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

  it('passes with the head published on /impact while the ledger is untouched, and fails once the newest transaction is deleted', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    await placePaidOrder(ctx, [{ slug: 'tiger-head-shoes', quantity: 1 }]);
    const head = await publishedHead();
    const untouched = ledgerCheck(ctx.dbPath, '--head', head.hash, '--count', head.count);
    expect(untouched.out).toMatch(/ledger ok: \d+ transactions checked .*1 published checkpoint\(s\) given all found in place/);
    expect(untouched.status).toBe(0);

    // The rest of the chain still links and balances: only the published head can tell.
    deleteNewestTransaction();
    const cut = ledgerCheck(ctx.dbPath, '--head', head.hash, '--count', head.count);
    expect(cut.status).toBe(1);
    expect(cut.out).toContain(
      `the published head --head ${head.hash.slice(0, 12)}… (${head.count} transactions, head ${head.hash.slice(0, 12)}…) is not in the chain, which now has ${Number(head.count) - 1} transactions`,
    );
    expect(cut.out).toMatch(/removed from the ledger/);
    expect(cut.out).toMatch(/ledger check FAILED: 1 problem/);
  });

  it('compares the chain with the checkpoints the database stored, so a deleted newest transaction fails the plain check', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const published = await coordinator.post('/coordinator/checkpoints', {}, { csrfFrom: '/impact/checkpoints' });
    expect(published.statusCode).toBe(303);
    const checkpoint = ctx.db.sqlite
      .prepare(`SELECT id, published_on AS day, transaction_count AS count FROM ledger_checkpoints ORDER BY id DESC LIMIT 1`)
      .get() as { id: number; day: string; count: number };

    deleteNewestTransaction();
    const { status, out } = ledgerCheck(ctx.dbPath);
    expect(status).toBe(1);
    expect(out).toContain(`stored checkpoint #${checkpoint.id} of ${checkpoint.day} (${checkpoint.count} transactions`);
    expect(out).toContain('is not in the chain');
  });

  it('checks a copy of the published checkpoint list (text or JSON), which still holds when the stored checkpoints are deleted too', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    expect((await coordinator.post('/coordinator/checkpoints', {}, { csrfFrom: '/impact/checkpoints' })).statusCode).toBe(303);
    const visitor = anonymous(ctx.app);
    const text = join(dirname(ctx.dbPath), 'checkpoints.txt');
    const json = join(dirname(ctx.dbPath), 'checkpoints.json');
    writeFileSync(text, (await visitor.get('/impact/checkpoints.txt')).body);
    writeFileSync(json, (await visitor.get('/impact/checkpoints.json')).body);
    const intact = ledgerCheck(ctx.dbPath, '--checkpoints', text, '--checkpoints', json);
    expect(intact.out).toMatch(/ledger ok/);
    expect(intact.status).toBe(0);

    // The attacker also removes the database's own checkpoints; the copies kept outside remain.
    deleteNewestTransaction();
    ctx.db.sqlite.exec('DROP TRIGGER ledger_checkpoints_no_delete; DELETE FROM ledger_checkpoints');
    expect(ledgerCheck(ctx.dbPath).status).toBe(0);
    const fromText = ledgerCheck(ctx.dbPath, '--checkpoints', text);
    expect(fromText.status).toBe(1);
    expect(fromText.out).toMatch(/checkpoints\.txt line \d+ \(\d{4}-\d{2}-\d{2}\) \(\d+ transactions, head [0-9a-f]{12}…\) is not in the chain/);
    const fromJson = ledgerCheck(ctx.dbPath, '--checkpoints', json);
    expect(fromJson.status).toBe(1);
    expect(fromJson.out).toMatch(/checkpoints\.json checkpoint \d+ \(\d{4}-\d{2}-\d{2}\) .* is not in the chain/);
  });

  it('fails when a published head is found at another position than the count it was published with', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const head = await publishedHead();
    const { status, out } = ledgerCheck(ctx.dbPath, '--head', head.hash, '--count', String(Number(head.count) + 1));
    expect(status).toBe(1);
    expect(out).toContain(`says its head is transaction number ${Number(head.count) + 1} of the chain, but it is number ${head.count}`);
  });

  it('refuses arguments it cannot use with a clear message and exit code 2', async () => {
    const badHash = ledgerCheck(ctx.dbPath, '--head', 'abc123');
    expect(badHash.status).toBe(2);
    expect(badHash.out).toContain('--head abc123: a head hash is 64 hexadecimal characters');
    const noFile = ledgerCheck(ctx.dbPath, '--checkpoints', '/nonexistent/checkpoints.txt');
    expect(noFile.status).toBe(2);
    expect(noFile.out).toContain('--checkpoints /nonexistent/checkpoints.txt: no such file');
  });
});
