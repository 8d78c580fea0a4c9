import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createCheckpointsService } from '../../src/ledger/checkpoints-service.js';
import { parseCheckpointList } from '../../src/ledger/checkpoint-list.js';
import { anonymous, signIn } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, householdIdOf, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The anchor of the ledger's hash chain: the head and its count are published on /impact, in a
 * checkpoint a day (listed for anyone to copy) and in every statement PDF, so removing the newest
 * transactions can be detected (tests/ledger/ledger-check-command.test.ts runs the check itself).
 */

const DAY = 86_400_000;
let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const chainHead = () =>
  ctx.db.sqlite
    .prepare(`SELECT count(*) AS count, max(id) AS id, (SELECT hash FROM ledger_transactions ORDER BY id DESC LIMIT 1) AS hash FROM ledger_transactions`)
    .get() as { count: number; id: number; hash: string };
const storedCheckpoints = () =>
  ctx.db.sqlite
    .prepare(
      `SELECT kind, published_on AS day, transaction_count AS count, head_transaction_id AS headId, head_hash AS hash FROM ledger_checkpoints ORDER BY id`,
    )
    .all() as {
    kind: string;
    day: string;
    count: number;
    headId: number;
    hash: string;
  }[];
const today = () => new Date(ctx.clock.now + 8 * 3_600_000).toISOString().slice(0, 10);
/** The server's periodic work, run as its hourly timer runs it (on this test's database and clock). */
const periodicWork = () => createCheckpointsService(ctx.db, { clock: () => ctx.clock.now }).publishDaily();

describe('the ledger head on /impact', () => {
  it('shows how many transactions the ledger holds and the newest one’s hash, and moves with each posting', async () => {
    const empty = (await anonymous(ctx.app).get('/impact')).body;
    expect(empty).toContain('账本里还没有交易。');
    expect(empty).toContain('<a href="/impact/checkpoints">');

    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const first = (await anonymous(ctx.app).get('/impact')).body;
    expect(first).toContain(`<dd data-ledger-count>1</dd>`);
    expect(first).toContain(`<code class="hash" data-ledger-head>${chainHead().hash}</code>`);

    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const after = await anonymous(ctx.app).get('/impact?lang=en');
    const head = chainHead();
    expect(head.count).toBe(2);
    expect(after.body).toContain(`<dd data-ledger-count>2</dd>`);
    expect(after.body).toContain(`data-ledger-head>${head.hash}<`);
    expect(after.body).toContain(`the ledger holds 2 transactions; the newest is number ${head.id}.`);
  });
});

describe('the daily checkpoint', () => {
  it('is written by the periodic work once a day, and at start-up, and listed for anyone to copy', async () => {
    await periodicWork();
    expect(storedCheckpoints()).toEqual([]); // an empty ledger has nothing to anchor
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    await periodicWork();
    expect(storedCheckpoints()).toEqual([{ kind: 'daily', day: today(), count: 1, headId: chainHead().id, hash: chainHead().hash }]);
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    await periodicWork();
    expect(storedCheckpoints()).toHaveLength(1); // the same day: nothing new

    ctx.clock.advance(DAY);
    await periodicWork();
    await periodicWork();
    expect(storedCheckpoints()).toHaveLength(2);
    expect(storedCheckpoints()[1]).toEqual({ kind: 'daily', day: today(), count: 2, headId: chainHead().id, hash: chainHead().hash });

    // A server starting on a new day writes that day's checkpoint before it serves.
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    ctx.clock.advance(DAY);
    const restarted = await buildApp(ctx.config, { db: ctx.db, clock: () => ctx.clock.now, logger: false });
    await restarted.close();
    const stored = storedCheckpoints();
    expect(stored).toHaveLength(3);
    expect(stored[2]).toEqual({ kind: 'daily', day: today(), count: 3, headId: chainHead().id, hash: chainHead().hash });

    const visitor = anonymous(ctx.app);
    const page = await visitor.get('/impact/checkpoints');
    expect(page.statusCode).toBe(200);
    for (const c of stored) expect(page.body).toContain(`<code class="hash">${c.hash}</code>`);
    expect(page.body).toContain('<a href="/impact/checkpoints.txt" download>');
    expect(page.body).not.toContain('/coordinator/checkpoints'); // publishing is for coordinators

    const text = await visitor.get('/impact/checkpoints.txt');
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(text.body).toContain(`${stored[1]!.day}\t${stored[1]!.count}\t${stored[1]!.headId}\t${stored[1]!.hash}\t`);
    const json = await visitor.get('/impact/checkpoints.json');
    expect(json.json().checkpoints.map((c: { headHash: string; transactionCount: number }) => [c.headHash, c.transactionCount])).toEqual(
      stored.map((c) => [c.hash, c.count]),
    );
    // Both files read back as the same anchors.
    expect(parseCheckpointList(text.body, 'txt').map((a) => [a.hash, a.count, a.headTransactionId])).toEqual(stored.map((c) => [c.hash, c.count, c.headId]));
    expect(parseCheckpointList(json.body, 'json').map((a) => [a.hash, a.count, a.headTransactionId])).toEqual(stored.map((c) => [c.hash, c.count, c.headId]));
  });

  it('is not written over a chain whose newest transactions were deleted since the last checkpoint', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    await periodicWork();
    const anchored = storedCheckpoints().at(-1)!;
    ctx.db.sqlite.pragma('foreign_keys = OFF');
    ctx.db.sqlite.exec('DROP TRIGGER ledger_entries_no_delete; DROP TRIGGER ledger_transactions_no_delete');
    ctx.db.sqlite.prepare(`DELETE FROM ledger_entries WHERE transaction_id = ?`).run(anchored.headId);
    ctx.db.sqlite.prepare(`DELETE FROM ledger_transactions WHERE id = ?`).run(anchored.headId);

    ctx.clock.advance(DAY);
    await expect(periodicWork()).rejects.toThrow(expect.objectContaining({ code: 'ledger_checkpoint_chain_broken' }));
    expect(storedCheckpoints()).toEqual([anchored]);
  });
  it('extends the last checkpoint over a payout posted since (its parts carry their project and village in the hash)', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    await periodicWork();
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const paid = await coordinator.post(
      '/coordinator/payouts',
      { householdId: String(await householdIdOf(ctx.db, '王秀兰')), amount: '10', method: 'bank_transfer', reference: 'ICBC-2041' },
      { csrfFrom: '/coordinator' },
    );
    expect(paid.statusCode).toBe(303);

    ctx.clock.advance(DAY);
    await periodicWork();
    expect(storedCheckpoints()).toHaveLength(2);
    expect(storedCheckpoints()[1]).toEqual({ kind: 'daily', day: today(), count: 2, headId: chainHead().id, hash: chainHead().hash });
  });
});

describe('publishing a checkpoint on demand', () => {
  it('is for a coordinator of all projects, and only when the ledger moved since the last checkpoint', async () => {
    await createScopedCoordinator(ctx.db, 'coordinator.scoped@xiangyi.test', ['shen-he-xiezuo']);
    const scoped = await signIn(ctx.app, 'coordinator.scoped@xiangyi.test', STAFF_PASSWORD);
    expect((await scoped.post('/coordinator/checkpoints', {}, { csrfFrom: '/coordinator' })).statusCode).toBe(403);
    expect((await anonymous(ctx.app).post('/coordinator/checkpoints', {}, { csrfFrom: '/login' })).statusCode).toBe(401);
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    await periodicWork();
    expect(storedCheckpoints()).toHaveLength(1);

    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const page = await coordinator.get('/impact/checkpoints');
    expect(page.body).toContain('<form method="post" action="/coordinator/checkpoints">');
    const unchanged = await coordinator.post('/coordinator/checkpoints', {}, { csrfFrom: '/impact/checkpoints' });
    expect(unchanged.statusCode).toBe(409);
    expect(unchanged.body).toContain('账本自上一个检查点（#');
    expect(storedCheckpoints()).toHaveLength(1);

    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const published = await coordinator.post('/coordinator/checkpoints', {}, { csrfFrom: '/impact/checkpoints' });
    expect(published.statusCode).toBe(303);
    expect(published.headers.location).toBe('/impact/checkpoints');
    expect(storedCheckpoints().at(-1)).toEqual({ kind: 'on_demand', day: today(), count: chainHead().count, headId: chainHead().id, hash: chainHead().hash });
  });
});

describe('the statement PDF', () => {
  it('carries the ledger’s head and count when it was made, and the command to check them', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const response = await coordinator.get(`/coordinator/households/${await householdIdOf(ctx.db, '王秀兰')}/statement.pdf`);
    expect(response.statusCode).toBe(200);
    const text = execFileSync('pdftotext', ['-', '-'], { input: response.rawPayload }).toString('utf8').replace(/\s+/g, ' ');
    const head = chainHead();
    expect(text).toContain(`账本共有 ${head.count} 笔交易`);
    expect(text).toContain(`npm run ledger:check -- --head ${head.hash} --count ${head.count}`);
  });
});
