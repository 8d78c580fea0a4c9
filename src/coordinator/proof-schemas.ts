import { z } from 'zod';
import { RECEIPT_CODE_RE } from '../orders/receipt-service.js';
import { isPeriod, MAX_NOTE_LENGTH } from './reconciliation-service.js';

const lang = z.string().max(16).optional();
const period = z
  .string()
  .regex(/^\d{4}-\d{2}$/, 'invalid_period')
  .refine(isPeriod, 'invalid_period');

/** /coordinator/reconciliation(.csv)?period=YYYY-MM (default: the current month). A bad period is a 400. */
export const reconciliationQuery = z.object({ period: period.optional(), lang });
export type ReconciliationQuery = z.infer<typeof reconciliationQuery>;

/** POST /coordinator/periods/:period/close */
export const periodParams = z.object({ period });

/** POST /coordinator/periods/:period/notes: a note on the mismatch with this key (reconciliation-service mismatchKey). */
export const noteForm = z.object({
  key: z.string({ error: 'recon.v.noteUnknown' }).trim().min(1, 'recon.v.noteUnknown').max(200, 'recon.v.noteUnknown'),
  note: z.string({ error: 'recon.v.noteRequired' }).trim().min(1, 'recon.v.noteRequired').max(MAX_NOTE_LENGTH, 'recon.v.noteTooLong'),
});

/** /coordinator/reconciliation/transactions/:id?period= (the period to go back to) */
export const transactionParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,11}$/)
    .transform(Number),
});

/** /receipts/:code — anything but a well-formed code names nothing (404). */
export const receiptParams = z.object({ code: z.string().regex(RECEIPT_CODE_RE) });

/** /secretary/orders/:number/packing-slip?village=<id> */
export const packingSlipQuery = z.object({
  village: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number)
    .optional(),
  lang,
});
