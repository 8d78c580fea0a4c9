import { mobilePhoneField, yuanField } from '../forms.js';
import { z } from 'zod';
import { PAYMENT_METHODS } from '../orders/schema.js';

/** Error messages are message keys; src/forms.ts turns them into field messages. */
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const text = (max: number) => z.string({ error: 'validation.required' }).trim().min(1, 'validation.required').max(max, 'validation.too_long');
const optionalText = (max: number) => z.preprocess(blank, z.string().trim().max(max, 'validation.too_long').optional()).transform((v) => v ?? null);
const id = z
  .string({ error: 'validation.required' })
  .regex(/^[1-9][0-9]{0,9}$/, 'validation.required')
  .transform(Number);

/** A micro-wish is small by definition: ¥1 to ¥2,000. */
export const MAX_WISH_FEN = 200_000;

export const wishIdParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});

/** POST /coordinator/wishes (multipart fields; the photo is a file part). */
export const wishFormSchema = z.object({
  projectId: id,
  /** A consented first name or a pseudonym (小花), never a full name. */
  childName: text(12),
  childAge: z
    .string({ error: 'validation.required' })
    .trim()
    .regex(/^[0-9]{1,2}$/, 'wish.validation.age')
    .transform(Number)
    .pipe(z.number().int().min(1, 'wish.validation.age').max(18, 'wish.validation.age')),
  item: text(40),
  itemEn: optionalText(80),
  amount: yuanField('wish.validation.amount', { minFen: 100, maxFen: MAX_WISH_FEN }),
  story: z.preprocess((v) => v ?? '', z.string().trim().max(1000, 'validation.too_long')),
  storyEn: optionalText(2000),
  photoConsent: z
    .literal('on')
    .optional()
    .transform((v) => v === 'on'),
});
export type WishForm = z.infer<typeof wishFormSchema>;

/** POST /wishes/:id/claim: the donor's contact and how they pay. */
export const claimSchema = z.object({
  name: text(40),
  phone: mobilePhoneField,
  paymentMethod: z.enum(PAYMENT_METHODS, { error: 'validation.payment_method' }),
});
export type ClaimForm = z.infer<typeof claimSchema>;

/** POST /coordinator/wishes/:id/deliver (multipart; the photo is a file part). */
export const deliverySchema = z.object({ note: optionalText(500) });
