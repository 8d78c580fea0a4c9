import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldMessagesOf } from '../form-errors.js';
import { currentUser, requireRole } from '../accounts/guards.js';
import { AppError } from '../errors.js';
import { parseForm, type FieldMessages } from '../forms.js';
import { localiseParams, pickText, quantityText, type MessageKey } from '../i18n/i18n.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { fenToYuanInput, formatFen } from '../money.js';
import { errorMessage } from '../orders/orders-routes.js';
import { canCancel, canMarkPaid, canRefund, canShip } from '../orders/order-status.js';
import { answerRequestSchema, markPaidSchema, orderNumberParams, refundSchema, requestIdParams, shipSchema } from '../orders/orders-schemas.js';
import { carrierChoices, type OrderRequests } from '../orders/index.js';
import { requestText } from '../orders/orders-routes.js';
import type { OrdersService } from '../orders/orders-service.js';
import type { PaymentsService } from '../payments/payments-service.js';
import { csrfTokenFor } from '../plugins/security.js';
import type { ProjectManagement } from '../projects/project-management.js';
import { householdOfCode } from '../ledger/accounts.js';
import { formatDateTime } from '../time.js';
import type { VillagesService } from '../villages/villages-service.js';
import { channelInWords, paymentStatusInWords, postingsInWords, refundStatusInWords, type LedgerNames } from './ledger-words.js';

/** The coordinator's console: confirming bank transfers, cancelling, refunding. */
export default async function coordinatorRoutes(
  root: FastifyInstance,
  deps: { orders: OrdersService; requests: OrderRequests; payments: PaymentsService; villages: VillagesService; projects: ProjectManagement },
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const guard = { preHandler: requireRole('coordinator') };
  const { orders, payments } = deps;

  app.get(
    '/coordinator',
    { ...guard, schema: { querystring: z.object({ number: z.string().max(40).optional(), lang: z.string().max(16).optional() }) } },
    async (request, reply) => {
      const user = currentUser(request);
      const wanted = request.query.number?.trim().toUpperCase();
      if (wanted) return reply.redirect(`/coordinator/orders/${encodeURIComponent(wanted)}`, 303);
      const waiting = (await deps.requests.queue(user)).length;
      return reply.view('coordinator/dashboard', {
        // Buyers' refund and problem requests waiting for an answer, so they are not missed.
        openRequests: waiting > 0 ? request.t('coordreq.waiting', { count: waiting }) : null,
        title: request.t('coord.title'),
        section: 'orders',
        // Villages whose buyers' parcels nobody but a coordinator ships, so it cannot go unnoticed.
        unstaffed: (await deps.villages.villagesWithoutSecretary()).map((v) =>
          request.t('ship.unstaffed.village', { village: pickText(request.locale, v.nameZh, v.nameEn), count: v.publishedProducts }),
        ),
        pending: (await orders.pendingOffline(user)).map((o) => ({
          number: o.number,
          total: formatFen(o.totalFen),
          placedAt: formatDateTime(o.createdAt),
          contactName: o.contactName,
        })),
      });
    },
  );

  /** Names for the ledger's accounts, as this coordinator may see them (they see households' real names). */
  async function ledgerNames(request: FastifyRequest, postings: readonly { entries: readonly { accountCode: string }[] }[]): Promise<LedgerNames> {
    const user = currentUser(request);
    const householdIds = postings.flatMap((p) => p.entries.map((e) => householdOfCode(e.accountCode))).filter((id) => id !== null);
    const householdNames = await deps.villages.householdNames(user, householdIds);
    const projectNames = new Map((await deps.projects.allProjects()).map((p) => [p.id, pickText(request.locale, p.nameZh, p.nameEn)]));
    return {
      household: (id) => householdNames.get(id) ?? null,
      project: (id) => projectNames.get(id) ?? null,
    };
  }

  /** A parcel's shipping form that was refused: which village, what was wrong, what was typed. */
  interface ParcelFailure {
    villageId: number;
    fields: FieldMessages;
    values: Record<string, string>;
  }

  async function renderOrder(
    request: FastifyRequest,
    reply: FastifyReply,
    number: string,
    fields: FieldMessages = {},
    status = 200,
    values: Record<string, string> = {},
    parcelFailure: ParcelFailure | null = null,
  ) {
    const { locale, t } = request;
    const user = currentUser(request);
    const order = await orders.orderForCoordinator(user, number);
    const details = await orders.details(order);
    const shippable = canShip(order.status);
    const requests = await deps.requests.ofOrder(order);
    const unstaffed = new Set((await deps.villages.villagesWithoutSecretary()).map((v) => v.id));
    const parcels = details.shipments.map((s) => {
      const village = pickText(locale, s.villageZh, s.villageEn);
      const pending = s.status === 'pending';
      // Only a coordinator in scope of a project of this village's lines may ship them.
      const inScope = user.allProjects || details.lines.some((l) => l.villageId === s.villageId && user.projectIds.includes(l.projectId));
      const failed = parcelFailure?.villageId === s.villageId ? parcelFailure : null;
      return {
        villageId: s.villageId,
        text: pending
          ? t('ship.parcel.pending', { village })
          : t('ship.parcel.shipped', {
              village,
              carrier: s.carrier ?? '',
              trackingNumber: s.trackingNumber ?? '',
              time: s.shippedAt !== null ? formatDateTime(s.shippedAt) : '',
            }),
        noSecretary: pending && unstaffed.has(s.villageId) ? t('ship.parcel.noSecretary', { village }) : null,
        canShip: pending && shippable && inScope,
        submit: t('ship.onBehalf.submit', { village }),
        fields: failed?.fields ?? {},
        values: failed?.values ?? {},
      };
    });
    return reply.code(status).view('coordinator/order', {
      title: t('order.title', { number: order.number }),
      section: 'orders',
      order: {
        ...order,
        total: formatFen(order.totalFen),
        subtotal: formatFen(order.subtotalFen),
        shipping: formatFen(order.shippingFen),
        refunded: formatFen(order.refundedFen),
        refundable: fenToYuanInput(order.totalFen - order.refundedFen),
        placedAt: formatDateTime(order.createdAt),
        canMarkPaid: canMarkPaid(order),
        canCancel: canCancel(order.status),
        canRefund: canRefund(order.status),
      },
      lines: details.lines.map((l) => ({
        id: l.id,
        title: pickText(locale, l.titleZh, l.titleEn),
        quantity: l.quantity,
        unit: t(`unit.${l.unit}` as MessageKey),
        lineTotal: formatFen(l.lineTotalFen),
        refunded: l.refundedFen > 0 ? formatFen(l.refundedFen) : null,
      })),
      // Units of recalled lots not yet refunded or replaced (settled on the recall page).
      recalled: (await orders.recalledUnitsHeld(order.id)).map((r) => ({
        text: t('recall.orderHeld', {
          units: r.units,
          unit: t(`unit.${r.unit}` as MessageKey),
          product: pickText(locale, r.productZh, r.productEn),
          lot: r.code,
        }),
        url: `/coordinator/recalls/${r.lotId}#order-${order.number}`,
      })),
      payments: (await payments.paymentsOf(order.id)).map((p) => ({
        text: t('coordp.order.paymentLine', {
          channel: channelInWords(p.channel, t),
          status: paymentStatusInWords(p.status, t),
          amount: formatFen(p.amountFen),
        }),
        status: p.status,
        reference: p.reference,
        when: p.confirmedAt ? formatDateTime(p.confirmedAt) : '',
      })),
      refunds: (await payments.refundsOf(order.id)).map((r) => ({
        text: t('coordp.order.refundLine', { amount: formatFen(r.amountFen), status: refundStatusInWords(r.status, t), reason: r.reason }),
        status: r.status,
        when: formatDateTime(r.createdAt),
      })),
      postings: postingsInWords(details.postings, t, await ledgerNames(request, details.postings)),
      requests: requests.map((r) => ({
        id: r.id,
        open: r.status === 'open',
        text: `${formatDateTime(r.createdAt)} · ${requestText(t, r)} · ${t(`request.status.${r.status}`)}`,
        note: r.note,
        reply: r.reply,
      })),
      parcels,
      anyToShip: parcels.some((p) => p.canShip),
      carriers: carrierChoices(locale),
      // A refusal for a parcel not on the page (no such village in the order) is shown at the top.
      parcelError:
        parcelFailure !== null && !parcels.some((p) => p.villageId === parcelFailure.villageId) ? Object.values(parcelFailure.fields).join(' ') : null,
      fields,
      values,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get(
    '/coordinator/orders/:number',
    {
      ...guard,
      schema: {
        params: orderNumberParams,
        querystring: plainQuerySchema.extend({
          request: z.coerce
            .number()
            .int()
            .min(1)
            .max(2 ** 31)
            .optional()
            .catch(undefined),
        }),
      },
    },
    async (request, reply) => {
      const { number } = request.params;
      // Coming from an accepted buyer request: the refund form is filled in from it (nothing is refunded yet).
      if (request.query.request !== undefined) {
        const found = await deps.requests.forCoordinator(currentUser(request), request.query.request).catch((error: unknown) => {
          if (error instanceof AppError && error.type === 'not_found') return null;
          throw error;
        });
        if (found && found.order.number === number && found.request.status === 'accepted') {
          const { request: asked, order } = found;
          const amountFen = Math.min(asked.amountFen ?? order.totalFen - order.refundedFen, order.totalFen - order.refundedFen);
          return renderOrder(request, reply, number, {}, 200, {
            amount: fenToYuanInput(amountFen),
            reason: request.t('coordreq.refundReason', { id: asked.id, reason: request.t(`request.reason.${asked.reason}`) }),
          });
        }
      }
      return renderOrder(request, reply, number);
    },
  );

  // ---------- Buyers' refund and problem requests: the queue, and each answer ----------
  /** The queue of open requests; a refused answer is shown again on its own request, with what was typed. */
  async function renderRequests(
    request: FastifyRequest,
    reply: FastifyReply,
    status = 200,
    failure: { id: number; fields: FieldMessages; reply: string } | null = null,
    error: string | null = null,
  ) {
    const { t } = request;
    reply.header('cache-control', 'no-store');
    const rows = await deps.requests.queue(currentUser(request));
    return reply.code(status).view('coordinator/requests', {
      title: t('coordreq.title'),
      section: 'requests',
      error,
      requests: rows.map(({ request: r, order }) => ({
        id: r.id,
        number: order.number,
        orderLabel: t('coordreq.order', { number: order.number }),
        facts: t('coordreq.orderFacts', {
          contact: order.contactName,
          total: formatFen(order.totalFen),
          refunded: formatFen(order.refundedFen),
          status: t(`order.status.${order.status}`),
        }),
        what: `${t(`request.kind.${r.kind}`)} · ${t(`request.reason.${r.reason}`)}`,
        asked: r.amountFen === null ? t('coordreq.noAmount') : t('coordreq.asked', { amount: formatFen(r.amountFen) }),
        note: r.note,
        when: formatDateTime(r.createdAt),
        fields: failure?.id === r.id ? failure.fields : {},
        values: { reply: failure?.id === r.id ? failure.reply : '' },
      })),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/coordinator/requests', { ...guard, schema: { querystring: plainQuerySchema } }, async (request, reply) => renderRequests(request, reply));

  app.post('/coordinator/requests/:id/answer', { ...guard, schema: { params: requestIdParams } }, async (request, reply) => {
    const user = currentUser(request);
    const { id } = request.params;
    // Out of scope or unknown: "not found" before the form is even read.
    await deps.requests.forCoordinator(user, id);
    const typed =
      typeof (request.body as Record<string, unknown> | undefined)?.reply === 'string' ? String((request.body as Record<string, unknown>).reply) : '';
    const form = parseForm(answerRequestSchema, request.body, request.t);
    if (!form.ok) return renderRequests(request, reply, 422, { id, fields: form.fields, reply: typed });
    let answered;
    try {
      answered = await deps.requests.answer(user, id, form.data.decision, form.data.reply, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'validation')
        return renderRequests(request, reply, 422, { id, fields: { reply: errorMessage(request, error) }, reply: typed });
      if (error instanceof AppError && error.type === 'conflict') return renderRequests(request, reply, 409, null, errorMessage(request, error));
      throw error;
    }
    if (form.data.decision === 'decline') {
      reply.flash('success', request.t('coordreq.declined'));
      return reply.redirect('/coordinator/requests', 303);
    }
    reply.flash('success', request.t('coordreq.accepted'));
    return reply.redirect(`/coordinator/orders/${encodeURIComponent(answered.order.number)}?request=${id}#refund-heading`, 303);
  });

  app.post('/coordinator/orders/:number/mark-paid', { ...guard, schema: { params: orderNumberParams } }, async (request, reply) => {
    const { number } = request.params;
    await orders.orderForCoordinator(currentUser(request), number);
    const form = parseForm(markPaidSchema, request.body, request.t);
    if (!form.ok) return renderOrder(request, reply, number, form.fields, 422);
    try {
      await payments.markPaidOffline(currentUser(request), number, form.data.reference, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict') return renderOrder(request, reply, number, { reference: errorMessage(request, error) }, 409);
      throw error;
    }
    reply.flash('success', request.t('coord.markedPaid'));
    return reply.redirect(`/coordinator/orders/${number}`, 303);
  });

  // Shipping a village's parcel on its behalf: the same form and checks as the secretary's.
  app.post('/coordinator/orders/:number/ship', { ...guard, schema: { params: orderNumberParams } }, async (request, reply) => {
    const { number } = request.params;
    const user = currentUser(request);
    const order = await orders.orderForCoordinator(user, number);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = Object.fromEntries(Object.entries(body).filter(([k, v]) => typeof v === 'string' && k !== '_csrf')) as Record<string, string>;
    const failure = (fields: FieldMessages): ParcelFailure => ({ villageId: Number(values.villageId), fields, values });
    const form = parseForm(shipSchema, body, request.t);
    if (!form.ok) return renderOrder(request, reply, number, {}, 422, {}, failure(form.fields));
    try {
      await orders.shipOnBehalf(user, number, form.data.villageId, form.data.carrier, form.data.trackingNumber, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict')
        return renderOrder(request, reply, number, {}, 409, {}, failure({ trackingNumber: errorMessage(request, error) }));
      throw error;
    }
    const shipment = (await orders.details(order)).shipments.find((s) => s.villageId === form.data.villageId);
    reply.flash('success', request.t('ship.onBehalf.done', { village: shipment ? pickText(request.locale, shipment.villageZh, shipment.villageEn) : '' }));
    return reply.redirect(`/coordinator/orders/${number}`, 303);
  });

  app.post('/coordinator/orders/:number/cancel', { ...guard, schema: { params: orderNumberParams } }, async (request, reply) => {
    const { number } = request.params;
    const order = await orders.orderForCoordinator(currentUser(request), number);
    try {
      await orders.cancel(order, currentUser(request).id, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict') {
        reply.flash('error', errorMessage(request, error));
        return reply.redirect(`/coordinator/orders/${number}`, 303);
      }
      throw error;
    }
    reply.flash('success', request.t('order.cancelled'));
    return reply.redirect(`/coordinator/orders/${number}`, 303);
  });

  /**
   * The refund form's first step: nothing is refunded; the page says what the refund will do and
   * posts the same fields to the refund itself. A refund cannot be undone, so the console asks
   * first, without JavaScript (the route contract's POST …/refund still refunds in one request).
   */
  app.post('/coordinator/orders/:number/refund/confirm', { ...guard, schema: { params: orderNumberParams } }, async (request, reply) => {
    const { number } = request.params;
    const { t, locale } = request;
    const order = await orders.orderForCoordinator(currentUser(request), number);
    const values = Object.fromEntries(Object.entries((request.body ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<
      string,
      string
    >;
    const form = parseForm(refundSchema, request.body, t);
    if (!form.ok) return renderOrder(request, reply, number, form.fields, 422, values);
    const line = form.data.lineId === null ? null : (await orders.details(order)).lines.find((l) => l.id === form.data.lineId);
    if (form.data.lineId !== null && !line) return renderOrder(request, reply, number, { lineId: t('validation.invalid') }, 422, values);
    return reply.view('coordinator/confirm', {
      title: t('confirm.refund.title', { number }),
      section: 'orders',
      kind: 'refund',
      facts: [
        { label: t('confirm.refund.order'), value: number },
        { label: t('coord.refundLine'), value: line ? pickText(locale, line.titleZh, line.titleEn) : t('coord.refundWhole') },
        { label: t('coord.refundAmount'), value: formatFen(form.data.amount) },
        { label: t('coord.refundReason'), value: form.data.reason },
      ],
      consequence: t('confirm.refund.consequence', { amount: formatFen(form.data.amount) }),
      action: `/coordinator/orders/${encodeURIComponent(number)}/refund`,
      hidden: [
        { name: 'lineId', value: form.data.lineId === null ? '' : String(form.data.lineId) },
        { name: 'amount', value: fenToYuanInput(form.data.amount) },
        { name: 'reason', value: form.data.reason },
      ],
      confirmLabel: t('confirm.refund.submit', { amount: formatFen(form.data.amount) }),
      cancelUrl: `/coordinator/orders/${encodeURIComponent(number)}`,
      csrfToken: csrfTokenFor(reply),
    });
  });

  app.post('/coordinator/orders/:number/refund', { ...guard, schema: { params: orderNumberParams } }, async (request, reply) => {
    const { number } = request.params;
    await orders.orderForCoordinator(currentUser(request), number);
    const values = Object.fromEntries(Object.entries((request.body ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<
      string,
      string
    >;
    const form = parseForm(refundSchema, request.body, request.t);
    if (!form.ok) return renderOrder(request, reply, number, form.fields, 422, values);
    let result: 'refunded' | 'pending';
    try {
      result = await payments.refund(
        currentUser(request),
        number,
        { amountFen: form.data.amount, orderLineId: form.data.lineId, reason: form.data.reason },
        request.ip,
      );
    } catch (error) {
      if (error instanceof AppError && error.details.fields) return renderOrder(request, reply, number, fieldMessagesOf(request, error), error.status, values);
      if (error instanceof AppError && (error.type === 'conflict' || error.type === 'unavailable')) {
        return renderOrder(request, reply, number, { amount: errorMessage(request, error) }, error.status, values);
      }
      throw error;
    }
    reply.flash('success', request.t(result === 'refunded' ? 'coord.refunded' : 'coord.refundPending'));
    return reply.redirect(`/coordinator/orders/${number}`, 303);
  });

  // ---------- Unpaid holds: what unpaid orders keep off the shelf, and releasing suspicious ones ----------
  app.get('/coordinator/holds', { ...guard, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    const { locale, t } = request;
    reply.header('cache-control', 'no-store');
    const holds = (await orders.unpaidHolds(currentUser(request))).map(({ order, lines, wishClaim, signs }) => ({
      number: order.number,
      placedAt: formatDateTime(order.createdAt),
      expiresAt: formatDateTime(order.expiresAt),
      method: t(order.paymentMethod === 'stripe' ? 'checkout.stripe' : 'checkout.offline'),
      who: `${order.contactName} · ${order.phone} · ${order.buyerUserId === null ? t('coord.holds.anonymous') : t('coord.holds.signedIn')}`,
      address: order.placedFromAddress,
      holds: wishClaim
        ? [t('coord.holds.wishClaim', { amount: formatFen(order.totalFen) })]
        : lines.map((l) => `${pickText(locale, l.titleZh, l.titleEn)} × ${quantityText(locale, l.quantity, l.unit)}`),
      signs: signs.map((sign) => t(`coord.holds.sign.${sign.code}`, localiseParams(t, sign.params))),
      releaseLabel: t('coord.holds.releaseLabel', { number: order.number }),
    }));
    return reply.view('coordinator/holds', {
      title: t('coord.holds.title'),
      section: 'holds',
      suspicious: holds.filter((h) => h.signs.length > 0),
      others: holds.filter((h) => h.signs.length === 0),
      csrfToken: csrfTokenFor(reply),
    });
  });

  app.post('/coordinator/holds/:number/release', { ...guard, schema: { params: orderNumberParams } }, async (request, reply) => {
    const { number } = request.params;
    try {
      await orders.releaseHold(currentUser(request), number, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict') {
        reply.flash('error', errorMessage(request, error));
        return reply.redirect('/coordinator/holds', 303);
      }
      throw error;
    }
    reply.flash('success', request.t('coord.holds.released', { number }));
    return reply.redirect('/coordinator/holds', 303);
  });
}
