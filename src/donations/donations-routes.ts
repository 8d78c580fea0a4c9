import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { dayPeriod } from '../time.js';
import { presentReceipt, type DonationReceipts } from './donations-service.js';

const receiptParams = z.object({ number: z.string().min(1).max(40) });
const receiptQuery = z.object({ token: z.string().max(100).optional(), lang: z.string().max(16).optional() });
/** ?from & ?to: inclusive days (YYYY-MM-DD, CST); by default the current month. */
export const periodQuery = z.object({
  from: z.string().max(20).optional(),
  to: z.string().max(20).optional(),
  lang: z.string().max(16).optional(),
});

/**
 * Donation receipts: the PDF for the donor (the order's link, or signed in as its buyer) and for the
 * coordinators of its project; the coordinator's list of a period's receipts and its CSV.
 */
export default async function donationReceiptRoutes(root: FastifyInstance, deps: { receipts: DonationReceipts; clock: Clock }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { receipts, clock } = deps;
  const coordinator = { preHandler: requireRole('coordinator') };

  const periodOf = (query: { from?: string; to?: string }) => {
    const period = dayPeriod(query, clock());
    if (!period) throw new AppError('bad_request', 'period_invalid');
    return period;
  };

  app.get('/donation-receipts/:number/receipt.pdf', { schema: { params: receiptParams, querystring: receiptQuery } }, async (request, reply) => {
    const receipt = await receipts.receiptFor(request.params.number, { token: request.query.token, user: request.user });
    const pdf = await receipts.pdf(receipt, request.t, request.locale);
    return reply
      .header('cache-control', 'private, no-store')
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', `inline; filename="donation-receipt-${receipt.number}.pdf"`)
      .type('application/pdf')
      .send(pdf);
  });

  app.get('/coordinator/donation-receipts', { ...coordinator, schema: { querystring: periodQuery } }, async (request, reply) => {
    const period = periodOf(request.query);
    const range = `from=${period.from}&to=${period.to}`;
    const rows = await receipts.issuedBetween(currentUser(request), period.fromMs, period.toMs);
    reply.header('cache-control', 'no-store');
    return reply.view('donations/coordinator-receipts', {
      title: request.t('donation.list.title'),
      section: 'donation-receipts',
      period,
      csvUrl: `/coordinator/donation-receipts.csv?${range}`,
      rows: rows.map((r) => ({ ...presentReceipt(r, request.locale), pdfUrl: `/donation-receipts/${encodeURIComponent(r.number)}/receipt.pdf` })),
    });
  });

  app.get('/coordinator/donation-receipts.csv', { ...coordinator, schema: { querystring: periodQuery } }, async (request, reply) => {
    const period = periodOf(request.query);
    const csv = await receipts.csv(currentUser(request), period, request.t, request.locale, request.ip);
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="donation-receipts-${period.from}-${period.to}.csv"`)
      .type('text/csv; charset=utf-8')
      .send(csv);
  });
}
