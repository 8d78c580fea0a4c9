import type { HouseholdEntry, LedgerReports } from './ledger-reports.js';
import type { PayoutRow } from './payouts-queries.js';

export type StatementLineType = 'earning' | 'refund' | 'payout' | 'payout_reversal' | 'other';

export interface StatementLine {
  postedAt: number;
  type: StatementLineType;
  orderNumber: string | null;
  productZh: string | null;
  productEn: string | null;
  /** The payout row behind a payout or reversal line. */
  payout: PayoutRow | null;
  memo: string;
  /** What the line does to what the household is owed, fen: earnings +, refunds and payouts −. */
  amountFen: number;
  /** Owed after this line, fen. */
  balanceFen: number;
}

/**
 * A household's statement for [fromMs, toMs): what it was owed before, every line in between and
 * what it is owed at the end. Always opening + earnings − refunds − payouts + other = closing,
 * where payouts are net of reversals and "other" is any posting of another kind (none today).
 */
export interface HouseholdStatement {
  householdId: number;
  fromMs: number;
  toMs: number;
  openingFen: number;
  earningsFen: number;
  refundsFen: number;
  payoutsFen: number;
  otherFen: number;
  closingFen: number;
  lines: StatementLine[];
}

function typeOf(kind: string): StatementLineType {
  switch (kind) {
    case 'order_payment':
      return 'earning';
    case 'refund':
      return 'refund';
    case 'payout':
      return 'payout';
    case 'payout_reversal':
      return 'payout_reversal';
    default:
      return 'other';
  }
}

/** Builds the statement from ledger entries; `payoutsById` labels payout lines (method, reference, date paid). */
export function buildHouseholdStatement(
  reports: LedgerReports,
  payoutsById: (ids: readonly number[]) => Map<number, PayoutRow>,
  householdId: number,
  fromMs: number,
  toMs: number,
): HouseholdStatement {
  const openingFen = reports.householdBalance(householdId, fromMs).owedFen;
  const entries: HouseholdEntry[] = reports.householdEntries(householdId, fromMs, toMs);
  const payouts = payoutsById(entries.map((e) => e.payoutId).filter((id): id is number => id !== null));
  const totals = { earning: 0, refund: 0, payout: 0, payout_reversal: 0, other: 0 } satisfies Record<StatementLineType, number>;
  let balance = openingFen;
  const lines = entries.map((e): StatementLine => {
    const type = typeOf(e.kind);
    // Entries are signed on the payable account (credit = negative = the household is owed more).
    const amountFen = -e.amountFen;
    balance += amountFen;
    totals[type] += amountFen;
    return {
      postedAt: e.postedAt,
      type,
      orderNumber: e.orderNumber,
      productZh: e.lineTitleZh,
      productEn: e.lineTitleEn,
      payout: e.payoutId !== null ? (payouts.get(e.payoutId) ?? null) : null,
      memo: e.memo,
      amountFen,
      balanceFen: balance,
    };
  });
  return {
    householdId,
    fromMs,
    toMs,
    openingFen,
    earningsFen: totals.earning,
    refundsFen: -totals.refund,
    payoutsFen: -(totals.payout + totals.payout_reversal),
    otherFen: totals.other,
    closingFen: balance,
    lines,
  };
}
