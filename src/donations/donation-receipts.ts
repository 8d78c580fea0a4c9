import type { Query, Tx } from '../db/unit-of-work.js';
import { yearOf } from '../time.js';
import { insertReceipt, nextReceiptSequence, receiptOfOrder, type DonationReceipt } from './donation-receipts-queries.js';

/** A receipt's human reference: 捐赠 (JZ), the year and that year's sequence, e.g. JZ-2026-000042. */
export function receiptNumber(year: number, sequence: number): string {
  return `JZ-${year}-${String(sequence).padStart(6, '0')}`;
}

/** What a paid donation is: its order, the project fund it went to, who gave it and how much. */
export interface PaidDonation {
  orderId: number;
  projectId: number;
  /** As the donor gave it on the claim. */
  donorName: string;
  /** Fen. */
  amountFen: number;
  paidAt: number;
}

/**
 * Issues the donation's numbered receipt: a step of the unit of work that marks it paid, so the
 * receipt exists exactly when the payment does. Once per order (a replayed payment gets the same
 * receipt back); the number comes from the year's counter row, never from max() + 1.
 */
export function* issueDonationReceipt(tx: Tx, donation: PaidDonation): Query<DonationReceipt> {
  const existing = yield* receiptOfOrder(tx, donation.orderId);
  if (existing) return existing;
  const year = yearOf(donation.paidAt);
  const sequence = yield* nextReceiptSequence(tx, year);
  yield* insertReceipt(tx, {
    number: receiptNumber(year, sequence),
    year,
    sequence,
    orderId: donation.orderId,
    projectId: donation.projectId,
    donorName: donation.donorName,
    amountFen: donation.amountFen,
    issuedAt: donation.paidAt,
  });
  return (yield* receiptOfOrder(tx, donation.orderId))!;
}
