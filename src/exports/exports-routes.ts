import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { MessageKey } from '../i18n/i18n.js';
import { dayPeriod } from '../time.js';
import { EXPORT_KINDS, type Exports } from './exports-service.js';

const pageQuery = z.object({ lang: z.string().max(16).optional() });
/** GET /coordinator/exports/download: the export form's fields (a GET form, so it works without JavaScript). */
const downloadQuery = z.object({
  kind: z.enum(EXPORT_KINDS),
  from: z.string().max(20).optional(),
  to: z.string().max(20).optional(),
  private: z.literal('1').optional(),
  lang: z.string().max(16).optional(),
});

/** The coordinator's audit exports: a form, and the CSV download it asks for. */
export default async function exportsRoutes(root: FastifyInstance, deps: { exports: Exports; clock: Clock }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const guard = { preHandler: requireRole('coordinator') };

  app.get('/coordinator/exports', { ...guard, schema: { querystring: pageQuery } }, async (request, reply) => {
    const period = dayPeriod({}, deps.clock())!;
    reply.header('cache-control', 'no-store');
    return reply.view('exports/coordinator-exports', {
      title: request.t('export.title'),
      section: 'exports',
      period,
      kinds: EXPORT_KINDS.map((kind) => ({ kind, label: request.t(`export.kind.${kind}` as MessageKey) })),
      scoped: !currentUser(request).allProjects,
    });
  });

  app.get('/coordinator/exports/download', { ...guard, schema: { querystring: downloadQuery } }, async (request, reply) => {
    const { kind } = request.query;
    const period = dayPeriod(request.query, deps.clock());
    if (!period) throw new AppError('bad_request', 'period_invalid');
    const privateFields = request.query.private === '1';
    const { csv } = await deps.exports.csv(currentUser(request), kind, period, { privateFields }, request.t, request.locale, request.ip);
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${kind}-${period.from}-${period.to}.csv"`)
      .type('text/csv; charset=utf-8')
      .send(csv);
  });
}
