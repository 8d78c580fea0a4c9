import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database_ } from '../../src/db/client.js';
import { allocateLine, reverseProportionally, type SplitRule } from '../../src/ledger/allocation.js';
import { accountCode, checkLedger, createLedgerService, transactionDigest, type PostingEntry } from '../../src/ledger/ledger-service.js';
import { splitLargestRemainder } from '../../src/money.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { freshDatabase } from '../helpers/test-app.js';

/**
 * The proceeds ledger: splits that always add up to the fen, postings that balance, an
 * append-only history whose edits are detectable, and replays that post nothing.
 */

const CASES = 2_000;

/** A small seeded generator (mulberry32), so a failing case can be reproduced from its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    int,
    /** Amounts from 0 to ¥10,000,000, with small amounts (where rounding matters most) as common as large ones. */
    amount: () => [() => int(0, 1_000_000_000), () => int(0, 100), () => int(0, 100_000)][int(0, 2)]!(),
    /** 1–8 integer weights up to 10^6, at least one above zero; often some zero or all equal. */
    weights: () => {
      const n = int(1, 8);
      const style = int(0, 3);
      const w: number[] = Array.from({ length: n }, () => (style === 0 ? 1 : style === 1 ? int(0, 3) : int(0, 1_000_000)));
      if (!w.some((x) => x > 0)) w[int(0, n - 1)] = int(1, 1_000_000);
      return w;
    },
    /** A split rule in basis points summing to 10000 (the seeded projects' rules among them). */
    rule: (id: number): SplitRule => {
      const known = [
        [10_000, 0, 0],
        [9_000, 700, 300],
        [8_500, 1_000, 500],
        [9_500, 500, 0],
      ];
      if (int(0, 3) === 0) {
        const [h, f, o] = known[int(0, known.length - 1)]!;
        return { id, householdBp: h!, projectFundBp: f!, operationsBp: o! };
      }
      const [x, y] = [int(0, 10_000), int(0, 10_000)].sort((p, q) => p - q) as [number, number];
      return { id, householdBp: x, projectFundBp: y - x, operationsBp: 10_000 - y };
    },
  };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** floor(total × w / Σw) as an exact integer. */
const floorShare = (total: number, w: number, all: number) => Number((BigInt(total) * BigInt(w)) / BigInt(all));

describe('splitting proceeds with largest-remainder rounding', () => {
  it(`always gives non-negative whole-fen parts that add up to the whole, each within one fen of its exact share (${CASES} random cases)`, () => {
    const r = random(20_261_125);
    for (let i = 0; i < CASES; i++) {
      const total = r.amount();
      const weights = r.weights();
      const parts = splitLargestRemainder(total, weights);
      const label = `case ${i}: ${total} by ${weights.join(':')} → ${parts.join(',')}`;
      expect(parts, label).toHaveLength(weights.length);
      expect(sum(parts), label).toBe(total);
      const all = sum(weights);
      parts.forEach((p, j) => {
        expect(Number.isSafeInteger(p) && p >= 0, label).toBe(true);
        const floor = floorShare(total, weights[j]!, all);
        expect(p === floor || p === floor + 1, label).toBe(true);
        if (weights[j] === 0) expect(p, label).toBe(0);
      });
      expect(splitLargestRemainder(total, weights), label).toEqual(parts);
    }
  });

  it('gives the extra fen to the earlier of equal weights, and refuses what it cannot split', () => {
    expect(splitLargestRemainder(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(splitLargestRemainder(2, [1, 1, 1])).toEqual([1, 1, 0]);
    expect(splitLargestRemainder(0, [5, 2, 3])).toEqual([0, 0, 0]);
    expect(() => splitLargestRemainder(100, [0, 0])).toThrow(RangeError);
    expect(() => splitLargestRemainder(-1, [1])).toThrow(RangeError);
    expect(() => splitLargestRemainder(1.5, [1])).toThrow(RangeError);
    expect(() => splitLargestRemainder(100, [])).toThrow(RangeError);
    expect(() => splitLargestRemainder(100, [1, -1, 2])).toThrow(RangeError);
  });
});

describe('allocating an order line', () => {
  it(`credits exactly the line amount, by the project rule and then the members’ weights, the same way every time (${CASES} random cases)`, () => {
    const r = random(4_511_030);
    for (let i = 0; i < CASES; i++) {
      const amountFen = r.amount();
      const rule = r.rule(i);
      const weights = r.int(0, 19) === 0 ? [] : r.weights();
      const members = weights.map((weight, j) => ({ householdId: 100 + j, weight }));
      const line = { orderLineId: 7, projectId: 3, amountFen, rule, members };
      const entries = allocateLine(line);
      const label = `case ${i}: ${amountFen} by ${rule.householdBp}/${rule.projectFundBp}/${rule.operationsBp}, members ${weights.join(':')}`;

      expect(sum(entries.map((e) => e.amountFen)) + amountFen, label).toBe(0);
      for (const e of entries) {
        expect(Number.isSafeInteger(e.amountFen) && e.amountFen < 0, label).toBe(true);
        expect(e.orderLineId, label).toBe(7);
      }
      expect(allocateLine(line), label).toEqual(entries);

      // The three parts of the rule, each within a fen of its exact share.
      const credit = (kind: string) => 0 - sum(entries.filter((e) => e.account.kind === kind).map((e) => e.amountFen));
      const toHouseholds = credit('household_payable');
      const toFund = credit('project_fund');
      const toOperations = credit('operations');
      const within = (part: number, bp: number) => {
        const floor = floorShare(amountFen, bp, 10_000);
        return part === floor || part === floor + 1;
      };
      expect(within(toOperations, rule.operationsBp), label).toBe(true);
      if (members.length === 0) {
        // Without member households their part stays in the project fund.
        expect(toHouseholds, label).toBe(0);
        expect(toFund, label).toBe(amountFen - toOperations);
        const fundEntries = entries.filter((e) => e.account.kind === 'project_fund').map((e) => -e.amountFen);
        if (floorShare(amountFen, rule.householdBp, 10_000) > 0) expect(within(fundEntries[0]!, rule.householdBp), label).toBe(true);
      } else {
        expect(within(toHouseholds, rule.householdBp), label).toBe(true);
        expect(within(toFund, rule.projectFundBp), label).toBe(true);
        // Each household within a fen of its weighted share of the households' part.
        const all = sum(weights);
        for (const [j, m] of members.entries()) {
          const got = 0 - sum(entries.filter((e) => e.account.kind === 'household_payable' && e.account.householdId === m.householdId).map((e) => e.amountFen));
          const floor = floorShare(toHouseholds, weights[j]!, all);
          expect(got === floor || got === floor + 1, `${label}, household ${j}`).toBe(true);
        }
      }
    }
  });

  it('splits ¥45 of eggs 90/7/3 and the households’ ¥40.50 by 5:2:3', () => {
    const entries = allocateLine({
      orderLineId: 1,
      projectId: 2,
      amountFen: 4_500,
      rule: { id: 1, householdBp: 9_000, projectFundBp: 700, operationsBp: 300 },
      members: [
        { householdId: 3, weight: 5 },
        { householdId: 1, weight: 2 },
        { householdId: 4, weight: 3 },
      ],
    });
    expect(entries.map((e) => [accountCode(e.account), e.amountFen])).toEqual([
      ['household:3', -2_025],
      ['household:1', -810],
      ['household:4', -1_215],
      ['project:2', -315],
      ['operations', -135],
    ]);
  });
});

describe('reversing part of a posting', () => {
  it(`returns exactly the amount asked for, never more from any account than it was credited (${CASES} random cases)`, () => {
    const r = random(3_701_456);
    for (let i = 0; i < CASES; i++) {
      const line = {
        orderLineId: 9,
        projectId: 4,
        amountFen: r.amount(),
        rule: r.rule(i),
        members: r.weights().map((weight, j) => ({ householdId: 200 + j, weight })),
      };
      const original: PostingEntry[] = [...allocateLine(line), { account: { kind: 'clearing', channel: 'bank' }, amountFen: line.amountFen }];
      const credited = line.amountFen;
      const amount = [() => r.int(0, credited), () => credited, () => Math.min(credited, r.int(0, 10))][r.int(0, 2)]!();
      const reversed = reverseProportionally(original, amount);
      const label = `case ${i}: ${amount} of ${credited}`;

      expect(sum(reversed.map((e) => e.amountFen)), label).toBe(amount);
      const creditOf = new Map(original.filter((e) => e.amountFen < 0).map((e) => [accountCode(e.account), -e.amountFen]));
      for (const e of reversed) {
        expect(e.amountFen > 0 && Number.isSafeInteger(e.amountFen), label).toBe(true);
        expect(e.amountFen, label).toBeLessThanOrEqual(creditOf.get(accountCode(e.account)) ?? 0);
        expect(e.orderLineId, label).toBe(9);
      }
      expect(reverseProportionally(original, amount), label).toEqual(reversed);
      if (amount === credited) {
        expect(
          reversed.map((e) => [accountCode(e.account), e.amountFen]),
          label,
        ).toEqual(original.filter((e) => e.amountFen < 0).map((e) => [accountCode(e.account), -e.amountFen]));
      }
      expect(() => reverseProportionally(original, credited + 1), label).toThrow(RangeError);
    }
  });
});

describe('the ledger in the database', () => {
  let db: Database_;
  let dispose: () => void;
  let now: number;
  let ledger: ReturnType<typeof createLedgerService>;

  beforeEach(() => {
    ({ db, dispose } = freshDatabase(true));
    now = Date.UTC(2030, 5, 15, 4, 0);
    ledger = createLedgerService(db, { clock: () => now });
  });
  afterEach(() => dispose());

  const count = (table: string) => db.sqlite.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  const householdIds = () => db.sqlite.prepare(`SELECT id FROM households ORDER BY id LIMIT 3`).pluck().all() as number[];
  /** A bank transfer of `fen` for three households, as one posting. */
  const payment = (key: string, fen: number) => {
    const [a, b, c] = householdIds() as [number, number, number];
    const [pa, pb, pc] = splitLargestRemainder(fen, [5, 2, 3]) as [number, number, number];
    return {
      idempotencyKey: key,
      kind: 'order_payment',
      memo: `bank transfer ${key}`,
      entries: [
        { account: { kind: 'clearing', channel: 'bank' }, amountFen: fen },
        { account: { kind: 'household_payable', householdId: a }, amountFen: -pa },
        { account: { kind: 'household_payable', householdId: b }, amountFen: -pb },
        { account: { kind: 'household_payable', householdId: c }, amountFen: -pc },
      ] satisfies PostingEntry[],
    };
  };
  const post = (p: Parameters<typeof ledger.post>[0]) => ledger.post(p);
  const postThree = async () => {
    const ids: number[] = [];
    for (const [i, fen] of [12_345, 6_800, 99_999].entries()) {
      ids.push((await post(payment(`order-paid:${i + 1}`, fen))).transaction.id);
      now += 60_000;
    }
    return ids as [number, number, number];
  };

  it('posts a balanced transaction and finds the ledger sound', async () => {
    const { transaction, created } = await post(payment('order-paid:1', 12_345));
    expect(created).toBe(true);
    expect(transaction.prevHash).toBe('0'.repeat(64));
    expect(transaction.period).toBe('2030-06');
    expect(count('ledger_entries')).toBe(4);
    expect(await ledger.balance({ kind: 'clearing', channel: 'bank' })).toBe(12_345);
    expect(await expectLedgerSound(db)).toBe(1);
  });

  it('refuses UPDATE and DELETE of entries and transactions (append-only)', async () => {
    await postThree();
    const before =
      JSON.stringify(db.sqlite.prepare(`SELECT * FROM ledger_entries ORDER BY id`).all()) +
      JSON.stringify(db.sqlite.prepare(`SELECT * FROM ledger_transactions ORDER BY id`).all());
    expect(() => db.sqlite.prepare(`UPDATE ledger_entries SET amount_fen = amount_fen + 1 WHERE id = (SELECT min(id) FROM ledger_entries)`).run()).toThrow(
      /append-only/,
    );
    expect(() => db.sqlite.prepare(`DELETE FROM ledger_entries WHERE id = (SELECT max(id) FROM ledger_entries)`).run()).toThrow(/append-only/);
    expect(() => db.sqlite.prepare(`UPDATE ledger_transactions SET memo = 'edited'`).run()).toThrow(/append-only/);
    expect(() => db.sqlite.prepare(`DELETE FROM ledger_transactions`).run()).toThrow(/append-only/);
    const after =
      JSON.stringify(db.sqlite.prepare(`SELECT * FROM ledger_entries ORDER BY id`).all()) +
      JSON.stringify(db.sqlite.prepare(`SELECT * FROM ledger_transactions ORDER BY id`).all());
    expect(after).toBe(before);
    expect(await expectLedgerSound(db)).toBe(3);
  });

  it('names the transaction whose row was edited behind the triggers’ back', async () => {
    const [, second] = await postThree();
    db.sqlite.exec(`DROP TRIGGER ledger_transactions_no_update`);
    db.sqlite.prepare(`UPDATE ledger_transactions SET memo = 'bank transfer (edited)' WHERE id = ?`).run(second);
    const { problems } = await checkLedger(db);
    expect(problems.map((p) => p.transactionId)).toEqual([second]);
    expect(problems[0]!.problem).toMatch(/hash/);
  });

  it('names the transaction whose entries were moved between households, even though they still balance', async () => {
    const [first] = await postThree();
    db.sqlite.exec(`DROP TRIGGER ledger_entries_no_update`);
    const [a, b] = db.sqlite.prepare(`SELECT id FROM ledger_entries WHERE transaction_id = ? AND amount_fen < 0 ORDER BY id LIMIT 2`).pluck().all(first) as [
      number,
      number,
    ];
    db.sqlite.prepare(`UPDATE ledger_entries SET amount_fen = amount_fen - 100 WHERE id = ?`).run(a);
    db.sqlite.prepare(`UPDATE ledger_entries SET amount_fen = amount_fen + 100 WHERE id = ?`).run(b);
    const { problems } = await checkLedger(db);
    expect(problems.map((p) => p.transactionId)).toEqual([first]);
  });

  it('reports an entry edited out of balance, and the ledger total', async () => {
    const [, second] = await postThree();
    db.sqlite.exec(`DROP TRIGGER ledger_entries_no_update`);
    db.sqlite
      .prepare(`UPDATE ledger_entries SET amount_fen = amount_fen + 1 WHERE id = (SELECT min(id) FROM ledger_entries WHERE transaction_id = ?)`)
      .run(second);
    const { problems } = await checkLedger(db);
    expect(problems).toEqual(
      expect.arrayContaining([
        { transactionId: second, problem: 'entries sum to 1, not 0' },
        { transactionId: null, problem: 'all entries sum to 1, not 0' },
        expect.objectContaining({ transactionId: second, problem: expect.stringMatching(/hash/) }),
      ]),
    );
  });

  it('breaks the chain at the next transaction when an edit also rewrites its own hash', async () => {
    const [first, second, third] = await postThree();
    db.sqlite.exec(`DROP TRIGGER ledger_transactions_no_update`);
    const row = (await ledger.transactionByKey('order-paid:2'))!;
    const forged = { ...row, memo: 'bank transfer (forged)' };
    const hash = transactionDigest(forged, await ledger.entriesOf(second));
    db.sqlite.prepare(`UPDATE ledger_transactions SET memo = ?, hash = ? WHERE id = ?`).run(forged.memo, hash, second);
    const { problems } = await checkLedger(db);
    expect(problems.map((p) => p.transactionId)).toEqual([third]);
    expect(problems[0]!.problem).toMatch(/previous hash/);
    expect(first).toBeLessThan(second);
  });

  it('posts once per idempotency key: a replay returns the first posting and writes nothing', async () => {
    const first = await post(payment('stripe:evt_1Qx', 6_800));
    const entries = count('ledger_entries');
    const replay = await post(payment('stripe:evt_1Qx', 6_800));
    expect(replay.created).toBe(false);
    expect(replay.transaction.id).toBe(first.transaction.id);
    // Even a replay carrying different figures changes nothing.
    const different = await post(payment('stripe:evt_1Qx', 9_999));
    expect(different.created).toBe(false);
    expect(count('ledger_transactions')).toBe(1);
    expect(count('ledger_entries')).toBe(entries);
    expect(await ledger.balance({ kind: 'clearing', channel: 'bank' })).toBe(6_800);
    expect(await expectLedgerSound(db)).toBe(1);
  });

  it('throws on an unbalanced posting and writes nothing, not even what came before it in the same transaction', async () => {
    await post(payment('order-paid:1', 1_000));
    const counts = () => ['ledger_transactions', 'ledger_entries', 'ledger_accounts'].map(count);
    const before = counts();
    const unbalanced = {
      idempotencyKey: 'order-paid:2',
      kind: 'order_payment',
      entries: [
        { account: { kind: 'clearing', channel: 'stripe' }, amountFen: 10_000 },
        { account: { kind: 'project_fund', projectId: 1 }, amountFen: -9_999 },
      ] satisfies PostingEntry[],
    };
    await expect(post(unbalanced)).rejects.toThrow(/unbalanced/);
    expect(counts()).toEqual(before);

    // Inside a caller's unit of work, the posting is one of its steps: the good posting before it goes too.
    await expect(
      db.uow.write(function* (tx) {
        yield* ledger.postIn(tx, payment('order-paid:3', 500));
        yield* ledger.postIn(tx, unbalanced);
      }),
    ).rejects.toThrow(/unbalanced/);
    expect(counts()).toEqual(before);
    expect(await ledger.transactionByKey('order-paid:3')).toBeUndefined();
    expect(await expectLedgerSound(db)).toBe(1);
  });

  it('refuses fractional fen and empty postings, and writes nothing', async () => {
    const fractional = {
      idempotencyKey: 'x:1',
      kind: 'test',
      entries: [
        { account: { kind: 'operations' }, amountFen: 0.5 },
        { account: { kind: 'shipping' }, amountFen: -0.5 },
      ] satisfies PostingEntry[],
    };
    await expect(post(fractional)).rejects.toThrow(/integer/);
    await expect(post({ idempotencyKey: 'x:2', kind: 'test', entries: [{ account: { kind: 'operations' }, amountFen: 0 }] })).rejects.toThrow();
    expect(count('ledger_transactions')).toBe(0);
  });
});
