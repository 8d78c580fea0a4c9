import type {} from '@fastify/multipart';
import { fieldMessagesOf, messageOf } from '../form-errors.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import type { CurrentUser } from '../accounts/session-service.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { MAX_UPLOAD_BYTES } from '../media/media-service.js';
import { readMultipartForm } from '../multipart-form.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { pickText, withAside, type MessageKey } from '../i18n/i18n.js';
import { STATEMENT_PAGE_LINES } from '../ledger/household-statements.js';
import type { HouseholdEntry, LedgerReports } from '../ledger/ledger-reports.js';
import { PAYOUT_METHODS } from '../ledger/schema.js';
import type { PayoutsService } from '../ledger/payouts-service.js';
import type { EncodedImage, MediaService } from '../media/media-service.js';
import { fenToYuanInput, formatFen } from '../money.js';
import { csrfTokenFor } from '../plugins/security.js';
import { fundingSourceIn } from '../projects/funding-sources.js';
import { projectScopeOf, type ProjectManagement } from '../projects/project-management.js';
import type { SplitRule } from '../projects/project-management-queries.js';
import { projectPeriodLabel, saleDay } from '../projects/project-period.js';
import { enrolmentFormSchema, newProjectFormSchema, projectFormSchema, splitFormSchema } from '../projects/project-schemas.js';
import { formatDate, formatDateTime, monthBounds, startOfDay } from '../time.js';
import type { VillagesService } from '../villages/villages-service.js';
import { idParams, payoutFormSchema, reverseFormSchema, statementQuery } from './money-schemas.js';
import type { LedgerHead } from '../ledger/checkpoints-service.js';
import { anchorLine } from './checkpoint-routes.js';
import { loadCjkFont, presentStatement, statementCsv, statementPdf } from './statement-export.js';

export interface CoordinatorMoneyDeps {
  projects: ProjectManagement;
  payouts: PayoutsService;
  reports: LedgerReports;
  villages: VillagesService;
  media: MediaService;
  clock: Clock;
  /** A payout above this (fen) waits for a second coordinator's approval (said by the payout form). */
  approvalThresholdFen: number;
  /** The ledger's head now, printed in each statement PDF (the chain's anchor). */
  ledgerHead: () => Promise<LedgerHead | null>;
}

const DAY_MS = 24 * 3600_000;
/** Earnings and refunds listed on a household's page, newest first; the statement has them all. */
const RECENT_LINES = 50;

/** 9000 → "90", 350 → "3.5", 1 → "0.01": basis points as a percentage. */
function percent(bp: number): string {
  const whole = Math.floor(bp / 100);
  const rest = bp % 100;
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(2, '0').replace(/0$/, '')}`;
}

/**
 * The coordinator's money pages: projects (details, split rules, enrolment), household balances
 * and drill-down, payouts (with private evidence) and statements (HTML, CSV, PDF). Handlers
 * validate, call the services (which check the coordinator's project scope) and render or redirect.
 */
export default async function coordinatorMoneyRoutes(root: FastifyInstance, deps: CoordinatorMoneyDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const guard = { preHandler: requireRole('coordinator') };
  const { projects, payouts, reports, villages, media, clock } = deps;
  const address = (request: FastifyRequest) => request.ip;

  const splitText = (request: FastifyRequest, rule: { householdBp: number; projectFundBp: number; operationsBp: number } | null) =>
    rule ? request.t('coordp.split.value', { household: percent(rule.householdBp), fund: percent(rule.projectFundBp), ops: percent(rule.operationsBp) }) : '';

  const villageNames = async (request: FastifyRequest) =>
    new Map((await villages.villageNames()).map((v) => [v.id, pickText(request.locale, v.nameZh, v.nameEn)]));

  // ---------- Projects ----------
  app.get('/coordinator/projects', guard, async (request, reply) => {
    const user = currentUser(request);
    const list = await projects.projects(user);
    const today = saleDay(clock());
    return reply.view('coordinator/projects', {
      title: request.t('coordp.projects.title'),
      section: 'projects',
      canCreate: projects.canCreate(user),
      count: list.length,
      projects: list.map((p) => ({
        id: p.id,
        slug: p.slug,
        name: pickText(request.locale, p.nameZh, p.nameEn),
        fundingSource: fundingSourceIn(request.locale, p.fundingSource, p.fundingSourceEn),
        period:
          p.startsOn || p.endsOn
            ? request.t('coordp.projects.periodValue', {
                from: p.startsOn ?? request.t('coordp.projects.open'),
                to: p.endsOn ?? request.t('coordp.projects.open'),
              })
            : '',
        sales: projectPeriodLabel(request.t, p, today),
        target: p.targetFen !== null ? formatFen(p.targetFen) : '',
        split: splitText(request, p.rule),
        enrolled: p.enrolled,
      })),
    });
  });

  function renderNewProject(request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, fields: FieldMessages = {}, status = 200) {
    return reply.code(status).view('coordinator/project-form', {
      title: request.t('coordp.form.newTitle'),
      section: 'projects',
      creating: true,
      action: '/coordinator/projects',
      values,
      fields,
      hasErrors: Object.keys(fields).length > 0,
      splitValues: values,
      splitFields: fields,
      csrfToken: csrfTokenFor(reply),
    });
  }

  const forbidUnlessCreator = (user: CurrentUser) => {
    if (!projects.canCreate(user)) throw new AppError('forbidden', 'forbidden');
  };

  app.get('/coordinator/projects/new', guard, async (request, reply) => {
    forbidUnlessCreator(currentUser(request));
    return renderNewProject(request, reply, { householdBp: '10000', projectFundBp: '0', operationsBp: '0' });
  });

  app.post('/coordinator/projects', guard, async (request, reply) => {
    const user = currentUser(request);
    forbidUnlessCreator(user);
    const values = typedValues(request.body);
    const form = parseForm(newProjectFormSchema, request.body, request.t);
    if (!form.ok) return renderNewProject(request, reply, values, form.fields, 422);
    let id: number;
    try {
      id = await projects.create(user, { ...form.data, targetFen: form.data.target }, address(request));
    } catch (error) {
      if (error instanceof AppError && error.details.fields) return renderNewProject(request, reply, values, fieldMessagesOf(request, error), error.status);
      throw error;
    }
    reply.flash('success', request.t('coordp.created', { name: form.data.nameZh }));
    return reply.redirect(`/coordinator/projects/${id}`, 303);
  });

  interface ProjectPageState {
    values?: Record<string, string>;
    fields?: FieldMessages;
    splitValues?: Record<string, string>;
    splitFields?: FieldMessages;
    enrolFields?: FieldMessages;
    enrolled?: number[];
    status?: number;
  }

  /** The households a coordinator may tick on a project's enrolment form: those they may enrol, and those enrolled already. */
  async function enrolmentList(user: CurrentUser, enrolled: ReadonlySet<number>) {
    const candidates = await projects.enrolmentCandidates(user);
    return (await villages.households(user)).filter((h) => candidates === 'all' || candidates.has(h.id) || enrolled.has(h.id));
  }

  async function renderProject(request: FastifyRequest, reply: FastifyReply, id: number, state: ProjectPageState = {}) {
    const user = currentUser(request);
    const p = await projects.project(user, id);
    const history = await projects.splitHistory(user, id);
    const now = clock();
    const inForce = history.find((r) => r.effectiveFrom <= now) ?? null;
    const values = state.values ?? {
      nameZh: p.nameZh,
      nameEn: p.nameEn ?? '',
      slug: p.slug,
      fundingSource: p.fundingSource,
      fundingSourceEn: p.fundingSourceEn ?? '',
      startsOn: p.startsOn ?? '',
      endsOn: p.endsOn ?? '',
      target: p.targetFen !== null ? fenToYuanInput(p.targetFen) : '',
      storyZh: p.storyZh,
      storyEn: p.storyEn ?? '',
    };
    const splitValues =
      state.splitValues ??
      (inForce ? { householdBp: String(inForce.householdBp), projectFundBp: String(inForce.projectFundBp), operationsBp: String(inForce.operationsBp) } : {});
    const enrolledNow = await projects.enrolledHouseholdIds(user, id);
    const enrolled = new Set(state.enrolled ?? enrolledNow);
    const names = await villageNames(request);
    const fields = state.fields ?? {};
    return reply.code(state.status ?? 200).view('coordinator/project-form', {
      title: request.t('coordp.form.editTitle', { name: pickText(request.locale, p.nameZh, p.nameEn) }),
      section: 'projects',
      creating: false,
      project: { id: p.id, slug: p.slug, sales: projectPeriodLabel(request.t, p, saleDay(now)) },
      action: `/coordinator/projects/${p.id}`,
      values,
      fields,
      hasErrors: Object.keys(fields).length > 0,
      splitValues,
      splitFields: state.splitFields ?? {},
      enrolFields: state.enrolFields ?? {},
      history: history.map((r: SplitRule) => ({
        effectiveFrom: formatDateTime(r.effectiveFrom),
        value: splitText(request, r),
        householdBp: r.householdBp,
        projectFundBp: r.projectFundBp,
        operationsBp: r.operationsBp,
        by: r.createdByName ?? request.t('coordp.split.system'),
        current: inForce?.id === r.id,
      })),
      // Only households this coordinator may enrol (ProjectManagement.enrolmentCandidates) or that are enrolled:
      // no other real name is shown, not even one a refused form named.
      households: (await enrolmentList(user, new Set(enrolledNow))).map((h) => ({
        id: h.id,
        label: request.t('coordp.enrol.household', {
          name: h.displayName ? withAside(request.t, h.realName, h.displayName) : h.realName,
          village: names.get(h.villageId) ?? '',
        }),
        checked: enrolled.has(h.id),
      })),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/coordinator/projects/:id', { ...guard, schema: { params: idParams } }, async (request, reply) => renderProject(request, reply, request.params.id));

  app.post('/coordinator/projects/:id', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    const user = currentUser(request);
    await projects.project(user, id); // 404 before anything else for projects outside the scope
    const values = typedValues(request.body);
    const form = parseForm(projectFormSchema, request.body, request.t);
    if (!form.ok) return renderProject(request, reply, id, { values, fields: form.fields, status: 422 });
    try {
      await projects.update(user, id, { ...form.data, targetFen: form.data.target }, address(request));
    } catch (error) {
      if (error instanceof AppError && error.details.fields)
        return renderProject(request, reply, id, { values, fields: fieldMessagesOf(request, error), status: error.status });
      throw error;
    }
    reply.flash('success', request.t('coordp.saved'));
    return reply.redirect(`/coordinator/projects/${id}`, 303);
  });

  app.post('/coordinator/projects/:id/split', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    const user = currentUser(request);
    await projects.project(user, id);
    const splitValues = typedValues(request.body);
    const form = parseForm(splitFormSchema, request.body, request.t);
    if (!form.ok) return renderProject(request, reply, id, { splitValues, splitFields: form.fields, status: 422 });
    await projects.changeSplit(user, id, form.data, address(request));
    reply.flash('success', request.t('coordp.split.saved'));
    return reply.redirect(`/coordinator/projects/${id}#split`, 303);
  });

  app.post('/coordinator/projects/:id/households', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    const user = currentUser(request);
    await projects.project(user, id);
    const form = parseForm(enrolmentFormSchema, request.body, request.t);
    if (!form.ok) return renderProject(request, reply, id, { enrolFields: form.fields, status: 422 });
    let result: { added: number[]; removed: number[] };
    try {
      result = await projects.setEnrolment(user, id, form.data.householdIds, address(request));
    } catch (error) {
      if (error instanceof AppError && error.details.fields) {
        return renderProject(request, reply, id, { enrolFields: fieldMessagesOf(request, error), enrolled: form.data.householdIds, status: error.status });
      }
      throw error;
    }
    reply.flash('success', request.t('coordp.enrol.saved', { added: result.added.length, removed: result.removed.length }));
    return reply.redirect(`/coordinator/projects/${id}#households`, 303);
  });

  // ---------- Households ----------
  /** A household the coordinator may see (project scope), with its village's name; otherwise 404. */
  async function visibleHousehold(request: FastifyRequest, id: number) {
    const user = currentUser(request);
    await projects.assertHousehold(user, id);
    const h = await villages.household(user, id);
    return { ...h, village: (await villageNames(request)).get(h.villageId) ?? '' };
  }

  app.get('/coordinator/households', guard, async (request, reply) => {
    const user = currentUser(request);
    const scope = await projects.householdScope(user);
    const list = (await villages.households(user)).filter((h) => scope === 'all' || scope.has(h.id));
    // A scoped coordinator's figures count only what their projects credited and paid.
    const balances = new Map(
      (await reports.forProjects(projectScopeOf(user)).householdBalances(scope === 'all' ? 'all' : list.map((h) => h.id))).map((b) => [b.householdId, b]),
    );
    const names = await villageNames(request);
    const projectNames = new Map((await projects.allProjects()).map((p) => [p.id, pickText(request.locale, p.nameZh, p.nameEn)]));
    const enrolments = await projects.enrolmentsByHousehold();
    const visibleProject = (projectId: number) => user.allProjects || user.projectIds.includes(projectId);
    const totals = { earnedFen: 0, refundedFen: 0, paidOutFen: 0, owedFen: 0 };
    const rows = list.map((h) => {
      const b = balances.get(h.id) ?? { earnedFen: 0, refundedFen: 0, paidOutFen: 0, owedFen: 0 };
      totals.earnedFen += b.earnedFen;
      totals.refundedFen += b.refundedFen;
      totals.paidOutFen += b.paidOutFen;
      totals.owedFen += b.owedFen;
      return {
        id: h.id,
        realName: h.realName,
        displayName: h.displayName,
        village: names.get(h.villageId) ?? '',
        projects: (enrolments.get(h.id) ?? []).filter(visibleProject).map((pid) => projectNames.get(pid) ?? ''),
        earned: formatFen(b.earnedFen),
        refunded: formatFen(b.refundedFen),
        paidOut: formatFen(b.paidOutFen),
        owed: formatFen(b.owedFen),
        owes: b.owedFen > 0,
        owesBack: b.owedFen < 0 ? request.t('coordp.households.owesBack', { amount: formatFen(-b.owedFen) }) : null,
      };
    });
    return reply.view('coordinator/households', {
      title: request.t('coordp.households.title'),
      section: 'households',
      count: rows.length,
      households: rows,
      totals: {
        earned: formatFen(totals.earnedFen),
        refunded: formatFen(totals.refundedFen),
        paidOut: formatFen(totals.paidOutFen),
        owed: formatFen(totals.owedFen),
      },
    });
  });

  interface HouseholdPageState {
    values?: Record<string, string>;
    fields?: FieldMessages;
    reverseErrors?: Record<number, string>;
    status?: number;
  }

  async function renderHousehold(request: FastifyRequest, reply: FastifyReply, id: number, state: HouseholdPageState = {}) {
    const { t, locale } = request;
    const user = currentUser(request);
    const h = await visibleHousehold(request, id);
    // Every figure and line as this coordinator may see them: a scoped one sees their projects' money only.
    const scope = projectScopeOf(user);
    const seen = reports.forProjects(scope);
    // Per project and village (settled), only those the coordinator works on.
    const [balance, { heldFen, pendingFen, availableFen }, earnings, refunds, settled, payoutList, requests] = await Promise.all([
      seen.householdBalance(id),
      payouts.limit(user, id),
      seen.householdRecent(id, 'order_payment', RECENT_LINES + 1),
      seen.householdRecent(id, 'refund', RECENT_LINES + 1),
      reports.householdSettlement(id),
      payouts.payoutsOf(user, id),
      payouts.pendingFor(user, id),
    ]);
    const pendingRequests = [...requests.waiting, ...requests.mine].sort((a, b) => a.id - b.id);
    const reversalAsked = new Set(pendingRequests.flatMap((r) => (r.reversesPayoutId !== null ? [r.reversesPayoutId] : [])));
    const projectName = new Map((await projects.allProjects()).map((p) => [p.id, pickText(locale, p.nameZh, p.nameEn)]));
    const villageName = await villageNames(request);
    const lineRow = (e: HouseholdEntry) => ({
      date: formatDate(e.postedAt),
      orderNumber: e.orderNumber ?? '',
      product: e.lineTitleZh ? pickText(locale, e.lineTitleZh, e.lineTitleEn) : '',
      amount: formatFen(Math.abs(e.amountFen)),
    });
    const fields = state.fields ?? {};
    const today = formatDate(clock());
    return reply.code(state.status ?? 200).view('coordinator/household', {
      title: t('coordp.household.title', { name: h.realName }),
      section: 'households',
      household: { id: h.id, realName: h.realName, displayName: h.displayName, village: h.village },
      scoped: !user.allProjects,
      balance: {
        earned: formatFen(balance.earnedFen),
        refunded: formatFen(balance.refundedFen),
        paidOut: formatFen(balance.paidOutFen),
        owed: formatFen(balance.owedFen),
      },
      held: heldFen > 0 ? { amount: formatFen(heldFen), available: formatFen(availableFen + pendingFen) } : null,
      pending: pendingFen > 0 ? { amount: formatFen(pendingFen), available: formatFen(availableFen) } : null,
      requests: pendingRequests.map((r) => ({
        id: r.id,
        kind: t(`payreq.kind.${r.kind}`),
        amount: formatFen(r.amountFen),
        by: r.requestedByName,
        at: formatDateTime(r.requestedAt),
        mine: r.mine,
        url: `/coordinator/payout-requests/${r.id}`,
      })),
      approvalThreshold: formatFen(deps.approvalThresholdFen),
      byProject: settled.buckets
        .filter((b) => scope === 'all' || scope.includes(b.projectId))
        .map((b) => ({
          project: projectName.get(b.projectId) ?? '',
          village: villageName.get(b.villageId) ?? '',
          credited: formatFen(b.creditedFen),
          paid: formatFen(b.paidFen),
          owed: formatFen(b.owedFen),
        })),
      clawback: settled.clawbackFen > 0 ? formatFen(settled.clawbackFen) : null,
      earnings: earnings.slice(0, RECENT_LINES).map(lineRow),
      refunds: refunds.slice(0, RECENT_LINES).map(lineRow),
      recentOnly: earnings.length > RECENT_LINES || refunds.length > RECENT_LINES,
      recentLines: RECENT_LINES,
      payouts: payoutList.map((p) => ({
        id: p.id,
        amount: formatFen(p.inScopeFen),
        // A payout shared with projects outside the coordinator's: their projects' part, and the whole.
        partOf: p.inScopeFen !== p.amountFen ? t('payout.partOf', { total: formatFen(p.amountFen) }) : null,
        method: t(`payout.method.${p.method}` as MessageKey),
        reference: p.reference,
        paidOn: p.paidOn,
        by: p.createdByName ?? '',
        note: p.note ?? '',
        evidenceUrl: p.evidenceMediaId !== null ? `/coordinator/payouts/${p.id}/evidence` : null,
        isReversal: p.reversesPayoutId !== null,
        reversesId: p.reversesPayoutId,
        reversed: p.reversedById !== null,
        reversalAsked: reversalAsked.has(p.id),
        canReverse: p.reversesPayoutId === null && p.reversedById === null && p.inScopeFen === p.amountFen && !reversalAsked.has(p.id),
        reverseError: state.reverseErrors?.[p.id] ?? null,
        reverseNote: state.reverseErrors?.[p.id] ? (state.values?.note ?? '') : '',
      })),
      methods: PAYOUT_METHODS.map((m) => ({
        value: m,
        label: t(`payout.method.${m}` as MessageKey),
        selected: (state.values?.method ?? 'bank_transfer') === m,
      })),
      values: state.values && !state.reverseErrors ? state.values : { amount: '', reference: '', paidOn: today },
      fields,
      hasErrors: Object.keys(fields).length > 0,
      today,
      statementUrl: `/coordinator/households/${id}/statement`,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/coordinator/households/:id', { ...guard, schema: { params: idParams } }, async (request, reply) =>
    renderHousehold(request, reply, request.params.id),
  );

  // ---------- Payouts ----------
  const PAYOUT_FORM_LIMITS = { fileSize: MAX_UPLOAD_BYTES, fields: 20 };
  /** Reads a payout form: urlencoded, or multipart with an optional evidence file. */
  async function readPayoutForm(request: FastifyRequest): Promise<{ body: Record<string, unknown>; file: Buffer | null; fileTooLarge: boolean }> {
    if (!request.isMultipart()) return { body: (request.body ?? {}) as Record<string, unknown>, file: null, fileTooLarge: false };
    const form = await readMultipartForm(request, PAYOUT_FORM_LIMITS);
    const file = form.file && form.file.bytes.length > 0 ? form.file.bytes : null;
    return { body: form.fields, file, fileTooLarge: form.fileTooLarge };
  }

  app.post('/coordinator/payouts', { ...guard, config: { csrf: 'multipart', multipartLimits: PAYOUT_FORM_LIMITS } }, async (request, reply) => {
    const user = currentUser(request);
    const { body, file, fileTooLarge } = await readPayoutForm(request);
    const householdId = idParams.safeParse({ id: body.householdId });
    if (!householdId.success) throw new AppError('not_found', 'household_not_found');
    const id = householdId.data.id;
    await visibleHousehold(request, id); // 404 outside the coordinator's scope, before anything is read or written
    // The route contract names householdId, amount, method and reference; the date paid defaults to today.
    if (body.paidOn === undefined || (typeof body.paidOn === 'string' && body.paidOn.trim() === '')) body.paidOn = formatDate(clock());
    const values = typedValues(body);
    const fail = (fields: FieldMessages, status = 422) => renderHousehold(request, reply, id, { values, fields, status });

    const form = parseForm(payoutFormSchema, body, request.t);
    const fields: FieldMessages = form.ok ? {} : { ...form.fields };
    if (form.ok && form.data.paidOn > formatDate(clock())) fields.paidOn = request.t('payout.v.future');
    if (fileTooLarge) fields.evidence = request.t('errors.evidence_too_large');
    if (!form.ok || Object.keys(fields).length > 0) return fail(fields);

    // Decoding and re-encoding happen before the transaction; a bad file writes nothing.
    let evidence: EncodedImage | null = null;
    if (file) {
      try {
        evidence = await media.encodeEvidence(file);
      } catch (error) {
        if (error instanceof AppError && error.type === 'validation') return fail({ evidence: messageOf(request, error) });
        throw error;
      }
    }
    let recorded;
    try {
      recorded = await payouts.record(
        user,
        { householdId: id, amountFen: form.data.amount, method: form.data.method, reference: form.data.reference, paidOn: form.data.paidOn },
        evidence,
        address(request),
      );
    } catch (error) {
      if (error instanceof AppError && error.details.fields) return fail(fieldMessagesOf(request, error), error.status);
      throw error;
    }
    if (recorded.requested) {
      reply.flash('success', request.t('payreq.requested', { amount: formatFen(recorded.requested.amountFen), id: recorded.requested.id }));
      return reply.redirect(`/coordinator/households/${id}#payout-requests`, 303);
    }
    reply.flash('success', request.t('payout.recorded', { amount: formatFen(recorded.posted.amountFen) }));
    return reply.redirect(`/coordinator/households/${id}#payouts`, 303);
  });

  /** The reversal form's first step: nothing changes; the page says what reversing will do and posts the note to the reversal itself. */
  app.post('/coordinator/payouts/:id/reverse/confirm', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { t } = request;
    const user = currentUser(request);
    const payout = await payouts.payout(user, request.params.id);
    const values = typedValues(request.body);
    const form = parseForm(reverseFormSchema, request.body, t);
    if (!form.ok)
      return renderHousehold(request, reply, payout.householdId, {
        values,
        reverseErrors: { [payout.id]: form.fields.note ?? t('payout.v.note') },
        status: 422,
      });
    const household = await visibleHousehold(request, payout.householdId);
    return reply.view('coordinator/confirm', {
      title: t('confirm.reverse.title', { id: payout.id }),
      section: 'households',
      kind: 'payout-reversal',
      facts: [
        { label: t('confirm.reverse.household'), value: household.realName },
        { label: t('confirm.amount'), value: formatFen(payout.amountFen) },
        { label: t('payout.paidOn'), value: payout.paidOn },
        { label: t('payout.method'), value: t(`payout.method.${payout.method}` as MessageKey) },
        { label: t('confirm.reverse.note'), value: form.data.note },
      ],
      consequence: t('confirm.reverse.consequence', { amount: formatFen(payout.amountFen), name: household.realName }),
      action: `/coordinator/payouts/${payout.id}/reverse`,
      hidden: [{ name: 'note', value: form.data.note }],
      confirmLabel: t('confirm.reverse.submit', { id: payout.id }),
      cancelUrl: `/coordinator/households/${payout.householdId}#payouts`,
      csrfToken: csrfTokenFor(reply),
    });
  });

  app.post('/coordinator/payouts/:id/reverse', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const user = currentUser(request);
    const payout = await payouts.payout(user, request.params.id);
    const values = typedValues(request.body);
    const form = parseForm(reverseFormSchema, request.body, request.t);
    if (!form.ok)
      return renderHousehold(request, reply, payout.householdId, {
        values,
        reverseErrors: { [payout.id]: form.fields.note ?? request.t('payout.v.note') },
        status: 422,
      });
    let asked;
    try {
      asked = await payouts.requestReversal(user, payout.id, form.data.note, address(request));
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict') {
        return renderHousehold(request, reply, payout.householdId, {
          values,
          reverseErrors: { [payout.id]: messageOf(request, error) },
          status: 409,
        });
      }
      throw error;
    }
    // Every reversal waits for a second coordinator (payout-request-routes.ts).
    reply.flash('success', request.t('payreq.reversalRequested', { id: payout.id, request: asked.id }));
    return reply.redirect(`/coordinator/households/${payout.householdId}#payout-requests`, 303);
  });

  /** Evidence is private: served only here, after the same household check as the payout itself. */
  app.get('/coordinator/payouts/:id/evidence', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const payout = await payouts.payout(currentUser(request), request.params.id);
    const row = payout.evidenceMediaId !== null ? await media.get(payout.evidenceMediaId) : null;
    if (!row) throw new AppError('not_found', 'not_found');
    reply.header('cache-control', 'private, no-store').header('content-disposition', `inline; filename="payout-${payout.id}.webp"`);
    return reply.type(row.contentType).send(row.bytes);
  });

  // ---------- Statements ----------
  /** The statement period: ?from & ?to (inclusive days, CST), by default the current month; anything else is a 400. */
  function periodOf(query: { from?: string; to?: string }) {
    const month = monthBounds(clock());
    const from = query.from?.trim() || formatDate(month.from);
    const to = query.to?.trim() || formatDate(month.to - 1);
    const fromMs = startOfDay(from);
    const toStart = startOfDay(to);
    if (fromMs === null || toStart === null || toStart < fromMs) throw new AppError('bad_request', 'statement_bad_period');
    return { from, to, fromMs, toMs: toStart + DAY_MS };
  }

  /** The statement of a period: every line (CSV, PDF), or one page of them (the HTML page). */
  async function statementOf(request: FastifyRequest, id: number, query: { from?: string; to?: string; page?: number }, paged = false) {
    const h = await visibleHousehold(request, id);
    const period = periodOf(query);
    const page = paged ? { number: query.page ?? 1, size: STATEMENT_PAGE_LINES } : undefined;
    const statement = await reports.statement(projectScopeOf(currentUser(request)), id, period.fromMs, period.toMs, page);
    const pageUrl = (n: number) => `/coordinator/households/${id}/statement?from=${period.from}&to=${period.to}&page=${n}`;
    return presentStatement(statement, { id: h.id, realName: h.realName, village: h.village }, period, clock(), request.locale, request.t, pageUrl);
  }

  const fileName = (id: number, s: { from: string; to: string }, ext: string) => `statement-household-${id}-${s.from}-${s.to}.${ext}`;

  app.get('/coordinator/households/:id/statement', { ...guard, schema: { params: idParams, querystring: statementQuery } }, async (request, reply) => {
    const { id } = request.params;
    const s = await statementOf(request, id, request.query, true);
    const range = `from=${s.from}&to=${s.to}`;
    reply.header('cache-control', 'no-store');
    return reply.view('coordinator/statement', {
      title: request.t('statement.heading', { name: s.household.realName }),
      section: 'households',
      printPage: true,
      statement: s,
      scoped: !currentUser(request).allProjects,
      householdUrl: `/coordinator/households/${id}`,
      csvUrl: `/coordinator/households/${id}/statement.csv?${range}`,
      pdfUrl: `/coordinator/households/${id}/statement.pdf?${range}`,
    });
  });

  app.get('/coordinator/households/:id/statement.csv', { ...guard, schema: { params: idParams, querystring: statementQuery } }, async (request, reply) => {
    const { id } = request.params;
    const s = await statementOf(request, id, request.query);
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${fileName(id, s, 'csv')}"`)
      .type('text/csv; charset=utf-8')
      .send(statementCsv(s, request.t));
  });

  app.get('/coordinator/households/:id/statement.pdf', { ...guard, schema: { params: idParams, querystring: statementQuery } }, async (request, reply) => {
    const { id } = request.params;
    const s = await statementOf(request, id, request.query);
    const pdf = await statementPdf(s, request.t, loadCjkFont(), anchorLine(request.t, await deps.ledgerHead()));
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `inline; filename="${fileName(id, s, 'pdf')}"`)
      .type('application/pdf')
      .send(pdf);
  });
}
