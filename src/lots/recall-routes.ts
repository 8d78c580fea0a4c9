import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { AppError } from '../errors.js';
import { pickText, translatorFor, type Locale, type MessageKey, type Translator } from '../i18n/i18n.js';
import { formatFen } from '../money.js';
import { orderNumberParams } from '../orders/orders-schemas.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDateTime } from '../time.js';
import { messageOf } from '../form-errors.js';
import type { LotView } from './lots-queries.js';
import { lotIdParams } from './lots-schemas.js';
import type { RecallOrder, RecallService } from './recall-service.js';

const recallOrderParams = lotIdParams.extend(orderNumberParams.shape);

const unitIn = (t: Translator, unit: string) => t(`unit.${unit}` as MessageKey);

/** The notice to one buyer, in one language, filled with the order, product, lot and what to do. */
function notice(locale: Locale, lot: LotView, o: RecallOrder): string {
  const t = translatorFor(locale);
  const first = o.lines[0]!;
  return t(`recall.notice.${o.stage}`, {
    name: o.contactName,
    number: o.number,
    units: o.units,
    unit: unitIn(t, first.unit),
    product: pickText(locale, first.productZh, first.productEn),
    lot: lot.code,
    reason: lot.recallReason ?? '',
  });
}

/**
 * What a recall asks of the coordinators of the lot's project: every affected buyer with their
 * contact and a notice ready to send (in Chinese and English), and refunding or replacing the
 * recalled units order by order. Coordinators of other projects get "not found".
 */
export default async function recallRoutes(root: FastifyInstance, deps: { recalls: RecallService }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { recalls } = deps;
  const coordinator = { preHandler: requireRole('coordinator') };

  app.get('/coordinator/recalls', { ...coordinator, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    const { locale, t } = request;
    return reply.view('channels/coordinator-recalls', {
      title: t('recall.list.title'),
      section: 'recalls',
      lots: (await recalls.recalledLots(currentUser(request))).map(({ lot, orders, open }) => ({
        id: lot.id,
        code: lot.code,
        product: pickText(locale, lot.productZh, lot.productEn),
        recalledAt: formatDateTime(lot.recalledAt!),
        reason: lot.recallReason,
        orders,
        open,
      })),
    });
  });

  async function render(request: FastifyRequest, reply: FastifyReply, id: number, failure: { number: string; message: string; status: number } | null = null) {
    const { locale, t } = request;
    const { lot, orders, replacementStock } = await recalls.recall(currentUser(request), id);
    const unit = unitIn(t, lot.unit);
    reply.header('cache-control', 'no-store');
    return reply.code(failure?.status ?? 200).view('channels/coordinator-recall', {
      title: t('recall.title', { code: lot.code }),
      section: 'recalls',
      lot: {
        id: lot.id,
        code: lot.code,
        summary: t('recall.summary', {
          product: pickText(locale, lot.productZh, lot.productEn),
          village: pickText(locale, lot.villageZh, lot.villageEn),
          harvestedOn: lot.harvestedOn,
          time: formatDateTime(lot.recalledAt!),
          reason: lot.recallReason ?? '',
        }),
        replacementStock: t('recall.replacementStock', { units: replacementStock, unit }),
      },
      orders: orders.map((o) => ({
        number: o.number,
        orderUrl: `/coordinator/orders/${o.number}`,
        stage: o.stage,
        stageText: t(`recall.stage.${o.stage}`),
        contact: t('recall.contact', { name: o.contactName, phone: o.phone }),
        email: o.email ? t('recall.email', { email: o.email }) : null,
        address: o.address ? t('recall.address', { address: o.address }) : null,
        units: t('recall.units', { units: o.units, unsettled: o.unsettled, unit }),
        refund: o.canRefund ? t('recall.refund.button', { amount: formatFen(o.refundFen) }) : null,
        canReplace: o.canReplace,
        cancelHint: o.stage === 'unpaid',
        noticeZh: notice('zh-CN', lot, o),
        noticeEn: notice('en', lot, o),
        error: failure?.number === o.number ? failure.message : null,
      })),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/coordinator/recalls/:id', { ...coordinator, schema: { params: lotIdParams, querystring: plainQuerySchema } }, async (request, reply) =>
    render(request, reply, request.params.id),
  );

  /** Runs a settling action; a conflict (nothing left to do, not enough stock …) re-renders the page with the reason at the order. */
  async function settle(request: FastifyRequest, reply: FastifyReply, params: { id: number; number: string }, action: () => Promise<string> | string) {
    let done: string;
    try {
      done = await action();
    } catch (error) {
      if (error instanceof AppError && (error.type === 'conflict' || error.type === 'unavailable' || error.type === 'validation')) {
        return render(request, reply, params.id, { number: params.number, message: messageOf(request, error), status: error.status });
      }
      throw error;
    }
    reply.flash('success', done);
    return reply.redirect(`/coordinator/recalls/${params.id}#order-${params.number}`, 303);
  }

  app.post('/coordinator/recalls/:id/orders/:number/refund', { ...coordinator, schema: { params: recallOrderParams } }, async (request, reply) => {
    const { id, number } = request.params;
    const user = currentUser(request);
    const { lot } = await recalls.recall(user, id); // 404 outside the coordinator's projects, before anything else
    return settle(request, reply, request.params, async () => {
      const result = await recalls.refund(user, id, number, request.t('recall.refund.reason', { lot: lot.code }), request.ip);
      return request.t(result === 'refunded' ? 'recall.refund.done' : 'recall.refund.pending', { number });
    });
  });

  app.post('/coordinator/recalls/:id/orders/:number/replace', { ...coordinator, schema: { params: recallOrderParams } }, async (request, reply) => {
    const { id, number } = request.params;
    const user = currentUser(request);
    await recalls.recall(user, id);
    return settle(request, reply, request.params, async () =>
      request.t('recall.replace.done', { number, units: await recalls.replace(user, id, number, request.ip) }),
    );
  });
}
