import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { AppError } from '../errors.js';
import type { MessageKey } from '../i18n/i18n.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDateTime } from '../time.js';
import type { MailPreferences } from './mail-preferences.js';
import { OUTBOX_PAGE_SIZE, type Outbox } from './outbox.js';
import { OUTBOX_STATUSES } from './schema.js';

const pageQuery = plainQuerySchema.extend({
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
  status: z.enum(OUTBOX_STATUSES).optional().catch(undefined),
});
const idParams = z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });
const signedQuery = plainQuerySchema.extend({ u: z.coerce.number().int().min(1).catch(0).default(0), sig: z.string().max(100).catch('').default('') });

/**
 * The admin's view of the outbox (/admin/outbox: every e-mail written, sent or kept when no SMTP
 * server is configured), and the mail settings reached from the link in each notice.
 */
export default async function notificationsRoutes(root: FastifyInstance, opts: { outbox: Outbox; preferences: MailPreferences; smtpConfigured: boolean }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { outbox, preferences } = opts;
  const adminOnly = requireRole('admin');

  app.get('/admin/outbox', { preHandler: adminOnly, schema: { querystring: pageQuery } }, async (request, reply) => {
    const { t } = request;
    const { page, status } = request.query;
    const result = await outbox.list(page, status);
    const pages = Math.max(1, Math.ceil(result.total / OUTBOX_PAGE_SIZE));
    const url = (p: number) => `/admin/outbox?page=${p}${status ? `&status=${status}` : ''}`;
    reply.header('cache-control', 'no-store');
    return reply.view('notifications/outbox', {
      title: t('outbox.title'),
      isAdmin: true,
      smtpConfigured: opts.smtpConfigured,
      filters: [
        { label: t('outbox.filter.all'), url: '/admin/outbox', current: !status },
        ...OUTBOX_STATUSES.map((s) => ({ label: t(`outbox.status.${s}` as MessageKey), url: `/admin/outbox?status=${s}`, current: status === s })),
      ],
      total: result.total,
      messages: result.rows.map((row) => ({
        id: row.id,
        url: `/admin/outbox/${row.id}`,
        kind: row.kind,
        to: row.recipient,
        subject: row.subject,
        status: row.status,
        statusLabel: t(`outbox.status.${row.status}` as MessageKey),
        attempts: row.attempts,
        created: formatDateTime(row.createdAt),
      })),
      pagination: { show: pages > 1, page, pages, prevUrl: page > 1 ? url(Math.min(page - 1, pages)) : null, nextUrl: page < pages ? url(page + 1) : null },
    });
  });

  app.get('/admin/outbox/:id', { preHandler: adminOnly, schema: { params: idParams, querystring: plainQuerySchema } }, async (request, reply) => {
    const { t } = request;
    const row = await outbox.byId(request.params.id);
    if (!row) throw new AppError('not_found', 'not_found');
    reply.header('cache-control', 'no-store');
    return reply.view('notifications/outbox-message', {
      title: row.subject,
      isAdmin: true,
      message: {
        id: row.id,
        kind: row.kind,
        to: row.recipient,
        locale: row.locale,
        subject: row.subject,
        status: row.status,
        statusLabel: t(`outbox.status.${row.status}` as MessageKey),
        attempts: row.attempts,
        created: formatDateTime(row.createdAt),
        sent: row.sentAt ? formatDateTime(row.sentAt) : null,
        lastError: row.lastError,
        headers: Object.entries(JSON.parse(row.headers) as Record<string, string>).map(([name, value]) => ({ name, value })),
        text: row.textBody,
        htmlUrl: `/admin/outbox/${row.id}/html`,
      },
    });
  });

  // The HTML body as the recipient's mail client would show it: sandboxed, no scripts, nothing fetched.
  app.get('/admin/outbox/:id/html', { preHandler: adminOnly, schema: { params: idParams } }, async (request, reply) => {
    const row = await outbox.byId(request.params.id);
    if (!row) throw new AppError('not_found', 'not_found');
    return reply
      .header('cache-control', 'no-store')
      .header('content-security-policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:")
      .type('text/html; charset=utf-8')
      .send(row.htmlBody);
  });

  function checkSigned(u: number, sig: string): number {
    if (!u || !preferences.verify(u, sig)) throw new AppError('not_found', 'not_found');
    return u;
  }

  app.get('/mail/preferences', { schema: { querystring: signedQuery } }, async (request, reply) => {
    const userId = checkSigned(request.query.u, request.query.sig);
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    return reply.view('notifications/preferences', {
      title: request.t('prefs.title'),
      u: userId,
      sig: request.query.sig,
      noticesOff: await preferences.noticesOff(userId),
      csrfToken: csrfTokenFor(reply),
    });
  });

  app.post('/mail/preferences', async (request, reply) => {
    const body = z
      .object({ u: z.coerce.number().int().min(1).catch(0), sig: z.string().max(100).catch(''), notices: z.enum(['on', 'off']).catch('off') })
      .parse(request.body ?? {});
    const userId = checkSigned(body.u, body.sig);
    await preferences.setNoticesOff(userId, body.notices === 'off');
    reply.flash('success', request.t('prefs.saved'));
    return reply.redirect(`/mail/preferences?u=${userId}&sig=${encodeURIComponent(body.sig)}`, 303);
  });

  // One-click unsubscribe (RFC 8058): mail providers POST here from the List-Unsubscribe header,
  // without cookies; the signed link is the authority, so there is no CSRF token to check.
  app.post('/mail/unsubscribe', { config: { csrf: false }, schema: { querystring: signedQuery } }, async (request, reply) => {
    const userId = checkSigned(request.query.u, request.query.sig);
    await preferences.setNoticesOff(userId, true);
    return reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(request.t('prefs.noticesOff'));
  });
}
