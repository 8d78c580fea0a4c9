import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { MessageKey } from '../i18n/i18n.js';
import { BATCH_HEADER, batchCsv, batchPurpose, parseStatement } from '../ledger/bank-batch-file.js';
import type { BatchEntry, PayoutsService, StatementMatch, StatementResult } from '../ledger/payouts-service.js';
import { formatFen } from '../money.js';
import { readMultipartForm } from '../multipart-form.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDate, startOfDay } from '../time.js';
import type { VillagesService } from '../villages/villages-service.js';

export interface BankBatchDeps {
  payouts: PayoutsService;
  villages: VillagesService;
  clock: Clock;
}

/** A statement is a few hundred lines of CSV: 1 MB is far more than a bank returns for one batch. */
const STATEMENT_LIMITS = { fileSize: 1024 * 1024, fields: 2 };

const dayText = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((v) => startOfDay(v) !== null);
const dayQuery = z.object({ day: z.string().max(20).optional() });
const downloadForm = z.object({
  day: dayText,
  payout: z
    .union([z.string(), z.array(z.string()).max(2000)])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[1-9][0-9]{0,9}$/)
          .transform(Number),
      ),
    ),
});

const purposeOf = (p: { id: number }) => batchPurpose(p.id);

/** An account number as the page shows it (the whole number is only in the audited file). */
const masked = (accountNo: string) => (accountNo.length > 4 ? `•••• ${accountNo.slice(-4)}` : accountNo);

const isBinaryControl = (c: string) => {
  const code = c.charCodeAt(0);
  return (code < 0x20 && c !== '\t' && c !== '\r' && c !== '\n') || code === 0x7f;
};

/** A statement's bytes as text: UTF-8, or GB18030 (GBK), which Chinese banks' exports often are; null for a binary file. */
function statementText(bytes: Buffer): string | null {
  for (const encoding of ['utf-8', 'gb18030']) {
    try {
      const text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
      // Control characters other than tab and line ends: a binary file (an .xlsx, a PDF), not CSV.
      return [...text].some(isBinaryControl) ? null : text;
    } catch {
      // not this encoding
    }
  }
  return null;
}

/**
 * Bank batches (批量代发), the coordinator's pages: the day's bank-transfer payouts not yet paid by
 * the bank, in their scope (the service checks each payout as the payout pages do); the batch file
 * for the bank (a POST with the CSRF token, audited: it holds households' account numbers); and the
 * bank's returned statement, uploaded and applied all or nothing, its matches and mismatches in words.
 */
export default async function bankBatchRoutes(root: FastifyInstance, deps: BankBatchDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const guard = { preHandler: requireRole('coordinator') };
  const { payouts, villages, clock } = deps;

  function entryRow(request: FastifyRequest, e: BatchEntry) {
    const { t } = request;
    const lastFailure = e.failures.at(-1);
    return {
      id: e.payout.id,
      household: e.account.realName,
      payee: e.account.accountName,
      account: e.account.accountNo ? masked(e.account.accountNo) : '—',
      bank: e.account.bankName ?? '—',
      amount: formatFen(e.payout.amountFen),
      sendable: e.line !== null,
      note: !e.line ? t('batch.noAccount') : lastFailure ? t('batch.retry', { day: e.payout.paidOn, status: lastFailure.status || '—' }) : '',
    };
  }

  async function renderBatch(
    request: FastifyRequest,
    reply: FastifyReply,
    day: string,
    state: { status?: number; error?: string; dayError?: string; statementError?: string; result?: StatementResult } = {},
  ) {
    const { t } = request;
    const user = currentUser(request);
    const entries = state.dayError ? [] : await payouts.bankBatch(user, day, purposeOf);
    const sendable = entries.filter((e) => e.line);
    const result = state.result ? await resultView(request, state.result) : null;
    reply.header('cache-control', 'no-store');
    return reply.code(state.status ?? 200).view('coordinator/bank-batches', {
      title: result ? t(state.result!.applied ? 'batch.statement.appliedTitle' : 'batch.statement.refusedTitle') : t('batch.title'),
      section: 'bank-batches',
      day,
      dayError: state.dayError ?? null,
      heading: t('batch.heading', { day }),
      rows: entries.map((e) => entryRow(request, e)),
      total: t('batch.total', { count: sendable.length, amount: formatFen(sendable.reduce((sum, e) => sum + e.payout.amountFen, 0)) }),
      canDownload: sendable.length > 0,
      error: state.error ?? null,
      statementError: state.statementError ?? null,
      result,
      csrfToken: csrfTokenFor(reply),
    });
  }

  async function resultView(request: FastifyRequest, r: StatementResult) {
    const { t } = request;
    const user = currentUser(request);
    const names = new Map<number, string>();
    for (const m of [...r.paid, ...r.failed]) {
      if (!names.has(m.householdId)) names.set(m.householdId, (await villages.household(user, m.householdId)).realName);
    }
    const row = (m: StatementMatch) => ({
      line: m.line,
      reference: m.reference,
      payoutId: m.payoutId,
      household: names.get(m.householdId) ?? '',
      amount: formatFen(m.amountFen),
      status: m.status,
    });
    return {
      applied: r.applied,
      summary: r.applied
        ? t('batch.statement.applied', { paid: r.paid.length, failed: r.failed.length })
        : t('batch.statement.refused', { count: r.mismatches.length }),
      paid: r.paid.map(row),
      failed: r.failed.map(row),
      mismatches: r.mismatches.map((m) => ({ line: m.line, code: m.code, text: t(`batch.mismatch.${m.code}` as MessageKey, m.params) })),
    };
  }

  app.get('/coordinator/bank-batches', { ...guard, schema: { querystring: dayQuery } }, async (request, reply) => {
    const asked = request.query.day;
    if (asked === undefined || asked.trim() === '') return renderBatch(request, reply, formatDate(clock()));
    const day = dayText.safeParse(asked);
    if (!day.success) return renderBatch(request, reply, asked, { status: 400, dayError: request.t('batch.v.day') });
    return renderBatch(request, reply, day.data);
  });

  /** The batch file: a POST (CSRF token, not prefetched or cached), of the payouts ticked on the page, each checked again. */
  app.post('/coordinator/bank-batches/file', guard, async (request, reply) => {
    const form = downloadForm.safeParse(request.body ?? {});
    if (!form.success) throw new AppError('bad_request', 'bad_request');
    const { day, payout } = form.data;
    let lines;
    try {
      lines = await payouts.exportBankBatch(currentUser(request), day, payout, purposeOf, request.ip);
    } catch (error) {
      // Refusals the page can say (nothing ticked, a payout paid meanwhile): the page again, with the message and its status.
      if (error instanceof AppError && (error.type === 'conflict' || error.type === 'validation')) {
        return renderBatch(request, reply, day, { status: error.status, error: request.t(`errors.${error.code}` as MessageKey, error.details.params) });
      }
      throw error;
    }
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('cache-control', 'private, no-store')
      .header('content-disposition', `attachment; filename="bank-batch-${day}.csv"`)
      .send(batchCsv(lines, BATCH_HEADER));
  });

  /** The bank's returned statement (multipart, its CSRF token the first field): applied all or nothing, then shown line by line. */
  app.post('/coordinator/bank-batches/statement', { ...guard, config: { csrf: 'multipart', multipartLimits: STATEMENT_LIMITS } }, async (request, reply) => {
    const { t } = request;
    const form = await readMultipartForm(request, STATEMENT_LIMITS);
    const day = typeof form.fields.day === 'string' && dayText.safeParse(form.fields.day).success ? form.fields.day : formatDate(clock());
    const refuse = (key: MessageKey) => renderBatch(request, reply, day, { status: 422, statementError: t(key) });
    if (form.fileTooLarge) return refuse('batch.v.statementTooLarge');
    if (!form.file || form.file.bytes.length === 0) return refuse('batch.v.statement');
    const text = statementText(form.file.bytes);
    const lines = text === null ? [] : parseStatement(text);
    if (lines.length === 0) return refuse('batch.v.statementUnreadable');
    const name = form.file.name.slice(0, 120);
    const result = await payouts.applyBankStatement(currentUser(request), lines, name, request.ip);
    return renderBatch(request, reply, day, { status: result.applied ? 200 : 422, result });
  });
}
