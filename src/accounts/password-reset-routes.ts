import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { AppError } from '../errors.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { csrfTokenFor } from '../plugins/security.js';
import { currentUser, requireRole } from './guards.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password.js';
import type { PasswordResets } from './password-reset.js';

const forgotSchema = z.object({
  email: z
    .string({ error: 'validation.required' })
    .trim()
    .min(1, 'validation.required')
    .max(254, 'validation.email')
    .pipe(z.email({ error: 'validation.email' })),
});
const resetSchema = z
  .object({
    token: z.string().max(100).default(''),
    password: z
      .string({ error: 'validation.required' })
      .min(MIN_PASSWORD_LENGTH, 'validation.password_short')
      .max(MAX_PASSWORD_LENGTH, 'validation.password_long'),
    passwordConfirm: z.string({ error: 'validation.required' }),
  })
  .refine((v) => v.password === v.passwordConfirm, { path: ['passwordConfirm'], message: 'validation.password_mismatch' });
const tokenQuery = plainQuerySchema.extend({ token: z.string().max(100).optional() });
const userParams = z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

/** "Forgot password" (/password/forgot → e-mail → /password/reset), and an admin sending a staff account a link. */
export default async function passwordResetRoutes(root: FastifyInstance, opts: { resets: PasswordResets }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { resets } = opts;

  const renderForgot = (request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, fields: FieldMessages, status = 200) =>
    reply.code(status).view('accounts/forgot', { title: request.t('reset.title'), values, fields, csrfToken: csrfTokenFor(reply) });

  app.get('/password/forgot', { schema: { querystring: plainQuerySchema } }, async (request, reply) => renderForgot(request, reply, {}, {}));

  // The same answer whether or not the address has an account; the e-mail goes only to an account's owner.
  app.post('/password/forgot', { config: { rateLimit: { max: 5, timeWindow: '1 minute' } } }, async (request, reply) => {
    const form = parseForm(forgotSchema, request.body, request.t);
    if (!form.ok) return renderForgot(request, reply, typedValues(request.body), form.fields, 422);
    await resets.request(form.data.email, request.locale);
    reply.header('cache-control', 'no-store');
    return reply.view('accounts/forgot-sent', { title: request.t('reset.sentTitle'), email: form.data.email });
  });

  async function renderReset(request: FastifyRequest, reply: FastifyReply, token: string, fields: FieldMessages, status = 200) {
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    let email: string | null = null;
    let error: string | null = null;
    try {
      email = await resets.emailFor(token);
    } catch (failure) {
      if (!(failure instanceof AppError && failure.type === 'not_found')) throw failure;
      error = request.t('errors.reset_link_invalid');
      status = 404;
    }
    return reply.code(status).view('accounts/reset', { title: request.t('reset.newTitle'), email, token, error, fields, csrfToken: csrfTokenFor(reply) });
  }

  app.get('/password/reset', { schema: { querystring: tokenQuery } }, async (request, reply) => renderReset(request, reply, request.query.token ?? '', {}));

  app.post('/password/reset', { config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const token = typeof body.token === 'string' ? body.token.slice(0, 100) : '';
    const form = parseForm(resetSchema, request.body, request.t);
    if (!form.ok) return renderReset(request, reply, token, form.fields, 422);
    try {
      await resets.reset(token, form.data.password, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'not_found') return renderReset(request, reply, token, {}, 404);
      throw error;
    }
    // Whoever was signed in here (perhaps not the owner) is signed out with every other session.
    await reply.endSession();
    reply.flash('success', request.t('reset.done'));
    return reply.redirect('/login', 303);
  });

  app.post('/admin/users/:id/password-reset', { preHandler: requireRole('admin'), schema: { params: userParams } }, async (request, reply) => {
    const email = await resets.sendByAdmin(currentUser(request).id, request.params.id, request.ip);
    reply.flash('success', request.t('reset.adminSent', { email }));
    return reply.redirect(`/admin/users/${request.params.id}`, 303);
  });
}
