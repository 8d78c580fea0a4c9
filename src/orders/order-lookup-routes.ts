import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { csrfTokenFor } from '../plugins/security.js';
import { ORDER_LOOKUP, type LookupRequest, type OrderLookup } from './order-lookup.js';

const EMAIL = z.email();

/** POST /orders/find: an order number and the phone number or e-mail address it was placed with. */
export const lookupSchema = z.object({
  number: z
    .string({ error: 'validation.required' })
    .trim()
    .min(1, 'validation.required')
    .transform((v) => v.toUpperCase())
    .pipe(z.string().regex(/^XY-[0-9]{8}-[0-9]{4,6}$/, 'validation.order_number')),
  contact: z
    .string({ error: 'validation.required' })
    .trim()
    .min(1, 'validation.required')
    .max(254, 'validation.phone_or_email')
    .transform((v, ctx): LookupRequest['contact'] => {
      if (v.includes('@')) {
        const email = v.toLowerCase();
        if (EMAIL.safeParse(email).success) return { kind: 'email', email };
      } else {
        const phone = v.replace(/[\s-]/g, '').replace(/^\+?86/, '');
        if (/^1[0-9]{10}$/.test(phone)) return { kind: 'phone', phone };
      }
      ctx.addIssue({ code: 'custom', message: 'validation.phone_or_email' });
      return z.NEVER;
    }),
});

/**
 * "Find my order" (/orders/find) for a guest who lost the link. The page says the same whatever
 * was typed, as long as it is well formed: whether the order exists, matches, or the throttle
 * held the request back is never shown.
 */
export default async function orderLookupRoutes(root: FastifyInstance, opts: { lookup: OrderLookup }) {
  const app = root.withTypeProvider<ZodTypeProvider>();

  const renderForm = (request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, fields: FieldMessages, status = 200) =>
    reply
      .code(status)
      .header('cache-control', 'no-store')
      .view('orders/find', {
        title: request.t('lookup.title'),
        values,
        fields,
        hasErrors: Object.keys(fields).length > 0,
        csrfToken: csrfTokenFor(reply),
      });

  app.get('/orders/find', { schema: { querystring: plainQuerySchema } }, async (request, reply) => renderForm(request, reply, {}, {}));

  app.post('/orders/find', { config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (request, reply) => {
    const form = parseForm(lookupSchema, request.body, request.t);
    if (!form.ok) return renderForm(request, reply, typedValues(request.body), form.fields, 422);
    await opts.lookup.request(form.data, request.ip, request.locale);
    reply.header('cache-control', 'no-store');
    return reply.view('orders/find-sent', {
      title: request.t('lookup.sentTitle'),
      message: request.t('lookup.sent', { number: form.data.number, days: ORDER_LOOKUP.linkMs / 86_400_000 }),
    });
  });
}
