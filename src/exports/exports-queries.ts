import { and, asc, eq, exists, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { consentAllows } from '../villages/consent-queries.js';
import { all, type Tx } from '../db/unit-of-work.js';
import { ledgerAccounts, ledgerEntries, ledgerTransactions, payouts } from '../ledger/schema.js';
import { orderLines, orders } from '../orders/schema.js';
import { projects } from '../projects/schema.js';
import { households, villages } from '../villages/schema.js';
import { wishes } from '../wishes/schema.js';

/**
 * What the auditors' exports read: whole periods of orders, lines, households, payouts and the
 * ledger, limited to a coordinator's projects. Read-only reports over the domains' tables, as the
 * reconciliation's are; nothing here writes.
 */

/** A coordinator's projects: every one, or those listed. */
export type Projects = 'all' | readonly number[];

/** Whether an order concerns the projects: a line in one of them, or a donation to one. */
function orderInProjects(tx: Tx, scope: Projects): SQL | undefined {
  if (scope === 'all') return undefined;
  const ids = [...scope];
  return or(
    exists(
      tx
        .select({ one: sql`1` })
        .from(orderLines)
        .where(and(eq(orderLines.orderId, orders.id), inArray(orderLines.projectId, ids))),
    ),
    exists(
      tx
        .select({ one: sql`1` })
        .from(wishes)
        .where(and(eq(wishes.orderId, orders.id), inArray(wishes.projectId, ids))),
    ),
  );
}

/** Orders placed in [from, to) that concern the projects, oldest first. */
export function* ordersBetween(tx: Tx, from: number, to: number, scope: Projects) {
  return yield* all(
    tx
      .select({
        number: orders.number,
        createdAt: orders.createdAt,
        status: orders.status,
        paymentMethod: orders.paymentMethod,
        deliveryMethod: orders.deliveryMethod,
        paidAt: orders.paidAt,
        subtotalFen: orders.subtotalFen,
        shippingFen: orders.shippingFen,
        totalFen: orders.totalFen,
        refundedFen: orders.refundedFen,
        donationProjectId: wishes.projectId,
      })
      .from(orders)
      .leftJoin(wishes, eq(wishes.orderId, orders.id))
      .where(and(gte(orders.createdAt, from), lt(orders.createdAt, to), orderInProjects(tx, scope)))
      .orderBy(asc(orders.createdAt), asc(orders.id)),
  );
}

/** The lines of orders placed in [from, to), only those of the projects, in order. */
export function* orderLinesBetween(tx: Tx, from: number, to: number, scope: Projects) {
  return yield* all(
    tx
      .select({
        orderNumber: orders.number,
        orderCreatedAt: orders.createdAt,
        orderStatus: orders.status,
        lineId: orderLines.id,
        titleZh: orderLines.titleZh,
        titleEn: orderLines.titleEn,
        projectZh: projects.nameZh,
        projectEn: projects.nameEn,
        villageZh: villages.nameZh,
        villageEn: villages.nameEn,
        quantity: orderLines.quantity,
        unit: orderLines.unit,
        unitPriceFen: orderLines.unitPriceFen,
        lineTotalFen: orderLines.lineTotalFen,
        refundedFen: orderLines.refundedFen,
      })
      .from(orderLines)
      .innerJoin(orders, eq(orders.id, orderLines.orderId))
      .innerJoin(projects, eq(projects.id, orderLines.projectId))
      .innerJoin(villages, eq(villages.id, orderLines.villageId))
      .where(and(gte(orders.createdAt, from), lt(orders.createdAt, to), scope === 'all' ? undefined : inArray(orderLines.projectId, [...scope])))
      .orderBy(asc(orders.createdAt), asc(orderLines.id)),
  );
}

/** Households registered before `to`: every one, or those listed (a coordinator's household scope). */
export function* householdsUpTo(tx: Tx, to: number, ids: 'all' | readonly number[]) {
  if (ids !== 'all' && ids.length === 0) return [];
  return yield* all(
    tx
      .select({
        id: households.id,
        villageId: households.villageId,
        villageZh: villages.nameZh,
        villageEn: villages.nameEn,
        displayName: households.displayName,
        consentPublic: consentAllows('namePublic'),
        members: households.members,
        createdAt: households.createdAt,
        realName: households.realName,
        phone: households.phone,
        idCardLast4: households.idCardLast4,
        povertyRegNo: households.povertyRegNo,
        bankAccountName: households.bankAccountName,
        bankAccountNo: households.bankAccountNo,
        bankName: households.bankName,
      })
      .from(households)
      .innerJoin(villages, eq(villages.id, households.villageId))
      .where(and(lt(households.createdAt, to), ids === 'all' ? undefined : inArray(households.id, [...ids])))
      .orderBy(asc(households.id)),
  );
}

/**
 * Payouts paid on the days from..to (inclusive, YYYY-MM-DD). A coordinator of some projects gets
 * only the payouts their projects paid part of, and only that part (as the payout pages show it):
 * the household entries of the payout's posting attributed to their projects.
 */
export function* payoutsBetween(tx: Tx, fromDay: string, toDay: string, scope: Projects) {
  if (scope !== 'all' && scope.length === 0) return [];
  const part =
    scope === 'all'
      ? sql<number>`${payouts.amountFen}`
      : sql<number | null>`(SELECT sum(${ledgerEntries.amountFen}) FROM ${ledgerEntries}
          JOIN ${ledgerTransactions} ON ${ledgerTransactions.id} = ${ledgerEntries.transactionId}
          JOIN ${ledgerAccounts} ON ${ledgerAccounts.id} = ${ledgerEntries.accountId}
          WHERE ${ledgerTransactions.payoutId} = ${payouts.id} AND ${ledgerAccounts.householdId} IS NOT NULL
            AND ${inArray(ledgerEntries.projectId, [...scope])})`;
  const rows = yield* all(
    tx
      .select({
        id: payouts.id,
        paidOn: payouts.paidOn,
        householdId: payouts.householdId,
        villageId: households.villageId,
        realName: households.realName,
        displayName: households.displayName,
        consentPublic: consentAllows('namePublic'),
        amountFen: payouts.amountFen,
        partFen: part.mapWith(Number),
        method: payouts.method,
        reference: payouts.reference,
        reversesPayoutId: payouts.reversesPayoutId,
        createdAt: payouts.createdAt,
      })
      .from(payouts)
      .innerJoin(households, eq(households.id, payouts.householdId))
      .where(and(gte(payouts.paidOn, fromDay), lte(payouts.paidOn, toDay)))
      .orderBy(asc(payouts.paidOn), asc(payouts.id)),
  );
  return rows.filter((r) => r.partFen !== null && !Number.isNaN(r.partFen) && r.partFen !== 0);
}

/**
 * Ledger entries of transactions posted in [from, to), each with its transaction's hash and the
 * previous one's, in chain order. A coordinator of some projects gets the entries attributed to
 * them (by the entry's order line, its own project, or its account's project).
 */
export function* ledgerEntriesBetween(tx: Tx, from: number, to: number, scope: Projects) {
  const attributed = sql<number | null>`coalesce(${orderLines.projectId}, ${ledgerEntries.projectId}, ${ledgerAccounts.projectId})`;
  return yield* all(
    tx
      .select({
        transactionId: ledgerTransactions.id,
        postedAt: ledgerTransactions.postedAt,
        period: ledgerTransactions.period,
        kind: ledgerTransactions.kind,
        idempotencyKey: ledgerTransactions.idempotencyKey,
        orderNumber: orders.number,
        payoutId: ledgerTransactions.payoutId,
        memo: ledgerTransactions.memo,
        prevHash: ledgerTransactions.prevHash,
        hash: ledgerTransactions.hash,
        entryId: ledgerEntries.id,
        account: ledgerAccounts.code,
        amountFen: ledgerEntries.amountFen,
      })
      .from(ledgerEntries)
      .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
      .leftJoin(orderLines, eq(orderLines.id, ledgerEntries.orderLineId))
      .leftJoin(orders, eq(orders.id, ledgerTransactions.orderId))
      .where(
        and(
          gte(ledgerTransactions.postedAt, from),
          lt(ledgerTransactions.postedAt, to),
          scope === 'all' ? undefined : scope.length === 0 ? sql`1 = 0` : inArray(attributed, [...scope]),
        ),
      )
      .orderBy(asc(ledgerTransactions.id), asc(ledgerEntries.id)),
  );
}
