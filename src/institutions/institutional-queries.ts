import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import type { OrderStatus } from '../orders/schema.js';

export interface OrganizationRow {
  id: number;
  name: string;
  creditCode: string;
  invoiceTitle: string;
  taxNumber: string;
  createdAt: number;
}

/**
 * An SQL condition that holds when the organisation whose id is `organizationId` (an SQL expression)
 * concerns some projects: it asked a price for a product of one of them, or one of its buyers
 * ordered a line of one. Only those organisations are shown to a coordinator of those projects.
 */
export function organizationConcerns(organizationId: string, projectIds: readonly number[]): string {
  const list = projectIds.length ? projectIds.map(Number).join(',') : 'NULL';
  return `(EXISTS (SELECT 1 FROM quotes oq JOIN products op ON op.id = oq.product_id WHERE oq.organization_id = ${organizationId} AND op.project_id IN (${list}))
    OR EXISTS (SELECT 1 FROM organization_members om JOIN orders oo ON oo.buyer_user_id = om.user_id JOIN order_lines ol ON ol.order_id = oo.id
               WHERE om.organization_id = ${organizationId} AND ol.project_id IN (${list})))`;
}

export type QuoteStatus = 'requested' | 'answered' | 'accepted' | 'declined' | 'expired';

export interface QuoteRow {
  id: number;
  organizationId: number | null;
  organizationName: string | null;
  requestedByUserId: number;
  requestedByEmail: string;
  productId: number;
  productSlug: string;
  titleZh: string;
  titleEn: string | null;
  unit: string;
  /** The product's current retail price, fen. */
  retailPriceFen: number;
  villageId: number;
  villageZh: string;
  villageEn: string | null;
  quantity: number;
  note: string | null;
  status: QuoteStatus;
  unitPriceFen: number | null;
  validUntil: number | null;
  answeredAt: number | null;
  orderId: number | null;
  orderNumber: string | null;
  createdAt: number;
}

export interface InvoiceRequestRow {
  orderId: number;
  orderNumber: string;
  orderStatus: OrderStatus;
  totalFen: number;
  refundedFen: number;
  orderCreatedAt: number;
  organizationName: string | null;
  title: string;
  taxNumber: string;
  email: string | null;
}

const ORG_COLUMNS = `o.id, o.name, o.credit_code AS creditCode, o.invoice_title AS invoiceTitle, o.tax_number AS taxNumber, o.created_at AS createdAt`;
const QUOTE_SELECT = `SELECT q.id, q.organization_id AS organizationId, org.name AS organizationName, q.requested_by_user_id AS requestedByUserId,
    u.email AS requestedByEmail, q.product_id AS productId, p.slug AS productSlug, p.title_zh AS titleZh, p.title_en AS titleEn, p.unit,
    p.price_fen AS retailPriceFen, v.id AS villageId, v.name_zh AS villageZh, v.name_en AS villageEn, q.quantity, q.note, q.status,
    q.unit_price_fen AS unitPriceFen, q.valid_until AS validUntil, q.answered_at AS answeredAt, q.order_id AS orderId, ord.number AS orderNumber,
    q.created_at AS createdAt
  FROM quotes q
  JOIN users u ON u.id = q.requested_by_user_id
  JOIN products p ON p.id = q.product_id
  JOIN producers pr ON pr.id = p.producer_id
  JOIN villages v ON v.id = pr.village_id
  LEFT JOIN organizations org ON org.id = q.organization_id
  LEFT JOIN orders ord ON ord.id = q.order_id`;
const INVOICE_SELECT = `SELECT ir.order_id AS orderId, o.number AS orderNumber, o.status AS orderStatus, o.total_fen AS totalFen, o.refunded_fen AS refundedFen,
    o.created_at AS orderCreatedAt, org.name AS organizationName, ir.title, ir.tax_number AS taxNumber, ir.email
  FROM invoice_requests ir JOIN orders o ON o.id = ir.order_id LEFT JOIN organizations org ON org.id = ir.organization_id`;

/** All SQL of organisations, their quotas, quotes and invoice requests. */
export function createInstitutionalQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn).immediate(),

    // ----- organisations -----
    organizationOfUser: (userId: number) =>
      q(`SELECT ${ORG_COLUMNS} FROM organizations o JOIN organization_members m ON m.organization_id = o.id WHERE m.user_id = ?`).get(userId) as
        | OrganizationRow
        | undefined,
    organizationById: (id: number) => q(`SELECT ${ORG_COLUMNS} FROM organizations o WHERE o.id = ?`).get(id) as OrganizationRow | undefined,
    creditCodeTaken: (creditCode: string) => q(`SELECT 1 FROM organizations WHERE credit_code = ?`).get(creditCode) !== undefined,
    insertOrganization: (o: Omit<OrganizationRow, 'id'>) =>
      Number(
        q(`INSERT INTO organizations (name, credit_code, invoice_title, tax_number, created_at) VALUES (?,?,?,?,?)`).run(
          o.name,
          o.creditCode,
          o.invoiceTitle,
          o.taxNumber,
          o.createdAt,
        ).lastInsertRowid,
      ),
    insertMember: (organizationId: number, userId: number) =>
      q(`INSERT INTO organization_members (organization_id, user_id) VALUES (?, ?)`).run(organizationId, userId),
    memberCount: (organizationId: number) =>
      (q(`SELECT count(*) AS n FROM organization_members WHERE organization_id = ?`).get(organizationId) as { n: number }).n,
    concernsProjects: (organizationId: number, projectIds: readonly number[]) =>
      q(`SELECT 1 FROM organizations o WHERE o.id = ? AND ${organizationConcerns('o.id', projectIds)}`).get(organizationId) !== undefined,
    /** Every organisation, or those that concern some projects (organizationConcerns). */
    organizationsFor: (projectIds: readonly number[] | 'all') =>
      q(
        `SELECT ${ORG_COLUMNS} FROM organizations o ${projectIds === 'all' ? '' : `WHERE ${organizationConcerns('o.id', projectIds)}`} ORDER BY o.name`,
      ).all() as OrganizationRow[],
    memberEmails: (organizationId: number) =>
      (
        q(`SELECT u.email FROM organization_members m JOIN users u ON u.id = m.user_id WHERE m.organization_id = ? ORDER BY u.email`).all(organizationId) as {
          email: string;
        }[]
      ).map((r) => r.email),

    // ----- quotas -----
    /** The organisation's quota for a calendar year, fen; undefined when none is set. */
    quotaOf: (organizationId: number, year: number) =>
      (
        q(`SELECT quota_fen AS quotaFen FROM organization_quotas WHERE organization_id = ? AND year = ?`).get(organizationId, year) as
          | { quotaFen: number }
          | undefined
      )?.quotaFen,
    setQuota: (organizationId: number, year: number, quotaFen: number) =>
      q(
        `INSERT INTO organization_quotas (organization_id, year, quota_fen) VALUES (?, ?, ?)
         ON CONFLICT(organization_id, year) DO UPDATE SET quota_fen = excluded.quota_fen`,
      ).run(organizationId, year, quotaFen),
    /**
     * What the organisation's members have paid in [from, to), net of what was refunded on those
     * orders, fen; and what their orders placed in the period still wait to be paid.
     */
    usageOf: (organizationId: number, from: number, to: number) =>
      q(
        `SELECT
           coalesce(sum(CASE WHEN o.paid_at >= ? AND o.paid_at < ? THEN o.total_fen - o.refunded_fen ELSE 0 END), 0) AS spentFen,
           coalesce(sum(CASE WHEN o.status = 'pending_payment' AND o.created_at >= ? AND o.created_at < ? THEN o.total_fen ELSE 0 END), 0) AS pendingFen
         FROM orders o JOIN organization_members m ON m.user_id = o.buyer_user_id
         WHERE m.organization_id = ?`,
      ).get(from, to, from, to, organizationId) as { spentFen: number; pendingFen: number },

    // ----- quotes -----
    insertQuote: (r: { organizationId: number; userId: number; productId: number; quantity: number; note: string | null; now: number }) =>
      Number(
        q(`INSERT INTO quotes (organization_id, requested_by_user_id, product_id, quantity, note, status, created_at) VALUES (?,?,?,?,?,'requested',?)`).run(
          r.organizationId,
          r.userId,
          r.productId,
          r.quantity,
          r.note,
          r.now,
        ).lastInsertRowid,
      ),
    quoteById: (id: number) => q(`${QUOTE_SELECT} WHERE q.id = ?`).get(id) as QuoteRow | undefined,
    quotesOfOrganization: (organizationId: number) =>
      q(`${QUOTE_SELECT} WHERE q.organization_id = ? ORDER BY q.id DESC LIMIT 200`).all(organizationId) as QuoteRow[],
    quotesForVillages: (villageIds: readonly number[]) =>
      villageIds.length === 0
        ? []
        : (q(
            `${QUOTE_SELECT} WHERE v.id IN (${villageIds.map(Number).join(',')}) ORDER BY CASE q.status WHEN 'requested' THEN 0 ELSE 1 END, q.id DESC LIMIT 200`,
          ).all() as QuoteRow[]),
    /** The village's secretary answers a request once; false when it was no longer a request. */
    answerQuote: (id: number, unitPriceFen: number, validUntil: number, userId: number, now: number) =>
      q(
        `UPDATE quotes SET status = 'answered', unit_price_fen = ?, valid_until = ?, answered_by_user_id = ?, answered_at = ?
         WHERE id = ? AND status = 'requested'`,
      ).run(unitPriceFen, validUntil, userId, now, id).changes === 1,
    declineQuote: (id: number, userId: number, now: number) =>
      q(`UPDATE quotes SET status = 'declined', answered_by_user_id = ?, answered_at = ? WHERE id = ? AND status = 'requested'`).run(userId, now, id)
        .changes === 1,
    /** Accepted once: false when it was no longer an open answer. */
    acceptQuote: (id: number, orderId: number) =>
      q(`UPDATE quotes SET status = 'accepted', order_id = ? WHERE id = ? AND status = 'answered'`).run(orderId, id).changes === 1,

    // ----- invoice requests -----
    insertInvoiceRequest: (r: { orderId: number; organizationId: number | null; title: string; taxNumber: string; email: string | null; now: number }) =>
      q(`INSERT INTO invoice_requests (order_id, organization_id, title, tax_number, email, created_at) VALUES (?,?,?,?,?,?)`).run(
        r.orderId,
        r.organizationId,
        r.title,
        r.taxNumber,
        r.email,
        r.now,
      ),
    invoiceRequestsOfOrganization: (organizationId: number) =>
      q(`${INVOICE_SELECT} WHERE ir.organization_id = ? ORDER BY o.id DESC LIMIT 200`).all(organizationId) as InvoiceRequestRow[],
    /** Invoice requests of orders placed in [from, to); all of them, or those with a line in one of the projects. */
    invoiceRequestsBetween: (from: number, to: number, projectIds: readonly number[] | 'all') =>
      q(
        `${INVOICE_SELECT} WHERE o.created_at >= ? AND o.created_at < ?
         ${projectIds === 'all' ? '' : `AND EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.project_id IN (${projectIds.length ? projectIds.map(Number).join(',') : 'NULL'}))`}
         ORDER BY o.created_at, o.id`,
      ).all(from, to) as InvoiceRequestRow[],
  };
}

export type InstitutionalQueries = ReturnType<typeof createInstitutionalQueries>;
