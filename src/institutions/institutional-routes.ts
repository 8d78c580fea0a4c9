import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import { unitLabel } from '../catalog/catalog-presenter.js';
import { AppError } from '../errors.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { pickText, type MessageKey } from '../i18n/i18n.js';
import { fenToYuanInput, formatFen } from '../money.js';
import type { Clock } from '../clock.js';
import { csrfTokenFor } from '../plugins/security.js';
import { projectPeriodRefusal, saleDay } from '../projects/project-period.js';
import { formatDate, formatDateTime, monthBounds, periodOf, startOfDay } from '../time.js';
import { fieldMessagesOf, isFormError, messageOf } from '../form-errors.js';
import type { Media } from '../media/media-queries.js';
import { readMultipartForm } from '../multipart-form.js';
import {
  idParams,
  invoicesQuerySchema,
  issuedInvoiceSchema,
  orderNumberParams,
  memberFormSchema,
  organizationFormSchema,
  quoteAcceptSchema,
  quoteAnswerSchema,
  quotaFormSchema,
  quoteRequestSchema,
} from './institutional-schemas.js';
import { csvCell, csvYuan, cstYearOf, type InstitutionalService, type QuoteView } from './institutional-service.js';

const slugParams = z.object({ slug: z.string().min(1).max(120) });

/**
 * Bulk and institutional buying: the organisation page of a buyer (quota, quotes, invoice
 * requests), quote requests from the product page, the secretary's answers, and the accountant's
 * invoice export. Handlers validate, call one service function, render or redirect.
 */
/** How an invoice request stands, for both its organisation and the coordinator. */
function invoiceStatus(t: FastifyRequest['t'], r: { invoiceNumber: string | null; invoiceDate: number | null }) {
  return r.invoiceNumber
    ? { issued: true, invoiceStatus: t('org.invoices.issuedAs', { number: r.invoiceNumber, date: formatDate(r.invoiceDate ?? 0) }) }
    : { issued: false, invoiceStatus: t('org.invoices.pending') };
}

/** An issued invoice's file: always a private download, never rendered inline nor sniffed. */
function sendInvoiceFile(reply: FastifyReply, orderNumber: string, file: Media) {
  const ext = file.contentType === 'application/pdf' ? 'pdf' : 'webp';
  return reply
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-disposition', `attachment; filename="invoice-${orderNumber}.${ext}"`)
    .type(file.contentType)
    .send(file.bytes);
}

export default async function institutionalRoutes(
  root: FastifyInstance,
  deps: { institutional: InstitutionalService; catalog: CatalogService; clock: Clock; maxUploadBytes: number },
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { institutional } = deps;
  const buyerOnly = { preHandler: requireRole('buyer') };

  function presentQuote(request: FastifyRequest, q: QuoteView) {
    const { locale, t } = request;
    const unit = unitLabel(t, q.unit);
    return {
      id: q.id,
      title: pickText(locale, q.titleZh, q.titleEn),
      productUrl: `/products/${q.productSlug}`,
      village: pickText(locale, q.villageZh, q.villageEn),
      organization: q.organizationName ?? '',
      requestedBy: q.requestedByEmail,
      quantity: t('quote.quantityValue', { quantity: q.quantity, unit }),
      note: q.note,
      status: q.effectiveStatus,
      statusLabel: t(`quote.status.${q.effectiveStatus}` as MessageKey),
      retailPrice: t('quote.retailPrice', { price: formatFen(q.retailPriceFen), unit }),
      unitPrice: q.unitPriceFen === null ? null : t('quote.unitPriceValue', { price: formatFen(q.unitPriceFen), unit }),
      goodsTotal: q.unitPriceFen === null ? null : formatFen(q.unitPriceFen * q.quantity),
      validUntil: q.validUntilDate,
      requestedAt: formatDateTime(q.createdAt),
      canAccept: q.effectiveStatus === 'answered',
      open: q.status === 'requested',
      orderNumber: q.orderNumber,
      orderUrl: q.orderNumber ? `/orders/${q.orderNumber}` : null,
    };
  }

  // ---------- The buyer's organisation ----------

  async function renderOrganization(
    request: FastifyRequest,
    reply: FastifyReply,
    form: { values: Record<string, string>; fields: FieldMessages },
    status = 200,
  ) {
    const { t } = request;
    const overview = await institutional.overview(currentUser(request));
    reply.header('cache-control', 'no-store');
    if (!overview) {
      return reply.code(status).view('channels/organization', {
        title: t('org.registerTitle'),
        organization: null,
        values: form.values,
        fields: form.fields,
        hasErrors: Object.keys(form.fields).length > 0,
        csrfToken: csrfTokenFor(reply),
      });
    }
    const { organization: org, quota } = overview;
    return reply.code(status).view('channels/organization', {
      title: t('org.title', { name: org.name }),
      organization: { ...org, members: t('org.memberCount', { count: overview.members }) },
      quota: {
        year: quota.year,
        set: quota.quotaFen !== null,
        quota: quota.quotaFen === null ? null : formatFen(quota.quotaFen),
        spent: formatFen(quota.spentFen),
        pending: formatFen(quota.pendingFen),
        hasPending: quota.pendingFen > 0,
        remaining: quota.remainingFen === null ? null : formatFen(quota.remainingFen),
        percent: quota.percent,
        over: quota.over,
        progressLabel:
          quota.quotaFen === null
            ? ''
            : t('org.quota.progress', { spent: formatFen(quota.spentFen), quota: formatFen(quota.quotaFen), percent: quota.percent }),
      },
      quotes: overview.quotes.map((q) => presentQuote(request, q)),
      invoices: overview.invoices.map((i) => ({
        orderNumber: i.orderNumber,
        orderUrl: `/orders/${i.orderNumber}`,
        title: i.title,
        taxNumber: i.taxNumber,
        amount: formatFen(i.totalFen - i.refundedFen),
        status: t(`order.status.${i.orderStatus}` as MessageKey),
        date: formatDate(i.orderCreatedAt),
        ...invoiceStatus(t, i),
        fileUrl: i.invoiceMediaId !== null ? `/account/organization/invoices/${encodeURIComponent(i.orderNumber)}/file` : null,
      })),
      values: {},
      fields: {},
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/account/organization', { ...buyerOnly, schema: { querystring: plainQuerySchema } }, async (request, reply) =>
    renderOrganization(request, reply, { values: {}, fields: {} }),
  );

  app.post('/account/organization', buyerOnly, async (request, reply) => {
    const values = typedValues(request.body);
    const form = parseForm(organizationFormSchema, request.body, request.t);
    if (!form.ok) return renderOrganization(request, reply, { values, fields: form.fields }, 422);
    try {
      await institutional.registerOrganization(currentUser(request), form.data, request.ip);
    } catch (error) {
      if (isFormError(error)) {
        const fields = error.details.fields ? fieldMessagesOf(request, error) : { _form: messageOf(request, error) };
        return renderOrganization(request, reply, { values, fields }, error.status);
      }
      throw error;
    }
    reply.flash('success', request.t('org.registered', { name: form.data.name }));
    return reply.redirect('/account/organization', 303);
  });

  // ---------- Accepting a quote ----------

  async function renderAccept(
    request: FastifyRequest,
    reply: FastifyReply,
    id: number,
    form: { values: Record<string, string>; fields: FieldMessages; error?: string | null },
    status = 200,
  ) {
    const { t } = request;
    const user = currentUser(request);
    const quote = await institutional.quoteForBuyer(user, id);
    const org = (await institutional.organizationOf(user))!;
    const quota = await institutional.quotaStatus(org.id, cstYearOf(deps.clock()));
    const goodsFen = (quote.unitPriceFen ?? 0) * quote.quantity;
    reply.header('cache-control', 'no-store');
    return reply.code(status).view('channels/quote-accept', {
      title: t('quote.acceptTitle', { id: quote.id }),
      quote: presentQuote(request, quote),
      quota: {
        set: quota.remainingFen !== null,
        remaining: quota.remainingFen === null ? '' : formatFen(Math.max(0, quota.remainingFen - quota.pendingFen)),
        // Warned before the buyer submits; the service checks again with the exact total.
        warn: quota.remainingFen !== null && goodsFen > quota.remainingFen - quota.pendingFen,
        year: quota.year,
      },
      values: form.values,
      fields: form.fields,
      hasErrors: Object.keys(form.fields).length > 0,
      error: form.error ?? null,
      csrfToken: csrfTokenFor(reply),
    });
  }
  app.get('/account/organization/quotes/:id', { ...buyerOnly, schema: { params: idParams, querystring: plainQuerySchema } }, async (request, reply) => {
    const user = currentUser(request);
    const org = await institutional.organizationOf(user);
    return renderAccept(request, reply, request.params.id, {
      values: { name: user.displayName, invoiceTitle: org?.invoiceTitle ?? '', taxNumber: org?.taxNumber ?? '' },
      fields: {},
    });
  });

  app.post('/account/organization/quotes/:id/accept', { ...buyerOnly, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    await institutional.quoteForBuyer(currentUser(request), id); // 404 before anything else for another organisation's quote
    const values = typedValues(request.body);
    const form = parseForm(quoteAcceptSchema, request.body, request.t);
    if (!form.ok) return renderAccept(request, reply, id, { values, fields: form.fields }, 422);
    let placed;
    try {
      placed = await institutional.acceptQuote(currentUser(request), id, form.data, request.ip);
    } catch (error) {
      if (isFormError(error)) {
        if (error.details.fields) return renderAccept(request, reply, id, { values, fields: fieldMessagesOf(request, error) }, error.status);
        // Expired, accepted already, declined: nothing to fix in the form.
        return renderAccept(request, reply, id, { values, fields: {}, error: messageOf(request, error) }, error.status);
      }
      throw error;
    }
    reply.flash('success', request.t(placed.overQuota ? 'quote.acceptedOverQuota' : 'quote.accepted', { number: placed.order.number }));
    return reply.redirect(`/orders/${placed.order.number}?token=${encodeURIComponent(placed.accessToken)}`, 303);
  });

  // ---------- Quote requests from the product page ----------

  async function renderQuoteRequest(
    request: FastifyRequest,
    reply: FastifyReply,
    slug: string,
    form: { values: Record<string, string>; fields: FieldMessages },
    status = 200,
  ) {
    const { locale, t } = request;
    const { product: p } = await deps.catalog.productPage(slug);
    const unit = unitLabel(t, p.unit);
    const organization = await institutional.organizationOf(currentUser(request));
    return reply.code(status).view('channels/quote-request', {
      title: t('quote.requestTitle', { title: pickText(locale, p.titleZh, p.titleEn) }),
      product: {
        slug: p.slug,
        url: `/products/${p.slug}`,
        title: pickText(locale, p.titleZh, p.titleEn),
        price: formatFen(p.priceFen),
        unit,
        rule: p.maxRetailQty === null ? t('quote.ruleMin', { min: p.minOrderQty, unit }) : t('quote.ruleAbove', { max: p.maxRetailQty, unit }),
        suggested: p.maxRetailQty === null ? p.minOrderQty : p.maxRetailQty + 1,
      },
      organization: organization?.name ?? null,
      values: form.values,
      fields: form.fields,
      hasErrors: Object.keys(form.fields).length > 0,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/products/:slug/quote', { ...buyerOnly, schema: { params: slugParams, querystring: plainQuerySchema } }, async (request, reply) => {
    const { slug } = request.params;
    if (!(await institutional.organizationOf(currentUser(request))))
      return renderQuoteRequest(request, reply, slug, { values: {}, fields: { _form: request.t('errors.organization_required') } }, 403);
    const { product } = await deps.catalog.productPage(slug);
    // A product whose project is not running takes no requests; the form says why before anything is typed.
    const closed = projectPeriodRefusal(product, saleDay(deps.clock()), '_form');
    return renderQuoteRequest(request, reply, slug, {
      values: { quantity: String(product.maxRetailQty === null ? product.minOrderQty : product.maxRetailQty + 1) },
      fields: closed ? fieldMessagesOf(request, closed) : {},
    });
  });

  app.post('/products/:slug/quote', { ...buyerOnly, schema: { params: slugParams } }, async (request, reply) => {
    const { slug } = request.params;
    await deps.catalog.productPage(slug); // 404 for a product that is not for sale
    const values = typedValues(request.body);
    if (!(await institutional.organizationOf(currentUser(request))))
      return renderQuoteRequest(request, reply, slug, { values, fields: { _form: request.t('errors.organization_required') } }, 403);
    const form = parseForm(quoteRequestSchema, request.body, request.t);
    if (!form.ok) return renderQuoteRequest(request, reply, slug, { values, fields: form.fields }, 422);
    try {
      await institutional.requestQuote(currentUser(request), slug, form.data, request.ip);
    } catch (error) {
      if (isFormError(error) && error.details.fields)
        return renderQuoteRequest(request, reply, slug, { values, fields: fieldMessagesOf(request, error) }, error.status);
      throw error;
    }
    reply.flash('success', request.t('quote.requested'));
    return reply.redirect('/account/organization#quotes', 303);
  });

  // ---------- The first secretary answers ----------

  const secretaryOnly = { preHandler: requireRole('first_secretary') };
  const coordinatorOnly = { preHandler: requireRole('coordinator') };

  async function renderSecretaryQuotes(
    request: FastifyRequest,
    reply: FastifyReply,
    failed: { id: number; values: Record<string, string>; fields: FieldMessages } | null = null,
    status = 200,
  ) {
    const { t } = request;
    const today = formatDate(deps.clock());
    return reply.code(status).view('channels/secretary-quotes', {
      title: t('quote.secretaryTitle'),
      section: 'quotes',
      today,
      quotes: (await institutional.quotesForSecretary(currentUser(request))).map((q) => {
        const mine = failed?.id === q.id;
        return { ...presentQuote(request, q), values: mine ? failed!.values : {}, fields: mine ? failed!.fields : {} };
      }),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/secretary/quotes', { ...secretaryOnly, schema: { querystring: plainQuerySchema } }, async (request, reply) =>
    renderSecretaryQuotes(request, reply),
  );

  app.post('/secretary/quotes/:id/answer', { ...secretaryOnly, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    await institutional.quoteForSecretary(currentUser(request), id); // 404 for another village's quote
    const values = typedValues(request.body);
    const form = parseForm(quoteAnswerSchema, request.body, request.t);
    if (!form.ok) return renderSecretaryQuotes(request, reply, { id, values, fields: form.fields }, 422);
    try {
      await institutional.answerQuote(currentUser(request), id, form.data, request.ip);
    } catch (error) {
      if (isFormError(error) && error.details.fields)
        return renderSecretaryQuotes(request, reply, { id, values, fields: fieldMessagesOf(request, error) }, error.status);
      throw error;
    }
    reply.flash('success', request.t('quote.answered'));
    return reply.redirect('/secretary/quotes', 303);
  });

  app.post('/secretary/quotes/:id/decline', { ...secretaryOnly, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    try {
      await institutional.declineQuote(currentUser(request), id, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict') {
        reply.flash('error', messageOf(request, error));
        return reply.redirect('/secretary/quotes', 303);
      }
      throw error;
    }
    reply.flash('success', request.t('quote.declinedDone'));
    return reply.redirect('/secretary/quotes', 303);
  });

  // ---------- Organisations, their quotas and buyers (coordinator) ----------

  async function renderOrganizations(
    request: FastifyRequest,
    reply: FastifyReply,
    failed: { id: number; values: Record<string, string>; fields: FieldMessages } | null = null,
    status = 200,
  ) {
    const { t } = request;
    const year = cstYearOf(deps.clock());
    return reply.code(status).view('channels/coordinator-organizations', {
      title: t('org.coordinatorTitle'),
      section: 'organizations',
      organizations: (await institutional.organizationsForCoordinator(currentUser(request))).map(({ organization: org, members, quota }) => {
        const mine = failed?.id === org.id;
        return {
          id: org.id,
          name: org.name,
          creditCode: org.creditCode,
          members,
          quotaText:
            quota.quotaFen === null
              ? t('org.quota.none', { year: quota.year })
              : t('org.quota.summary', {
                  year: quota.year,
                  quota: formatFen(quota.quotaFen),
                  spent: formatFen(quota.spentFen),
                  remaining: formatFen(quota.remainingFen ?? 0),
                }),
          values: mine ? failed!.values : { year: String(year), amount: quota.quotaFen === null ? '' : fenToYuanInput(quota.quotaFen) },
          fields: mine ? failed!.fields : {},
        };
      }),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/coordinator/organizations', { ...coordinatorOnly, schema: { querystring: plainQuerySchema } }, async (request, reply) =>
    renderOrganizations(request, reply),
  );

  app.post('/coordinator/organizations/:id/quota', { ...coordinatorOnly, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    await institutional.organizationForCoordinator(currentUser(request), id); // 404 before anything else outside the coordinator's scope
    const values = typedValues(request.body);
    const form = parseForm(quotaFormSchema, request.body, request.t);
    if (!form.ok) return renderOrganizations(request, reply, { id, values, fields: form.fields }, 422);
    await institutional.setQuota(currentUser(request), id, form.data.year, form.data.amount, request.ip);
    reply.flash('success', request.t('org.quotaSaved', { year: form.data.year, amount: formatFen(form.data.amount) }));
    return reply.redirect('/coordinator/organizations', 303);
  });

  app.post('/coordinator/organizations/:id/members', { ...coordinatorOnly, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params;
    await institutional.organizationForCoordinator(currentUser(request), id);
    const values = typedValues(request.body);
    const form = parseForm(memberFormSchema, request.body, request.t);
    if (!form.ok) return renderOrganizations(request, reply, { id, values, fields: form.fields }, 422);
    try {
      await institutional.addMember(currentUser(request), id, form.data.email, request.ip);
    } catch (error) {
      if (isFormError(error) && error.details.fields)
        return renderOrganizations(request, reply, { id, values, fields: fieldMessagesOf(request, error) }, error.status);
      throw error;
    }
    reply.flash('success', request.t('org.memberAdded', { email: form.data.email }));
    return reply.redirect('/coordinator/organizations', 303);
  });

  // ---------- The accountant's invoice export ----------

  function periodRange(period: string | undefined) {
    const p = period ?? periodOf(deps.clock());
    return { period: p, ...monthBounds(startOfDay(`${p}-01`)!) };
  }

  app.get('/coordinator/invoices', { ...coordinatorOnly, schema: { querystring: invoicesQuerySchema } }, async (request, reply) => {
    const { t } = request;
    const { period, from, to } = periodRange(request.query.period);
    return reply.view('channels/coordinator-invoices', {
      title: t('org.invoices.title'),
      section: 'invoices',
      period,
      csvUrl: `/coordinator/invoices.csv?period=${period}`,
      rows: (await institutional.invoiceRequests(currentUser(request), from, to)).map((r) => ({
        orderNumber: r.orderNumber,
        orderUrl: `/coordinator/orders/${r.orderNumber}`,
        date: formatDate(r.orderCreatedAt),
        organization: r.organizationName ?? '',
        title: r.title,
        taxNumber: r.taxNumber,
        amount: formatFen(r.totalFen - r.refundedFen),
        status: t(`order.status.${r.orderStatus}` as MessageKey),
        ...invoiceStatus(t, r),
        invoiceUrl: `/coordinator/invoices/${encodeURIComponent(r.orderNumber)}`,
      })),
    });
  });

  // ---------- Issued invoices: recorded by a coordinator, downloaded by the organisation ----------

  async function renderInvoice(
    request: FastifyRequest,
    reply: FastifyReply,
    number: string,
    opts: { values?: Record<string, string>; fields?: FieldMessages; status?: number } = {},
  ) {
    const { t } = request;
    const r = await institutional.invoiceRequestFor(currentUser(request), number);
    return reply.code(opts.status ?? 200).view('channels/coordinator-invoice', {
      title: t('org.invoices.recordTitle', { number: r.orderNumber }),
      section: 'invoices',
      request: {
        orderNumber: r.orderNumber,
        orderUrl: `/coordinator/orders/${r.orderNumber}`,
        organization: r.organizationName ?? '',
        title: r.title,
        taxNumber: r.taxNumber,
        email: r.email ?? '',
        amount: formatFen(r.totalFen - r.refundedFen),
        date: formatDate(r.orderCreatedAt),
        ...invoiceStatus(t, r),
        fileUrl: r.invoiceMediaId !== null ? `/coordinator/invoices/${encodeURIComponent(r.orderNumber)}/file` : null,
      },
      action: `/coordinator/invoices/${encodeURIComponent(r.orderNumber)}`,
      values: opts.values ?? {
        invoiceNumber: r.invoiceNumber ?? '',
        invoiceDate: r.invoiceDate !== null ? formatDate(r.invoiceDate) : formatDate(deps.clock()),
      },
      fields: opts.fields ?? {},
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get(
    '/coordinator/invoices/:number',
    { ...coordinatorOnly, schema: { params: orderNumberParams, querystring: plainQuerySchema } },
    async (request, reply) => renderInvoice(request, reply, request.params.number),
  );

  // Multipart: the CSRF token is the form's first field, checked before the route runs (readCsrfField).
  const invoiceFormLimits = { fileSize: deps.maxUploadBytes, fields: 4 };
  app.post(
    '/coordinator/invoices/:number',
    { ...coordinatorOnly, schema: { params: orderNumberParams }, config: { csrf: 'multipart', multipartLimits: invoiceFormLimits } },
    async (request, reply) => {
      const { number } = request.params;
      await institutional.invoiceRequestFor(currentUser(request), number);
      const upload = await readMultipartForm(request, invoiceFormLimits);
      const values = typedValues(upload.fields);
      if (upload.fileTooLarge) return renderInvoice(request, reply, number, { values, fields: { file: request.t('errors.document_too_large') }, status: 413 });
      const form = parseForm(issuedInvoiceSchema, upload.fields, request.t);
      if (!form.ok) return renderInvoice(request, reply, number, { values, fields: form.fields, status: 422 });
      try {
        await institutional.recordIssuedInvoice(currentUser(request), number, form.data, upload.file?.bytes ?? null, request.ip);
      } catch (error) {
        if (error instanceof AppError && error.details.fields)
          return renderInvoice(request, reply, number, { values, fields: fieldMessagesOf(request, error), status: error.status });
        throw error;
      }
      reply.flash('success', request.t('org.invoices.recorded', { number: form.data.invoiceNumber, order: number }));
      return reply.redirect(`/coordinator/invoices/${encodeURIComponent(number)}`, 303);
    },
  );

  app.get('/coordinator/invoices/:number/file', { ...coordinatorOnly, schema: { params: orderNumberParams } }, async (request, reply) => {
    const { request: r, file } = await institutional.invoiceFileForCoordinator(currentUser(request), request.params.number);
    return sendInvoiceFile(reply, r.orderNumber, file);
  });

  app.get('/account/organization/invoices/:number/file', { ...buyerOnly, schema: { params: orderNumberParams } }, async (request, reply) => {
    const { request: r, file } = await institutional.invoiceFileForBuyer(currentUser(request), request.params.number);
    return sendInvoiceFile(reply, r.orderNumber, file);
  });

  app.get('/coordinator/invoices.csv', { ...coordinatorOnly, schema: { querystring: invoicesQuerySchema } }, async (request, reply) => {
    const { t } = request;
    const { period, from, to } = periodRange(request.query.period);
    const header = [
      t('org.invoices.number'),
      t('org.invoices.date'),
      t('org.invoices.organization'),
      t('org.invoices.invoiceTitle'),
      t('org.invoices.taxNumber'),
      t('org.invoices.amount'),
      t('org.invoices.status'),
    ];
    const lines = (await institutional.invoiceRequests(currentUser(request), from, to)).map((r) =>
      [
        r.orderNumber,
        formatDate(r.orderCreatedAt),
        r.organizationName ?? '',
        r.title,
        r.taxNumber,
        csvYuan(r.totalFen - r.refundedFen),
        t(`order.status.${r.orderStatus}` as MessageKey),
      ]
        .map(csvCell)
        .join(','),
    );
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="invoices-${period}.csv"`);
    reply.header('cache-control', 'no-store');
    // The BOM tells spreadsheet programs the file is UTF-8 (Chinese titles).
    return reply.send(`\uFEFF${[header.map(csvCell).join(','), ...lines].join('\r\n')}\r\n`);
  });
}
