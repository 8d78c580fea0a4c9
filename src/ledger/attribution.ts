import { splitLargestRemainder } from '../money.js';
import type { Attribution } from './ledger-service.js';

/**
 * Which project and village a household's money belongs to.
 *
 * A household's payable account holds money from every project and village it earns in (刘春梅
 * sells shoes through 巧手绣娘 and is enrolled in 扶贫先扶志 too). Each credit carries its order
 * line, and so its project and village: a *bucket*. A payout is one sum of money, so it is
 * attributed when it is posted: split over the buckets in proportion to what the household is owed
 * from each (largest remainder), each part an entry of its own carrying its bucket. A reversal
 * undoes exactly those parts. The public figures then add up: every project's and village's
 * paid-out figure is the sum of its buckets, and each bucket's is at most what it credited.
 *
 * Two things can leave a bucket paid more than it credited: a refund after a payout (the household
 * owes the difference back: a *clawback*), and payouts posted before attribution existed
 * (unattributed). `settle` moves such excess to the household's other buckets that still have
 * money owed (the clawback is netted from its other earnings), and whatever nothing can absorb is
 * the household's outstanding clawback: netted from its next earnings, never counted as paid out
 * in public figures (which would then exceed what was credited).
 */

export interface BucketTotals extends Attribution {
  /** Net credits from order lines (payments less refunds), fen. */
  creditedFen: number;
  /** Payouts attributed to the bucket, less reversals, fen. */
  attributedFen: number;
}

export interface SettledBucket extends Attribution {
  creditedFen: number;
  /** Paid out, as public figures count it: at most creditedFen. */
  paidFen: number;
  /** creditedFen − paidFen. */
  owedFen: number;
}

export interface SettledHousehold {
  buckets: SettledBucket[];
  /** Paid out beyond every credit (refunds after payouts): to be netted from future earnings. */
  clawbackFen: number;
}

const byBucket = (a: Attribution, b: Attribution) => a.projectId - b.projectId || a.villageId - b.villageId;

/** Adds `amount` over `weights` by largest remainder (nothing when either is zero). */
function spread(amount: number, weights: number[]): number[] {
  if (amount <= 0 || weights.every((w) => w <= 0)) return weights.map(() => 0);
  return splitLargestRemainder(
    amount,
    weights.map((w) => Math.max(0, w)),
  );
}

/**
 * A household's buckets as public figures count them, from what each credited and the payouts
 * attributed to it, plus payouts with no attribution (fen; reversals of those included).
 */
export function settle(totals: readonly BucketTotals[], unattributedFen = 0): SettledHousehold {
  const sorted = [...totals].sort(byBucket);
  const credited = sorted.map((b) => Math.max(0, b.creditedFen));
  const paid = sorted.map((b, i) => Math.min(Math.max(0, b.attributedFen), credited[i]!));
  // What buckets were paid beyond their credit, and payouts belonging to no bucket.
  let excess = unattributedFen + sorted.reduce((a, b, i) => a + Math.max(0, b.attributedFen) - paid[i]!, 0);
  // A reversal without a bucket (of a payout posted before attribution) takes back from every bucket alike.
  if (excess < 0) {
    const taken = spread(
      Math.min(
        -excess,
        paid.reduce((a, b) => a + b, 0),
      ),
      paid,
    );
    taken.forEach((fen, i) => {
      paid[i]! -= fen;
    });
    excess = 0;
  }
  const room = credited.map((c, i) => c - paid[i]!);
  const roomFen = room.reduce((a, b) => a + b, 0);
  const moved = spread(Math.min(excess, roomFen), room);
  moved.forEach((fen, i) => {
    paid[i]! += fen;
  });
  return {
    buckets: sorted.map((b, i) => ({
      projectId: b.projectId,
      villageId: b.villageId,
      creditedFen: credited[i]!,
      paidFen: paid[i]!,
      owedFen: credited[i]! - paid[i]!,
    })),
    clawbackFen: Math.max(0, excess - roomFen),
  };
}

/**
 * The parts of a payout of `amountFen`: over the buckets `may` allows, in proportion to what each
 * is owed. The caller has checked that the amount is at most what those buckets are owed.
 */
export function attributePayout(
  settled: SettledHousehold,
  amountFen: number,
  may: (b: Attribution) => boolean = () => true,
): { attribution: Attribution; amountFen: number }[] {
  const open = settled.buckets.filter((b) => b.owedFen > 0 && may(b));
  const owed = open.reduce((a, b) => a + b.owedFen, 0);
  if (amountFen > owed) throw new RangeError(`cannot attribute ${amountFen} fen of ${owed} owed`);
  const parts = spread(
    amountFen,
    open.map((b) => b.owedFen),
  );
  return open.flatMap((b, i) => (parts[i]! > 0 ? [{ attribution: { projectId: b.projectId, villageId: b.villageId }, amountFen: parts[i]! }] : []));
}

/** What the buckets `may` allows are owed, in all (fen). */
export function owedWithin(settled: SettledHousehold, may: (b: Attribution) => boolean = () => true): number {
  return settled.buckets.reduce((a, b) => a + (may(b) ? b.owedFen : 0), 0);
}
