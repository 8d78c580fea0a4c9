import { carrierChoices } from '../orders/index.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import { AppError } from '../errors.js';
import { parseForm, type FieldMessages } from '../forms.js';
import { pickText, type MessageKey } from '../i18n/i18n.js';
import { errorMessage } from '../orders/orders-routes.js';
import { orderNumberParams, shipSchema } from '../orders/orders-schemas.js';
import type { OrdersService } from '../orders/orders-service.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDateTime } from '../time.js';

/** The secretary's parcels: paid orders with lines from their villages, and shipping them. */
export default async function secretaryOrdersRoutes(root: FastifyInstance, deps: { orders: OrdersService }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const guard = { preHandler: requireRole('first_secretary') };

  async function render(request: FastifyRequest, reply: FastifyReply, fields: FieldMessages = {}, status = 200, failedNumber: string | null = null) {
    const { locale, t } = request;
    const { toShip, shipped } = await deps.orders.shipmentsFor(currentUser(request));
    return reply.code(status).view('secretary/orders', {
      title: t('sec.orders.title'),
      section: 'orders',
      toShip: toShip.map((s) => ({
        number: s.number,
        villageId: s.villageId,
        paidAt: s.paidAt ? formatDateTime(s.paidAt) : '',
        contactName: s.contactName,
        phone: s.phone,
        address: `${s.province} ${s.city} ${s.district} ${s.address}`,
        note: s.note,
        lines: s.lines.map((l) => ({ title: pickText(locale, l.titleZh, l.titleEn), quantity: l.quantity, unit: t(`unit.${l.unit}` as MessageKey) })),
        // Units of a recalled lot hold the parcel back until a coordinator refunds or replaces them.
        recalled: s.recalled.map((r) =>
          t('recall.parcelHeld', { units: r.units, unit: t(`unit.${r.unit}` as MessageKey), product: pickText(locale, r.productZh, r.productEn), lot: r.code }),
        ),
        fields: failedNumber === s.number ? fields : {},
      })),
      // A refusal for a parcel not in the list (unpaid, already shipped) is shown at the top.
      pageError: failedNumber !== null && !toShip.some((s) => s.number === failedNumber) ? Object.values(fields).join(' ') : null,
      shipped: shipped.map((s) => ({
        number: s.number,
        carrier: s.carrier,
        trackingNumber: s.trackingNumber,
        shippedAt: s.shippedAt ? formatDateTime(s.shippedAt) : '',
      })),
      carriers: carrierChoices(locale),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/secretary/orders', guard, async (request, reply) => render(request, reply));

  app.post('/secretary/orders/:number/ship', { ...guard, schema: { params: orderNumberParams } }, async (request, reply) => {
    const { number } = request.params;
    const user = currentUser(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    // A secretary of exactly one village need not say which parcel.
    const withVillage = body.villageId === undefined && user.villageIds.length === 1 ? { ...body, villageId: String(user.villageIds[0]) } : body;
    const form = parseForm(shipSchema, withVillage, request.t);
    if (!form.ok) {
      await deps.orders.order(number); // unknown numbers are 404, not 422
      return render(request, reply, form.fields, 422, number);
    }
    try {
      await deps.orders.ship(user, number, form.data.villageId, form.data.carrier, form.data.trackingNumber, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict') return render(request, reply, { trackingNumber: errorMessage(request, error) }, 409, number);
      throw error;
    }
    reply.flash('success', request.t('secOrders.shipped'));
    return reply.redirect('/secretary/orders', 303);
  });
}
