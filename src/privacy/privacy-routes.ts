import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldMessagesOf } from '../form-errors.js';
import { currentUser, requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { AppError } from '../errors.js';
import { parseForm, type FieldMessages } from '../forms.js';
import { errorText, pickText } from '../i18n/i18n.js';
import { formatFen } from '../money.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDate, formatDateTime } from '../time.js';
import type { BuyerData, HouseholdData, PrivacyService } from './privacy-service.js';

const idParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});

/** The deletion form: the password typed again (and the CSRF token the security plugin checks). */
const confirmSchema = z.object({
  password: z.string({ error: 'validation.required' }).min(1, 'validation.required').max(1024),
});

/** A JSON download: named, never cached, never shown inline. */
function sendJson(reply: FastifyReply, name: string, data: unknown) {
  return reply
    .header('content-type', 'application/json; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('cache-control', 'no-store')
    .send(`${JSON.stringify(data, null, 2)}\n`);
}

/**
 * Personal-data requests (PIPL): /account/data for a signed-in buyer (the page, the JSON file, the
 * deletion with its confirmation), /secretary/households/:id/data for a household through its
 * village's first secretary. Pages with personal data are never cached.
 */
export default async function privacyRoutes(root: FastifyInstance, deps: { privacy: PrivacyService; clock: () => number }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const buyer = { preHandler: requireRole('buyer') };
  const secretary = { preHandler: requireRole('first_secretary') };
  const day = () => formatDate(deps.clock()).replaceAll('-', '');

  function buyerView(request: FastifyRequest, data: BuyerData) {
    return {
      account: { ...data.account, since: formatDateTime(data.account.createdAt) },
      addresses: data.addresses,
      orders: data.orders.map((o) => ({
        ...o,
        placedAt: formatDateTime(o.createdAt),
        total: formatFen(o.totalFen),
        refunded: o.refundedFen ? formatFen(o.refundedFen) : null,
        lines: o.lines.map((l) => ({ ...l, title: pickText(request.locale, l.titleZh, l.titleEn), total: formatFen(l.lineTotalFen) })),
        parcels: o.parcels.map((p) => ({ ...p, village: pickText(request.locale, p.villageZh, p.villageEn) })),
      })),
      messages: data.messages.map((m) => ({ ...m, at: formatDateTime(m.createdAt) })),
      wishes: data.wishes.map((w) => ({ ...w, title: pickText(request.locale, w.item, w.itemEn), amount: formatFen(w.amountFen) })),
    };
  }

  app.get('/account/data', { ...buyer, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    const data = await deps.privacy.buyerData(currentUser(request).id);
    reply.header('cache-control', 'no-store');
    return reply.view('privacy/buyer-data', { title: request.t('privacy.title'), ...buyerView(request, data) });
  });

  app.get('/account/data.json', { ...buyer, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    const data = await deps.privacy.buyerData(currentUser(request).id);
    return sendJson(reply, `xiangyi-my-data-${day()}.json`, { generatedAt: new Date(deps.clock()).toISOString(), moneyIn: 'fen', ...data });
  });

  async function renderDelete(request: FastifyRequest, reply: FastifyReply, fields: FieldMessages, status = 200, problem: string | null = null) {
    const holding = await deps.privacy.ordersHoldingDeletion(currentUser(request).id);
    reply.header('cache-control', 'no-store');
    return reply.code(status).view('privacy/buyer-delete', {
      title: request.t('privacy.deleteTitle'),
      fields,
      problem,
      holding: holding.length ? request.t('privacy.openOrders', { orders: holding.map((o) => o.number).join(', ') }) : null,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/account/delete', { ...buyer, schema: { querystring: plainQuerySchema } }, async (request, reply) => renderDelete(request, reply, {}));

  app.post('/account/delete', { ...buyer, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (request, reply) => {
    const form = parseForm(confirmSchema, request.body, request.t);
    if (!form.ok) return renderDelete(request, reply, form.fields, 422);
    try {
      await deps.privacy.eraseBuyer(currentUser(request), form.data.password, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.details.fields) return renderDelete(request, reply, fieldMessagesOf(request, error), error.status);
      if (error instanceof AppError && (error.code === 'privacy_open_orders' || error.code === 'login_throttled')) {
        return renderDelete(request, reply, {}, error.status, errorText(request.t, error.code, error.details.params));
      }
      throw error;
    }
    // Every session of the account ended with the erasure; this browser's cookie goes too.
    await reply.endSession();
    reply.flash('success', request.t('privacy.deleted'));
    return reply.redirect('/', 303);
  });

  // ---------- A household's requests, through its village's first secretary ----------

  const householdName = (request: FastifyRequest, h: { realName: string }) => h.realName || request.t('privacy.household.erasedName');

  function householdView(request: FastifyRequest, data: HouseholdData) {
    return {
      household: {
        ...data.household,
        name: householdName(request, data.household),
        village: data.household.village ? pickText(request.locale, data.household.village.nameZh, data.household.village.nameEn) : '',
      },
      producers: data.producers.map((p) => ({ ...p, name: pickText(request.locale, p.nameZh, p.nameEn) })),
      payouts: data.payouts.map((p) => ({ ...p, amount: formatFen(p.amountFen) })),
    };
  }

  app.get('/secretary/households/:id/data', { ...secretary, schema: { params: idParams, querystring: plainQuerySchema } }, async (request, reply) => {
    const data = await deps.privacy.householdData(currentUser(request), request.params.id, request.ip);
    const view = householdView(request, data);
    reply.header('cache-control', 'no-store');
    return reply.view('privacy/household-data', { title: request.t('privacy.household.title', { name: view.household.name }), section: 'households', ...view });
  });

  app.get('/secretary/households/:id/data.json', { ...secretary, schema: { params: idParams, querystring: plainQuerySchema } }, async (request, reply) => {
    const data = await deps.privacy.householdData(currentUser(request), request.params.id, request.ip);
    return sendJson(reply, `xiangyi-household-${request.params.id}-${day()}.json`, {
      generatedAt: new Date(deps.clock()).toISOString(),
      moneyIn: 'fen',
      ...data,
    });
  });

  async function renderErase(request: FastifyRequest, reply: FastifyReply, id: number, fields: FieldMessages, status = 200) {
    const household = await deps.privacy.householdForErasure(currentUser(request), id);
    reply.header('cache-control', 'no-store');
    return reply.code(status).view('privacy/household-erase', {
      title: request.t('privacy.household.eraseTitle', { name: householdName(request, household) }),
      section: 'households',
      id,
      fields,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/secretary/households/:id/erase', { ...secretary, schema: { params: idParams, querystring: plainQuerySchema } }, async (request, reply) =>
    renderErase(request, reply, request.params.id, {}),
  );

  app.post(
    '/secretary/households/:id/erase',
    // No request-count limit (it would write a counter before the 403 below): wrong passwords are counted
    // by the sign-in throttle (AccountsService.passwordMatches).
    { ...secretary, schema: { params: idParams } },
    async (request, reply) => {
      const { id } = request.params;
      // A household of another village is refused (403) before the form is even read.
      await deps.privacy.householdForErasure(currentUser(request), id);
      const form = parseForm(confirmSchema, request.body, request.t);
      if (!form.ok) return renderErase(request, reply, id, form.fields, 422);
      try {
        await deps.privacy.eraseHousehold(currentUser(request), id, form.data.password, request.ip);
      } catch (error) {
        if (error instanceof AppError && error.details.fields) return renderErase(request, reply, id, fieldMessagesOf(request, error), error.status);
        throw error;
      }
      reply.flash('success', request.t('privacy.household.erased'));
      return reply.redirect('/secretary/households', 303);
    },
  );
}
