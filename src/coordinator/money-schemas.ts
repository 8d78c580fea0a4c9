import { yuanField } from '../forms.js';
import { z } from 'zod';
import { PAYOUT_METHODS } from '../ledger/schema.js';
import { startOfDay } from '../time.js';

/** Schemas of the coordinator's money pages (payouts, statements). Messages are message keys. */

export const idParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});

/** POST /coordinator/payouts (urlencoded, or multipart when evidence is attached). */
export const payoutFormSchema = z.object({
  householdId: z
    .string({ error: 'payout.v.household' })
    .regex(/^[1-9][0-9]{0,9}$/, 'payout.v.household')
    .transform(Number),
  amount: yuanField('payout.v.amount', { minFen: 1, requiredMessage: 'payout.v.amount' }),
  method: z.enum(PAYOUT_METHODS, { error: 'payout.v.method' }),
  reference: z
    .string()
    .trim()
    .max(80, 'validation.too_long')
    .optional()
    .transform((v) => v ?? ''),
  paidOn: z
    .string({ error: 'payout.v.date' })
    .trim()
    .refine((v) => startOfDay(v) !== null, 'payout.v.date'),
});
export type PayoutForm = z.infer<typeof payoutFormSchema>;

/** POST /coordinator/payouts/:id/reverse */
export const reverseFormSchema = z.object({
  note: z.string({ error: 'payout.v.note' }).trim().min(1, 'payout.v.note').max(200, 'validation.too_long'),
});

/** ?from=YYYY-MM-DD&to=YYYY-MM-DD (both optional: the current month). Checked by the route (400 when wrong). */
export const statementQuery = z.object({
  from: z.string().max(20).optional(),
  to: z.string().max(20).optional(),
  /** A page of the lines on the HTML statement (CSV and PDF have them all); past the last, the last. */
  page: z
    .string()
    .regex(/^[0-9]{1,6}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1'))
    .optional(),
  lang: z.string().max(16).optional(),
});

/** Rejecting a payout request: why, in a sentence. */
export const rejectFormSchema = z.object({
  reason: z.string({ error: 'payreq.v.reason' }).trim().min(1, 'payreq.v.reason').max(200, 'validation.too_long'),
});
