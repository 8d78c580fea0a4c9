import type {} from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldMessagesOf, messageOf } from '../form-errors.js';
import { currentUser, requireRole } from '../accounts/guards.js';
import { PHOTOS_PER_UPLOAD, photoAltSchema, photoMoveSchema, productFormSchema, publishSchema, stockAdjustmentSchema } from '../catalog/catalog-schemas.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import { INITIAL_STOCK_REASON, MAX_PHOTOS, type ProductManagement } from '../catalog/product-management.js';
import { CATEGORIES, UNITS } from '../catalog/schema.js';
import { AppError } from '../errors.js';
import { readMultipartForm } from '../multipart-form.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { pickText, withAside } from '../i18n/i18n.js';
import { fenToYuanInput, formatFen } from '../money.js';
import type { OrderReports } from '../orders/order-reports.js';
import { csrfTokenFor } from '../plugins/security.js';
import { projectPeriodLabel, projectPeriodState, saleDay } from '../projects/project-period.js';
import { formatDateTime, monthBounds } from '../time.js';
import { PRODUCER_KINDS } from '../villages/schema.js';
import { consentFormSchema, householdFormSchema, producerFormSchema, withdrawalFormSchema } from '../villages/villages-schemas.js';
import type { ConsentState, VillagesService } from '../villages/villages-service.js';
import type { Household } from '../villages/villages-queries.js';

const idParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});
const consentScanParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
  consentId: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});
const photoParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
  photoId: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});

export interface SecretaryDeps {
  villages: VillagesService;
  products: ProductManagement;
  catalog: CatalogService;
  reports: OrderReports;
  clock: () => number;
  maxUploadBytes: number;
  /** A stored file (a consent form's scan) by id, after the service has checked who may see it. */
  readMedia: (id: number) => Promise<{ bytes: Buffer; contentType: string } | null>;
  /** The harvest-lots section of a product page (lots); absent, the page has none. */
  lotPanel?: (request: FastifyRequest, productId: number) => Promise<unknown>;
}

/**
 * The first secretary's console. Handlers validate, call one service function and render or
 * redirect (POST → 303 → GET). Every service call carries the signed-in user; the services check
 * each object's village against their scope.
 */
export default async function secretaryRoutes(root: FastifyInstance, deps: SecretaryDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const guard = { preHandler: requireRole('first_secretary') };
  const address = (request: FastifyRequest) => request.ip;
  // Several photos in one upload (a phone's gallery picker); each within the size limit.
  const photoFormLimits = { fileSize: deps.maxUploadBytes, fields: 5, files: PHOTOS_PER_UPLOAD };
  const consentFormLimits = { fileSize: deps.maxUploadBytes, fields: 8 };

  /** Renders a form page again with messages; service errors carrying field codes become field messages. */
  async function formFailure(
    request: FastifyRequest,
    _reply: FastifyReply,
    error: unknown,
    render: (fields: FieldMessages, status: number) => FastifyReply | Promise<FastifyReply>,
  ) {
    if (error instanceof AppError && error.details.fields) {
      return render(fieldMessagesOf(request, error), error.status);
    }
    throw error;
  }

  const villageOptions = async (request: FastifyRequest, selected?: number) =>
    (await deps.villages.villagesOf(currentUser(request))).map((v) => ({
      id: v.id,
      name: pickText(request.locale, v.nameZh, v.nameEn),
      selected: v.id === selected,
    }));

  // ---------- Dashboard ----------
  app.get('/secretary', guard, async (request, reply) => {
    const user = currentUser(request);
    const { from, to } = monthBounds(deps.clock());
    const villages = await deps.villages.villagesOf(user);
    const sales = await deps.reports.villageSales(user.villageIds, from, to);
    return reply.view('secretary/dashboard', {
      title: request.t('sec.title'),
      section: 'dashboard',
      villageNames: villages.map((v) => pickText(request.locale, v.nameZh, v.nameEn)).join(request.t('punct.list')),
      sales: formatFen(sales.salesFen),
      orders: sales.orders,
      toShip: await deps.reports.shipmentsToShip(user.villageIds),
      lowStock: (await deps.products.lowStock(user)).map((p) => ({
        id: p.id,
        title: pickText(request.locale, p.titleZh, p.titleEn),
        stock: p.stock,
        unit: request.t(`unit.${p.unit}` as 'unit.jin'),
      })),
    });
  });

  // ---------- Households ----------
  const householdValues = (h: Household): Record<string, string> => ({
    villageId: String(h.villageId),
    realName: h.realName,
    displayName: h.displayName ?? '',
    publicStoryZh: h.publicStoryZh ?? '',
    publicStoryEn: h.publicStoryEn ?? '',
    members: String(h.members),
    phone: h.phone ?? '',
    idCardLast4: h.idCardLast4 ?? '',
    povertyRegNo: h.povertyRegNo ?? '',
    bankAccountName: h.bankAccountName ?? '',
    bankAccountNo: h.bankAccountNo ?? '',
    bankName: h.bankName ?? '',
  });

  async function renderHouseholdForm(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { id?: number; values: Record<string, string>; fields: FieldMessages; status?: number; consent?: boolean; publishError?: string },
  ) {
    const consentSection = async (id: number) => {
      const { current, history } = await deps.villages.consentOf(currentUser(request), id);
      return {
        now: consentNow(request, current),
        canWithdraw: current.recorded && !current.withdrawn,
        recordUrl: `/secretary/households/${id}/consent`,
        withdrawUrl: `/secretary/households/${id}/consent/withdraw`,
        history: consentRows(request, id, history),
      };
    };
    return reply.code(opts.status ?? 200).view('secretary/household-form', {
      consent: opts.id && opts.consent ? await consentSection(opts.id) : null,
      title: opts.id ? request.t('sec.household.editTitle', { name: opts.values.realName ?? '' }) : request.t('sec.household.add'),
      section: 'households',
      action: opts.id ? `/secretary/households/${opts.id}` : '/secretary/households',
      values: opts.values,
      fields: opts.fields,
      hasErrors: Object.keys(opts.fields).length > 0,
      villages: await villageOptions(request, Number(opts.values.villageId)),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/secretary/households', guard, async (request, reply) => {
    const user = currentUser(request);
    const villages = new Map((await deps.villages.villagesOf(user)).map((v) => [v.id, pickText(request.locale, v.nameZh, v.nameEn)]));
    return reply.view('secretary/households', {
      title: request.t('sec.household.list'),
      section: 'households',
      households: (await deps.villages.households(user)).map((h) => ({ ...h, village: villages.get(h.villageId) ?? '' })),
    });
  });

  app.get('/secretary/households/new', guard, async (request, reply) => {
    const first = (await deps.villages.villagesOf(currentUser(request)))[0];
    return renderHouseholdForm(request, reply, { values: { villageId: first ? String(first.id) : '', members: '1' }, fields: {} });
  });

  app.post('/secretary/households', guard, async (request, reply) => {
    const values = typedValues(request.body);
    const form = parseForm(householdFormSchema, request.body, request.t);
    if (!form.ok) return renderHouseholdForm(request, reply, { values, fields: form.fields, status: 422 });
    try {
      await deps.villages.createHousehold(currentUser(request), form.data, address(request));
    } catch (error) {
      return formFailure(request, reply, error, (fields, status) => renderHouseholdForm(request, reply, { values, fields, status }));
    }
    reply.flash('success', request.t('sec.created'));
    return reply.redirect('/secretary/households', 303);
  });

  app.get('/secretary/households/:id', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const household = await deps.villages.household(currentUser(request), request.params.id);
    return renderHouseholdForm(request, reply, { id: household.id, values: householdValues(household), fields: {}, consent: true });
  });

  app.post('/secretary/households/:id', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    await deps.villages.household(currentUser(request), id); // 404 before anything else for foreign ids
    const values = typedValues(request.body);
    const form = parseForm(householdFormSchema, request.body, request.t);
    if (!form.ok) return renderHouseholdForm(request, reply, { id, values, fields: form.fields, status: 422 });
    try {
      await deps.villages.updateHousehold(currentUser(request), id, form.data, address(request));
    } catch (error) {
      return formFailure(request, reply, error, (fields, status) => renderHouseholdForm(request, reply, { id, values, fields, status }));
    }
    reply.flash('success', request.t('sec.saved'));
    return reply.redirect('/secretary/households', 303);
  });

  // ---------- Consent ----------
  const CONSENT_ITEMS = ['namePublic', 'storyPublic', 'photoPublic'] as const;

  /** What the public sees of a household now, in a sentence. */
  function consentNow(request: FastifyRequest, c: ConsentState): string {
    if (!c.recorded) return request.t('sec.consent.none');
    const items = CONSENT_ITEMS.filter((item) => c[item]).map((item) => request.t(`sec.consent.${item}`));
    return items.length ? request.t('sec.consent.now', { items: items.join(request.t('punct.list')) }) : request.t('sec.consent.nothing');
  }

  type ConsentHistory = Awaited<ReturnType<VillagesService['consentOf']>>['history'];
  const consentRows = (request: FastifyRequest, householdId: number, history: ConsentHistory) =>
    history.map((c) => ({
      kind: c.withdrawn ? 'withdrawn' : 'agreed',
      givenOn: c.givenOn,
      what: c.withdrawn
        ? request.t('sec.consent.whatWithdrawn')
        : CONSENT_ITEMS.filter((item) => c[item])
            .map((item) => request.t(`sec.consent.${item}`))
            .join(request.t('punct.list')),
      how: request.t(c.withdrawn && c.method !== 'carried_over' ? `sec.consent.withdrawMethod.${c.method}` : `sec.consent.method.${c.method}`),
      witness: c.witnessName ? request.t('sec.consent.witnessed', { name: c.witnessName }) : null,
      scanUrl: c.formMediaId ? `/secretary/households/${householdId}/consent/${c.id}/scan` : null,
      by: c.recordedBy ?? request.t('sec.consent.byMigration'),
      recordedAt: formatDateTime(c.recordedAt),
    }));

  async function renderConsentForm(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { id: number; withdraw: boolean; values: Record<string, string>; fields: FieldMessages; status?: number },
  ) {
    const { household, current, history } = await deps.villages.consentOf(currentUser(request), opts.id);
    return reply.code(opts.status ?? 200).view('secretary/household-consent', {
      title: request.t(opts.withdraw ? 'sec.consent.withdrawTitle' : 'sec.consent.recordTitle', { name: household.realName }),
      section: 'households',
      withdraw: opts.withdraw,
      action: `/secretary/households/${opts.id}/consent${opts.withdraw ? '/withdraw' : ''}`,
      backUrl: `/secretary/households/${opts.id}#consent`,
      now: consentNow(request, current),
      values: opts.values,
      fields: opts.fields,
      hasErrors: Object.keys(opts.fields).length > 0,
      methods: (['paper_form', 'verbal'] as const).map((m) => ({
        value: m,
        label: request.t(opts.withdraw ? `sec.consent.withdrawMethod.${m}` : `sec.consent.method.${m}`),
        checked: opts.values.method === m,
      })),
      scanHint: request.t('sec.consent.scanHint', { mb: Math.floor(deps.maxUploadBytes / (1024 * 1024)) }),
      history: consentRows(request, opts.id, history),
      csrfToken: csrfTokenFor(reply),
    });
  }

  const today = () => new Date(deps.clock() + 8 * 3600_000).toISOString().slice(0, 10);

  for (const withdraw of [false, true]) {
    const path = `/secretary/households/:id/consent${withdraw ? '/withdraw' : ''}`;
    app.get(path, { ...guard, schema: { params: idParams } }, async (request, reply) =>
      renderConsentForm(request, reply, { id: request.params.id, withdraw, values: { givenOn: today() }, fields: {} }),
    );

    app.post(path, { ...guard, config: { csrf: 'multipart', multipartLimits: consentFormLimits }, schema: { params: idParams } }, async (request, reply) => {
      const { id } = request.params;
      const user = currentUser(request);
      await deps.villages.consentOf(user, id); // 404 for no such household, 403 for another village's, before reading the upload
      const form = await readMultipartForm(request, consentFormLimits);
      const values = typedValues(form.fields);
      const render = (fields: FieldMessages, status: number) => renderConsentForm(request, reply, { id, withdraw, values, fields, status });
      if (form.fileTooLarge) return render({ scan: request.t('errors.image_too_large') }, 422);
      const parsed = withdraw ? parseForm(withdrawalFormSchema, form.fields, request.t) : parseForm(consentFormSchema, form.fields, request.t);
      if (!parsed.ok) return render(parsed.fields, 422);
      try {
        if (withdraw) await deps.villages.withdrawConsent(user, id, parsed.data, form.file?.bytes ?? null, address(request));
        else await deps.villages.recordConsent(user, id, parsed.data as z.infer<typeof consentFormSchema>, form.file?.bytes ?? null, address(request));
      } catch (error) {
        return formFailure(request, reply, error, render);
      }
      reply.flash('success', request.t(withdraw ? 'sec.consent.withdrawn' : 'sec.consent.recorded'));
      return reply.redirect(`/secretary/households/${id}#consent`, 303);
    });
  }

  app.get('/secretary/households/:id/consent/:consentId/scan', { ...guard, schema: { params: consentScanParams } }, async (request, reply) => {
    const mediaId = await deps.villages.consentScan(currentUser(request), request.params.id, request.params.consentId);
    const file = mediaId ? await deps.readMedia(mediaId) : null;
    if (!file) throw new AppError('not_found', 'not_found');
    return reply.header('cache-control', 'private, no-store').type(file.contentType).send(file.bytes);
  });

  // ---------- Producers ----------
  async function renderProducerForm(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { id?: number; values: Record<string, string>; fields: FieldMessages; status?: number; publishError?: string },
  ) {
    const user = currentUser(request);
    const villageId = Number(opts.values.villageId);
    const households = (await deps.villages.households(user)).filter((h) => h.villageId === villageId || !villageId);
    return reply.code(opts.status ?? 200).view('secretary/producer-form', {
      title: opts.id ? request.t('sec.producer.editTitle', { name: opts.values.nameZh ?? '' }) : request.t('sec.producer.add'),
      section: 'producers',
      action: opts.id ? `/secretary/producers/${opts.id}` : '/secretary/producers',
      editing: Boolean(opts.id),
      values: opts.values,
      fields: opts.fields,
      hasErrors: Object.keys(opts.fields).length > 0,
      villages: await villageOptions(request, villageId),
      kinds: PRODUCER_KINDS.map((k) => ({ value: k, selected: k === opts.values.kind })),
      households: households.map((h) => ({
        id: h.id,
        name: h.displayName ? withAside(request.t, h.realName, h.displayName) : h.realName,
        checked: opts.values[`member_${h.id}`] === 'on',
        weight: opts.values[`weight_${h.id}`] ?? '1',
        weightError: opts.fields[`weight_${h.id}`],
      })),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/secretary/producers', guard, async (request, reply) => {
    const user = currentUser(request);
    const villages = new Map((await deps.villages.villagesOf(user)).map((v) => [v.id, pickText(request.locale, v.nameZh, v.nameEn)]));
    return reply.view('secretary/producers', {
      title: request.t('sec.producer.list'),
      section: 'producers',
      producers: await Promise.all(
        (await deps.villages.producers(user)).map(async (p) => ({
          ...p,
          village: villages.get(p.villageId) ?? '',
          memberCount: (await deps.villages.producer(user, p.id)).members.length,
        })),
      ),
    });
  });

  app.get('/secretary/producers/new', guard, async (request, reply) => {
    const first = (await deps.villages.villagesOf(currentUser(request)))[0];
    return renderProducerForm(request, reply, { values: { villageId: first ? String(first.id) : '', kind: 'household' }, fields: {} });
  });

  app.post('/secretary/producers', guard, async (request, reply) => {
    const values = typedValues(request.body);
    const form = parseForm(producerFormSchema, request.body, request.t);
    if (!form.ok) return renderProducerForm(request, reply, { values, fields: form.fields, status: 422 });
    try {
      await deps.villages.createProducer(currentUser(request), form.data, address(request));
    } catch (error) {
      return formFailure(request, reply, error, (fields, status) => renderProducerForm(request, reply, { values, fields, status }));
    }
    reply.flash('success', request.t('sec.created'));
    return reply.redirect('/secretary/producers', 303);
  });

  app.get('/secretary/producers/:id', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const p = await deps.villages.producer(currentUser(request), request.params.id);
    const values: Record<string, string> = {
      villageId: String(p.villageId),
      kind: p.kind,
      nameZh: p.nameZh,
      nameEn: p.nameEn ?? '',
      storyZh: p.storyZh,
      storyEn: p.storyEn ?? '',
    };
    for (const m of p.members) {
      values[`member_${m.householdId}`] = 'on';
      values[`weight_${m.householdId}`] = String(m.weight);
    }
    return renderProducerForm(request, reply, { id: p.id, values, fields: {} });
  });

  app.post('/secretary/producers/:id', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    const existing = await deps.villages.producer(currentUser(request), id);
    // The village of a producer is fixed; the form cannot move it.
    const body = { ...(request.body as Record<string, unknown>), villageId: String(existing.villageId) };
    const values = typedValues(body);
    const form = parseForm(producerFormSchema, body, request.t);
    if (!form.ok) return renderProducerForm(request, reply, { id, values, fields: form.fields, status: 422 });
    try {
      await deps.villages.updateProducer(currentUser(request), id, form.data, address(request));
    } catch (error) {
      return formFailure(request, reply, error, (fields, status) => renderProducerForm(request, reply, { id, values, fields, status }));
    }
    reply.flash('success', request.t('sec.saved'));
    return reply.redirect('/secretary/producers', 303);
  });

  // ---------- Products ----------
  async function renderProductForm(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { id?: number; values: Record<string, string>; fields: FieldMessages; status?: number; publishError?: string },
  ) {
    const user = currentUser(request);
    const detail = opts.id ? await deps.products.productDetail(user, opts.id) : null;
    const unit = detail ? request.t(`unit.${detail.product.unit}` as 'unit.jin') : '';
    const today = saleDay(deps.clock());
    const projects = await deps.catalog.projects();
    // Why a product is not sold even when published: its project has ended or not started.
    const ownProject = detail ? projects.find((p) => p.id === detail.product.projectId) : undefined;
    const ownState = ownProject ? projectPeriodState(ownProject, today) : 'running';
    const projectName = ownProject ? pickText(request.locale, ownProject.nameZh, ownProject.nameEn) : '';
    return reply.code(opts.status ?? 200).view('secretary/product-form', {
      title: detail ? request.t('sec.product.editTitle', { title: detail.product.titleZh }) : request.t('sec.product.add'),
      section: 'products',
      action: opts.id ? `/secretary/products/${opts.id}` : '/secretary/products',
      editing: Boolean(detail),
      product: detail
        ? {
            id: detail.product.id,
            slug: detail.product.slug,
            published: Boolean(detail.product.published),
            hasPhotos: detail.photos.length > 0,
            stockText: request.t('sec.stock.current', { stock: detail.product.stock, unit }),
            notOnSale:
              ownState === 'ended'
                ? request.t('sec.product.notOnSale', { project: projectName, date: ownProject?.endsOn ?? '' })
                : ownState === 'not_started'
                  ? request.t('sec.product.notOnSaleYet', { project: projectName, date: ownProject?.startsOn ?? '' })
                  : null,
          }
        : null,
      // In the shop's order; the first is the main photo, the one cards and lists show.
      photos:
        detail?.photos.map((p, i, all) => ({
          id: p.id,
          n: i + 1,
          url: `/media/${p.listMediaId}`,
          main: i === 0,
          first: i === 0,
          last: i === all.length - 1,
          altZh: p.altZh,
          altEn: p.altEn ?? '',
        })) ?? [],
      maxPhotos: MAX_PHOTOS,
      photosPerUpload: PHOTOS_PER_UPLOAD,
      lotPanel: detail && deps.lotPanel ? await deps.lotPanel(request, detail.product.id) : null,
      adjustments:
        detail?.adjustments.map((a) => ({
          ...a,
          reason: a.reason === INITIAL_STOCK_REASON ? request.t('sec.stock.initial') : a.reason,
          when: formatDateTime(a.createdAt),
          delta: a.delta > 0 ? `+${a.delta}` : String(a.delta),
        })) ?? [],
      values: opts.values,
      fields: opts.fields,
      hasErrors: Object.keys(opts.fields).length > 0,
      // Publishing without a photo asks for a confirmation: a new product has none yet.
      askPhotoConfirmation: !detail || (detail.photos.length === 0 && !detail.product.published),
      publishError: opts.publishError ?? null,
      categories: CATEGORIES.map((c) => ({ value: c, selected: c === opts.values.category })),
      units: UNITS.map((u) => ({ value: u, selected: u === opts.values.unit })),
      producers: (await deps.villages.producers(user)).map((p) => ({
        id: p.id,
        name: pickText(request.locale, p.nameZh, p.nameEn),
        selected: String(p.id) === opts.values.producerId,
      })),
      projects: projects.map((p) => {
        const name = pickText(request.locale, p.nameZh, p.nameEn);
        const state = projectPeriodState(p, today);
        return {
          id: p.id,
          name:
            state === 'ended'
              ? request.t('project.period.optionEnded', { name })
              : state === 'not_started'
                ? request.t('project.period.optionNotStarted', { name })
                : name,
          selected: String(p.id) === opts.values.projectId,
        };
      }),
      tiers: [1, 2, 3].map((n) => ({ n, qtyName: `tierQty${n}`, priceName: `tierPrice${n}` })),
      maxUploadMb: Math.floor(deps.maxUploadBytes / (1024 * 1024)),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/secretary/products', guard, async (request, reply) => {
    const user = currentUser(request);
    const today = saleDay(deps.clock());
    const periods = new Map((await deps.catalog.projects()).map((p) => [p.id, projectPeriodLabel(request.t, p, today)]));
    return reply.view('secretary/products', {
      title: request.t('sec.product.list'),
      section: 'products',
      products: (await deps.products.products(user)).map((p) => ({
        id: p.id,
        slug: p.slug,
        title: pickText(request.locale, p.titleZh, p.titleEn),
        village: p.villageZh,
        producer: p.producerZh,
        price: formatFen(p.priceFen),
        stock: p.stock,
        unit: request.t(`unit.${p.unit}` as 'unit.jin'),
        published: Boolean(p.published),
        low: p.stock <= p.lowStockThreshold,
        notOnSale: periods.get(p.projectId)?.onSale === false ? periods.get(p.projectId)!.text : null,
      })),
    });
  });

  app.get('/secretary/products/new', guard, async (request, reply) => {
    return renderProductForm(request, reply, { values: { minOrderQty: '1', lowStockThreshold: '5', stock: '0', unit: 'jin' }, fields: {} });
  });

  app.post('/secretary/products', guard, async (request, reply) => {
    const values = typedValues(request.body);
    const form = parseForm(productFormSchema, request.body, request.t);
    if (!form.ok) return renderProductForm(request, reply, { values, fields: form.fields, status: 422 });
    let id: number;
    try {
      id = await deps.products.create(currentUser(request), form.data, address(request));
    } catch (error) {
      return formFailure(request, reply, error, (fields, status) => renderProductForm(request, reply, { values, fields, status }));
    }
    reply.flash('success', request.t('sec.created'));
    return reply.redirect(`/secretary/products/${id}`, 303);
  });

  /** A product's form as its stored values fill it. */
  function productValues(
    p: Awaited<ReturnType<ProductManagement['productDetail']>>['product'],
    tiers: readonly { minQty: number; priceFen: number }[],
  ): Record<string, string> {
    const values: Record<string, string> = {
      titleZh: p.titleZh,
      titleEn: p.titleEn ?? '',
      slug: p.slug,
      descriptionZh: p.descriptionZh,
      descriptionEn: p.descriptionEn ?? '',
      storyZh: p.storyZh,
      storyEn: p.storyEn ?? '',
      category: p.category,
      unit: p.unit,
      price: fenToYuanInput(p.priceFen),
      minOrderQty: String(p.minOrderQty),
      maxRetailQty: p.maxRetailQty === null ? '' : String(p.maxRetailQty),
      lowStockThreshold: String(p.lowStockThreshold),
      producerId: String(p.producerId),
      projectId: String(p.projectId),
      published: p.published ? 'on' : '',
      featured: p.featured ? 'on' : '',
    };
    tiers.forEach((t, i) => {
      values[`tierQty${i + 1}`] = String(t.minQty);
      values[`tierPrice${i + 1}`] = fenToYuanInput(t.priceFen);
    });
    return values;
  }

  app.get('/secretary/products/:id', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { product: p, tiers } = await deps.products.productDetail(currentUser(request), request.params.id);
    return renderProductForm(request, reply, { id: p.id, values: productValues(p, tiers), fields: {} });
  });

  app.post('/secretary/products/:id', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    await deps.products.product(currentUser(request), id);
    const values = typedValues(request.body);
    const form = parseForm(productFormSchema, request.body, request.t);
    if (!form.ok) return renderProductForm(request, reply, { id, values, fields: form.fields, status: 422 });
    try {
      await deps.products.update(currentUser(request), id, form.data, address(request));
    } catch (error) {
      return formFailure(request, reply, error, (fields, status) => renderProductForm(request, reply, { id, values, fields, status }));
    }
    reply.flash('success', request.t('sec.saved'));
    return reply.redirect(`/secretary/products/${id}`, 303);
  });

  app.post('/secretary/products/:id/publish', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    await deps.products.product(currentUser(request), id);
    const form = publishSchema.safeParse(request.body);
    if (!form.success) throw new AppError('bad_request', 'bad_request');
    try {
      await deps.products.setPublished(currentUser(request), id, form.data.published, address(request), form.data.publishWithoutPhoto);
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'publish_without_photo')) throw error;
      const detail = await deps.products.productDetail(currentUser(request), id);
      return renderProductForm(request, reply, {
        id,
        values: productValues(detail.product, detail.tiers),
        fields: {},
        status: 422,
        publishError: request.t('errors.publish_without_photo'),
      });
    }
    reply.flash('success', request.t(form.data.published ? 'sec.product.published.done' : 'sec.product.unpublished.done'));
    return reply.redirect(`/secretary/products/${id}`, 303);
  });

  app.post('/secretary/products/:id/stock', { ...guard, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    const user = currentUser(request);
    await deps.products.product(user, id);
    const form = parseForm(stockAdjustmentSchema, request.body, request.t);
    const fail = (fields: FieldMessages) => {
      reply.flash('error', Object.values(fields).join(' '), 'stock');
      return reply.redirect(`/secretary/products/${id}#stock`, 303);
    };
    if (!form.ok) return fail(form.fields);
    try {
      await deps.products.adjustStock(user, id, form.data.delta, form.data.reason, address(request));
    } catch (error) {
      if (error instanceof AppError && error.details.fields) return fail(fieldMessagesOf(request, error));
      throw error;
    }
    reply.flash('success', request.t('sec.stock.done'), 'stock');
    return reply.redirect(`/secretary/products/${id}#stock`, 303);
  });

  app.post(
    '/secretary/products/:id/photos',
    { ...guard, config: { csrf: 'multipart', multipartLimits: photoFormLimits }, schema: { params: idParams } },
    async (request, reply) => {
      const { id } = request.params;
      const user = currentUser(request);
      await deps.products.product(user, id);
      if (!request.isMultipart()) throw new AppError('bad_request', 'bad_request');
      const form = await readMultipartForm(request, photoFormLimits);
      const back = (kind: 'success' | 'error', message: string) => {
        reply.flash(kind, message, 'photos');
        return reply.redirect(`/secretary/products/${id}#photos`, 303);
      };
      if (form.tooManyFiles) return back('error', request.t('sec.photo.tooManyAtOnce', { max: PHOTOS_PER_UPLOAD }));
      if (form.fileTooLarge) return back('error', request.t('errors.image_too_large'));
      if (form.files.length === 0) return back('error', request.t('sec.photo.missingFile'));
      try {
        await deps.products.addPhotos(
          user,
          id,
          form.files.map((f) => f.bytes),
          address(request),
        );
      } catch (error) {
        if (error instanceof AppError && error.type === 'validation') {
          return back('error', messageOf(request, error));
        }
        throw error;
      }
      return back('success', form.files.length === 1 ? request.t('sec.photo.added') : request.t('sec.photo.addedMany', { count: form.files.length }));
    },
  );

  app.post('/secretary/products/:id/photos/:photoId/move', { ...guard, schema: { params: photoParams } }, async (request, reply) => {
    const { id, photoId } = request.params;
    const form = photoMoveSchema.safeParse(request.body);
    if (!form.success) throw new AppError('bad_request', 'bad_request');
    await deps.products.movePhoto(currentUser(request), id, photoId, form.data.move, address(request));
    reply.flash('success', request.t(form.data.move === 'main' ? 'sec.photo.madeMain' : 'sec.photo.moved'), 'photos');
    return reply.redirect(`/secretary/products/${id}#photos`, 303);
  });

  app.post('/secretary/products/:id/photos/:photoId/alt', { ...guard, schema: { params: photoParams } }, async (request, reply) => {
    const { id, photoId } = request.params;
    const user = currentUser(request);
    await deps.products.product(user, id);
    const form = parseForm(photoAltSchema, request.body, request.t);
    if (!form.ok) {
      reply.flash('error', Object.values(form.fields).join(' '), 'photos');
      return reply.redirect(`/secretary/products/${id}#photos`, 303);
    }
    await deps.products.describePhoto(user, id, photoId, form.data.altZh, form.data.altEn, address(request));
    reply.flash('success', request.t('sec.photo.described'), 'photos');
    return reply.redirect(`/secretary/products/${id}#photos`, 303);
  });

  app.post('/secretary/products/:id/photos/:photoId/delete', { ...guard, schema: { params: photoParams } }, async (request, reply) => {
    const { id, photoId } = request.params;
    await deps.products.removePhoto(currentUser(request), id, photoId, address(request));
    reply.flash('success', request.t('sec.photo.removed'), 'photos');
    return reply.redirect(`/secretary/products/${id}#photos`, 303);
  });
}
