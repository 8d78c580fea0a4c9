import { z } from 'zod';
import { startOfDay } from '../time.js';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const MAX_LOT_UNITS = 1_000_000;

export const lotIdParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});
export const lotCodeParams = z.object({ code: z.string().regex(/^[A-Za-z0-9-]{3,40}$/) });

/** Checkbox groups arrive as one string or an array of strings. */
const idList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[1-9][0-9]{0,9}$/, 'validation.invalid')
          .transform(Number),
      )
      .max(200, 'validation.invalid'),
  );

/** POST /secretary/products/:id/lots (multipart fields; the certificate is a file part). */
export const lotFormSchema = z.object({
  /** Printed on the labels; made up when left blank. */
  code: z.preprocess(
    blank,
    z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9][A-Z0-9-]{2,39}$/, 'lot.validation.code')
      .optional(),
  ),
  harvestedOn: z
    .string({ error: 'validation.required' })
    .trim()
    .min(1, 'validation.required')
    .refine((v) => startOfDay(v) !== null, 'lot.validation.date'),
  quantity: z
    .string({ error: 'validation.required' })
    .trim()
    .regex(/^[0-9]{1,7}$/, 'validation.quantity')
    .transform(Number)
    .pipe(z.number().int().min(1, 'validation.quantity').max(MAX_LOT_UNITS, 'validation.quantity')),
  notes: z.preprocess(blank, z.string().trim().max(1000, 'validation.too_long').optional()).transform((v) => v ?? null),
  householdIds: idList,
});
export type LotForm = z.infer<typeof lotFormSchema>;

/** POST /secretary/lots/:id/recall */
export const recallSchema = z.object({
  reason: z.string({ error: 'validation.required' }).trim().min(1, 'validation.required').max(200, 'validation.too_long'),
});
