import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { AppError } from '../errors.js';
import { parseForm, type FieldMessages } from '../forms.js';
import { qrSvg } from '../orders/receipt-qr.js';
import { csrfTokenFor } from '../plugins/security.js';
import { fieldMessagesOf } from '../form-errors.js';
import { totpCodeSchema } from './accounts-schemas.js';
import { currentUser, requireRole } from './guards.js';
import { TWO_FACTOR_REQUIRED_ROLES, TWO_FACTOR_ROLES, type TwoFactor } from './two-factor.js';

const guard = { preHandler: requireRole(...TWO_FACTOR_ROLES) };
const isCodeError = (error: unknown): error is AppError =>
  error instanceof AppError && (error.code === 'two_factor_wrong_code' || error.code === 'two_factor_locked');

/**
 * A staff member's two-factor sign-in: /account/two-factor enrols (a QR code of the secret, the
 * secret to type in, and a first code to confirm), then shows the recovery codes once; when on, it
 * says how many recovery codes are left and turns it off with a current code (not for a role the
 * operator requires it of). Server-rendered forms, no script.
 */
export default async function twoFactorRoutes(root: FastifyInstance, opts: { twoFactor: TwoFactor }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { twoFactor } = opts;
  const requiredFor = (request: FastifyRequest) => twoFactor.required && TWO_FACTOR_REQUIRED_ROLES.includes(currentUser(request).role);

  async function renderPage(request: FastifyRequest, reply: FastifyReply, fields: FieldMessages = {}, status = 200) {
    const user = currentUser(request);
    const state = await twoFactor.status(user.id);
    if (state === 'on') {
      return reply.code(status).view('accounts/two-factor', {
        title: request.t('twofactor.title'),
        on: true,
        codesLeft: await twoFactor.recoveryCodesLeft(user.id),
        canTurnOff: !requiredFor(request),
        fields,
        csrfToken: csrfTokenFor(reply),
      });
    }
    const { secret, uri } = await twoFactor.startEnrolment(user);
    return reply.code(status).view('accounts/two-factor', {
      title: request.t('twofactor.title'),
      on: false,
      required: requiredFor(request),
      qr: qrSvg(uri, request.t('twofactor.qrLabel'), 200),
      // Grouped by four for typing by hand.
      secret: secret.replace(/(.{4})(?=.)/g, '$1 '),
      fields,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/account/two-factor', { ...guard, schema: { querystring: plainQuerySchema } }, (request, reply) => renderPage(request, reply));

  app.post('/account/two-factor', { ...guard, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (request, reply) => {
    const form = parseForm(totpCodeSchema, request.body, request.t);
    if (!form.ok) return renderPage(request, reply, form.fields, 422);
    try {
      const codes = await twoFactor.confirmEnrolment(currentUser(request), form.data.code, request.ip);
      return reply.view('accounts/two-factor-codes', { title: request.t('twofactor.codesTitle'), codes });
    } catch (error) {
      if (isCodeError(error)) return renderPage(request, reply, fieldMessagesOf(request, error), error.status);
      throw error;
    }
  });

  app.post('/account/two-factor/off', { ...guard, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (request, reply) => {
    const form = parseForm(totpCodeSchema, request.body, request.t);
    if (!form.ok) return renderPage(request, reply, form.fields, 422);
    try {
      await twoFactor.turnOff(currentUser(request), form.data.code, request.ip);
    } catch (error) {
      if (isCodeError(error)) return renderPage(request, reply, fieldMessagesOf(request, error), error.status);
      throw error;
    }
    reply.flash('success', request.t('twofactor.turnedOff'));
    return reply.redirect('/account/two-factor', 303);
  });
}

/**
 * While the operator requires two-factor sign-in (TWO_FACTOR_REQUIRED=true), an admin or
 * coordinator who has not turned it on is sent to /account/two-factor from every page (a GET is
 * redirected; anything else is refused with 403) until they do. Signing out still works.
 */
export function twoFactorGate(twoFactor: TwoFactor) {
  return async function gate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const user = request.user;
    if (!twoFactor.required || !user || !TWO_FACTOR_REQUIRED_ROLES.includes(user.role)) return;
    const path = request.url.split('?')[0] ?? '';
    if (path === '/account/two-factor' || path.startsWith('/account/two-factor/') || path === '/logout' || path.startsWith('/static/')) return;
    if (!(await twoFactor.mustEnrol(user))) return;
    if (request.method === 'GET' || request.method === 'HEAD') {
      await reply.redirect('/account/two-factor', 303);
      return;
    }
    throw new AppError('forbidden', 'two_factor_enrolment_required');
  };
}
