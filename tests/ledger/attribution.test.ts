import { describe, expect, it } from 'vitest';
import { attributePayout, owedWithin, settle } from '../../src/ledger/attribution.js';

const A = { projectId: 1, villageId: 10 };
const B = { projectId: 2, villageId: 10 };

describe('a payout to a household earning in two projects', () => {
  it('is split over the projects in proportion to what each still owes it, to the fen', () => {
    const settled = settle([
      { ...A, creditedFen: 20_000, attributedFen: 5_000 },
      { ...B, creditedFen: 10_001, attributedFen: 0 },
    ]);
    // Owed: A 15,000, B 10,001.
    const parts = attributePayout(settled, 10_000);
    expect(parts.reduce((a, p) => a + p.amountFen, 0)).toBe(10_000);
    expect(parts).toEqual([
      { attribution: A, amountFen: 6_000 },
      { attribution: B, amountFen: 4_000 },
    ]);
  });

  it('goes only to the projects a scoped coordinator works on, up to what those owe', () => {
    const settled = settle([
      { ...A, creditedFen: 3_000, attributedFen: 0 },
      { ...B, creditedFen: 9_000, attributedFen: 0 },
    ]);
    const onlyA = (b: { projectId: number }) => b.projectId === A.projectId;
    expect(owedWithin(settled, onlyA)).toBe(3_000);
    expect(attributePayout(settled, 3_000, onlyA)).toEqual([{ attribution: A, amountFen: 3_000 }]);
    expect(() => attributePayout(settled, 3_001, onlyA)).toThrow(RangeError);
  });
});

describe('settling a household’s buckets', () => {
  it('never counts a project as paid more than it credited: a refund after a payout is netted from the other project', () => {
    // A credited 10,000 and was paid it all; then a refund took 3,000 of A's credit back.
    const settled = settle([
      { ...A, creditedFen: 7_000, attributedFen: 10_000 },
      { ...B, creditedFen: 5_000, attributedFen: 0 },
    ]);
    expect(settled.buckets).toEqual([
      { ...A, creditedFen: 7_000, paidFen: 7_000, owedFen: 0 },
      { ...B, creditedFen: 5_000, paidFen: 3_000, owedFen: 2_000 },
    ]);
    expect(settled.clawbackFen).toBe(0);
  });

  it('keeps what nothing can absorb as a clawback, counted as paid nowhere', () => {
    const settled = settle([{ ...A, creditedFen: 7_000, attributedFen: 10_000 }]);
    expect(settled.buckets[0]).toEqual({ ...A, creditedFen: 7_000, paidFen: 7_000, owedFen: 0 });
    expect(settled.clawbackFen).toBe(3_000);
  });

  it('spreads payouts posted before attribution existed over what each project still owes', () => {
    const settled = settle(
      [
        { ...A, creditedFen: 6_000, attributedFen: 0 },
        { ...B, creditedFen: 3_000, attributedFen: 0 },
      ],
      4_500,
    );
    expect(settled.buckets.map((b) => b.paidFen)).toEqual([3_000, 1_500]);
    expect(settled.clawbackFen).toBe(0);
  });

  it('takes a reversal of such an old payout back from every project alike', () => {
    const settled = settle(
      [
        { ...A, creditedFen: 6_000, attributedFen: 2_000 },
        { ...B, creditedFen: 3_000, attributedFen: 1_000 },
      ],
      -1_500,
    );
    expect(settled.buckets.map((b) => b.paidFen)).toEqual([1_000, 500]);
  });
});
