import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { unitLabel } from '../catalog/catalog-presenter.js';
import { AppError } from '../errors.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { pickText, quantityText, type MessageKey } from '../i18n/i18n.js';
import { formatFen } from '../money.js';
import type { OrdersService } from '../orders/orders-service.js';
import { csrfTokenFor } from '../plugins/security.js';
import type { ProductManagement } from '../catalog/product-management.js';
import { formatDateTime } from '../time.js';
import { fieldMessagesOf, isFormError, messageOf } from '../form-errors.js';
import type { Outlet } from './outlets-queries.js';
import { outletParams, outletStaffParams, outletStaffSchema, parseCounterSale, pickupCodeSchema, stockMoveSchema } from './outlets-schemas.js';
import { COUNTER_CHANNELS, type OutletsService } from './outlets-service.js';

/**
 * Charity supermarkets: the public list, the outlet staff's screen (counter sales and pick-up
 * checks, scoped to their outlets), the first secretary's shelf allocations, and the admin's
 * outlet scopes for staff accounts.
 */
export default async function outletsRoutes(root: FastifyInstance, deps: { outlets: OutletsService; orders: OrdersService; products: ProductManagement }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { outlets } = deps;
  const staffOnly = { preHandler: requireRole('outlet_staff') };
  const outletName = (request: FastifyRequest, o: Outlet) => pickText(request.locale, o.name, o.nameEn);

  // ---------- Public list ----------

  app.get('/outlets', { schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    return reply.view('channels/outlets', {
      title: request.t('outlet.listTitle'),
      outlets: (await outlets.outlets()).map((o) => ({ slug: o.slug, name: outletName(request, o), address: o.address, openingHours: o.openingHours })),
    });
  });

  // ---------- The outlet's screen ----------

  interface ScreenState {
    sale?: { values: Record<string, string>; fields: FieldMessages };
    pickup?: { values: Record<string, string>; fields: FieldMessages; collected?: { number: string; lines: string[] } | null };
  }

  async function renderScreen(request: FastifyRequest, reply: FastifyReply, outletId: number | null, state: ScreenState = {}, status = 200) {
    const { locale, t } = request;
    const user = currentUser(request);
    const mine = await outlets.outletsOf(user);
    reply.header('cache-control', 'no-store');
    if (outletId === null || mine.length === 0) {
      return reply.code(status).view('channels/outlet', { title: t('outlet.screenTitle'), outlet: null, others: [] });
    }
    const here = await outlets.outletFor(user, outletId);
    const saleValues = state.sale?.values ?? { channel: 'cash' };
    const saleFields = state.sale?.fields ?? {};
    return reply.code(status).view('channels/outlet', {
      title: t('outlet.screenTitleOf', { name: outletName(request, here) }),
      outlet: { id: here.id, name: outletName(request, here), address: here.address, openingHours: here.openingHours },
      others: mine.filter((o) => o.id !== here.id).map((o) => ({ id: o.id, name: outletName(request, o) })),
      stock: (await outlets.stockOf(user, here.id)).map((s) => ({
        productId: s.productId,
        field: `qty_${s.productId}`,
        title: pickText(locale, s.titleZh, s.titleEn),
        unit: unitLabel(t, s.unit),
        price: formatFen(s.priceFen),
        quantity: s.quantity,
        value: saleValues[`qty_${s.productId}`] ?? '',
        error: saleFields[`qty_${s.productId}`] ?? null,
      })),
      channels: COUNTER_CHANNELS.map((c) => ({ value: c, label: t(`outlet.channel.${c}` as MessageKey), checked: saleValues.channel === c })),
      saleFields,
      saleHasErrors: Object.keys(saleFields).length > 0,
      pickup: { values: state.pickup?.values ?? {}, fields: state.pickup?.fields ?? {}, collected: state.pickup?.collected ?? null },
      recent: (await outlets.recentSales(user, here.id)).map((s) => ({
        number: s.number,
        total: formatFen(s.totalFen),
        when: formatDateTime(s.createdAt),
        channel: t(`outlet.channel.${s.channel}` as MessageKey),
      })),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/outlet', { ...staffOnly, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    const [first] = await outlets.outletsOf(currentUser(request));
    return renderScreen(request, reply, first?.id ?? null);
  });

  app.get('/outlet/:outletId', { ...staffOnly, schema: { params: outletParams, querystring: plainQuerySchema } }, async (request, reply) =>
    renderScreen(request, reply, request.params.outletId),
  );

  app.post('/outlet/:outletId/sales', { ...staffOnly, schema: { params: outletParams } }, async (request, reply) => {
    const { outletId } = request.params;
    const user = currentUser(request);
    const shelf = await outlets.stockOf(user, outletId); // 404 for another outlet
    const values = typedValues(request.body);
    const form = parseCounterSale(request.body, shelf, request.t);
    if (!form.ok) return renderScreen(request, reply, outletId, { sale: { values, fields: form.fields } }, 422);
    let order;
    try {
      order = await outlets.counterSale(user, outletId, form.items, form.channel, request.ip);
    } catch (error) {
      if (isFormError(error)) {
        const fields = error.details.fields ? fieldMessagesOf(request, error) : { _form: messageOf(request, error) };
        return renderScreen(request, reply, outletId, { sale: { values, fields } }, error.status);
      }
      throw error;
    }
    reply.flash('success', request.t('outlet.saleRecorded', { number: order.number, total: formatFen(order.totalFen) }));
    return reply.redirect(`/outlet/${outletId}`, 303);
  });

  app.post(
    '/outlet/:outletId/pickups',
    {
      // Staff of this outlet only (404 for another's), checked before the request limit counts the
      // request: a refused request writes nothing, not even its count (src/cluster/rate-limit-store.ts).
      preHandler: [
        requireRole('outlet_staff'),
        async (request) => {
          await outlets.outletFor(currentUser(request), request.params.outletId);
        },
      ],
      schema: { params: outletParams },
      config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
    },
    async (request, reply) => {
      const { outletId } = request.params;
      const user = currentUser(request);
      const values = typedValues(request.body);
      const form = parseForm(pickupCodeSchema, request.body, request.t);
      if (!form.ok) return renderScreen(request, reply, outletId, { pickup: { values, fields: form.fields } }, 422);
      let order;
      try {
        order = await outlets.collectPickup(user, outletId, form.data.code, request.ip);
      } catch (error) {
        if (error instanceof AppError && (error.type === 'not_found' || error.type === 'conflict') && error.details.fields) {
          return renderScreen(request, reply, outletId, { pickup: { values, fields: fieldMessagesOf(request, error) } }, error.status);
        }
        throw error;
      }
      const lines = (await deps.orders.details(order)).lines.map(
        (l) => `${pickText(request.locale, l.titleZh, l.titleEn)} × ${quantityText(request.locale, l.quantity, l.unit)}`,
      );
      return renderScreen(request, reply, outletId, { pickup: { values: {}, fields: {}, collected: { number: order.number, lines } } });
    },
  );

  // ---------- The first secretary's shelf allocations ----------

  const secretaryOnly = { preHandler: requireRole('first_secretary') };

  async function renderAllocations(
    request: FastifyRequest,
    reply: FastifyReply,
    form: { values: Record<string, string>; fields: FieldMessages },
    status = 200,
  ) {
    const { locale, t } = request;
    const user = currentUser(request);
    const all = await outlets.outlets();
    const names = new Map(all.map((o) => [o.id, outletName(request, o)]));
    return reply.code(status).view('channels/secretary-outlets', {
      title: t('outlet.allocationsTitle'),
      section: 'outlets',
      products: (await deps.products.products(user)).map((p) => ({
        id: p.id,
        name: t('outlet.productOption', { title: pickText(locale, p.titleZh, p.titleEn), stock: p.stock, unit: unitLabel(t, p.unit) }),
        selected: String(p.id) === form.values.productId,
      })),
      outlets: all.map((o) => ({ id: o.id, name: names.get(o.id)!, selected: String(o.id) === form.values.outletId })),
      directions: (['to_outlet', 'to_online'] as const).map((d) => ({
        value: d,
        label: t(`outlet.direction.${d}`),
        checked: (form.values.direction ?? 'to_outlet') === d,
      })),
      shelves: (await outlets.allocationsFor(user)).map((s) => ({
        outlet: names.get(s.outletId) ?? '',
        title: pickText(locale, s.titleZh, s.titleEn),
        quantity: s.quantity,
        unit: unitLabel(t, s.unit),
      })),
      values: form.values,
      fields: form.fields,
      hasErrors: Object.keys(form.fields).length > 0,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/secretary/outlets', { ...secretaryOnly, schema: { querystring: plainQuerySchema } }, async (request, reply) =>
    renderAllocations(request, reply, { values: {}, fields: {} }),
  );

  app.post('/secretary/outlets', secretaryOnly, async (request, reply) => {
    const values = typedValues(request.body);
    const form = parseForm(stockMoveSchema, request.body, request.t);
    if (!form.ok) return renderAllocations(request, reply, { values, fields: form.fields }, 422);
    try {
      await outlets.moveStock(currentUser(request), form.data, request.ip);
    } catch (error) {
      if (isFormError(error) && error.details.fields)
        return renderAllocations(request, reply, { values, fields: fieldMessagesOf(request, error) }, error.status);
      throw error;
    }
    reply.flash('success', request.t(form.data.direction === 'to_outlet' ? 'outlet.allocated' : 'outlet.returned', { quantity: form.data.quantity }));
    return reply.redirect('/secretary/outlets', 303);
  });

  // ---------- Outlet scopes of staff accounts (admin) ----------

  const adminOnly = { preHandler: requireRole('admin') };

  async function renderAdmin(
    request: FastifyRequest,
    reply: FastifyReply,
    failed: { outletId: number; values: Record<string, string>; fields: FieldMessages } | null = null,
    status = 200,
  ) {
    return reply.code(status).view('channels/admin-outlets', {
      title: request.t('outlet.adminTitle'),
      isAdmin: true,
      outlets: await Promise.all(
        (await outlets.outlets()).map(async (o) => ({
          id: o.id,
          name: outletName(request, o),
          address: o.address,
          staff: await outlets.staffOf(o.id),
          values: failed?.outletId === o.id ? failed.values : {},
          fields: failed?.outletId === o.id ? failed.fields : {},
        })),
      ),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/admin/outlets', { ...adminOnly, schema: { querystring: plainQuerySchema } }, async (request, reply) => renderAdmin(request, reply));

  app.post('/admin/outlets/:outletId/staff', { ...adminOnly, schema: { params: outletParams } }, async (request, reply) => {
    const { outletId } = request.params;
    await outlets.outlet(outletId);
    const values = typedValues(request.body);
    const form = parseForm(outletStaffSchema, request.body, request.t);
    if (!form.ok) return renderAdmin(request, reply, { outletId, values, fields: form.fields }, 422);
    try {
      await outlets.assignStaff(currentUser(request), outletId, form.data.email, request.ip);
    } catch (error) {
      if (isFormError(error) && error.details.fields)
        return renderAdmin(request, reply, { outletId, values, fields: fieldMessagesOf(request, error) }, error.status);
      throw error;
    }
    reply.flash('success', request.t('outlet.staffAdded', { email: form.data.email }));
    return reply.redirect('/admin/outlets', 303);
  });

  app.post('/admin/outlets/:outletId/staff/:userId/remove', { ...adminOnly, schema: { params: outletStaffParams } }, async (request, reply) => {
    await outlets.removeStaff(currentUser(request), request.params.outletId, request.params.userId, request.ip);
    reply.flash('success', request.t('outlet.staffRemoved'));
    return reply.redirect('/admin/outlets', 303);
  });
}
