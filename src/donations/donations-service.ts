import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import { cjkPdf, loadCjkFont } from '../coordinator/statement-export.js';
import type { Database_ } from '../db/client.js';
import type { Tx } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import { csvDocument } from '../exports/index.js';
import { pickText, type Locale, type MessageKey, type Translator } from '../i18n/i18n.js';
import { fenToYuanInput, formatFen } from '../money.js';
import type { Order } from '../orders/index.js';
import type { Query } from '../db/unit-of-work.js';
import { formatDate } from '../time.js';
import { receiptByNumber, receiptOfOrder, receiptsBetween, type DonationReceipt } from './donation-receipts-queries.js';

/** How the orders domain lets a donor in: the order's confirmation token, or its signed-in buyer. */
export interface DonorAccess {
  orderWithToken(tx: Tx, number: string, token: string | undefined): Query<Order>;
  orderOfBuyer(tx: Tx, number: string, userId: number): Query<Order>;
}

/** A receipt as people read it (page, CSV, PDF). */
export interface PresentedReceipt {
  number: string;
  donorName: string;
  amount: string;
  amountFen: number;
  project: string;
  date: string;
  orderNumber: string;
}

export function presentReceipt(r: DonationReceipt, locale: Locale): PresentedReceipt {
  return {
    number: r.number,
    donorName: r.donorName,
    amount: formatFen(r.amountFen),
    amountFen: r.amountFen,
    project: pickText(locale, r.projectNameZh, r.projectNameEn),
    date: formatDate(r.issuedAt),
    orderNumber: r.orderNumber,
  };
}

/**
 * Donation receipts (捐赠票据): issued by the orders domain when a donation is paid
 * (issueDonationReceipt); read here by the donor (the order's link or their account) and by the
 * coordinators of the receipt's project, as a PDF, and listed for a period as CSV.
 */
export function createDonationReceipts(db: Database_, deps: { clock: Clock; audit: AuditService; donors: DonorAccess }) {
  const { audit, donors } = deps;
  const inScope = (actor: CurrentUser | null | undefined, projectId: number) =>
    actor?.role === 'coordinator' && (actor.allProjects || actor.projectIds.includes(projectId));

  /** The receipt for whoever asks: a coordinator of its project, or its donor; anyone else gets "not found". */
  function receiptFor(number: string, access: { token?: string | undefined; user?: CurrentUser | null }): Promise<DonationReceipt> {
    return db.uow.read(function* (tx) {
      const receipt = number.length <= 40 ? yield* receiptByNumber(tx, number) : undefined;
      if (!receipt) throw new AppError('not_found', 'donation_receipt_not_found');
      if (inScope(access.user, receipt.projectId)) return receipt;
      try {
        if (access.token) yield* donors.orderWithToken(tx, receipt.orderNumber, access.token);
        else if (access.user) yield* donors.orderOfBuyer(tx, receipt.orderNumber, access.user.id);
        else throw new AppError('not_found', 'donation_receipt_not_found');
      } catch (error) {
        if (error instanceof AppError && error.type === 'not_found') throw new AppError('not_found', 'donation_receipt_not_found');
        throw error;
      }
      return receipt;
    });
  }

  return {
    receiptFor,
    /** The receipt of a donation order, if it has one (the order page's section; the viewer is already let in). */
    receiptOfOrder: (orderId: number) =>
      db.uow.read(function* (tx) {
        return (yield* receiptOfOrder(tx, orderId)) ?? null;
      }),

    /** Receipts issued in [from, to) in the coordinator's projects, in number order. */
    issuedBetween: (actor: CurrentUser, from: number, to: number) =>
      db.uow.read((tx) => receiptsBetween(tx, from, to, actor.allProjects ? 'all' : actor.projectIds)),

    /** The CSV of a period's receipts; downloading it is audited (it names donors). */
    async csv(actor: CurrentUser, period: { from: string; to: string; fromMs: number; toMs: number }, t: Translator, locale: Locale, address: string | null) {
      const rows = await db.uow.write(function* (tx) {
        const found = yield* receiptsBetween(tx, period.fromMs, period.toMs, actor.allProjects ? 'all' : actor.projectIds);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'donation_receipt.export',
          entityType: 'donation_receipts',
          entityId: `${period.from}..${period.to}`,
          after: { from: period.from, to: period.to, rows: found.length },
          address,
        });
        return found;
      });
      return csvDocument(
        [
          t('donation.col.number'),
          t('donation.col.date'),
          t('donation.col.donor'),
          t('donation.col.amount'),
          t('donation.col.project'),
          t('donation.col.order'),
          t('donation.col.status'),
        ],
        rows.map((r) => [
          r.number,
          formatDate(r.issuedAt),
          r.donorName,
          fenToYuanInput(r.amountFen),
          pickText(locale, r.projectNameZh, r.projectNameEn),
          r.orderNumber,
          // A donation refunded later keeps its receipt and number; the order's status says so.
          t(`order.status.${r.orderStatus}` as MessageKey),
        ]),
      );
    },

    /** The receipt as an A5 (landscape) PDF with an embedded CJK font (a 503 with a clear message when the server has none). */
    pdf: (receipt: DonationReceipt, t: Translator, locale: Locale) => receiptPdf(presentReceipt(receipt, locale), t),
  };
}

export type DonationReceipts = ReturnType<typeof createDonationReceipts>;

async function receiptPdf(r: PresentedReceipt, t: Translator): Promise<Buffer> {
  const { doc, done } = await cjkPdf(
    { size: 'A5', layout: 'landscape', margin: 40, info: { Title: `${t('donation.title')} ${r.number}`, Author: t('site.name') } },
    loadCjkFont(),
  );
  const left = doc.page.margins.left;
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  doc.fontSize(18).text(`${t('site.name')} · ${t('donation.title')}`, { align: 'center' });
  doc.moveDown(0.3);
  doc.fontSize(10).text(t('donation.pdf.number', { number: r.number }), { align: 'right' });
  doc.moveDown(0.8);
  doc.fontSize(12);
  const facts: [string, string][] = [
    [t('donation.col.donor'), r.donorName],
    [t('donation.col.amount'), r.amount],
    [t('donation.col.project'), r.project],
    [t('donation.col.date'), r.date],
    [t('donation.col.order'), r.orderNumber],
  ];
  for (const [label, value] of facts) {
    const y = doc.y;
    doc.text(label, left, y, { width: 120 });
    doc.text(value, left + 120, y, { width: width - 120 });
    doc.moveDown(0.3);
  }
  doc.moveDown(0.8);
  doc
    .fontSize(9)
    .fillColor('#444')
    .text(t('donation.pdf.thanks', { donor: r.donorName, amount: r.amount, project: r.project }), left, doc.y, { width });
  doc.end();
  return done;
}
