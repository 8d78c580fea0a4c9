import type { Role } from '../accounts/schema.js';
import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import { fenToYuanInput, formatFen } from '../money.js';
import type { OrdersService, PlacedOrder } from '../orders/orders-service.js';
import { MAX_LINE_QUANTITY } from '../orders/pricing.js';
import { assertProjectRunning, saleDay } from '../projects/project-period.js';
import { formatDate, startOfDay } from '../time.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import {
  acceptQuote,
  answerQuote,
  creditCodeTaken,
  declineQuote,
  insertInvoiceRequest,
  invoiceRequestOfOrder,
  invoiceRequestOfOrganization,
  recordIssuedInvoice,
  insertMember,
  insertOrganization,
  insertQuote,
  invoiceRequestsBetween,
  invoiceRequestsOfOrganization,
  memberCount,
  memberEmails,
  organizationById,
  organizationConcerns,
  organizationConcernsProjects,
  organizationOfUser,
  organizationsFor,
  quotaOf,
  quoteById,
  quotesForVillages,
  quotesOfOrganization,
  setQuota,
  usageOf,
  type InvoiceRequest,
  type Organization,
  type Quote,
} from './institutional-queries.js';
import type { Media } from '../media/media-queries.js';
import type { MediaService } from '../media/media-service.js';
import type { IssuedInvoiceForm, OrganizationForm, QuoteAcceptForm, QuoteAnswerForm, QuoteRequestForm } from './institutional-schemas.js';

const CST_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 24 * 3600_000;

/** The calendar year (China Standard Time) of an instant, and its first and last-plus-one instants. */
export function cstYearOf(ms: number): number {
  return new Date(ms + CST_OFFSET_MS).getUTCFullYear();
}
export function cstYearBounds(year: number): { from: number; to: number } {
  return { from: Date.UTC(year, 0, 1) - CST_OFFSET_MS, to: Date.UTC(year + 1, 0, 1) - CST_OFFSET_MS };
}

export interface QuotaStatus {
  year: number;
  /** null when no quota is set for the year. */
  quotaFen: number | null;
  /** Paid by the organisation's members this year, net of refunds. */
  spentFen: number;
  /** Placed this year and still waiting for payment. */
  pendingFen: number;
  /** quota − spent, never below 0 (null without a quota). */
  remainingFen: number | null;
  /** Whole per cent of the quota spent, capped at 100 for the progress bar. */
  percent: number;
  over: boolean;
}

/** A quote as its reader sees it: "expired" once an answer's validity has passed. */
export type QuoteView = Quote & { effectiveStatus: Quote['status']; validUntilDate: string | null };

/**
 * Bulk and institutional buying: organisations (trade unions, budget units) whose member buyers
 * buy against a yearly quota, ask the village for a price on quantities above the retail limit,
 * accept the answer as an order at the quoted price with a 发票 request, and the accountant's
 * export of those requests. Every call checks the object against the actor.
 */
export function createInstitutionalService(
  db: Database_,
  deps: {
    clock: Clock;
    audit: AuditService;
    orders: OrdersService;
    catalog: CatalogService;
    /** Finds an account by email, for adding buyers to an organisation. */
    /** A step of the caller's unit of work (the accounts service's). */
    userByEmail: (tx: Tx, email: string) => Query<{ id: number; role: Role } | undefined>;
    /** Where issued invoices' files are kept (private uploads). */
    media: Pick<MediaService, 'encodeDocument' | 'addDocument' | 'readMedia'>;
  },
) {
  const { clock, audit, orders } = deps;

  function* invoiceRequestFor(tx: Tx, actor: CurrentUser, orderNumber: string): Query<InvoiceRequest> {
    if (actor.role !== 'coordinator') throw new AppError('not_found', 'invoice_not_found');
    const request = yield* invoiceRequestOfOrder(tx, orderNumber, actor.allProjects ? 'all' : actor.projectIds);
    if (!request) throw new AppError('not_found', 'invoice_not_found');
    return request;
  }

  function* issuedFile(tx: Tx, request: InvoiceRequest): Query<Media> {
    const file = request.invoiceMediaId !== null ? yield* deps.media.readMedia(tx, request.invoiceMediaId) : undefined;
    if (!file) throw new AppError('not_found', 'invoice_not_issued');
    return file;
  }

  function* organizationOf(tx: Tx, user: CurrentUser): Query<Organization | null> {
    if (user.role !== 'buyer') return null;
    return (yield* organizationOfUser(tx, user.id)) ?? null;
  }

  /** The actor's organisation, or 403: only organisation buyers request and accept quotes. */
  function* requireOrganization(tx: Tx, user: CurrentUser): Query<Organization> {
    const org = yield* organizationOf(tx, user);
    if (!org) throw new AppError('forbidden', 'organization_required');
    return org;
  }

  function* quotaStatus(tx: Tx, organizationId: number, year: number): Query<QuotaStatus> {
    const { from, to } = cstYearBounds(year);
    const quotaFen = (yield* quotaOf(tx, organizationId, year)) ?? null;
    const { spentFen, pendingFen } = yield* usageOf(tx, organizationId, from, to);
    const remainingFen = quotaFen === null ? null : Math.max(0, quotaFen - spentFen);
    const percent = quotaFen === null || quotaFen === 0 ? (spentFen > 0 ? 100 : 0) : Math.min(100, Math.floor((spentFen * 100) / quotaFen));
    return { year, quotaFen, spentFen, pendingFen, remainingFen, percent, over: quotaFen !== null && spentFen > quotaFen };
  }

  function view(row: Quote): QuoteView {
    const expired = row.status === 'answered' && row.validUntil !== null && row.validUntil <= clock();
    return { ...row, effectiveStatus: expired ? 'expired' : row.status, validUntilDate: row.validUntil === null ? null : formatDate(row.validUntil - 1) };
  }

  /** The quote of the buyer's organisation, or 404 (another organisation's quote does not exist for them). */
  function* quoteForBuyer(tx: Tx, user: CurrentUser, id: number): Query<QuoteView> {
    const org = yield* organizationOf(tx, user);
    const row = yield* quoteById(tx, id);
    if (!org || !row || row.organizationId !== org.id) throw new AppError('not_found', 'quote_not_found');
    return view(row);
  }

  /** An organisation a coordinator may see and manage (see organizationsForCoordinator), or 404. */
  function* organizationForCoordinator(tx: Tx, actor: CurrentUser, organizationId: number): Query<Organization> {
    if (actor.role !== 'coordinator') throw new AppError('forbidden', 'forbidden');
    const org = yield* organizationById(tx, organizationId);
    if (!org || (!actor.allProjects && !(yield* organizationConcernsProjects(tx, organizationId, actor.projectIds)))) {
      throw new AppError('not_found', 'organization_not_found');
    }
    return org;
  }

  /** The quote of a product in one of the secretary's villages, or 404. */
  function* quoteForSecretary(tx: Tx, actor: CurrentUser, id: number): Query<Quote> {
    const row = yield* quoteById(tx, id);
    if (!row || actor.role !== 'first_secretary' || !actor.villageIds.includes(row.villageId)) throw new AppError('not_found', 'quote_not_found');
    return row;
  }

  return {
    organizationOf: (user: CurrentUser) => db.uow.read((tx) => organizationOf(tx, user)),
    quotaStatus: (organizationId: number, year: number) => db.uow.read((tx) => quotaStatus(tx, organizationId, year)),
    quoteForBuyer: (user: CurrentUser, id: number) => db.uow.read((tx) => quoteForBuyer(tx, user, id)),

    /** Is this signed-in user a buyer acting for an organisation (the product page shows them a quote form)? */
    isOrganizationBuyer: async (user: CurrentUser | null) => Boolean(user && (await db.uow.read((tx) => organizationOf(tx, user)))),

    /** The buyer's organisation page: the organisation, this year's quota, its quotes and invoice requests. */
    overview: (user: CurrentUser) =>
      db.uow.read(function* (tx) {
        const org = yield* organizationOf(tx, user);
        if (!org) return null;
        return {
          organization: org,
          members: yield* memberCount(tx, org.id),
          quota: yield* quotaStatus(tx, org.id, cstYearOf(clock())),
          quotes: (yield* quotesOfOrganization(tx, org.id)).map(view),
          invoices: yield* invoiceRequestsOfOrganization(tx, org.id),
        };
      }),

    /**
     * A buyer without an organisation registers one and becomes its first member. A credit code
     * already registered cannot be claimed again (a coordinator adds further buyers); the yearly
     * quota is set by coordinators, never by the buyer.
     */
    registerOrganization: (user: CurrentUser, form: OrganizationForm, address: string | null): Promise<number> =>
      db.uow.write(function* (tx) {
        if (user.role !== 'buyer') throw new AppError('forbidden', 'forbidden');
        if (yield* organizationOfUser(tx, user.id)) throw new AppError('conflict', 'organization_already_member');
        if (yield* creditCodeTaken(tx, form.creditCode)) {
          throw new AppError('conflict', 'credit_code_taken', undefined, { fields: { creditCode: 'credit_code_taken' } });
        }
        const id = yield* insertOrganization(tx, { ...form, createdAt: clock() });
        yield* insertMember(tx, id, user.id);
        yield* audit.add(tx, { userId: user.id, action: 'organization.register', entityType: 'organization', entityId: id, after: { ...form }, address });
        return id;
      }),

    /**
     * The organisations a coordinator may see, with their members and this year's quota: every one
     * for a coordinator of all projects; for a scoped one, those that concern their projects.
     */
    organizationsForCoordinator: (actor: CurrentUser) =>
      db.uow.read(function* (tx) {
        if (actor.role !== 'coordinator') throw new AppError('forbidden', 'forbidden');
        const year = cstYearOf(clock());
        const out = [];
        for (const org of yield* organizationsFor(tx, actor.allProjects ? 'all' : actor.projectIds)) {
          out.push({ organization: org, members: yield* memberEmails(tx, org.id), quota: yield* quotaStatus(tx, org.id, year) });
        }
        return out;
      }),

    organizationForCoordinator: (actor: CurrentUser, organizationId: number) => db.uow.read((tx) => organizationForCoordinator(tx, actor, organizationId)),

    /** For the audit log: the organisations a coordinator of these projects sees, as an SQL condition on an entity id (text). */
    auditCondition: (projectIds: readonly number[]) => (entityId: string) => organizationConcerns(`CAST(${entityId} AS INTEGER)`, projectIds),

    /** A coordinator sets an organisation's quota for a year, fen. */
    setQuota: (actor: CurrentUser, organizationId: number, year: number, quotaFen: number, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        yield* organizationForCoordinator(tx, actor, organizationId);
        const before = (yield* quotaOf(tx, organizationId, year)) ?? null;
        yield* setQuota(tx, organizationId, year, quotaFen);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'organization.quota',
          entityType: 'organization',
          entityId: organizationId,
          before: { year, quotaFen: before },
          after: { year, quotaFen },
          address,
        });
      }),

    /** A coordinator adds a buyer account (one not acting for another organisation) to an organisation. */
    addMember: (actor: CurrentUser, organizationId: number, email: string, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        yield* organizationForCoordinator(tx, actor, organizationId);
        const user = yield* deps.userByEmail(tx, email);
        if (!user) throw new AppError('validation', 'user_not_found', undefined, { fields: { email: 'user_not_found' } });
        if (user.role !== 'buyer') throw new AppError('validation', 'organization_member_buyer', undefined, { fields: { email: 'organization_member_buyer' } });
        if (yield* organizationOfUser(tx, user.id))
          throw new AppError('conflict', 'organization_member_elsewhere', undefined, { fields: { email: 'organization_member_elsewhere' } });
        yield* insertMember(tx, organizationId, user.id);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'organization.member_add',
          entityType: 'organization',
          entityId: organizationId,
          after: { userId: user.id },
          address,
        });
      }),

    /**
     * An organisation buyer asks the village for a price: above the product's retail limit, or at
     * least its minimum order when it has no limit.
     */
    requestQuote: (user: CurrentUser, slug: string, form: QuoteRequestForm, address: string | null): Promise<number> =>
      db.uow.write(function* (tx) {
        const org = yield* requireOrganization(tx, user);
        const product = (yield* deps.catalog.readProductPage(tx, slug)).product;
        assertProjectRunning(product, saleDay(clock()), '_form');
        const unit = product.unit;
        if (product.maxRetailQty !== null && form.quantity <= product.maxRetailQty) {
          throw new AppError('validation', 'quote_within_retail', undefined, {
            params: { max: product.maxRetailQty, unit },
            fields: { quantity: 'quote_within_retail' },
          });
        }
        if (form.quantity < product.minOrderQty) {
          throw new AppError('validation', 'below_min_order', undefined, {
            params: { title: product.titleZh, min: product.minOrderQty, unit },
            fields: { quantity: 'below_min_order' },
          });
        }
        if (form.quantity > MAX_LINE_QUANTITY) {
          throw new AppError('validation', 'quantity_invalid', undefined, { params: { title: product.titleZh }, fields: { quantity: 'quantity_invalid' } });
        }
        const id = yield* insertQuote(tx, {
          organizationId: org.id,
          userId: user.id,
          productId: product.id,
          quantity: form.quantity,
          note: form.note,
          now: clock(),
        });
        yield* audit.add(tx, {
          userId: user.id,
          action: 'quote.request',
          entityType: 'quote',
          entityId: id,
          after: { organizationId: org.id, productId: product.id, quantity: form.quantity },
          address,
        });
        return id;
      }),

    quotesForSecretary: (actor: CurrentUser) =>
      db.uow.read(function* (tx) {
        return actor.role === 'first_secretary' ? (yield* quotesForVillages(tx, actor.villageIds)).map(view) : [];
      }),
    quoteForSecretary: (actor: CurrentUser, id: number) =>
      db.uow.read(function* (tx) {
        return view(yield* quoteForSecretary(tx, actor, id));
      }),

    /** The village's first secretary offers a unit price, valid to the end of the given day (CST). */
    answerQuote: (actor: CurrentUser, id: number, form: QuoteAnswerForm, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        const quote = yield* quoteForSecretary(tx, actor, id);
        const validUntil = startOfDay(form.validUntil)! + DAY_MS;
        if (validUntil <= clock()) throw new AppError('validation', 'quote_valid_until_past', undefined, { fields: { validUntil: 'quote_valid_until_past' } });
        if (!(yield* answerQuote(tx, quote.id, form.unitPrice, validUntil, actor.id, clock()))) {
          throw new AppError('conflict', 'quote_not_open', undefined, { fields: { unitPrice: 'quote_not_open' } });
        }
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'quote.answer',
          entityType: 'quote',
          entityId: quote.id,
          after: { unitPriceFen: form.unitPrice, validUntil: form.validUntil },
          address,
        });
      }),

    declineQuote: (actor: CurrentUser, id: number, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        const quote = yield* quoteForSecretary(tx, actor, id);
        if (!(yield* declineQuote(tx, quote.id, actor.id, clock()))) throw new AppError('conflict', 'quote_not_open');
        yield* audit.add(tx, { userId: actor.id, action: 'quote.decline', entityType: 'quote', entityId: quote.id, address });
      }),

    /**
     * The organisation accepts an answered quote before it expires: ONE transaction places the
     * order at the quoted price (stock reserved like any order), records the 发票 request, marks the
     * quote accepted (once), and checks the yearly quota: an order that takes the organisation
     * over it goes through only when the buyer has acknowledged the warning (a refusal undoes the
     * whole unit, the order with it).
     */
    acceptQuote: (user: CurrentUser, id: number, form: QuoteAcceptForm, address: string | null): Promise<PlacedOrder & { overQuota: boolean }> =>
      db.uow.write(function* (tx) {
        const org = yield* requireOrganization(tx, user);
        const quote = yield* quoteForBuyer(tx, user, id);
        if (quote.status === 'accepted') throw new AppError('conflict', 'quote_already_accepted');
        if (quote.status === 'declined') throw new AppError('conflict', 'quote_declined');
        if (quote.status !== 'answered' || quote.unitPriceFen === null) throw new AppError('conflict', 'quote_not_answered');
        if (quote.effectiveStatus === 'expired') throw new AppError('conflict', 'quote_expired', undefined, { params: { date: quote.validUntilDate ?? '' } });
        const placed = yield* orders.parts.placeDirect(
          tx,
          {
            lines: [{ productId: quote.productId, quantity: quote.quantity, unitPriceFen: quote.unitPriceFen }],
            buyerUserId: user.id,
            contact: {
              name: form.name,
              phone: form.phone,
              province: form.province,
              city: form.city,
              district: form.district,
              address: form.address,
              note: form.note,
              paymentMethod: 'offline',
            },
            delivery: 'ship',
            stock: 'online',
          },
          address,
        );
        const { order } = placed;
        if (!(yield* acceptQuote(tx, quote.id, order.id))) throw new AppError('conflict', 'quote_already_accepted');
        yield* insertInvoiceRequest(tx, {
          orderId: order.id,
          organizationId: org.id,
          title: form.invoiceTitle,
          taxNumber: form.taxNumber,
          email: form.invoiceEmail,
          now: clock(),
        });
        const quota = yield* quotaStatus(tx, org.id, cstYearOf(clock()));
        let overQuota = false;
        // The new order is already among the pending ones.
        if (quota.quotaFen !== null && quota.spentFen + quota.pendingFen > quota.quotaFen) {
          if (!form.quotaAcknowledged) {
            const before = Math.max(0, quota.quotaFen - quota.spentFen - (quota.pendingFen - order.totalFen));
            throw new AppError('conflict', 'quota_exceeded', undefined, {
              params: { total: formatFen(order.totalFen), remaining: formatFen(before) },
              fields: { quotaAcknowledged: 'quota_exceeded' },
            });
          }
          overQuota = true;
        }
        yield* audit.add(tx, {
          userId: user.id,
          action: 'quote.accept',
          entityType: 'quote',
          entityId: quote.id,
          after: {
            orderNumber: order.number,
            unitPriceFen: quote.unitPriceFen,
            quantity: quote.quantity,
            totalFen: order.totalFen,
            overQuota,
            quotaFen: quota.quotaFen,
            spentFen: quota.spentFen,
          },
          address,
        });
        return { ...placed, overQuota };
      }),

    /**
     * The 发票 requests of orders placed in a month (CST), for the accountant: UTF-8 with a BOM so
     * spreadsheet programs read the Chinese; cells that could start a formula are neutralised.
     */
    invoiceRequests: (actor: CurrentUser, from: number, to: number) =>
      db.uow.read(function* (tx) {
        if (actor.role !== 'coordinator') throw new AppError('forbidden', 'forbidden');
        return yield* invoiceRequestsBetween(tx, from, to, actor.allProjects ? 'all' : actor.projectIds);
      }),

    /** One invoice request as a coordinator may see it: only of orders in their projects; others are "not found". */
    invoiceRequestFor: (actor: CurrentUser, orderNumber: string) => db.uow.read((tx) => invoiceRequestFor(tx, actor, orderNumber)),

    /**
     * Records the invoice the accountant issued for a request: its number, date and file (a PDF as
     * uploaded, or a photo re-encoded). Recording again corrects it; the audit keeps what it was.
     */
    async recordIssuedInvoice(actor: CurrentUser, orderNumber: string, form: IssuedInvoiceForm, file: Buffer | null, address: string | null): Promise<void> {
      await db.uow.read((tx) => invoiceRequestFor(tx, actor, orderNumber));
      if (!file) throw new AppError('validation', 'invoice_file_required', undefined, { fields: { file: 'invoice_file_required' } });
      let encoded;
      try {
        encoded = await deps.media.encodeDocument(file);
      } catch (error) {
        if (error instanceof AppError && error.type === 'validation') throw new AppError('validation', error.code, undefined, { fields: { file: error.code } });
        throw error;
      }
      await db.uow.write(function* (tx) {
        const request = yield* invoiceRequestFor(tx, actor, orderNumber); // still in scope after the await
        const mediaId = yield* deps.media.addDocument(tx, encoded);
        yield* recordIssuedInvoice(tx, request.orderId, {
          invoiceNumber: form.invoiceNumber,
          invoiceDate: form.invoiceDate,
          invoiceMediaId: mediaId,
          issuedByUserId: actor.id,
          issuedAt: clock(),
        });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'invoice.issue',
          entityType: 'order',
          entityId: orderNumber,
          before: request.invoiceNumber ? { invoiceNumber: request.invoiceNumber, invoiceDate: formatDate(request.invoiceDate ?? 0) } : null,
          after: { invoiceNumber: form.invoiceNumber, invoiceDate: formatDate(form.invoiceDate), file: encoded.contentType },
          address,
        });
      });
    },

    /** The issued invoice's file for a coordinator in scope. */
    invoiceFileForCoordinator: (actor: CurrentUser, orderNumber: string): Promise<{ request: InvoiceRequest; file: Media }> =>
      db.uow.read(function* (tx) {
        const request = yield* invoiceRequestFor(tx, actor, orderNumber);
        return { request, file: yield* issuedFile(tx, request) };
      }),

    /** The issued invoice's file for a buyer of the organisation it was issued to; anyone else gets "not found". */
    invoiceFileForBuyer: (user: CurrentUser, orderNumber: string): Promise<{ request: InvoiceRequest; file: Media }> =>
      db.uow.read(function* (tx) {
        const org = yield* organizationOf(tx, user);
        const request = org ? yield* invoiceRequestOfOrganization(tx, orderNumber, org.id) : undefined;
        if (!request) throw new AppError('not_found', 'invoice_not_found');
        return { request, file: yield* issuedFile(tx, request) };
      }),
  };
}

export type InstitutionalService = ReturnType<typeof createInstitutionalService>;

/** One CSV cell: quoted when needed, and a leading = + - @ made inert (spreadsheet formula injection). */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Yuan with two decimals for a spreadsheet ("1234.50"). */
export const csvYuan = (fen: number) => fenToYuanInput(fen);
