import { formatFen } from '../money.js';

/** The money figures of a scope (the platform, a project, a village), fen. */
export interface MoneyFigures {
  salesFen: number;
  creditedFen: number;
  paidOutFen: number;
}

/**
 * Ledger-derived public figures of a scope: households reached, and the money figures — null where
 * publishing them would reveal what a small group of households earned (coordinator/disclosure.ts).
 */
export interface PublicFigures {
  households: number;
  money: MoneyFigures | null;
}

/** The money figures as the pages show them (partial "money-figures"); null when withheld. */
export function presentMoney(money: MoneyFigures | null) {
  return money && { sales: formatFen(money.salesFen), credited: formatFen(money.creditedFen), paidOut: formatFen(money.paidOutFen) };
}
