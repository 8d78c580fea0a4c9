import { isClearingCode, parseAccountCode } from './accounts.js';
import { allocateLine, reverseProportionally, type SplitRule } from './allocation.js';
import type { PostingEntry } from './ledger-service.js';

/**
 * How an order's money becomes ledger entries: its payment (clearing debit, each line's split
 * credits, shipping) and each refund (the exact reverse of what is still credited). Pure functions
 * over what the order service reads; the service posts the result in the same transaction as the
 * order's change of state.
 */

/** Payment methods as ledger clearing accounts: offline = bank transfer. */
export const channelOf = (method: 'offline' | 'stripe') => (method === 'offline' ? 'bank' : 'stripe');

/**
 * The idempotency key of an order's one payment posting, whichever way the money came in (Stripe,
 * bank transfer, an outlet's till): the ledger posts an order's payment once, and reconciliation
 * and receipts find it as the order's `order_payment` posting.
 */
export const orderPaymentKey = (orderId: number) => `order-paid:${orderId}`;

/** The split used when a project has no rule: everything to the producer's households. */
const ALL_TO_HOUSEHOLDS: SplitRule = { id: 0, householdBp: 10000, projectFundBp: 0, operationsBp: 0 };

export interface PaymentInput {
  channel: string;
  amountFen: number;
  lines: readonly { id: number; projectId: number; producerId: number; lineTotalFen: number }[];
  subtotalFen: number;
  shippingFen: number;
  /** The project of the micro-wish an order without product lines pays for (all of it goes to its fund). */
  wishProjectId?: number | undefined;
  ruleOf: (projectId: number) => SplitRule | undefined;
  membersOf: (producerId: number) => { householdId: number; weight: number }[];
}

/** The entries of a payment: clearing debit, each line's split credits, shipping credit. */
export function paymentEntries(input: PaymentInput): { entries: PostingEntry[]; splitRuleId: number | null } {
  const entries: PostingEntry[] = [{ account: { kind: 'clearing', channel: input.channel }, amountFen: input.amountFen }];
  let splitRuleId: number | null = null;
  for (const line of input.lines) {
    const rule = input.ruleOf(line.projectId) ?? ALL_TO_HOUSEHOLDS;
    splitRuleId ??= rule.id || null;
    entries.push(
      ...allocateLine({ orderLineId: line.id, projectId: line.projectId, amountFen: line.lineTotalFen, rule, members: input.membersOf(line.producerId) }),
    );
  }
  if (input.wishProjectId !== undefined) entries.push({ account: { kind: 'project_fund', projectId: input.wishProjectId }, amountFen: -input.subtotalFen });
  if (input.shippingFen > 0) entries.push({ account: { kind: 'shipping' }, amountFen: -input.shippingFen });
  return { entries, splitRuleId };
}

/** An order's earlier postings, as the ledger returns them. */
export type OrderPostings = readonly { kind: string; entries: readonly { accountCode: string; orderLineId: number | null; amountFen: number }[] }[];

/**
 * What is still credited, per account and order line: the payment less every earlier refund.
 * Reversing in proportion to this (not to the original payment) keeps repeated partial refunds
 * exact, so a final refund brings every account back to zero.
 */
export function stillCredited(postings: OrderPostings): PostingEntry[] {
  const net = new Map<string, { code: string; orderLineId: number | null; amountFen: number }>();
  for (const t of postings) {
    if (t.kind !== 'order_payment' && t.kind !== 'refund') continue;
    for (const e of t.entries) {
      if (isClearingCode(e.accountCode)) continue;
      const key = `${e.accountCode}|${e.orderLineId ?? ''}`;
      const item = net.get(key) ?? { code: e.accountCode, orderLineId: e.orderLineId, amountFen: 0 };
      item.amountFen += e.amountFen;
      net.set(key, item);
    }
  }
  return [...net.values()]
    .filter((e) => e.amountFen < 0)
    .map((e) => ({ account: parseAccountCode(e.code), amountFen: e.amountFen, orderLineId: e.orderLineId }));
}

/**
 * The entries of a refund of `amountFen` (of one order line, or of the whole order with shipping)
 * and how much of it each order line gets back, fen. The credits reverse what is still credited in
 * proportion; the clearing account of the channel pays it out.
 */
export function refundEntries(
  postings: OrderPostings,
  refund: { amountFen: number; orderLineId: number | null; channel: string },
): { entries: PostingEntry[]; perLine: Map<number, number> } {
  const original = stillCredited(postings);
  const perLine = new Map<number, number>();
  let credits: PostingEntry[];
  if (refund.orderLineId !== null) {
    credits = reverseProportionally(
      original.filter((e) => e.orderLineId === refund.orderLineId),
      refund.amountFen,
    );
    perLine.set(refund.orderLineId, refund.amountFen);
  } else {
    credits = reverseProportionally(original, refund.amountFen);
    // Spread the refunded amount over the lines for their refunded_fen (shipping has no line).
    for (const c of credits) if (c.orderLineId) perLine.set(c.orderLineId, (perLine.get(c.orderLineId) ?? 0) + c.amountFen);
  }
  return { entries: [...credits, { account: { kind: 'clearing', channel: refund.channel }, amountFen: -refund.amountFen }], perLine };
}
