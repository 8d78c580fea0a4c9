import { and, asc, between, count, desc, eq, inArray, max, min, type SQL, sql } from 'drizzle-orm';
import { users } from '../accounts/schema.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { ledgerAccounts, ledgerEntries, ledgerMemoTexts, ledgerTransactions, periodLocks } from '../ledger/schema.js';
import { orders } from '../orders/schema.js';
import { reconciliationNotes } from './schema.js';

/**
 * The SQL of reconciliation: a handful of set-wide queries per period, each walking an index
 * (ledger_transactions.period, payments.confirmed_at, orders.paid_at, the unique idempotency key),
 * never one query per order. The page asks only for the rows that may mismatch, so a clean month
 * hands almost nothing to JavaScript.
 */

/** One succeeded payment of the period, or one order-payment posting of the period without any. */
export interface PaymentMatchRow {
  /** The order's payment posting (see ORDER_PAYMENT), when there is one. */
  txId: number | null;
  txHash: string | null;
  txPeriod: string | null;
  /**
   * The posting's entries on the clearing account of the payment's channel (fen; a debit is
   * positive). Entries on other clearing accounts are looked up only for mismatching rows.
   */
  txClearingFen: number | null;
  paymentId: number | null;
  channel: string | null;
  amountFen: number | null;
  feeFen: number | null;
  /** A Stripe fee charged in another currency: that currency, the fee in its minor units, and the rate it was converted at (null: not converted). */
  settlementCurrency: string | null;
  settlementFeeMinor: number | null;
  settlementExchangeRate: string | null;
  reference: string | null;
  stripeChargeId: string | null;
  stripePaymentIntentId: string | null;
  confirmedAt: number | null;
  orderId: number | null;
  orderNumber: string | null;
  orderStatus: string | null;
  orderTotalFen: number | null;
  orderPaidAt: number | null;
  /** The processor-fee posting ('stripe-fee:<chargeId>'), when there is one. */
  feeTxId: number | null;
  feeTxPeriod: string | null;
  /** Fen debited to processor-fee accounts by that posting. */
  feePostedFen: number | null;
  /** Fen on the payment channel's clearing account in that posting (a credit: negative). */
  feeClearingFen: number | null;
}

/** One refund posting of the period, or one succeeded refund of the period without a posting. */
export interface RefundMatchRow {
  txId: number | null;
  txHash: string | null;
  txKey: string | null;
  txClearingFen: number | null;
  txClearingOwnFen: number | null;
  refundId: number | null;
  refundStatus: string | null;
  amountFen: number | null;
  settledAt: number | null;
  stripeRefundId: string | null;
  /** The channel the money went back through: the refunded payment's, else the order's method. */
  channel: string | null;
  orderId: number | null;
  orderNumber: string | null;
}

/** A processor-fee posting of the period whose payment is not one of the period's (or is none). */
export interface FeePostingRow {
  txId: number;
  txHash: string;
  txKey: string;
  orderId: number | null;
  orderNumber: string | null;
  feePostedFen: number;
  clearingFen: number;
  /** The payment it is the fee of (same order, same Stripe charge), if any. */
  paymentChannel: string | null;
  paymentFeeFen: number | null;
  /** That payment's fee as charged in another currency, if it was. */
  paymentSettlementCurrency: string | null;
  paymentSettlementFeeMinor: number | null;
}

/** A posting of the period on a clearing account that is no payment, refund or fee. */
export interface OtherClearingRow {
  txId: number;
  txHash: string;
  txKey: string;
  kind: string;
  channel: string;
  orderId: number | null;
  orderNumber: string | null;
  amountFen: number;
}

export interface PaymentTotalsRow {
  channel: string;
  /** Null: the fees were charged in CNY (or there were none). */
  settlementCurrency: string | null;
  payments: number;
  receivedFen: number;
  feesFen: number;
  /** The fees as charged in the settlement currency, its minor units (0 for CNY). */
  chargedMinor: number;
}

export interface PaidOrderWithoutPaymentRow {
  orderId: number;
  orderNumber: string;
  orderStatus: string;
  orderTotalFen: number;
  paidAt: number;
}

/** A coordinator's note on a mismatch of a period. */
export type NoteRow = Pick<typeof reconciliationNotes.$inferSelect, 'id' | 'mismatchKey' | 'note' | 'createdAt'> & { author: string | null };

/** A closed period and who closed it. */
export type PeriodLockRow = Pick<typeof periodLocks.$inferSelect, 'period' | 'lockedAt'> & { lockedBy: string | null };

/** Sums over one posting's entries (through the posting's index), for the short lists: refunds, odd fees. */
const CLEARING_SUM = (tx: SQL, channel?: SQL) =>
  sql`(SELECT sum(e.amount_fen) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
     WHERE e.transaction_id = ${tx} AND a.kind = 'clearing'${channel ? sql` AND a.channel = ${channel}` : sql``})`;
const FEE_SUM = (tx: SQL) =>
  sql`(SELECT sum(e.amount_fen) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
     WHERE e.transaction_id = ${tx} AND a.kind = 'processor_fees')`;

/**
 * Posting `tx` is the payment posting of order `order`: an order has at most one posting of kind
 * 'order_payment' (ledger_transactions_order_payment_uq, which this condition reads), whichever way
 * the money came in: Stripe, bank transfer or an outlet's till. It is matched by order and kind, not
 * by key, so payments posted under an older key (counter sales once used 'counter-sale:<id>') match too.
 */
const ORDER_PAYMENT = (tx: string, order: string) => sql.raw(`${tx}.order_id = ${order} AND ${tx}.kind = 'order_payment'`);

/** Whether payment `p` belongs to the period: its order-payment posting is in it, or it was never posted and was received in it. */
const PAYMENT_IN_PERIOD = (p: string, period: string, from: number, to: number) =>
  sql`(EXISTS (SELECT 1 FROM ledger_transactions t WHERE ${ORDER_PAYMENT('t', `${p}.order_id`)} AND t.period = ${period})
  OR (NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE ${ORDER_PAYMENT('t', `${p}.order_id`)}) AND ${sql.raw(p)}.confirmed_at >= ${from} AND ${sql.raw(p)}.confirmed_at < ${to}))`;

/*
 * The reconciliation's queries, as steps of a unit of work. They are set-wide reports over unions,
 * correlated sums and anti-joins that drizzle's builder cannot say; their SQL stays written out
 * (the month's report must stay within its time on the scale data), with every value a parameter.
 */

/**
 * Every order-payment posting of the period with the succeeded payment rows of its order
 * (none: the payment row is missing), then every succeeded payment received in the period
 * whose order has no order-payment posting at all (paid after expiry, never posted …).
 * `suspectOnly` keeps the rows that may mismatch (a superset of what classifyPayment flags;
 * every row of the second part is one), so a clean month hands almost nothing to JavaScript.
 */
export function* paymentMatches(tx: Tx, period: string, from: number, to: number, options: { suspectOnly?: boolean } = {}): Query<PaymentMatchRow[]> {
  // The clearing and fee accounts are few: their ids go into the SQL, so each sum below is one
  // seek of the (account_id, transaction_id) index rather than a walk over the posting's entries.
  const accounts = yield* all(
    tx
      .select({ id: ledgerAccounts.id, kind: ledgerAccounts.kind, channel: ledgerAccounts.channel })
      .from(ledgerAccounts)
      .where(inArray(ledgerAccounts.kind, ['clearing', 'processor_fees']))
      .orderBy(asc(ledgerAccounts.id)),
  );
  const clearing = accounts.filter((a) => a.kind === 'clearing');
  const feeIds = accounts.filter((a) => a.kind === 'processor_fees').map((a) => a.id);
  const accountOf = (channel: SQL) =>
    clearing.length
      ? sql`CASE ${channel} ${sql.join(
          clearing.map((a) => sql`WHEN ${a.channel} THEN ${a.id}`),
          sql` `,
        )} ELSE -1 END`
      : sql`-1`;
  const onAccounts = (t: string, accountIds: SQL) =>
    sql`(CASE WHEN ${sql.raw(t)}.id IS NULL THEN NULL ELSE (SELECT coalesce(sum(e.amount_fen), 0) FROM ledger_entries e WHERE e.account_id ${accountIds} AND e.transaction_id = ${sql.raw(t)}.id) END)`;
  const channel = sql.raw('p.channel');
  const txClearing = onAccounts('t', sql`= (${accountOf(channel)})`);
  const feePosted = onAccounts(
    'ft',
    feeIds.length === 1
      ? sql`= ${feeIds[0]}`
      : sql`IN (${
          feeIds.length
            ? sql.join(
                feeIds.map((id) => sql`${id}`),
                sql`, `,
              )
            : sql`-1`
        })`,
  );
  const feeClearing = onAccounts('ft', sql`= (${accountOf(channel)})`);
  const payment = sql`p.id AS "paymentId", p.channel, p.amount_fen AS "amountFen", p.fee_fen AS "feeFen",
        p.settlement_currency AS "settlementCurrency", p.settlement_fee_minor AS "settlementFeeMinor", p.settlement_exchange_rate AS "settlementExchangeRate", p.reference,
        p.stripe_charge_id AS "stripeChargeId", p.stripe_payment_intent_id AS "stripePaymentIntentId", p.confirmed_at AS "confirmedAt",
        o.id AS "orderId", o.number AS "orderNumber", o.status AS "orderStatus", o.total_fen AS "orderTotalFen", o.paid_at AS "orderPaidAt",
        ft.id AS "feeTxId", ft.period AS "feeTxPeriod", ${feePosted} AS "feePostedFen", ${feeClearing} AS "feeClearingFen"`;
  const suspect = sql`AND (p.id IS NULL OR o.id IS NULL OR o.paid_at IS NULL OR p.amount_fen <> o.total_fen OR ${txClearing} <> p.amount_fen
           OR (p.fee_fen > 0 AND ft.id IS NULL) OR (ft.id IS NOT NULL AND (${feePosted} <> p.fee_fen OR ${feeClearing} <> -${feePosted}))
           OR (p.settlement_currency IS NOT NULL AND p.settlement_exchange_rate IS NULL)
           OR EXISTS (SELECT 1 FROM payments p2 WHERE p2.order_id = t.order_id AND p2.status = 'succeeded' AND p2.id <> p.id))`;
  return yield* all<PaymentMatchRow>(
    sql`SELECT t.id AS "txId", t.hash AS "txHash", t.period AS "txPeriod", ${txClearing} AS "txClearingFen", ${payment}
         FROM ledger_transactions t
         LEFT JOIN payments p ON p.order_id = t.order_id AND p.status = 'succeeded'
         LEFT JOIN orders o ON o.id = t.order_id
         LEFT JOIN ledger_transactions ft ON ft.idempotency_key = 'stripe-fee:' || p.stripe_charge_id
         WHERE t.period = ${period} AND t.kind = 'order_payment' ${options.suspectOnly ? suspect : sql``}
         UNION ALL
         SELECT NULL, NULL, NULL, NULL, ${payment}
         FROM payments p
         LEFT JOIN orders o ON o.id = p.order_id
         LEFT JOIN ledger_transactions ft ON ft.idempotency_key = 'stripe-fee:' || p.stripe_charge_id
         WHERE p.confirmed_at >= ${from} AND p.confirmed_at < ${to} AND p.status = 'succeeded'
           AND NOT EXISTS (SELECT 1 FROM ledger_transactions t2 WHERE ${ORDER_PAYMENT('t2', 'p.order_id')})`,
  );
}

/**
 * Per channel and settlement currency (null: CNY), the period's payments (as paymentMatches
 * chooses them): how many, how much was received, and the fees that belong to the period
 * (posted in it, or never posted), in fen and as charged in the settlement currency.
 */
export function* paymentTotals(_tx: Tx, period: string, from: number, to: number): Query<PaymentTotalsRow[]> {
  const here = sql`CASE WHEN ft.id IS NULL OR ft.period = ${period} THEN 1 ELSE 0 END`;
  return yield* all<PaymentTotalsRow>(
    sql`SELECT channel, "settlementCurrency", count(*) AS payments, sum("amountFen") AS "receivedFen", sum("feesFen") AS "feesFen", coalesce(sum("chargedMinor"), 0) AS "chargedMinor" FROM (
           SELECT p.channel, p.settlement_currency AS "settlementCurrency", p.amount_fen AS "amountFen", ${here} * p.fee_fen AS "feesFen", ${here} * p.settlement_fee_minor AS "chargedMinor"
           FROM ledger_transactions t
           JOIN payments p ON p.order_id = t.order_id AND p.status = 'succeeded'
           LEFT JOIN ledger_transactions ft ON ft.idempotency_key = 'stripe-fee:' || p.stripe_charge_id
           WHERE t.period = ${period} AND t.kind = 'order_payment'
           UNION ALL
           SELECT p.channel, p.settlement_currency, p.amount_fen, ${here} * p.fee_fen, ${here} * p.settlement_fee_minor
           FROM payments p
           LEFT JOIN ledger_transactions ft ON ft.idempotency_key = 'stripe-fee:' || p.stripe_charge_id
           WHERE p.confirmed_at >= ${from} AND p.confirmed_at < ${to} AND p.status = 'succeeded'
             AND NOT EXISTS (SELECT 1 FROM ledger_transactions t2 WHERE ${ORDER_PAYMENT('t2', 'p.order_id')})) AS m
         GROUP BY channel, "settlementCurrency" ORDER BY channel, "settlementCurrency"`,
  );
}

/** Refund postings of the period with their refund row, then succeeded refunds of the period never posted. */
export function* refundMatches(_tx: Tx, period: string, from: number, to: number): Query<RefundMatchRow[]> {
  // The channel the refund goes back through, by payments' paymentChannelOf: its payment's channel, else the order's method.
  const channel = sql.raw(`coalesce(pp.channel, CASE o.payment_method WHEN 'offline' THEN 'bank' ELSE o.payment_method END)`);
  return yield* all<RefundMatchRow>(
    sql`SELECT t.id AS "txId", t.hash AS "txHash", t.idempotency_key AS "txKey",
                ${CLEARING_SUM(sql.raw('t.id'))} AS "txClearingFen", ${CLEARING_SUM(sql.raw('t.id'), channel)} AS "txClearingOwnFen",
                r.id AS "refundId", r.status AS "refundStatus", r.amount_fen AS "amountFen", r.settled_at AS "settledAt", r.stripe_refund_id AS "stripeRefundId",
                ${channel} AS channel, o.id AS "orderId", o.number AS "orderNumber"
         FROM ledger_transactions t
         LEFT JOIN refunds r ON t.idempotency_key = 'refund:' || r.id AND r.id = CAST(substr(t.idempotency_key, 8) AS INTEGER)
         LEFT JOIN orders o ON o.id = coalesce(r.order_id, t.order_id)
         LEFT JOIN payments pp ON pp.id = r.payment_id
         WHERE t.period = ${period} AND t.kind = 'refund'
         UNION ALL
         SELECT NULL, NULL, NULL, NULL, NULL, r.id, r.status, r.amount_fen, r.settled_at, r.stripe_refund_id, ${channel}, o.id, o.number
         FROM refunds r
         JOIN orders o ON o.id = r.order_id
         LEFT JOIN payments pp ON pp.id = r.payment_id
         WHERE r.status = 'succeeded' AND r.settled_at >= ${from} AND r.settled_at < ${to}
           AND NOT EXISTS (SELECT 1 FROM ledger_transactions t2 WHERE t2.idempotency_key = 'refund:' || r.id)`,
  );
}

/**
 * Processor-fee postings of the period that no payment of the period accounts for: a fee posted
 * in another month than its payment, or a fee of no payment at all. Usually none.
 */
export function* otherFeePostings(_tx: Tx, period: string, from: number, to: number): Query<FeePostingRow[]> {
  return yield* all<FeePostingRow>(
    sql`SELECT ft.id AS "txId", ft.hash AS "txHash", ft.idempotency_key AS "txKey", ft.order_id AS "orderId", o.number AS "orderNumber",
                coalesce(${FEE_SUM(sql.raw('ft.id'))}, 0) AS "feePostedFen", coalesce(${CLEARING_SUM(sql.raw('ft.id'))}, 0) AS "clearingFen",
                p.channel AS "paymentChannel", p.fee_fen AS "paymentFeeFen",
                p.settlement_currency AS "paymentSettlementCurrency", p.settlement_fee_minor AS "paymentSettlementFeeMinor"
         FROM ledger_transactions ft
         LEFT JOIN orders o ON o.id = ft.order_id
         LEFT JOIN payments p ON p.order_id = ft.order_id AND p.status = 'succeeded' AND 'stripe-fee:' || p.stripe_charge_id = ft.idempotency_key
         WHERE ft.period = ${period} AND ft.kind = 'processor_fee' AND (p.id IS NULL OR NOT ${PAYMENT_IN_PERIOD('p', period, from, to)})`,
  );
}

/** Clearing entries of the period's postings that are no payment, refund or processor fee. */
export function* otherClearingPostings(_tx: Tx, period: string): Query<OtherClearingRow[]> {
  return yield* all<OtherClearingRow>(
    sql`SELECT t.id AS "txId", t.hash AS "txHash", t.idempotency_key AS "txKey", t.kind, a.channel, t.order_id AS "orderId", o.number AS "orderNumber",
                sum(e.amount_fen) AS "amountFen"
         FROM ledger_transactions t
         JOIN ledger_entries e ON e.transaction_id = t.id
         JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'clearing'
         LEFT JOIN orders o ON o.id = t.order_id
         WHERE t.period = ${period} AND t.kind NOT IN ('order_payment', 'refund', 'processor_fee')
         GROUP BY t.id, a.channel ORDER BY t.id`,
  );
}

/** Net movement of each clearing account in the period's postings, fen. */
export function* clearingMovements(tx: Tx, period: string): Query<{ channel: string; movementFen: number }[]> {
  const range = (yield* one(
    tx
      .select({ lo: min(ledgerTransactions.id), hi: max(ledgerTransactions.id), n: count() })
      .from(ledgerTransactions)
      .where(eq(ledgerTransactions.period, period)),
  ))!;
  const accounts = yield* all(
    tx
      .select({ id: ledgerAccounts.id, channel: ledgerAccounts.channel })
      .from(ledgerAccounts)
      .where(eq(ledgerAccounts.kind, 'clearing'))
      .orderBy(asc(ledgerAccounts.channel)),
  );
  // (a clearing account always names its channel)
  const channelOf = (a: { channel: string | null }) => a.channel ?? '';
  const { lo, hi } = range;
  if (lo === null || hi === null) return accounts.map((a) => ({ channel: channelOf(a), movementFen: 0 }));
  // Postings are appended in time order, so a period's ids are one range; when nothing of another
  // period lies inside it (the usual case) the period check per entry can be skipped.
  const inside =
    (yield* one(
      tx
        .select({ n: count() })
        .from(ledgerTransactions)
        .where(between(ledgerTransactions.id, lo, hi)),
    ))?.n ?? 0;
  const pure = inside === range.n;
  const movements: { channel: string; movementFen: number }[] = [];
  for (const a of accounts) {
    const row = pure
      ? yield* one<{ fen: number }>(
          sql`SELECT coalesce(sum(e.amount_fen), 0) AS fen FROM ledger_entries e WHERE e.account_id = ${a.id} AND e.transaction_id BETWEEN ${lo} AND ${hi}`,
        )
      : yield* one<{ fen: number }>(
          sql`SELECT coalesce(sum(e.amount_fen), 0) AS fen FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
             WHERE e.account_id = ${a.id} AND e.transaction_id BETWEEN ${lo} AND ${hi} AND t.period = ${period}`,
        );
    movements.push({ channel: channelOf(a), movementFen: row?.fen ?? 0 });
  }
  return movements;
}

/** Per clearing channel, the entries of these postings (only for the rare posting touching two channels). */
export function* clearingByChannel(tx: Tx, txIds: readonly number[]): Query<{ txId: number; channel: string | null; amountFen: number }[]> {
  if (txIds.length === 0) return [];
  return yield* all(
    tx
      .select({ txId: ledgerEntries.transactionId, channel: ledgerAccounts.channel, amountFen: sql<number>`sum(${ledgerEntries.amountFen})` })
      .from(ledgerEntries)
      .innerJoin(ledgerAccounts, and(eq(ledgerAccounts.id, ledgerEntries.accountId), eq(ledgerAccounts.kind, 'clearing')))
      .where(inArray(ledgerEntries.transactionId, [...txIds]))
      .groupBy(ledgerEntries.transactionId, ledgerAccounts.channel),
  );
}

/** Orders marked paid in the period with neither a succeeded payment nor an order-payment posting. */
export function* paidOrdersWithoutPayment(_tx: Tx, from: number, to: number): Query<PaidOrderWithoutPaymentRow[]> {
  return yield* all<PaidOrderWithoutPaymentRow>(
    sql`SELECT o.id AS "orderId", o.number AS "orderNumber", o.status AS "orderStatus", o.total_fen AS "orderTotalFen", o.paid_at AS "paidAt"
         FROM orders o
         WHERE o.paid_at >= ${from} AND o.paid_at < ${to}
           AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded')
           AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE ${ORDER_PAYMENT('t', 'o.id')})
         ORDER BY o.paid_at, o.id`,
  );
}

/** One posting with the number of its order, for the links of the report. */
export function* transactionById(tx: Tx, id: number) {
  return yield* one(
    tx
      .select({
        id: ledgerTransactions.id,
        idempotencyKey: ledgerTransactions.idempotencyKey,
        kind: ledgerTransactions.kind,
        orderId: ledgerTransactions.orderId,
        orderNumber: orders.number,
        payoutId: ledgerTransactions.payoutId,
        // The words of a memo that may name a person are kept beside the chain (empty once erased).
        memo: sql<string>`coalesce(${ledgerMemoTexts.text}, ${ledgerTransactions.memo})`,
        period: ledgerTransactions.period,
        postedAt: ledgerTransactions.postedAt,
        prevHash: ledgerTransactions.prevHash,
        hash: ledgerTransactions.hash,
      })
      .from(ledgerTransactions)
      .leftJoin(orders, eq(orders.id, ledgerTransactions.orderId))
      .leftJoin(ledgerMemoTexts, eq(ledgerMemoTexts.transactionId, ledgerTransactions.id))
      .where(eq(ledgerTransactions.id, id)),
  );
}

// ----- notes on mismatches (append-only) -----

export function* notesOf(tx: Tx, period: string): Query<NoteRow[]> {
  return yield* all(
    tx
      .select({
        id: reconciliationNotes.id,
        mismatchKey: reconciliationNotes.mismatchKey,
        note: reconciliationNotes.note,
        createdAt: reconciliationNotes.createdAt,
        author: users.displayName,
      })
      .from(reconciliationNotes)
      .leftJoin(users, eq(users.id, reconciliationNotes.createdByUserId))
      .where(eq(reconciliationNotes.period, period))
      .orderBy(asc(reconciliationNotes.mismatchKey), asc(reconciliationNotes.id)),
  );
}

export function* insertNote(tx: Tx, n: { period: string; mismatchKey: string; note: string; userId: number; now: number }): Query<number> {
  const row = yield* one(
    tx
      .insert(reconciliationNotes)
      .values({ period: n.period, mismatchKey: n.mismatchKey, note: n.note, createdByUserId: n.userId, createdAt: n.now })
      .returning({ id: reconciliationNotes.id }),
  );
  return row!.id;
}

// ----- closed periods -----

export function* periodLocksList(tx: Tx): Query<PeriodLockRow[]> {
  return yield* all(
    tx
      .select({ period: periodLocks.period, lockedAt: periodLocks.lockedAt, lockedBy: users.displayName })
      .from(periodLocks)
      .leftJoin(users, eq(users.id, periodLocks.lockedByUserId))
      .orderBy(desc(periodLocks.period)),
  );
}

export function* isLocked(tx: Tx, period: string): Query<boolean> {
  return (yield* one(tx.select({ period: periodLocks.period }).from(periodLocks).where(eq(periodLocks.period, period)))) !== undefined;
}

/** False when the period was already closed. */
export function* lockPeriod(tx: Tx, period: string, userId: number, now: number): Query<boolean> {
  return (
    (yield* run(tx.insert(periodLocks).values({ period, lockedAt: now, lockedByUserId: userId }).onConflictDoNothing({ target: periodLocks.period }))) === 1
  );
}
