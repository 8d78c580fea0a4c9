import type { OrderPageSection } from '../orders/index.js';
import { presentReceipt, type DonationReceipts } from './donations-service.js';

/**
 * The order page's donation-receipt section (partial order-donation-receipt): the receipt a paid
 * donation got, with its PDF; the PDF's address carries the viewer's token, the same access the
 * order page itself required.
 */
export function donationReceiptSection(receipts: Pick<DonationReceipts, 'receiptOfOrder'>): OrderPageSection {
  return {
    name: 'donationReceipt',
    async load({ order }, viewer) {
      const receipt = await receipts.receiptOfOrder(order.id);
      if (!receipt) return null;
      const { token } = viewer;
      return {
        ...presentReceipt(receipt, viewer.locale),
        pdfUrl: `/donation-receipts/${encodeURIComponent(receipt.number)}/receipt.pdf${token ? `?token=${encodeURIComponent(token)}` : ''}`,
      };
    },
  };
}
