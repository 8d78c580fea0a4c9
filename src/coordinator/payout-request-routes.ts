import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { messageOf } from '../form-errors.js';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import { AppError } from '../errors.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import type { MessageKey } from '../i18n/i18n.js';
import type { PayoutRequestView, PayoutsService } from '../ledger/payouts-service.js';
import { formatFen } from '../money.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDateTime } from '../time.js';
import type { VillagesService } from '../villages/villages-service.js';
import { idParams, rejectFormSchema } from './money-schemas.js';

export interface PayoutRequestDeps {
  payouts: PayoutsService;
  villages: VillagesService;
  /** A payout above this (fen) waits for a second coordinator's approval. */
  approvalThresholdFen: number;
}

/**
 * Two-person payouts, the second person's console: the requests waiting for me (a payout above
 * the threshold, every reversal), each reviewed on a page that says what approving would post, then
 * approved or rejected (with a reason) by a plain form. The service refuses one's own request (403),
 * money outside one's projects (403 or 404) and a request decided already (409).
 */
export default async function payoutRequestRoutes(root: FastifyInstance, deps: PayoutRequestDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const guard = { preHandler: requireRole('coordinator') };
  const { payouts, villages } = deps;

  const householdName = async (request: FastifyRequest, householdId: number) => (await villages.household(currentUser(request), householdId)).realName;

  async function row(request: FastifyRequest, r: PayoutRequestView) {
    const { t } = request;
    return {
      id: r.id,
      kind: t(`payreq.kind.${r.kind}`),
      household: await householdName(request, r.householdId),
      amount: formatFen(r.amountFen),
      by: r.requestedByName,
      at: formatDateTime(r.requestedAt),
      statusCode: r.status,
      status: t(`payreq.status.${r.status}`),
      decidedBy: r.decidedByName ?? '',
      url: `/coordinator/payout-requests/${r.id}`,
    };
  }

  app.get('/coordinator/payout-requests', guard, async (request, reply) => {
    const user = currentUser(request);
    const [{ waiting, mine }, decided] = await Promise.all([payouts.pendingFor(user), payouts.decidedFor(user)]);
    reply.header('cache-control', 'no-store');
    return reply.view('coordinator/payout-requests', {
      title: request.t('payreq.title'),
      section: 'payout-requests',
      threshold: formatFen(deps.approvalThresholdFen),
      waiting: await Promise.all(waiting.map((r) => row(request, r))),
      mine: await Promise.all(mine.map((r) => row(request, r))),
      decided: await Promise.all(decided.map((r) => row(request, r))),
    });
  });

  async function renderRequest(
    request: FastifyRequest,
    reply: FastifyReply,
    id: number,
    state: { values?: Record<string, string>; fields?: FieldMessages; status?: number; error?: string } = {},
  ) {
    const { t } = request;
    const r = await payouts.request(currentUser(request), id);
    const name = await householdName(request, r.householdId);
    const amount = formatFen(r.amountFen);
    const facts = [
      { label: t('payreq.fact.household'), value: name },
      { label: t('payreq.fact.amount'), value: amount },
      ...(r.kind === 'reversal'
        ? [
            { label: t('payreq.fact.reverses'), value: `#${r.reversesPayoutId}` },
            { label: t('payreq.fact.note'), value: r.note ?? '' },
          ]
        : []),
      { label: t('payreq.fact.method'), value: t(`payout.method.${r.method}` as MessageKey) },
      ...(r.reference ? [{ label: t('payreq.fact.reference'), value: r.reference }] : []),
      { label: t('payreq.fact.paidOn'), value: r.paidOn },
      { label: t('payreq.fact.requestedBy'), value: r.requestedByName },
      { label: t('payreq.fact.requestedAt'), value: formatDateTime(r.requestedAt) },
      { label: t('payreq.fact.status'), value: t(`payreq.status.${r.status}`) },
      ...(r.decidedByName ? [{ label: t('payreq.fact.decidedBy'), value: r.decidedByName }] : []),
      ...(r.status === 'rejected' && r.decisionNote ? [{ label: t('payreq.fact.reason'), value: r.decisionNote }] : []),
    ];
    const fields = state.fields ?? {};
    reply.header('cache-control', 'no-store');
    return reply.code(state.status ?? 200).view('coordinator/payout-request', {
      title: t(r.kind === 'reversal' ? 'payreq.titleReversal' : 'payreq.titlePayout', { id: r.id }),
      section: 'payout-requests',
      id: r.id,
      facts,
      statusCode: r.status,
      pending: r.status === 'pending',
      mine: r.mine,
      consequence:
        r.kind === 'reversal'
          ? t('payreq.consequence.reversal', { name, amount, payout: r.reversesPayoutId ?? '' })
          : t('payreq.consequence.payout', { name, amount }),
      approveAction: `/coordinator/payout-requests/${r.id}/approve`,
      rejectAction: `/coordinator/payout-requests/${r.id}/reject`,
      values: state.values ?? { reason: '' },
      fields,
      hasErrors: Object.keys(fields).length > 0,
      error: state.error ?? null,
      csrfToken: csrfTokenFor(reply),
    });
  }

  /** The review page is the confirmation step: nothing changes until one of its forms is sent. */
  app.get('/coordinator/payout-requests/:id', { ...guard, schema: { params: idParams } }, async (request, reply) =>
    renderRequest(request, reply, request.params.id),
  );

  /** A refusal the page can say (decided already, or a payout no longer payable): the review page again, with the message and its status. */
  async function refused(request: FastifyRequest, reply: FastifyReply, id: number, error: unknown) {
    if (error instanceof AppError && (error.type === 'conflict' || (error.type === 'validation' && error.details.fields))) {
      return renderRequest(request, reply, id, { error: messageOf(request, error), status: error.status });
    }
    throw error;
  }

  app.post('/coordinator/payout-requests/:id/approve', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    let approved;
    try {
      approved = await payouts.approve(currentUser(request), id, request.ip);
    } catch (error) {
      return refused(request, reply, id, error);
    }
    reply.flash('success', request.t('payreq.approved', { id, payout: approved.payout.id }));
    return reply.redirect('/coordinator/payout-requests', 303);
  });

  app.post('/coordinator/payout-requests/:id/reject', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    const user = currentUser(request);
    await payouts.request(user, id); // 404 outside the coordinator's reach, before the form is read
    const values = typedValues(request.body);
    const form = parseForm(rejectFormSchema, request.body, request.t);
    if (!form.ok) return renderRequest(request, reply, id, { values, fields: form.fields, status: 422 });
    try {
      await payouts.reject(user, id, form.data.reason, request.ip);
    } catch (error) {
      return refused(request, reply, id, error);
    }
    reply.flash('success', request.t('payreq.rejected', { id }));
    return reply.redirect('/coordinator/payout-requests', 303);
  });
}
