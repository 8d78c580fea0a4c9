import { splitLargestRemainder } from '../money.js';
import type { PostingEntry } from './ledger-service.js';

export interface SplitRule {
  id: number;
  householdBp: number;
  projectFundBp: number;
  operationsBp: number;
}

export interface AllocatableLine {
  orderLineId: number;
  projectId: number;
  /** Net proceeds of the line, fen. */
  amountFen: number;
  rule: SplitRule;
  /** The producer's households and their integer weights. */
  members: { householdId: number; weight: number }[];
}

/**
 * Credits for one order line's proceeds: first split by the project's rule (households /
 * project fund / operations, basis points), then the households' part by the producer's member
 * weights. Largest-remainder rounding at each step, so the credits always sum to the line amount.
 * Returned entries are credits (negative fen).
 */
export function allocateLine(line: AllocatableLine): PostingEntry[] {
  const [households, fund, operations] = splitLargestRemainder(line.amountFen, [line.rule.householdBp, line.rule.projectFundBp, line.rule.operationsBp]) as [
    number,
    number,
    number,
  ];
  const entries: PostingEntry[] = [];
  if (households > 0) {
    if (line.members.length === 0) {
      // No member households recorded: their part stays in the project fund rather than vanishing.
      entries.push({ account: { kind: 'project_fund', projectId: line.projectId }, amountFen: -households, orderLineId: line.orderLineId });
    } else {
      const parts = splitLargestRemainder(
        households,
        line.members.map((m) => m.weight),
      );
      line.members.forEach((m, i) => {
        if (parts[i]! > 0)
          entries.push({ account: { kind: 'household_payable', householdId: m.householdId }, amountFen: -parts[i]!, orderLineId: line.orderLineId });
      });
    }
  }
  if (fund > 0) entries.push({ account: { kind: 'project_fund', projectId: line.projectId }, amountFen: -fund, orderLineId: line.orderLineId });
  if (operations > 0) entries.push({ account: { kind: 'operations' }, amountFen: -operations, orderLineId: line.orderLineId });
  return entries;
}

/**
 * The reverse of part of what was posted: `amountFen` of the original credits, spread over them
 * in proportion (largest remainder), with signs flipped. The whole amount reverses exactly.
 */
export function reverseProportionally(original: readonly PostingEntry[], amountFen: number): PostingEntry[] {
  const credits = original.filter((e) => e.amountFen < 0);
  const total = credits.reduce((a, e) => a - e.amountFen, 0);
  if (amountFen > total) throw new RangeError(`cannot reverse ${amountFen} of ${total}`);
  if (amountFen === total) return credits.map((e) => ({ ...e, amountFen: -e.amountFen }));
  const parts = splitLargestRemainder(
    amountFen,
    credits.map((e) => -e.amountFen),
  );
  return credits.map((e, i) => ({ ...e, amountFen: parts[i]! })).filter((e) => e.amountFen !== 0);
}
