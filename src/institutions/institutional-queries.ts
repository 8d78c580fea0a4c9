import { and, desc, eq, exists, gte, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { users } from '../accounts/schema.js';
import { products } from '../catalog/schema.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { orderLines, orders } from '../orders/schema.js';
import { producers, villages } from '../villages/schema.js';
import { invoiceRequests, organizationMembers, organizationQuotas, organizations, quotes } from './schema.js';

export type Organization = typeof organizations.$inferSelect;
export type QuoteStatus = (typeof quotes.$inferSelect)['status'];

/**
 * An SQL condition that holds when the organisation whose id is `organizationId` (an SQL expression)
 * concerns some projects: it asked a price for a product of one of them, or one of its buyers
 * ordered a line of one. Only those organisations are shown to a coordinator of those projects.
 */
/** The same as an SQL string, for the audit log's visibility conditions (src/audit, not yet on the builder). */
export function organizationConcerns(organizationId: string, projectIds: readonly number[]): string {
  const list = projectIds.length ? projectIds.map(Number).join(',') : 'NULL';
  return `(EXISTS (SELECT 1 FROM quotes oq JOIN products op ON op.id = oq.product_id WHERE oq.organization_id = ${organizationId} AND op.project_id IN (${list}))
    OR EXISTS (SELECT 1 FROM organization_members om JOIN orders oo ON oo.buyer_user_id = om.user_id JOIN order_lines ol ON ol.order_id = oo.id
               WHERE om.organization_id = ${organizationId} AND ol.project_id IN (${list})))`;
}

/** organizationConcerns on the builder, for the organisation whose id is the column or value given. */
function concernsProjects(tx: Tx, organizationId: typeof organizations.id | number, projectIds: readonly number[]): SQL {
  if (projectIds.length === 0) return sql`0`;
  const ids = [...projectIds];
  return or(
    exists(
      tx
        .select({ one: sql`1` })
        .from(quotes)
        .innerJoin(products, eq(products.id, quotes.productId))
        .where(and(eq(quotes.organizationId, organizationId), inArray(products.projectId, ids))),
    ),
    exists(
      tx
        .select({ one: sql`1` })
        .from(organizationMembers)
        .innerJoin(orders, eq(orders.buyerUserId, organizationMembers.userId))
        .innerJoin(orderLines, eq(orderLines.orderId, orders.id))
        .where(and(eq(organizationMembers.organizationId, organizationId), inArray(orderLines.projectId, ids))),
    ),
  )!;
}

// ----- organisations -----

export function* organizationOfUser(tx: Tx, userId: number): Query<Organization | undefined> {
  const row = yield* one(
    tx
      .select({ organization: organizations })
      .from(organizations)
      .innerJoin(organizationMembers, eq(organizationMembers.organizationId, organizations.id))
      .where(eq(organizationMembers.userId, userId)),
  );
  return row?.organization;
}

export function* organizationById(tx: Tx, id: number): Query<Organization | undefined> {
  return yield* one(tx.select().from(organizations).where(eq(organizations.id, id)));
}

export function* creditCodeTaken(tx: Tx, creditCode: string): Query<boolean> {
  return (yield* one(tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.creditCode, creditCode)))) !== undefined;
}

export function* insertOrganization(tx: Tx, o: Omit<Organization, 'id'>): Query<number> {
  return (yield* one(tx.insert(organizations).values(o).returning({ id: organizations.id })))!.id;
}

export function* insertMember(tx: Tx, organizationId: number, userId: number): Query<void> {
  yield* run(tx.insert(organizationMembers).values({ organizationId, userId }));
}

export function* memberCount(tx: Tx, organizationId: number): Query<number> {
  const row = yield* one(
    tx
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(organizationMembers)
      .where(eq(organizationMembers.organizationId, organizationId)),
  );
  return row?.n ?? 0;
}

export function* organizationConcernsProjects(tx: Tx, organizationId: number, projectIds: readonly number[]): Query<boolean> {
  const row = yield* one(
    tx
      .select({ id: organizations.id })
      .from(organizations)
      .where(and(eq(organizations.id, organizationId), concernsProjects(tx, organizations.id, projectIds))),
  );
  return row !== undefined;
}

/** Every organisation, or those that concern some projects (organizationConcerns). */
export function* organizationsFor(tx: Tx, projectIds: readonly number[] | 'all'): Query<Organization[]> {
  return yield* all(
    tx
      .select()
      .from(organizations)
      .where(projectIds === 'all' ? undefined : concernsProjects(tx, organizations.id, projectIds))
      .orderBy(organizations.name),
  );
}

export function* memberEmails(tx: Tx, organizationId: number): Query<string[]> {
  const rows = yield* all(
    tx
      .select({ email: users.email })
      .from(organizationMembers)
      .innerJoin(users, eq(users.id, organizationMembers.userId))
      .where(eq(organizationMembers.organizationId, organizationId))
      .orderBy(users.email),
  );
  return rows.map((r) => r.email);
}

// ----- quotas -----

/** The organisation's quota for a calendar year, fen; undefined when none is set. */
export function* quotaOf(tx: Tx, organizationId: number, year: number): Query<number | undefined> {
  const row = yield* one(
    tx
      .select({ quotaFen: organizationQuotas.quotaFen })
      .from(organizationQuotas)
      .where(and(eq(organizationQuotas.organizationId, organizationId), eq(organizationQuotas.year, year))),
  );
  return row?.quotaFen;
}

export function* setQuota(tx: Tx, organizationId: number, year: number, quotaFen: number): Query<void> {
  yield* run(
    tx
      .insert(organizationQuotas)
      .values({ organizationId, year, quotaFen })
      .onConflictDoUpdate({ target: [organizationQuotas.organizationId, organizationQuotas.year], set: { quotaFen } }),
  );
}

/**
 * What the organisation's members have paid in [from, to), net of what was refunded on those
 * orders, fen; and what their orders placed in the period still wait to be paid.
 */
export function* usageOf(tx: Tx, organizationId: number, from: number, to: number): Query<{ spentFen: number; pendingFen: number }> {
  const row = yield* one(
    tx
      .select({
        spentFen:
          sql<number>`coalesce(sum(CASE WHEN ${and(gte(orders.paidAt, from), lt(orders.paidAt, to))} THEN ${orders.totalFen} - ${orders.refundedFen} ELSE 0 END), 0)`.mapWith(
            Number,
          ),
        pendingFen:
          sql<number>`coalesce(sum(CASE WHEN ${and(eq(orders.status, 'pending_payment'), gte(orders.createdAt, from), lt(orders.createdAt, to))} THEN ${orders.totalFen} ELSE 0 END), 0)`.mapWith(
            Number,
          ),
      })
      .from(orders)
      .innerJoin(organizationMembers, eq(organizationMembers.userId, orders.buyerUserId))
      .where(eq(organizationMembers.organizationId, organizationId)),
  );
  return row ?? { spentFen: 0, pendingFen: 0 };
}

// ----- quotes -----

function selectQuotes(tx: Tx) {
  return tx
    .select({
      id: quotes.id,
      organizationId: quotes.organizationId,
      organizationName: organizations.name,
      requestedByUserId: quotes.requestedByUserId,
      requestedByEmail: users.email,
      productId: quotes.productId,
      productSlug: products.slug,
      titleZh: products.titleZh,
      titleEn: products.titleEn,
      unit: products.unit,
      /** The product's current retail price, fen. */
      retailPriceFen: products.priceFen,
      villageId: villages.id,
      villageZh: villages.nameZh,
      villageEn: villages.nameEn,
      quantity: quotes.quantity,
      note: quotes.note,
      status: quotes.status,
      unitPriceFen: quotes.unitPriceFen,
      validUntil: quotes.validUntil,
      answeredAt: quotes.answeredAt,
      orderId: quotes.orderId,
      orderNumber: orders.number,
      createdAt: quotes.createdAt,
    })
    .from(quotes)
    .innerJoin(users, eq(users.id, quotes.requestedByUserId))
    .innerJoin(products, eq(products.id, quotes.productId))
    .innerJoin(producers, eq(producers.id, products.producerId))
    .innerJoin(villages, eq(villages.id, producers.villageId))
    .leftJoin(organizations, eq(organizations.id, quotes.organizationId))
    .leftJoin(orders, eq(orders.id, quotes.orderId));
}

export type Quote = NonNullable<ReturnType<ReturnType<typeof selectQuotes>['get']>>;

export function* insertQuote(
  tx: Tx,
  r: { organizationId: number; userId: number; productId: number; quantity: number; note: string | null; now: number },
): Query<number> {
  const row = yield* one(
    tx
      .insert(quotes)
      .values({
        organizationId: r.organizationId,
        requestedByUserId: r.userId,
        productId: r.productId,
        quantity: r.quantity,
        note: r.note,
        status: 'requested',
        createdAt: r.now,
      })
      .returning({ id: quotes.id }),
  );
  return row!.id;
}

export function* quoteById(tx: Tx, id: number): Query<Quote | undefined> {
  return yield* one(selectQuotes(tx).where(eq(quotes.id, id)));
}

export function* quotesOfOrganization(tx: Tx, organizationId: number): Query<Quote[]> {
  return yield* all(selectQuotes(tx).where(eq(quotes.organizationId, organizationId)).orderBy(desc(quotes.id)).limit(200));
}

export function* quotesForVillages(tx: Tx, villageIds: readonly number[]): Query<Quote[]> {
  if (villageIds.length === 0) return [];
  return yield* all(
    selectQuotes(tx)
      .where(inArray(villages.id, [...villageIds]))
      .orderBy(sql`CASE ${quotes.status} WHEN 'requested' THEN 0 ELSE 1 END`, desc(quotes.id))
      .limit(200),
  );
}

/** The village's secretary answers a request once; false when it was no longer a request. */
export function* answerQuote(tx: Tx, id: number, unitPriceFen: number, validUntil: number, userId: number, now: number): Query<boolean> {
  const changed = yield* run(
    tx
      .update(quotes)
      .set({ status: 'answered', unitPriceFen, validUntil, answeredByUserId: userId, answeredAt: now })
      .where(and(eq(quotes.id, id), eq(quotes.status, 'requested'))),
  );
  return changed === 1;
}

export function* declineQuote(tx: Tx, id: number, userId: number, now: number): Query<boolean> {
  const changed = yield* run(
    tx
      .update(quotes)
      .set({ status: 'declined', answeredByUserId: userId, answeredAt: now })
      .where(and(eq(quotes.id, id), eq(quotes.status, 'requested'))),
  );
  return changed === 1;
}

/** Accepted once: false when it was no longer an open answer. */
export function* acceptQuote(tx: Tx, id: number, orderId: number): Query<boolean> {
  const changed = yield* run(
    tx
      .update(quotes)
      .set({ status: 'accepted', orderId })
      .where(and(eq(quotes.id, id), eq(quotes.status, 'answered'))),
  );
  return changed === 1;
}

// ----- invoice requests -----

export function* insertInvoiceRequest(
  tx: Tx,
  r: { orderId: number; organizationId: number | null; title: string; taxNumber: string; email: string | null; now: number },
): Query<void> {
  yield* run(
    tx.insert(invoiceRequests).values({
      orderId: r.orderId,
      organizationId: r.organizationId,
      title: r.title,
      taxNumber: r.taxNumber,
      email: r.email,
      createdAt: r.now,
    }),
  );
}

function selectInvoiceRequests(tx: Tx) {
  return tx
    .select({
      orderId: invoiceRequests.orderId,
      orderNumber: orders.number,
      orderStatus: orders.status,
      totalFen: orders.totalFen,
      refundedFen: orders.refundedFen,
      orderCreatedAt: orders.createdAt,
      organizationName: organizations.name,
      title: invoiceRequests.title,
      taxNumber: invoiceRequests.taxNumber,
      email: invoiceRequests.email,
      organizationId: invoiceRequests.organizationId,
      invoiceNumber: invoiceRequests.invoiceNumber,
      invoiceDate: invoiceRequests.invoiceDate,
      invoiceMediaId: invoiceRequests.invoiceMediaId,
      issuedAt: invoiceRequests.issuedAt,
    })
    .from(invoiceRequests)
    .innerJoin(orders, eq(orders.id, invoiceRequests.orderId))
    .leftJoin(organizations, eq(organizations.id, invoiceRequests.organizationId));
}

export type InvoiceRequest = NonNullable<ReturnType<ReturnType<typeof selectInvoiceRequests>['get']>>;

export function* invoiceRequestsOfOrganization(tx: Tx, organizationId: number): Query<InvoiceRequest[]> {
  return yield* all(selectInvoiceRequests(tx).where(eq(invoiceRequests.organizationId, organizationId)).orderBy(desc(orders.id)).limit(200));
}

/** Invoice requests of orders placed in [from, to); all of them, or those with a line in one of the projects. */
export function* invoiceRequestsBetween(tx: Tx, from: number, to: number, projectIds: readonly number[] | 'all'): Query<InvoiceRequest[]> {
  const inProjects =
    projectIds === 'all'
      ? undefined
      : projectIds.length === 0
        ? sql`0`
        : exists(
            tx
              .select({ one: sql`1` })
              .from(orderLines)
              .where(and(eq(orderLines.orderId, orders.id), inArray(orderLines.projectId, [...projectIds]))),
          );
  return yield* all(
    selectInvoiceRequests(tx)
      .where(and(gte(orders.createdAt, from), lt(orders.createdAt, to), inProjects))
      .orderBy(orders.createdAt, orders.id),
  );
}

/** Whether an order has a line in one of the projects (a coordinator's scope); every order for 'all'. */
function orderInProjects(tx: Tx, projectIds: readonly number[] | 'all') {
  if (projectIds === 'all') return undefined;
  return exists(
    tx
      .select({ one: sql`1` })
      .from(orderLines)
      .where(and(eq(orderLines.orderId, orders.id), inArray(orderLines.projectId, [...projectIds]))),
  );
}

/** The invoice request of an order, when the order reaches the given projects. */
export function* invoiceRequestOfOrder(tx: Tx, orderNumber: string, projectIds: readonly number[] | 'all'): Query<InvoiceRequest | undefined> {
  return yield* one(selectInvoiceRequests(tx).where(and(eq(orders.number, orderNumber), orderInProjects(tx, projectIds))));
}

/** The invoice request of an order placed for an organisation (what its buyers may see). */
export function* invoiceRequestOfOrganization(tx: Tx, orderNumber: string, organizationId: number): Query<InvoiceRequest | undefined> {
  return yield* one(selectInvoiceRequests(tx).where(and(eq(orders.number, orderNumber), eq(invoiceRequests.organizationId, organizationId))));
}

/** Records (or corrects) the issued invoice of a request. */
export function* recordIssuedInvoice(
  tx: Tx,
  orderId: number,
  issued: { invoiceNumber: string; invoiceDate: number; invoiceMediaId: number; issuedByUserId: number; issuedAt: number },
): Query<void> {
  yield* run(tx.update(invoiceRequests).set(issued).where(eq(invoiceRequests.orderId, orderId)));
}
