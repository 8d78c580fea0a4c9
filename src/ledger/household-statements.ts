import type { Query, Tx } from '../db/unit-of-work.js';
import type { HouseholdEntry, HouseholdReports } from './ledger-reports.js';
import { payoutsByIds, type PayoutRow } from './payouts-queries.js';

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

/** Lines on one page of the HTML statement: a long period stays quick to open on a village laptop; CSV and PDF have every line. */
export const STATEMENT_PAGE_LINES = 200;

/** One page of a statement's lines: where it starts, and the balance brought forward to it and carried on from it. */
export interface StatementPage {
  /** 1-based. */
  number: number;
  pages: number;
  /** Lines per page. */
  size: number;
  /** Lines in the whole period. */
  lineCount: number;
  /** 0-based index of this page's first line in the period. */
  offset: number;
  /** Owed before this page's first line, fen. */
  broughtForwardFen: number;
  /** Owed after its last line, fen. */
  carriedForwardFen: number;
}

/**
 * A household's statement for [fromMs, toMs): what it was owed before, the lines in between and
 * what it is owed at the end. Always opening + earnings − refunds − payouts + other = closing,
 * where payouts are net of reversals and "other" is any posting of another kind (none today).
 * The totals cover the whole period; `lines` are all of them, or one page of them when `page`
 * is given (then the page says what is brought forward to it).
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
  page: StatementPage | null;
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

/**
 * Builds the statement from ledger entries, as `reports` shows them (every project's money, or a
 * scoped coordinator's projects' only); payout lines carry their payout row (method, reference,
 * date paid). With `page` (1-based number, lines per page) only that page's lines are read: the
 * totals are sums in SQL, so a page costs the same whatever the household's history.
 */
export function* buildHouseholdStatement(
  tx: Tx,
  reports: HouseholdReports,
  householdId: number,
  fromMs: number,
  toMs: number,
  page?: { number: number; size: number },
): Query<HouseholdStatement> {
  const openingFen = (yield* reports.householdBalance(tx, householdId, fromMs)).owedFen;
  // Entries are signed on the payable account (credit = negative = the household is owed more).
  const totals = { earning: 0, refund: 0, payout: 0, payout_reversal: 0, other: 0 } satisfies Record<StatementLineType, number>;
  let lineCount = 0;
  for (const row of yield* reports.householdTotals(tx, householdId, fromMs, toMs)) {
    totals[typeOf(row.kind)] -= row.amountFen;
    lineCount += row.entries;
  }
  const closingFen = openingFen + totals.earning + totals.refund + totals.payout + totals.payout_reversal + totals.other;

  let slice: StatementPage | null = null;
  let entries: HouseholdEntry[];
  let balance = openingFen;
  if (page) {
    const pages = Math.max(1, Math.ceil(lineCount / page.size));
    const number = Math.min(Math.max(1, page.number), pages);
    const offset = (number - 1) * page.size;
    const found = yield* reports.householdPageStart(tx, householdId, fromMs, toMs, offset);
    entries = found ? yield* reports.householdEntries(tx, householdId, fromMs, toMs, { start: found.start, limit: page.size }) : [];
    balance -= found?.sumBeforeFen ?? 0;
    slice = { number, pages, size: page.size, lineCount, offset, broughtForwardFen: balance, carriedForwardFen: 0 };
  } else {
    entries = yield* reports.householdEntries(tx, householdId, fromMs, toMs);
  }
  const payouts = yield* payoutsByIds(
    tx,
    entries.map((e) => e.payoutId).filter((id): id is number => id !== null),
  );
  const lines = entries.map((e): StatementLine => {
    const amountFen = -e.amountFen;
    balance += amountFen;
    return {
      postedAt: e.postedAt,
      type: typeOf(e.kind),
      orderNumber: e.orderNumber,
      productZh: e.lineTitleZh,
      productEn: e.lineTitleEn,
      payout: e.payoutId !== null ? (payouts.get(e.payoutId) ?? null) : null,
      memo: e.memo,
      amountFen,
      balanceFen: balance,
    };
  });
  if (slice) slice.carriedForwardFen = balance;
  return {
    householdId,
    fromMs,
    toMs,
    openingFen,
    earningsFen: totals.earning,
    refundsFen: -totals.refund,
    payoutsFen: -(totals.payout + totals.payout_reversal),
    otherFen: totals.other,
    closingFen,
    lines,
    page: slice,
  };
}
