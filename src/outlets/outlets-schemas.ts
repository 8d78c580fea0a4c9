import { z } from 'zod';
import type { FieldMessages } from '../forms.js';
import type { Translator } from '../i18n/i18n.js';
import type { OutletStock } from './outlets-queries.js';
import { COUNTER_CHANNELS, type CounterChannel } from './outlets-service.js';

const positiveId = z
  .string({ error: 'validation.required' })
  .regex(/^[1-9][0-9]{0,9}$/, 'validation.invalid')
  .transform(Number);

export const outletParams = z.object({
  outletId: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});
export const outletStaffParams = z.object({
  outletId: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
  userId: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});

/** POST /secretary/outlets: move units of a product between the online stock and an outlet's shelf. */
export const stockMoveSchema = z.object({
  productId: positiveId,
  outletId: positiveId,
  quantity: z
    .string({ error: 'validation.quantity' })
    .trim()
    .regex(/^[0-9]{1,6}$/, 'validation.quantity')
    .transform(Number)
    .pipe(z.number().min(1, 'validation.quantity')),
  direction: z.enum(['to_outlet', 'to_online'], { error: 'validation.invalid' }).default('to_outlet'),
});
export type StockMoveForm = z.infer<typeof stockMoveSchema>;

/** POST /outlet/:outletId/pickups: the 6-digit code the buyer shows. */
export const pickupCodeSchema = z.object({
  code: z
    .string({ error: 'validation.required' })
    .transform((v) => v.replace(/\s+/g, ''))
    .pipe(
      z
        .string()
        .min(1, 'validation.required')
        .regex(/^[0-9]{6}$/, 'errors.pickup_code_format'),
    ),
});

/** POST /admin/outlets/:outletId/staff */
export const outletStaffSchema = z.object({
  email: z
    .string({ error: 'validation.required' })
    .trim()
    .min(1, 'validation.required')
    .max(254, 'validation.email')
    .pipe(z.email({ error: 'validation.email' })),
});

/**
 * POST /outlet/:outletId/sales: a quantity field per product on the shelf (qty_<productId>; blank
 * or 0 means none) and the till's payment channel. Quantities above the shelf stock are refused
 * here for the message; the service's conditional update is what guarantees it.
 */
export function parseCounterSale(
  body: unknown,
  shelf: readonly OutletStock[],
  t: Translator,
): { ok: true; items: { productId: number; quantity: number }[]; channel: CounterChannel } | { ok: false; fields: FieldMessages } {
  const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const fields: FieldMessages = {};
  const items: { productId: number; quantity: number }[] = [];
  for (const row of shelf) {
    const raw = form[`qty_${row.productId}`];
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '' || text === '0') continue;
    if (!/^[0-9]{1,6}$/.test(text)) {
      fields[`qty_${row.productId}`] = t('validation.quantity');
      continue;
    }
    const quantity = Number(text);
    if (quantity > row.quantity) fields[`qty_${row.productId}`] = t('errors.outlet_shelf_short', { stock: row.quantity });
    else items.push({ productId: row.productId, quantity });
  }
  const channel = form.channel;
  if (typeof channel !== 'string' || !(COUNTER_CHANNELS as readonly string[]).includes(channel)) fields.channel = t('errors.counter_channel_required');
  if (Object.keys(fields).length === 0 && items.length === 0) fields._form = t('errors.counter_sale_empty');
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return { ok: true, items, channel: channel as CounterChannel };
}
