import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fieldMessagesOf, messageOf } from '../form-errors.js';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import type { Locale } from '../i18n/i18n.js';
import type { Clock } from '../clock.js';
import type { Role } from './schema.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { csrfTokenFor } from '../plugins/security.js';
import { loginSchema, passwordChangeSchema, registerSchema, safeNextPath, twoFactorCodeSchema } from './accounts-schemas.js';
import type { AccountsService } from './accounts-service.js';
import { deviceClaimOf, forgetDevice, rememberDevice } from './device-cookie.js';
import { currentUser, homeOf, requireUser } from './guards.js';
import { TWO_FACTOR, TWO_FACTOR_ROLES, type TwoFactor } from './two-factor.js';
import { z } from 'zod';

/** Run at each sign-in, with the anonymous session it replaced (the cart merges) and the language the person is using. */
export type SignInHook = (previousSessionHash: string | null, userId: number, newSessionHash: string, locale: Locale) => void | Promise<void>;

const clientAddress = (request: FastifyRequest) => request.ip;

export default async function accountsRoutes(
  root: FastifyInstance,
  opts: { accounts: AccountsService; onSignIn: SignInHook[]; clock: Clock; secureCookies: boolean; twoFactor: TwoFactor },
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { accounts } = opts;
  const nextQuery = plainQuerySchema.extend({ next: z.string().max(500).optional() });
  const tokenQuery = plainQuerySchema.extend({ token: z.string().max(100).optional() });

  /** The person proved who they are: a new session (no fixation), the cart joins, and this browser is remembered for the account. */
  async function signInAs(request: FastifyRequest, reply: FastifyReply, user: { id: number; role: Role }): Promise<void> {
    const previous = request.session?.idHash ?? null;
    const session = await reply.startSession(user.id, user.role);
    for (const hook of opts.onSignIn) await hook(previous, user.id, session.idHash, request.locale);
    rememberDevice(reply, user.id, opts.clock(), opts.secureCookies);
  }

  /**
   * Between a correct password and its code: a signed cookie, for the sign-in pages only, naming
   * the account and until when the code may come (TWO_FACTOR.pendingMs). No session exists yet.
   */
  const PENDING_COOKIE = 'tfa';
  const pendingOptions = { path: '/login', httpOnly: true, sameSite: 'lax' as const, secure: opts.secureCookies, signed: true };
  type Pending = { u: number; r: Role; exp: number; next: string };
  function pendingOf(request: FastifyRequest): Pending | null {
    const raw = request.cookies[PENDING_COOKIE];
    if (!raw) return null;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return null;
    try {
      const p = JSON.parse(unsigned.value) as Pending;
      return typeof p.u === 'number' && typeof p.exp === 'number' && p.exp > opts.clock() ? p : null;
    } catch {
      return null;
    }
  }

  function renderTwoFactor(request: FastifyRequest, reply: FastifyReply, fields: FieldMessages, status = 200) {
    return reply.code(status).view('accounts/two-factor-login', {
      title: request.t('twofactor.loginTitle'),
      fields,
      values: {},
      csrfToken: csrfTokenFor(reply),
    });
  }

  function renderLogin(request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, error: string | null, status = 200) {
    return reply.code(status).view('accounts/login', {
      title: request.t('accounts.loginTitle'),
      values,
      error,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/login', { schema: { querystring: nextQuery } }, async (request, reply) => {
    if (request.user) return reply.redirect(safeNextPath(request.query.next) ?? homeOf(request.user.role), 303);
    return renderLogin(request, reply, { next: safeNextPath(request.query.next) ?? '' }, null);
  });

  app.post('/login', { config: { rateLimit: { max: 20, timeWindow: '1 minute' } } }, async (request, reply) => {
    const form = parseForm(loginSchema, request.body, request.t);
    const values = typedValues(request.body);
    if (!form.ok) return renderLogin(request, reply, values, request.t('errors.login_failed'), 422);
    try {
      const user = await accounts.authenticate(form.data, clientAddress(request), deviceClaimOf(request));
      if (TWO_FACTOR_ROLES.includes(user.role) && (await opts.twoFactor.status(user.id)) === 'on') {
        // The password was right; the session starts only once the code is too.
        const pending: Pending = { u: user.id, r: user.role, exp: opts.clock() + TWO_FACTOR.pendingMs, next: safeNextPath(form.data.next) ?? '' };
        reply.setCookie(PENDING_COOKIE, JSON.stringify(pending), { ...pendingOptions, maxAge: TWO_FACTOR.pendingMs / 1000 });
        return reply.redirect('/login/two-factor', 303);
      }
      await signInAs(request, reply, user);
      return reply.redirect(safeNextPath(form.data.next) ?? homeOf(user.role), 303);
    } catch (error) {
      if (error instanceof AppError && (error.code === 'login_failed' || error.code === 'login_throttled')) {
        return renderLogin(request, reply, values, messageOf(request, error), error.status);
      }
      throw error;
    }
  });

  app.get('/login/two-factor', { schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    if (!pendingOf(request)) return reply.redirect('/login', 303);
    return renderTwoFactor(request, reply, {});
  });

  app.post('/login/two-factor', { config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (request, reply) => {
    const pending = pendingOf(request);
    if (!pending) {
      reply.flash('error', request.t('errors.two_factor_expired'));
      return reply.redirect('/login', 303);
    }
    const form = parseForm(twoFactorCodeSchema, request.body, request.t);
    if (!form.ok) return renderTwoFactor(request, reply, form.fields, 422);
    try {
      await opts.twoFactor.verifySignIn(pending.u, form.data, clientAddress(request));
    } catch (error) {
      if (error instanceof AppError && (error.code === 'two_factor_wrong_code' || error.code === 'two_factor_locked')) {
        return renderTwoFactor(request, reply, fieldMessagesOf(request, error), error.status);
      }
      throw error;
    }
    reply.clearCookie(PENDING_COOKIE, pendingOptions);
    await signInAs(request, reply, { id: pending.u, role: pending.r });
    return reply.redirect(safeNextPath(pending.next) ?? homeOf(pending.r), 303);
  });

  app.post('/logout', async (_request, reply) => {
    await reply.endSession();
    return reply.redirect('/', 303);
  });

  function renderRegister(request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, fields: FieldMessages, status = 200) {
    return reply.code(status).view('accounts/register', {
      title: request.t('accounts.registerTitle'),
      values,
      fields,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/register', { schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    if (request.user) return reply.redirect(homeOf(request.user.role), 303);
    return renderRegister(request, reply, {}, {});
  });

  // The same answer whether or not the address has an account: the e-mail tells its owner which.
  app.post('/register', { config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (request, reply) => {
    const form = parseForm(registerSchema, request.body, request.t);
    const values = typedValues(request.body, ['password', 'passwordConfirm', '_csrf']);
    if (!form.ok) return renderRegister(request, reply, values, form.fields, 422);
    await accounts.requestRegistration(form.data, request.locale);
    reply.header('cache-control', 'no-store');
    return reply.view('accounts/register-sent', { title: request.t('accounts.registerSentTitle'), email: form.data.email.trim() });
  });

  async function renderConfirm(request: FastifyRequest, reply: FastifyReply, token: string, error: string | null = null, status = 200) {
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    let registration: { email: string; displayName: string } | null = null;
    try {
      registration = await accounts.registrationFor(token);
    } catch (failure) {
      if (!(failure instanceof AppError && failure.type === 'not_found')) throw failure;
      error ??= request.t('errors.registration_link_invalid');
      status = 404;
    }
    return reply.code(status).view('accounts/register-confirm', {
      title: request.t('accounts.registerConfirmTitle'),
      registration,
      token,
      error,
      csrfToken: csrfTokenFor(reply),
    });
  }

  // The link of the e-mail opens a page with a button: mail scanners that fetch links create nothing.
  app.get('/register/confirm', { schema: { querystring: tokenQuery } }, async (request, reply) => renderConfirm(request, reply, request.query.token ?? ''));

  app.post('/register/confirm', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const token = typeof body.token === 'string' ? body.token : '';
    let user;
    try {
      user = await accounts.confirmRegistration(token, clientAddress(request));
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict') {
        reply.flash('error', messageOf(request, error));
        return reply.redirect('/login', 303);
      }
      if (error instanceof AppError && error.type === 'not_found') return renderConfirm(request, reply, token);
      throw error;
    }
    await signInAs(request, reply, user);
    reply.flash('success', request.t('accounts.registered'));
    return reply.redirect('/', 303);
  });

  app.get('/account/password', { preHandler: requireUser, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    return reply.view('accounts/password', { title: request.t('accounts.passwordTitle'), fields: {} });
  });

  app.post('/account/password', { preHandler: requireUser }, async (request, reply) => {
    const user = currentUser(request);
    const form = parseForm(passwordChangeSchema, request.body, request.t);
    const render = (fields: FieldMessages, status: number) =>
      reply.code(status).view('accounts/password', { title: request.t('accounts.passwordTitle'), fields, csrfToken: csrfTokenFor(reply) });
    if (!form.ok) return render(form.fields, 422);
    try {
      await accounts.changePassword(user.id, form.data.currentPassword, form.data.newPassword, {
        address: clientAddress(request),
        device: deviceClaimOf(request),
        sessionStartedAt: request.session?.createdAt ?? 0,
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'password_guesses_signed_out') {
        // Every session of the account has ended, this one too; this browser is no longer trusted for it.
        await reply.endSession();
        forgetDevice(reply, opts.secureCookies);
        reply.flash('error', request.t('errors.password_guesses_signed_out'));
        return reply.redirect('/login', 303);
      }
      if (error instanceof AppError && error.code === 'login_throttled') {
        return render({ currentPassword: messageOf(request, error) }, error.status);
      }
      if (error instanceof AppError && error.details.fields) return render(fieldMessagesOf(request, error), error.status);
      throw error;
    }
    // A new session id, and every other session of this user ends; the device cookie is given anew
    // (one given before the change is no longer trusted).
    const session = await reply.startSession(user.id, user.role);
    await accounts.endOtherSessions(user.id, session.idHash);
    rememberDevice(reply, user.id, opts.clock(), opts.secureCookies);
    reply.flash('success', request.t('accounts.passwordChanged'));
    return reply.redirect(homeOf(user.role), 303);
  });
}
