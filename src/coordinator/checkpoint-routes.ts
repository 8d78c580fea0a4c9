import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { AppError } from '../errors.js';
import type { Translator } from '../i18n/i18n.js';
import { errorMessage } from '../orders/orders-routes.js';
import { checkpointsJson, checkpointsText } from '../ledger/checkpoint-list.js';
import type { CheckpointsService, LedgerHead } from '../ledger/checkpoints-service.js';
import type { CheckpointRow } from '../ledger/checkpoint-queries.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDateTime } from '../time.js';

/** Checkpoints listed on the page; the files have them all. */
const LISTED = 400;

/** The ledger's head and latest checkpoint as the public anchor block shows them (/impact, the checkpoint list). */
export function presentAnchor(t: Translator, head: LedgerHead | null, latest: CheckpointRow | null) {
  return {
    head: head
      ? {
          text: t('anchor.now', { when: formatDateTime(head.postedAt), count: head.transactionCount, id: head.headTransactionId }),
          count: head.transactionCount,
          hash: head.headHash,
        }
      : null,
    latest: latest ? t('anchor.latest', { day: latest.publishedOn, count: latest.transactionCount }) : null,
  };
}

/** The line each statement PDF carries: the head when it was made, and how to check it later. */
export function anchorLine(t: Translator, head: LedgerHead | null): string | null {
  return head ? t('anchor.pdf', { count: head.transactionCount, id: head.headTransactionId, when: formatDateTime(head.postedAt), hash: head.headHash }) : null;
}

/**
 * The public list of the ledger's checkpoints (a page, and files to keep: .txt and .json), and a
 * coordinator for all projects publishing one on demand.
 */
export default async function checkpointRoutes(root: FastifyInstance, deps: { checkpoints: CheckpointsService; publicUrl: string }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { checkpoints } = deps;
  const source = `${deps.publicUrl}/impact/checkpoints`;

  async function render(request: FastifyRequest, reply: FastifyReply, error: string | null = null, status = 200) {
    const { t } = request;
    const user = request.user;
    const canPublish = user?.role === 'coordinator' && user.allProjects;
    const [rows, total, head, latest] = await Promise.all([checkpoints.recent(LISTED), checkpoints.count(), checkpoints.head(), checkpoints.latest()]);
    reply.header('cache-control', 'no-cache');
    return reply.code(status).view('proof/checkpoints', {
      title: t('anchor.list.title'),
      anchor: presentAnchor(t, head, latest),
      checkpoints: rows.map((c) => ({ ...c, kind: t(`anchor.kind.${c.kind}`), takenAt: formatDateTime(c.takenAt) })),
      recentOnly: total > rows.length ? t('anchor.list.recentOnly', { shown: rows.length, total }) : null,
      canPublish,
      error,
      csrfToken: canPublish ? csrfTokenFor(reply) : null,
    });
  }

  app.get('/impact/checkpoints', { schema: { querystring: plainQuerySchema } }, async (request, reply) => render(request, reply));

  app.get('/impact/checkpoints.txt', async (_request, reply) =>
    reply
      .header('cache-control', 'no-cache')
      .type('text/plain; charset=utf-8')
      .send(checkpointsText(await checkpoints.all(), source)),
  );

  app.get('/impact/checkpoints.json', async (_request, reply) =>
    reply.header('cache-control', 'no-cache').send(checkpointsJson(await checkpoints.all(), source)),
  );

  app.post('/coordinator/checkpoints', { preHandler: requireRole('coordinator') }, async (request, reply) => {
    let row: CheckpointRow;
    try {
      row = await checkpoints.publishNow(currentUser(request));
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict') return render(request, reply, errorMessage(request, error), error.status);
      throw error;
    }
    reply.flash('success', request.t('anchor.publish.done', { count: row.transactionCount }));
    return reply.redirect('/impact/checkpoints', 303);
  });
}
