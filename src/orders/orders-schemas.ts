import { mobilePhoneField, yuanField } from '../forms.js';
import { z } from 'zod';
import { DELIVERY_METHODS, ORDER_REQUEST_KINDS, ORDER_REQUEST_REASONS, PAYMENT_METHODS } from './schema.js';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const text = (max: number) => z.string({ error: 'validation.required' }).trim().min(1, 'validation.required').max(max, 'validation.too_long');
const id = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'validation.invalid')
  .transform(Number);
const quantity = z
  .string({ error: 'validation.quantity' })
  .trim()
  .regex(/^[0-9]{1,6}$/, 'validation.quantity')
  .transform(Number);

/** POST /cart/items */
export const addToCartSchema = z.object({
  productId: id,
  quantity: quantity.pipe(z.number().min(1, 'validation.quantity')),
  /** The product page's "buy now": the cart holds that quantity of it, and the buyer goes on to the checkout. */
  buyNow: z.literal('1').optional(),
});
/** POST /cart/items/:productId (0 removes) */
export const setQuantitySchema = z.object({ quantity });
export const productIdParams = z.object({
  productId: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});

/** An address part: required when the parcel is shipped (checked below), not for pick-up at an outlet. */
const addressPart = (max: number) => z.preprocess((v) => (typeof v === 'string' ? v : ''), z.string().trim().max(max, 'validation.too_long'));

/** POST /checkout: who receives the parcel and how they pay. */
export const checkoutSchema = z
  .object({
    name: text(40),
    phone: mobilePhoneField,
    province: addressPart(20),
    city: addressPart(20),
    district: addressPart(20),
    address: addressPart(120),
    note: z.preprocess(blank, z.string().trim().max(200, 'validation.too_long').optional()).transform((v) => v ?? null),
    paymentMethod: z.enum(PAYMENT_METHODS, { error: 'validation.payment_method' }),
    /** ship (default) or pickup at a charity supermarket (outletId; no shipping fee). */
    delivery: z.enum(DELIVERY_METHODS, { error: 'validation.invalid' }).default('ship'),
    outletId: z.preprocess(blank, id.optional()).transform((v) => v ?? null),
    /** "review" renders the review step, "edit" the form again; anything else places the order. */
    step: z.enum(['review', 'edit', 'place']).optional(),
    /** The figures the review step showed (reviewedFigures); the order is placed only at those. */
    reviewed: z.preprocess(blank, z.string().max(60, 'validation.invalid').optional()),
  })
  .superRefine(
    (v, ctx) => {
      if (v.delivery !== 'pickup') {
        for (const key of ['province', 'city', 'district', 'address'] as const)
          if (v[key] === '') ctx.addIssue({ code: 'custom', path: [key], message: 'validation.required' });
      } else if (v.outletId === null) ctx.addIssue({ code: 'custom', path: ['outletId'], message: 'errors.outlet_required' });
    },
    // Also when another field is invalid, so every missing field is marked at once.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );
export type CheckoutForm = z.infer<typeof checkoutSchema>;

export const orderNumberParams = z.object({ number: z.string().regex(/^XY-[0-9]{8}-[0-9]{4,6}$/) });
export const tokenQuery = z.object({ token: z.string().max(100).optional(), lang: z.string().max(16).optional(), paid: z.string().max(10).optional() });

export const markPaidSchema = z.object({ reference: text(80) });

export const refundSchema = z.object({
  amount: yuanField('validation.price', { minFen: 1 }),
  reason: text(200),
  lineId: z.preprocess(blank, id.optional()).transform((v) => v ?? null),
});

export const shipSchema = z.object({
  carrier: text(40),
  trackingNumber: z
    .string({ error: 'validation.required' })
    .trim()
    .regex(/^[A-Za-z0-9-]{6,40}$/, 'validation.tracking_number'),
  villageId: id,
});

/** POST /orders/:number/requests: the buyer asks for a refund or reports a problem. */
export const orderRequestSchema = z.object({
  kind: z.enum(ORDER_REQUEST_KINDS, { error: 'validation.invalid' }),
  reason: z.enum(ORDER_REQUEST_REASONS, { error: 'validation.invalid' }),
  note: text(500),
  amount: z.preprocess(blank, yuanField('validation.price', { minFen: 1 }).optional()).transform((v) => v ?? null),
});

/** POST /coordinator/requests/:id/answer */
export const answerRequestSchema = z.object({
  decision: z.enum(['accept', 'decline'], { error: 'validation.invalid' }),
  reply: z.preprocess(blank, z.string().trim().max(500, 'validation.too_long').optional()).transform((v) => v ?? null),
});
export const requestIdParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});
