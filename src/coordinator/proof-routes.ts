import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { messageOf } from '../form-errors.js';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { presentMoney } from '../catalog/public-figures.js';
import { AppError } from '../errors.js';
import { hasMessage, pickText, withAside, type MessageKey, type Translator } from '../i18n/i18n.js';
import { fenToYuanInput, formatFen, formatMinorUnits, minorUnitsToDecimal } from '../money.js';
import { benefitSummary } from '../orders/benefit.js';
import { accountCode } from '../ledger/accounts.js';
import { canPrintPackingSlip } from '../orders/order-status.js';
import { orderNumberParams } from '../orders/orders-schemas.js';
import type { OrdersService } from '../orders/orders-service.js';
import { receiptQr } from '../orders/receipt-qr.js';
import type { ReceiptService } from '../orders/receipt-service.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDateTime } from '../time.js';
import { assertVillage } from '../villages/access.js';
import type { VillagesService } from '../villages/villages-service.js';
import type { CheckpointsService } from '../ledger/checkpoints-service.js';
import { presentAnchor } from './checkpoint-routes.js';
import type { ImpactService, NamedHouseholds, PublicFigures } from './impact-service.js';
import { parseForm, typedValues } from '../forms.js';
import { noteForm, packingSlipQuery, periodParams, receiptParams, reconciliationQuery, transactionParams } from './proof-schemas.js';
import type { NoteRow } from './reconciliation-queries.js';
import type { Mismatch, ReconciliationReport, ReconciliationService } from './reconciliation-service.js';

export interface ProofRoutesDeps {
  reconciliation: ReconciliationService;
  impact: ImpactService;
  receipts: ReceiptService;
  orders: OrdersService;
  villageNames: () => Promise<{ id: number; slug: string; nameZh: string; nameEn: string | null }[]>;
  /** Households by id, as the acting coordinator may see them (private fields: coordinators only). */
  villages: Pick<VillagesService, 'household'>;
  projects: () => Promise<{ id: number; slug: string; nameZh: string; nameEn: string | null }[]>;
  /** Absolute base of the shop (config.publicUrl), for the receipt's QR code. */
  publicUrl: string;
  /** The ledger's head and checkpoints, published on /impact (the chain's anchor). */
  checkpoints: CheckpointsService;
}

/** Mismatches listed on the page; the CSV has them all. */
const MAX_LISTED = 500;

/** A CSV cell: formula-looking text is defused, quotes doubled. */
function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
const yuan = (fen: number | null | undefined) => (fen === null || fen === undefined ? '' : fenToYuanInput(fen));
/** The CSV cells of a fee Stripe charged in another currency: the amount as charged, the currency, the rate (empty for CNY). */
const settlementCells = (currency: string | null, feeMinor: number | null, rate: string | null) =>
  currency === null || feeMinor === null
    ? ['', '', '']
    : [minorUnitsToDecimal(feeMinor, currency), currency.toUpperCase().replace(/[^A-Z]/g, ''), (rate ?? '').replace(/[^0-9.eE+-]/g, '')];

const channelLabel = (t: Translator, channel: string | null) => {
  if (!channel) return '';
  const key = `recon.channel.${channel}`;
  return hasMessage(key) ? t(key as MessageKey) : accountCode({ kind: 'clearing', channel });
};
const orderStatusLabel = (t: Translator, status: string | null) => {
  const key = `order.status.${status ?? ''}`;
  return status && hasMessage(key) ? t(key as MessageKey) : (status ?? '');
};

/**
 * The proof pages: reconciliation and closing months (all-projects coordinators), the public
 * impact page and benefit receipts, and the secretaries' packing slips with the receipt's QR code.
 */
export default async function proofRoutes(root: FastifyInstance, deps: ProofRoutesDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { reconciliation, impact, receipts, orders } = deps;
  const coordinator = { preHandler: requireRole('coordinator') };
  const secretary = { preHandler: requireRole('first_secretary') };

  /** The whole shop's money is reconciled by a coordinator for all projects. */
  function allProjectsCoordinator(request: FastifyRequest) {
    const user = currentUser(request);
    if (!user.allProjects) throw new AppError('forbidden', 'reconciliation_forbidden');
    return user;
  }

  function problemText(t: Translator, m: Mismatch, code: Mismatch['kind']): string {
    const a = m.amounts;
    const money = (fen: number | undefined) => (fen === undefined ? '—' : formatFen(fen));
    return t(`recon.problem.${code}` as MessageKey, {
      payment: money(a.paymentFen),
      total: money(a.orderTotalFen),
      clearing: money(a.clearingFen),
      fee: money(a.feeFen),
      feePosted: money(a.feePostedFen),
      refund: money(a.refundFen),
      expected: money(a.expectedFen),
      ledger: money(a.ledgerFen),
      difference: money(a.differenceFen),
      status: orderStatusLabel(t, m.orderStatus),
      channel: channelLabel(t, m.channel),
      charged: m.settlement ? formatMinorUnits(m.settlement.feeMinor, m.settlement.currency) : '—',
    });
  }

  /** A note as the page and the CSV show it: the text, then who wrote it and when. */
  const noteText = (t: Translator, n: NoteRow) => ({ text: n.note, by: t('recon.note.by', { name: n.author ?? '', time: formatDateTime(n.createdAt) }) });

  /** What was typed into one mismatch's note form and what is wrong with it, when that form failed. */
  interface NoteFormState {
    key: string;
    value: string;
    error: string;
  }

  function presentMismatch(t: Translator, m: Mismatch, period: string, failed: NoteFormState | null) {
    const txLink = (id: number) => ({ url: `/coordinator/reconciliation/transactions/${id}?period=${period}`, label: t('recon.link.posting', { id }) });
    const links = [
      ...(m.orderNumber ? [{ url: `/coordinator/orders/${m.orderNumber}`, label: t('recon.link.order', { number: m.orderNumber }) }] : []),
      ...(m.txId !== null ? [txLink(m.txId)] : []),
      ...(m.stripePaymentIntentId
        ? [{ url: `https://dashboard.stripe.com/payments/${encodeURIComponent(m.stripePaymentIntentId)}`, label: t('recon.link.stripe') }]
        : []),
    ];
    return {
      kind: m.kind,
      item: t(`recon.item.${m.item}` as MessageKey),
      channel: channelLabel(t, m.channel),
      problems: m.problems.map((code) => problemText(t, m, code)),
      settlement:
        m.settlement && m.settlement.exchangeRate !== null
          ? t('recon.settlement', {
              charged: formatMinorUnits(m.settlement.feeMinor, m.settlement.currency),
              rate: m.settlement.exchangeRate,
              currency: m.settlement.currency.toUpperCase(),
            })
          : null,
      links,
      strays: m.strayTxIds.map(txLink),
      key: m.key,
      notes: m.notes.map((n) => noteText(t, n)),
      explained: m.notes.length > 0,
      noteValue: failed?.key === m.key ? failed.value : '',
      noteError: failed?.key === m.key ? failed.error : null,
    };
  }

  function presentReport(request: FastifyRequest, report: ReconciliationReport, failed: NoteFormState | null = null) {
    const { t } = request;
    return {
      channels: report.channels.map((c) => ({
        label: channelLabel(t, c.channel),
        channel: c.channel,
        payments: c.payments,
        received: formatFen(c.receivedFen),
        fees: formatFen(c.feesFen),
        refunds: formatFen(c.refundsFen),
        expected: formatFen(c.expectedMovementFen),
        ledger: formatFen(c.ledgerMovementFen),
        explained: formatFen(c.explainedFen),
        unexplained: formatFen(c.unexplainedFen),
        off: c.unexplainedFen !== 0,
      })),
      foreignFees: report.foreignFees.map((f) => ({
        currency: f.currency,
        text: t('recon.foreignFeeRow', {
          currency: f.currency.toUpperCase(),
          payments: f.payments,
          charged: formatMinorUnits(f.chargedMinor, f.currency),
          fees: formatFen(f.feesFen),
        }),
      })),
      mismatches: report.mismatches.slice(0, MAX_LISTED).map((m) => presentMismatch(t, m, report.period, failed)),
      resolvedNotes: report.resolvedNotes.map((n) => noteText(t, n)),
      // A refused note on an item the list does not show (resolved meanwhile, or unknown) is said above the list.
      noteError: failed && !report.mismatches.slice(0, MAX_LISTED).some((m) => m.key === failed.key) ? failed.error : null,
      count: report.mismatches.length,
      unexplained: report.unexplained,
      truncated: report.mismatches.length > MAX_LISTED,
    };
  }

  // ---------- Reconciliation ----------

  /** The reconciliation page of a period; after a refused note or close, with what was typed and why (and its status). */
  async function renderReconciliation(
    request: FastifyRequest,
    reply: FastifyReply,
    period: string,
    state: { status?: number; note?: NoteFormState; closeError?: string } = {},
  ) {
    const user = allProjectsCoordinator(request);
    const { t } = request;
    const [report, closed] = await Promise.all([reconciliation.report(period), reconciliation.closedPeriods()]);
    const villageName = new Map((await deps.villageNames()).map((v) => [v.id, pickText(request.locale, v.nameZh, v.nameEn)]));
    reply.header('cache-control', 'no-store');
    return reply.code(state.status ?? 200).view('coordinator/reconciliation', {
      title: t('recon.title', { period }),
      section: 'reconciliation',
      period,
      locked: report.locked,
      canClose: !report.locked && user.allProjects && period <= reconciliation.currentPeriod(),
      closeError: state.closeError ?? null,
      summary: t('recon.summary', { payments: report.payments, refunds: report.refunds }),
      ...presentReport(request, report, state.note ?? null),
      csvUrl: `/coordinator/reconciliation.csv?period=${period}`,
      clawbacks: await Promise.all(
        (await impact.clawbacks()).map(async (c) => {
          const h = await deps.villages.household(user, c.householdId);
          return { id: h.id, name: h.realName, village: villageName.get(h.villageId) ?? '', amount: formatFen(c.clawbackFen) };
        }),
      ),
      closedPeriods: closed.map((l) => ({
        url: `/coordinator/reconciliation?period=${l.period}`,
        text: t('recon.closedRow', { period: l.period, name: l.lockedBy ?? '', time: formatDateTime(l.lockedAt) }),
      })),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/coordinator/reconciliation', { ...coordinator, schema: { querystring: reconciliationQuery } }, async (request, reply) =>
    renderReconciliation(request, reply, request.query.period ?? reconciliation.currentPeriod()),
  );

  app.get('/coordinator/reconciliation.csv', { ...coordinator, schema: { querystring: reconciliationQuery } }, async (request, reply) => {
    allProjectsCoordinator(request);
    const { t } = request;
    const period = request.query.period ?? reconciliation.currentPeriod();
    const header = [
      'recon.csv.item',
      'recon.csv.status',
      'recon.csv.problems',
      'recon.csv.order',
      'recon.csv.orderStatus',
      'recon.csv.payment',
      'recon.csv.channel',
      'recon.csv.reference',
      'recon.csv.confirmedAt',
      'recon.csv.amount',
      'recon.csv.fee',
      'recon.csv.net',
      'recon.csv.orderTotal',
      'recon.csv.clearing',
      'recon.csv.transaction',
      'recon.csv.hash',
      'recon.csv.feeCharged',
      'recon.csv.feeCurrency',
      'recon.csv.exchangeRate',
      'recon.csv.notes',
    ] as const;
    // Built as the month's rows go past, read once. Free text (labels, transfer references) is escaped; the other cells are
    // machine values (order numbers, ids, amounts in yuan, hex hashes) written as they are.
    const lines: string[] = [header.map((k) => csvText(t(k))).join(',')];
    const labels = {
      payment: csvText(t('recon.item.payment')),
      posting: csvText(t('recon.item.posting')),
      ok: csvText(t('recon.status.ok')),
      mismatch: csvText(t('recon.status.mismatch')),
    };
    const raw = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));
    const notesCell = (notes: NoteRow[]) =>
      csvText(
        notes
          .map((n) => {
            const x = noteText(t, n);
            return withAside(t, x.text, x.by);
          })
          .join(' | '),
      );
    const report = await reconciliation.report(period, ({ row: p, problems, notes }) => {
      lines.push(
        [
          p.paymentId === null ? labels.posting : labels.payment,
          problems.length ? labels.mismatch : labels.ok,
          problems.join(' '),
          raw(p.orderNumber),
          raw(p.orderStatus),
          raw(p.paymentId),
          raw(p.channel),
          csvText(p.reference ?? p.stripeChargeId ?? ''),
          p.confirmedAt === null ? '' : formatDateTime(p.confirmedAt),
          yuan(p.amountFen),
          yuan(p.feeFen),
          p.amountFen === null ? '' : yuan(p.amountFen - (p.feeFen ?? 0)),
          yuan(p.orderTotalFen),
          yuan(p.txClearingFen),
          raw(p.txId),
          raw(p.txHash),
          ...settlementCells(p.settlementCurrency, p.settlementFeeMinor, p.settlementExchangeRate),
          notesCell(notes),
        ].join(','),
      );
    });
    for (const m of report.mismatches) {
      if (m.item === 'payment' || m.item === 'posting') continue;
      lines.push(
        [
          csvText(t(`recon.item.${m.item}` as MessageKey)),
          labels.mismatch,
          m.problems.join(' '),
          raw(m.orderNumber),
          raw(m.orderStatus),
          raw(m.paymentId),
          raw(m.channel),
          csvText(m.reference ?? ''),
          '',
          yuan(m.amounts.refundFen ?? m.amounts.expectedFen),
          yuan(m.amounts.feeFen),
          '',
          yuan(m.amounts.orderTotalFen),
          yuan(m.amounts.clearingFen ?? m.amounts.ledgerFen),
          raw(m.txId),
          raw(m.txHash),
          ...settlementCells(m.settlement?.currency ?? null, m.settlement?.feeMinor ?? null, m.settlement?.exchangeRate ?? null),
          notesCell(m.notes),
        ].join(','),
      );
    }
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="reconciliation-${period}.csv"`)
      .type('text/csv; charset=utf-8')
      .send(`\uFEFF${lines.join('\r\n')}\r\n`);
  });

  app.get(
    '/coordinator/reconciliation/transactions/:id',
    { ...coordinator, schema: { params: transactionParams, querystring: reconciliationQuery } },
    async (request, reply) => {
      allProjectsCoordinator(request);
      const { t } = request;
      const tx = await reconciliation.transaction(request.params.id);
      const back = request.query.period ?? tx.period;
      return reply.view('coordinator/ledger-transaction', {
        title: t('recon.tx.title', { id: tx.id }),
        section: 'reconciliation',
        tx: { ...tx, postedAt: formatDateTime(tx.postedAt), orderUrl: tx.orderNumber ? `/coordinator/orders/${tx.orderNumber}` : null },
        entries: tx.entries.map((e) => ({ account: e.accountCode, amount: formatFen(e.amountFen), line: e.orderLineId })),
        back: { url: `/coordinator/reconciliation?period=${back}`, label: t('recon.tx.back', { period: back }) },
      });
    },
  );

  /** Closing a month cannot be undone: the page's button leads here first, to say what closing does (no JavaScript needed). */
  app.get('/coordinator/periods/:period/close', { ...coordinator, schema: { params: periodParams, querystring: plainQuerySchema } }, async (request, reply) => {
    const user = allProjectsCoordinator(request);
    const { period } = request.params;
    const { t } = request;
    const report = await reconciliation.report(period);
    if (report.locked || !user.allProjects || period > reconciliation.currentPeriod())
      return reply.redirect(`/coordinator/reconciliation?period=${period}`, 303);
    reply.header('cache-control', 'no-store');
    return reply.view('coordinator/confirm', {
      title: t('confirm.close.title', { period }),
      section: 'reconciliation',
      kind: 'period-close',
      facts: [
        { label: t('confirm.close.period'), value: period },
        { label: t('confirm.close.contents'), value: t('recon.summary', { payments: report.payments, refunds: report.refunds }) },
      ],
      consequence: t('recon.closeHint'),
      action: `/coordinator/periods/${period}/close`,
      hidden: [],
      confirmLabel: t('recon.close', { period }),
      cancelUrl: `/coordinator/reconciliation?period=${period}`,
      csrfToken: csrfTokenFor(reply),
    });
  });

  app.post('/coordinator/periods/:period/close', { ...coordinator, schema: { params: periodParams } }, async (request, reply) => {
    const { period } = request.params;
    try {
      await reconciliation.closePeriod(currentUser(request), period, request.ip);
    } catch (error) {
      // Refused (unexplained mismatches, already closed, not begun): the page says why, next to the button.
      if (error instanceof AppError && error.type === 'conflict') {
        return renderReconciliation(request, reply, period, { status: error.status, closeError: messageOf(request, error) });
      }
      throw error;
    }
    reply.flash('success', request.t('recon.closed', { period }));
    return reply.redirect(`/coordinator/reconciliation?period=${period}`, 303);
  });

  app.post('/coordinator/periods/:period/notes', { ...coordinator, schema: { params: periodParams } }, async (request, reply) => {
    const { period } = request.params;
    allProjectsCoordinator(request);
    const values = typedValues(request.body);
    const key = values.key ?? '';
    const fail = (status: number, error: string) => renderReconciliation(request, reply, period, { status, note: { key, value: values.note ?? '', error } });
    const form = parseForm(noteForm, request.body, request.t);
    if (!form.ok) return fail(422, form.fields.note ?? form.fields.key ?? request.t('validation.invalid'));
    try {
      await reconciliation.addNote(currentUser(request), period, form.data.key, form.data.note, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.details.fields?.note) return fail(error.status, messageOf(request, error));
      throw error;
    }
    reply.flash('success', request.t('recon.note.saved'));
    return reply.redirect(`/coordinator/reconciliation?period=${period}#m-${encodeURIComponent(form.data.key)}`, 303);
  });

  // ---------- Public proof ----------

  const presentFigures = (f: PublicFigures, t: Translator) => ({
    money: presentMoney(f.money),
    households: t('impact.householdsCount', { count: f.households }),
    householdCount: f.households,
  });
  const presentNamed = (h: NamedHouseholds | null, t: Translator) =>
    h === null ? null : { named: h.named, unnamed: h.unnamed ? t('impact.unnamed', { count: h.unnamed }) : null };

  app.get('/impact', { schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    const { locale, t } = request;
    const page = await impact.impactPage();
    const scope = (kind: 'projects' | 'villages') =>
      page[kind].map((s) => ({
        name: pickText(locale, s.subject.nameZh, s.subject.nameEn),
        url: `/${kind}/${s.subject.slug}`,
        figures: presentFigures(s.figures, t),
        households: presentNamed(s.households, t),
        credited: s.figures.households > 0,
      }));
    return reply.view('proof/impact', {
      title: t('impact.title'),
      shop: presentFigures(page.shop, t),
      projects: scope('projects'),
      villages: scope('villages'),
      anchor: { ...presentAnchor(t, await deps.checkpoints.head(), await deps.checkpoints.latest()), listLink: true },
    });
  });

  app.get('/receipts/:code', { schema: { params: receiptParams, querystring: plainQuerySchema } }, async (request, reply) => {
    const { locale, t } = request;
    const r = await receipts.receipt(request.params.code);
    const villageName = new Map((await deps.villageNames()).map((v) => [v.id, pickText(locale, v.nameZh, v.nameEn)]));
    const projectName = new Map((await deps.projects()).map((p) => [p.id, pickText(locale, p.nameZh, p.nameEn)]));
    const benefit = r.benefit ? benefitSummary(r.benefit, locale, t) : [];
    // The code in the address is the key to the page: keep it out of referrers and search engines.
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-robots-tag', 'noindex');
    return reply.view('proof/receipt', {
      title: t('receipt.title'),
      status: r.status,
      paid: r.paid,
      cancelled: r.status === 'cancelled',
      nothingLeft: r.paid && benefit.length === 0,
      placedAt: formatDateTime(r.placedAt),
      paidAt: r.paidAt !== null ? formatDateTime(r.paidAt) : null,
      total: formatFen(r.totalFen),
      refunded: r.refundedFen > 0 ? formatFen(r.refundedFen) : null,
      lines: r.lines.map((l) => ({
        title: pickText(locale, l.titleZh, l.titleEn),
        quantity: l.quantity,
        unit: unitLabel(t, l.unit),
        total: formatFen(l.lineTotalFen),
      })),
      benefit,
      payouts: r.groups.map((g) =>
        t(`receipt.payout.${g.payout}` as MessageKey, {
          village: villageName.get(g.villageId) ?? '',
          project: projectName.get(g.projectId) ?? '',
          count: g.households,
        }),
      ),
      posting: r.posting ? { ...r.posting, postedAt: formatDateTime(r.posting.postedAt) } : null,
    });
  });

  // ---------- Packing slips ----------

  app.get(
    '/secretary/orders/:number/packing-slip',
    { ...secretary, schema: { params: orderNumberParams, querystring: packingSlipQuery } },
    async (request, reply) => {
      const { locale, t } = request;
      const user = currentUser(request);
      const villageId = request.query.village ?? (user.villageIds.length === 1 ? user.villageIds[0] : undefined);
      if (villageId === undefined) throw new AppError('bad_request', 'parcel_village_required');
      // Another village's parcel, or a number that does not exist, is "not found" alike.
      assertVillage(user, villageId, 'order_not_found');
      const order = await orders.order(request.params.number);
      const { lines, shipments } = await orders.details(order);
      const shipment = shipments.find((s) => s.villageId === villageId);
      if (!shipment || !canPrintPackingSlip(order.status)) throw new AppError('not_found', 'order_not_found');
      reply.header('cache-control', 'no-store');
      reply.header('referrer-policy', 'no-referrer');
      return reply.view('secretary/packing-slip', {
        title: t('slip.title', { number: order.number }),
        printPage: true,
        number: order.number,
        from: t('slip.from', { village: pickText(locale, shipment.villageZh, shipment.villageEn) }),
        recipient: {
          name: order.contactName,
          phone: order.phone,
          address: `${order.province} ${order.city} ${order.district} ${order.address}`,
          note: order.note,
        },
        paidAt: order.paidAt !== null ? formatDateTime(order.paidAt) : '',
        lines: lines
          .filter((l) => l.villageId === villageId)
          .map((l) => ({ title: pickText(locale, l.titleZh, l.titleEn), quantity: l.quantity, unit: unitLabel(t, l.unit) })),
        receipt: receiptQr(deps.publicUrl, order.receiptCode, t('receipt.qrLabel')),
      });
    },
  );
}

function unitLabel(t: Translator, unit: string): string {
  const key = `unit.${unit}`;
  return hasMessage(key) ? t(key as MessageKey) : unit;
}
