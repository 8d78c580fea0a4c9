import { z } from 'zod';
import { mobilePhoneField } from '../forms.js';

const text = (max: number) => z.string({ error: 'validation.required' }).trim().min(1, 'validation.required').max(max, 'validation.too_long');
/** A select's value: absent or empty is "required" (the division check comes after, in the service's terms). */
const choice = z.preprocess((v) => (typeof v === 'string' ? v : ''), z.string().trim().min(1, 'validation.required').max(40, 'validation.too_long'));

/** POST /account/addresses and /account/addresses/:id: one address of the book. */
export const addressSchema = z.object({
  recipientName: text(40),
  phone: mobilePhoneField,
  province: choice,
  city: choice,
  district: choice,
  street: text(120),
  /** The checkbox "use as my default address". */
  isDefault: z.preprocess((v) => v === 'on' || v === '1' || v === 'true', z.boolean()),
});
export type AddressForm = z.infer<typeof addressSchema>;

export const addressIdParams = z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

/** GET /account/divisions: the cities of a province, or the districts of a city (the form's little script). */
export const divisionsQuery = z.object({
  province: z.string().trim().min(1).max(40),
  city: z.string().trim().max(40).optional(),
});
