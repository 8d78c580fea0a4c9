/** Front door of donation receipts (捐赠票据): the step that issues one, the service that serves them, their routes. */
export { issueDonationReceipt, receiptNumber, type PaidDonation } from './donation-receipts.js';
export type { DonationReceipt } from './donation-receipts-queries.js';
export { createDonationReceipts, presentReceipt, type DonationReceipts, type DonorAccess } from './donations-service.js';
export { default as donationReceiptRoutes } from './donations-routes.js';
export { donationReceiptSection } from './order-receipt-section.js';
