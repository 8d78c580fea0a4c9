import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
import { DEFAULT_LOCALE, errorText, translatorFor } from '../i18n/i18n.js';

/** JSON for the API, webhooks and health; HTML pages in the shop's own style for everything else. */
export function wantsJson(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '';
  return path.startsWith('/api/') || path.startsWith('/webhooks/') || path === '/healthz';
}

interface ErrorView {
  status: number;
  code: string;
  message: string;
  fields?: Record<string, string>;
}

function describeValidation(error: FastifyError & { validation: { instancePath?: string; message?: string }[] }): string {
  return error.validation
    .map((v) => {
      const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
      return path ? `${path}: ${v.message ?? ''}` : (v.message ?? '');
    })
    .join('; ');
}

/** Maps anything thrown to what the client may see. 5xx details never leave the server. */
function toErrorView(error: unknown, request: FastifyRequest): ErrorView {
  // request.t is set in onRequest; errors raised earlier still get a message.
  const t = request.t ?? translatorFor(DEFAULT_LOCALE);
  if (error instanceof AppError) {
    const message = errorText(t, error.code, error.details.params);
    return { status: error.status, code: error.code, message, fields: error.details.fields };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    // A malformed id or slug in the path names nothing that exists.
    if ((error as FastifyError).validationContext === 'params') return { status: 404, code: 'not_found', message: t('errors.not_found') };
    const where = (error as FastifyError).validationContext === 'querystring' ? 'invalid_query' : 'invalid_body';
    const detail = describeValidation(error as FastifyError & { validation: { instancePath?: string; message?: string }[] });
    return { status: 400, code: where, message: t(`errors.${where}`, { detail }) };
  }
  const fe = error as Partial<FastifyError>;
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 500) return { status: 500, code: 'internal', message: t('errors.internal') };
  if (status === 403 && typeof fe.code === 'string' && fe.code.startsWith('FST_CSRF')) {
    return { status: 403, code: 'csrf', message: t('errors.csrf') };
  }
  if (status === 413) return { status, code: 'payload_too_large', message: t('errors.payload_too_large') };
  if (status === 415) return { status, code: 'unsupported_media_type', message: t('errors.unsupported_media_type') };
  if (status === 429) return { status, code: 'too_many_requests', message: t('errors.too_many_requests') };
  if (status === 404) return { status, code: 'not_found', message: t('errors.not_found') };
  // Other 4xx from fastify itself (malformed body, bad content length …): a generic message.
  return { status, code: 'bad_request', message: t('errors.bad_request') };
}

export async function sendError(request: FastifyRequest, reply: FastifyReply, view: ErrorView): Promise<FastifyReply> {
  reply.code(view.status);
  const t = request.t ?? translatorFor(DEFAULT_LOCALE);
  if (view.status === 429 || view.status >= 500) reply.header('cache-control', 'no-store');
  if (wantsJson(request)) {
    return reply.send({ error: { code: view.code, message: view.message, ...(view.fields ? { fields: view.fields } : {}) } });
  }
  const template = view.status === 404 ? 'errors/not-found' : view.status >= 500 ? 'errors/server-error' : 'errors/client-error';
  return reply.view(template, {
    title: t(view.status === 404 ? 'error.notFoundTitle' : view.status >= 500 ? 'error.serverTitle' : 'error.badRequestTitle'),
    message: view.message,
    requestId: request.id,
    status: view.status,
  });
}

export default fp(
  async function errorHandler(app: FastifyInstance) {
    app.setErrorHandler(async (error, request, reply) => {
      const view = toErrorView(error, request);
      if (view.status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: view.code, status: view.status }, 'request refused');
      try {
        return await sendError(request, reply, view);
      } catch (renderError) {
        request.log.error({ err: renderError }, 'error page failed to render');
        return reply.code(view.status).type('text/plain; charset=utf-8').send(view.message);
      }
    });
    app.setNotFoundHandler(async (request, reply) => {
      return sendError(request, reply, { status: 404, code: 'not_found', message: (request.t ?? translatorFor(DEFAULT_LOCALE))('errors.not_found') });
    });
  },
  { name: 'error-handler' },
);
