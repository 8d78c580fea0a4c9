import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldMessagesOf } from '../form-errors.js';
import { currentUser, requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { AppError } from '../errors.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { pickText, withAside, type Locale, type MessageKey, type Translator } from '../i18n/i18n.js';
import { errorMessage } from '../orders/orders-routes.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDate, formatDateTime } from '../time.js';
import type { LineLot } from './lots-queries.js';
import { lotCodeParams, lotFormSchema, lotIdParams, recallSchema } from './lots-schemas.js';
import type { LotsService, PublicLotHouseholds } from './lots-service.js';
import { readMultipartForm } from '../multipart-form.js';

const productIdParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});

/** "4 households: 盘大姐、赵大叔、邓阿姨" or, for fewer than 3, only "2 households". */
export function householdsText(t: Translator, households: PublicLotHouseholds): string {
  if (households.count === 0) return t('lot.households.none');
  if (households.names.length === 0) return t('lot.households.count', { count: households.count });
  return t('lot.households.named', { count: households.count, names: households.names.join(t('punct.list')) });
}

/** The lots of an order's lines, grouped by product, for the order page and the benefit receipt. */
export function presentOrderLots(locale: Locale, t: Translator, rows: readonly (LineLot & { households: PublicLotHouseholds })[]) {
  const byLine = new Map<number, { product: string; lots: unknown[] }>();
  for (const r of rows) {
    const group = byLine.get(r.orderLineId) ?? { product: pickText(locale, r.productZh, r.productEn), lots: [] };
    group.lots.push({
      code: r.code,
      url: `/lots/${r.code}`,
      harvestedOn: r.harvestedOn,
      quantity: t('lot.units', { quantity: r.quantity, unit: t(`unit.${r.unit}` as MessageKey) }),
      recalled: r.recalledAt !== null,
      households: householdsText(t, r.households),
    });
    byLine.set(r.orderLineId, group);
  }
  return [...byLine.values()];
}

/**
 * The lots section of the first secretary's product page (lots of the product and the form to add
 * one); wired into the secretary console's product page by the composition root.
 */
export function lotPanelFor(lots: LotsService, clock: () => number) {
  return async (request: FastifyRequest, productId: number) => {
    const user = currentUser(request);
    return {
      productId,
      lots: (await lots.lotsOfProduct(user, productId)).map((l) => ({
        id: l.id,
        code: l.code,
        harvestedOn: l.harvestedOn,
        quantity: l.quantity,
        remaining: l.remaining,
        recalled: l.recalledAt !== null,
        households: l.households.map((h) => h.realName).join(request.t('punct.list')),
      })),
      households: (await lots.householdsForProduct(user, productId)).map((h) => ({
        id: h.id,
        name: h.displayName ? withAside(request.t, h.realName, h.displayName) : h.realName,
        checked: false,
      })),
      values: { harvestedOn: formatDate(clock()) },
      fields: {},
    };
  };
}

/** Harvest lots: the public lot page and certificate, and the first secretary's lot records and recalls. */
export default async function lotsRoutes(root: FastifyInstance, deps: { lots: LotsService; maxUploadBytes: number; clock: () => number }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { lots } = deps;
  const secretary = { preHandler: requireRole('first_secretary') };

  // ---------- Public proof ----------
  app.get('/lots/:code', { schema: { params: lotCodeParams, querystring: plainQuerySchema } }, async (request, reply) => {
    const { locale, t } = request;
    const { lot, households } = await lots.publicLot(request.params.code);
    return reply.view('channels/lot', {
      title: t('lot.title', { code: lot.code }),
      lot: {
        code: lot.code,
        product: pickText(locale, lot.productZh, lot.productEn),
        productUrl: lot.published ? `/products/${lot.productSlug}` : null,
        village: pickText(locale, lot.villageZh, lot.villageEn),
        villageUrl: `/villages/${lot.villageSlug}`,
        harvestedOn: lot.harvestedOn,
        quantity: t('lot.units', { quantity: lot.quantity, unit: t(`unit.${lot.unit}` as MessageKey) }),
        notes: lot.notes,
        certificateUrl: lot.certificateMediaId ? `/lots/${lot.code}/certificate` : null,
        recalled: lot.recalledAt !== null,
        recalledOn: lot.recalledAt !== null ? formatDate(lot.recalledAt) : null,
        recallReason: lot.recallReason,
      },
      households: householdsText(t, households),
    });
  });

  app.get('/lots/:code/certificate', { schema: { params: lotCodeParams } }, async (request, reply) => {
    const row = await lots.certificate(request.params.code);
    return reply.header('cache-control', 'public, max-age=86400').header('x-content-type-options', 'nosniff').type(row.contentType).send(row.bytes);
  });

  // ---------- The first secretary's lot records ----------
  async function renderLotForm(
    request: FastifyRequest,
    reply: FastifyReply,
    productId: number,
    opts: { values: Record<string, string>; fields: FieldMessages; status?: number },
  ) {
    const user = currentUser(request);
    const chosen = new Set((opts.values.householdIds ?? '').split(',').filter(Boolean));
    return reply.code(opts.status ?? 200).view('channels/lot-form', {
      title: request.t('lot.form.title'),
      section: 'products',
      productId,
      values: opts.values,
      fields: opts.fields,
      hasErrors: Object.keys(opts.fields).length > 0,
      households: (await lots.householdsForProduct(user, productId)).map((h) => ({
        id: h.id,
        name: h.displayName ? withAside(request.t, h.realName, h.displayName) : h.realName,
        checked: chosen.has(String(h.id)),
      })),
      maxUploadMb: Math.floor(deps.maxUploadBytes / (1024 * 1024)),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/secretary/products/:id/lots/new', { ...secretary, schema: { params: productIdParams, querystring: plainQuerySchema } }, async (request, reply) =>
    renderLotForm(request, reply, request.params.id, { values: { harvestedOn: formatDate(deps.clock()) }, fields: {} }),
  );

  // Multipart: the CSRF token is the form's first field, checked before the route runs (readCsrfField).
  const lotFormLimits = { fileSize: deps.maxUploadBytes, fields: 220 };
  app.post(
    '/secretary/products/:id/lots',
    { ...secretary, config: { csrf: 'multipart', multipartLimits: lotFormLimits }, schema: { params: productIdParams } },
    async (request, reply) => {
      const { id } = request.params;
      await lots.householdsForProduct(currentUser(request), id); // 404 for products outside the secretary's villages
      const upload = await readMultipartForm(request, lotFormLimits);
      const values = typedValues(upload.fields);
      if (upload.fileTooLarge) return renderLotForm(request, reply, id, { values, fields: { certificate: request.t('errors.image_too_large') }, status: 413 });
      const form = parseForm(lotFormSchema, upload.fields, request.t);
      if (!form.ok) return renderLotForm(request, reply, id, { values, fields: form.fields, status: 422 });
      let code: string;
      try {
        code = (await lots.create(currentUser(request), id, form.data, upload.file?.bytes ?? null, request.ip)).code;
      } catch (error) {
        if (error instanceof AppError && error.details.fields)
          return renderLotForm(request, reply, id, { values, fields: fieldMessagesOf(request, error), status: error.status });
        throw error;
      }
      reply.flash('success', request.t('lot.form.created', { code }));
      return reply.redirect(`/secretary/products/${id}#lots`, 303);
    },
  );

  async function renderLot(
    request: FastifyRequest,
    reply: FastifyReply,
    id: number,
    opts: { values?: Record<string, string>; fields?: FieldMessages; status?: number } = {},
  ) {
    const user = currentUser(request);
    const { locale, t } = request;
    const lot = await lots.lot(user, id);
    const fields = opts.fields ?? {};
    return reply.code(opts.status ?? 200).view('channels/secretary-lot', {
      title: t('lot.title', { code: lot.code }),
      section: 'products',
      lot: {
        id: lot.id,
        code: lot.code,
        publicUrl: `/lots/${lot.code}`,
        product: pickText(locale, lot.productZh, lot.productEn),
        productConsoleUrl: `/secretary/products/${lot.productId}`,
        harvestedOn: lot.harvestedOn,
        quantity: lot.quantity,
        remaining: lot.remaining,
        unit: t(`unit.${lot.unit}` as MessageKey),
        notes: lot.notes,
        recalled: lot.recalledAt !== null,
        recalledAt: lot.recalledAt !== null ? formatDateTime(lot.recalledAt) : null,
        recallReason: lot.recallReason,
      },
      households: (await lots.householdsOfLot(user, id)).map((h) => h.realName).join(request.t('punct.list')),
      orders: (await lots.ordersOfLot(user, id)).map((o) => ({
        number: o.number,
        status: o.status,
        contactName: o.contactName,
        phone: o.phone,
        address: [o.province, o.city, o.district, o.address].filter(Boolean).join(' '),
        quantity: o.quantity,
        placedAt: formatDateTime(o.createdAt),
      })),
      values: opts.values ?? {},
      fields,
      hasErrors: Object.keys(fields).length > 0,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/secretary/lots/:id', { ...secretary, schema: { params: lotIdParams, querystring: plainQuerySchema } }, async (request, reply) =>
    renderLot(request, reply, request.params.id),
  );

  app.post('/secretary/lots/:id/recall', { ...secretary, schema: { params: lotIdParams } }, async (request, reply) => {
    const { id } = request.params;
    await lots.lot(currentUser(request), id); // 404 for lots outside the secretary's villages
    const values = typedValues(request.body);
    const form = parseForm(recallSchema, request.body, request.t);
    if (!form.ok) return renderLot(request, reply, id, { values, fields: form.fields, status: 422 });
    let affected;
    try {
      affected = await lots.recall(currentUser(request), id, form.data.reason, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict')
        return renderLot(request, reply, id, { values, fields: { reason: errorMessage(request, error) }, status: 409 });
      throw error;
    }
    reply.flash('success', request.t('lot.recall.done', { count: affected.length }));
    return reply.redirect(`/secretary/lots/${id}`, 303);
  });
}
