import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';

/**
 * The SQL of reconciliation: a handful of set-wide queries per period, each walking an index
 * (ledger_transactions.period, payments.confirmed_at, orders.paid_at, the unique idempotency key),
 * never one query per order. Rows are streamed (`iterate`) so a month of 200,000 payments is
 * classified without holding it in memory.
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
export interface NoteRow {
  id: number;
  mismatchKey: string;
  note: string;
  createdAt: number;
  author: string | null;
}

export interface PeriodLockRow {
  period: string;
  lockedAt: number;
  lockedBy: string | null;
}

/** Sums over one posting's entries (through the posting's index), for the short lists: refunds, odd fees. */
const CLEARING_SUM = (tx: string, channel?: string) =>
  `(SELECT sum(e.amount_fen) FROM ledger_entries e CROSS JOIN ledger_accounts a ON a.id = e.account_id
     WHERE e.transaction_id = ${tx} AND a.kind = 'clearing'${channel ? ` AND a.channel = ${channel}` : ''})`;
const FEE_SUM = (tx: string) =>
  `(SELECT sum(e.amount_fen) FROM ledger_entries e CROSS JOIN ledger_accounts a ON a.id = e.account_id
     WHERE e.transaction_id = ${tx} AND a.kind = 'processor_fees')`;

/**
 * Posting `tx` is the payment posting of order `order`: an order has at most one posting of kind
 * 'order_payment' (ledger_transactions_order_payment_uq, which this condition reads), whichever way
 * the money came in: Stripe, bank transfer or an outlet's till. It is matched by order and kind, not
 * by key, so payments posted under an older key (counter sales once used 'counter-sale:<id>') match too.
 */
const ORDER_PAYMENT = (tx: string, order: string) => `${tx}.order_id = ${order} AND ${tx}.kind = 'order_payment'`;

/** Whether payment `p` belongs to the period: its order-payment posting is in it, or it was never posted and was received in it. */
const PAYMENT_IN_PERIOD = (p: string) => `(EXISTS (SELECT 1 FROM ledger_transactions t WHERE ${ORDER_PAYMENT('t', `${p}.order_id`)} AND t.period = @period)
  OR (NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE ${ORDER_PAYMENT('t', `${p}.order_id`)}) AND ${p}.confirmed_at >= @from AND ${p}.confirmed_at < @to))`;

export function createReconciliationQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn).immediate(),

    /**
     * Every order-payment posting of the period with the succeeded payment rows of its order
     * (none: the payment row is missing), then every succeeded payment received in the period
     * whose order has no order-payment posting at all (paid after expiry, never posted …).
     * `suspectOnly` keeps the rows that may mismatch (a superset of what classifyPayment flags;
     * every row of the second part is one), so a clean month hands almost nothing to JavaScript.
     */
    paymentMatches(period: string, from: number, to: number, options: { suspectOnly?: boolean } = {}): Iterable<PaymentMatchRow> {
      // The clearing and fee accounts are few: their ids go into the SQL, so each sum below is one
      // seek of the (account_id, transaction_id) index rather than a walk over the posting's entries.
      const accounts = q(`SELECT id, kind, channel FROM ledger_accounts WHERE kind IN ('clearing', 'processor_fees') ORDER BY id`).all() as {
        id: number;
        kind: string;
        channel: string;
      }[];
      const clearing = accounts.filter((a) => a.kind === 'clearing');
      const feeIds = accounts.filter((a) => a.kind === 'processor_fees').map((a) => Number(a.id));
      const accountOf = (channel: string) =>
        clearing.length ? `CASE ${channel} ${clearing.map((a) => `WHEN '${a.channel.replace(/'/g, "''")}' THEN ${Number(a.id)}`).join(' ')} ELSE -1 END` : '-1';
      const onAccounts = (tx: string, accountIds: string) =>
        `(CASE WHEN ${tx}.id IS NULL THEN NULL ELSE (SELECT coalesce(sum(e.amount_fen), 0) FROM ledger_entries e WHERE e.account_id ${accountIds} AND e.transaction_id = ${tx}.id) END)`;
      const txClearing = onAccounts('t', `= (${accountOf('p.channel')})`);
      const feePosted = onAccounts('ft', feeIds.length === 1 ? `= ${feeIds[0]}` : `IN (${feeIds.length ? feeIds.join(',') : '-1'})`);
      const feeClearing = onAccounts('ft', `= (${accountOf('p.channel')})`);
      const payment = `p.id AS paymentId, p.channel, p.amount_fen AS amountFen, p.fee_fen AS feeFen,
        p.settlement_currency AS settlementCurrency, p.settlement_fee_minor AS settlementFeeMinor, p.settlement_exchange_rate AS settlementExchangeRate, p.reference,
        p.stripe_charge_id AS stripeChargeId, p.stripe_payment_intent_id AS stripePaymentIntentId, p.confirmed_at AS confirmedAt,
        o.id AS orderId, o.number AS orderNumber, o.status AS orderStatus, o.total_fen AS orderTotalFen, o.paid_at AS orderPaidAt,
        ft.id AS feeTxId, ft.period AS feeTxPeriod, ${feePosted} AS feePostedFen, ${feeClearing} AS feeClearingFen`;
      const suspect = `AND (p.id IS NULL OR o.id IS NULL OR o.paid_at IS NULL OR p.amount_fen <> o.total_fen OR ${txClearing} <> p.amount_fen
           OR (p.fee_fen > 0 AND ft.id IS NULL) OR (ft.id IS NOT NULL AND (${feePosted} <> p.fee_fen OR ${feeClearing} <> -${feePosted}))
           OR (p.settlement_currency IS NOT NULL AND p.settlement_exchange_rate IS NULL)
           OR EXISTS (SELECT 1 FROM payments p2 WHERE p2.order_id = t.order_id AND p2.status = 'succeeded' AND p2.id <> p.id))`;
      return q(
        `SELECT t.id AS txId, t.hash AS txHash, t.period AS txPeriod, ${txClearing} AS txClearingFen, ${payment}
         FROM ledger_transactions t
         LEFT JOIN payments p ON p.order_id = t.order_id AND p.status = 'succeeded'
         LEFT JOIN orders o ON o.id = t.order_id
         LEFT JOIN ledger_transactions ft ON ft.idempotency_key = 'stripe-fee:' || p.stripe_charge_id
         WHERE t.period = @period AND t.kind = 'order_payment' ${options.suspectOnly ? suspect : ''}
         UNION ALL
         SELECT NULL, NULL, NULL, NULL, ${payment}
         FROM payments p
         LEFT JOIN orders o ON o.id = p.order_id
         LEFT JOIN ledger_transactions ft ON ft.idempotency_key = 'stripe-fee:' || p.stripe_charge_id
         WHERE p.confirmed_at >= @from AND p.confirmed_at < @to AND p.status = 'succeeded'
           AND NOT EXISTS (SELECT 1 FROM ledger_transactions t2 WHERE ${ORDER_PAYMENT('t2', 'p.order_id')})`,
      ).iterate({ period, from, to }) as Iterable<PaymentMatchRow>;
    },

    /**
     * Per channel and settlement currency (null: CNY), the period's payments (as paymentMatches
     * chooses them): how many, how much was received, and the fees that belong to the period
     * (posted in it, or never posted), in fen and as charged in the settlement currency.
     */
    paymentTotals(period: string, from: number, to: number): PaymentTotalsRow[] {
      const here = `CASE WHEN ft.id IS NULL OR ft.period = @period THEN 1 ELSE 0 END`;
      return q(
        `SELECT channel, settlementCurrency, count(*) AS payments, sum(amountFen) AS receivedFen, sum(feesFen) AS feesFen, coalesce(sum(chargedMinor), 0) AS chargedMinor FROM (
           SELECT p.channel, p.settlement_currency AS settlementCurrency, p.amount_fen AS amountFen, ${here} * p.fee_fen AS feesFen, ${here} * p.settlement_fee_minor AS chargedMinor
           FROM ledger_transactions t
           JOIN payments p ON p.order_id = t.order_id AND p.status = 'succeeded'
           LEFT JOIN ledger_transactions ft ON ft.idempotency_key = 'stripe-fee:' || p.stripe_charge_id
           WHERE t.period = @period AND t.kind = 'order_payment'
           UNION ALL
           SELECT p.channel, p.settlement_currency, p.amount_fen, ${here} * p.fee_fen, ${here} * p.settlement_fee_minor
           FROM payments p
           LEFT JOIN ledger_transactions ft ON ft.idempotency_key = 'stripe-fee:' || p.stripe_charge_id
           WHERE p.confirmed_at >= @from AND p.confirmed_at < @to AND p.status = 'succeeded'
             AND NOT EXISTS (SELECT 1 FROM ledger_transactions t2 WHERE ${ORDER_PAYMENT('t2', 'p.order_id')}))
         GROUP BY channel, settlementCurrency ORDER BY channel, settlementCurrency`,
      ).all({ period, from, to }) as PaymentTotalsRow[];
    },

    /** Refund postings of the period with their refund row, then succeeded refunds of the period never posted. */
    refundMatches(period: string, from: number, to: number): RefundMatchRow[] {
      // The channel the refund goes back through, by payments' paymentChannelOf: its payment's channel, else the order's method.
      const channel = `coalesce(pp.channel, CASE o.payment_method WHEN 'offline' THEN 'bank' ELSE o.payment_method END)`;
      return q(
        `SELECT t.id AS txId, t.hash AS txHash, t.idempotency_key AS txKey,
                ${CLEARING_SUM('t.id')} AS txClearingFen, ${CLEARING_SUM('t.id', channel)} AS txClearingOwnFen,
                r.id AS refundId, r.status AS refundStatus, r.amount_fen AS amountFen, r.settled_at AS settledAt, r.stripe_refund_id AS stripeRefundId,
                ${channel} AS channel, o.id AS orderId, o.number AS orderNumber
         FROM ledger_transactions t
         LEFT JOIN refunds r ON t.idempotency_key = 'refund:' || r.id AND r.id = CAST(substr(t.idempotency_key, 8) AS INTEGER)
         LEFT JOIN orders o ON o.id = coalesce(r.order_id, t.order_id)
         LEFT JOIN payments pp ON pp.id = r.payment_id
         WHERE t.period = @period AND t.kind = 'refund'
         UNION ALL
         SELECT NULL, NULL, NULL, NULL, NULL, r.id, r.status, r.amount_fen, r.settled_at, r.stripe_refund_id, ${channel}, o.id, o.number
         FROM refunds r
         JOIN orders o ON o.id = r.order_id
         LEFT JOIN payments pp ON pp.id = r.payment_id
         WHERE r.status = 'succeeded' AND r.settled_at >= @from AND r.settled_at < @to
           AND NOT EXISTS (SELECT 1 FROM ledger_transactions t2 WHERE t2.idempotency_key = 'refund:' || r.id)`,
      ).all({ period, from, to }) as RefundMatchRow[];
    },

    /**
     * Processor-fee postings of the period that no payment of the period accounts for: a fee posted
     * in another month than its payment, or a fee of no payment at all. Usually none.
     */
    otherFeePostings(period: string, from: number, to: number): FeePostingRow[] {
      return q(
        `SELECT ft.id AS txId, ft.hash AS txHash, ft.idempotency_key AS txKey, ft.order_id AS orderId, o.number AS orderNumber,
                coalesce(${FEE_SUM('ft.id')}, 0) AS feePostedFen, coalesce(${CLEARING_SUM('ft.id')}, 0) AS clearingFen,
                p.channel AS paymentChannel, p.fee_fen AS paymentFeeFen,
                p.settlement_currency AS paymentSettlementCurrency, p.settlement_fee_minor AS paymentSettlementFeeMinor
         FROM ledger_transactions ft
         LEFT JOIN orders o ON o.id = ft.order_id
         LEFT JOIN payments p ON p.order_id = ft.order_id AND p.status = 'succeeded' AND 'stripe-fee:' || p.stripe_charge_id = ft.idempotency_key
         WHERE ft.period = @period AND ft.kind = 'processor_fee' AND (p.id IS NULL OR NOT ${PAYMENT_IN_PERIOD('p')})`,
      ).all({ period, from, to }) as FeePostingRow[];
    },

    /** Clearing entries of the period's postings that are no payment, refund or processor fee. */
    otherClearingPostings(period: string): OtherClearingRow[] {
      return q(
        `SELECT t.id AS txId, t.hash AS txHash, t.idempotency_key AS txKey, t.kind, a.channel, t.order_id AS orderId, o.number AS orderNumber,
                sum(e.amount_fen) AS amountFen
         FROM ledger_transactions t
         JOIN ledger_entries e ON e.transaction_id = t.id
         JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'clearing'
         LEFT JOIN orders o ON o.id = t.order_id
         WHERE t.period = ? AND t.kind NOT IN ('order_payment', 'refund', 'processor_fee')
         GROUP BY t.id, a.channel ORDER BY t.id`,
      ).all(period) as OtherClearingRow[];
    },

    /** Net movement of each clearing account in the period's postings, fen. */
    clearingMovements(period: string): { channel: string; movementFen: number }[] {
      const range = q(`SELECT min(id) AS lo, max(id) AS hi, count(*) AS n FROM ledger_transactions WHERE period = ?`).get(period) as {
        lo: number | null;
        hi: number | null;
        n: number;
      };
      const accounts = q(`SELECT id, channel FROM ledger_accounts WHERE kind = 'clearing' ORDER BY channel`).all() as { id: number; channel: string }[];
      if (range.lo === null || range.hi === null) return accounts.map((a) => ({ channel: a.channel, movementFen: 0 }));
      // Postings are appended in time order, so a period's ids are one range; when nothing of another
      // period lies inside it (the usual case) the period check per entry can be skipped.
      const pure = (q(`SELECT count(*) AS n FROM ledger_transactions WHERE id BETWEEN ? AND ?`).get(range.lo, range.hi) as { n: number }).n === range.n;
      const sum = pure
        ? q(`SELECT coalesce(sum(e.amount_fen), 0) AS fen FROM ledger_entries e WHERE e.account_id = @account AND e.transaction_id BETWEEN @lo AND @hi`)
        : q(
            `SELECT coalesce(sum(e.amount_fen), 0) AS fen FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
             WHERE e.account_id = @account AND e.transaction_id BETWEEN @lo AND @hi AND t.period = @period`,
          );
      return accounts.map((a) => ({
        channel: a.channel,
        movementFen: (sum.get(pure ? { account: a.id, lo: range.lo, hi: range.hi } : { account: a.id, lo: range.lo, hi: range.hi, period }) as { fen: number })
          .fen,
      }));
    },

    /** Per clearing channel, the entries of these postings (only for the rare posting touching two channels). */
    clearingByChannel(txIds: readonly number[]): { txId: number; channel: string; amountFen: number }[] {
      if (txIds.length === 0) return [];
      return q(
        `SELECT e.transaction_id AS txId, a.channel, sum(e.amount_fen) AS amountFen FROM ledger_entries e
         JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'clearing'
         WHERE e.transaction_id IN (${txIds.map(Number).join(',')}) GROUP BY e.transaction_id, a.channel`,
      ).all() as { txId: number; channel: string; amountFen: number }[];
    },

    /** Orders marked paid in the period with neither a succeeded payment nor an order-payment posting. */
    paidOrdersWithoutPayment(from: number, to: number): PaidOrderWithoutPaymentRow[] {
      return q(
        `SELECT o.id AS orderId, o.number AS orderNumber, o.status AS orderStatus, o.total_fen AS orderTotalFen, o.paid_at AS paidAt
         FROM orders o
         WHERE o.paid_at >= ? AND o.paid_at < ?
           AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded')
           AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE ${ORDER_PAYMENT('t', 'o.id')})
         ORDER BY o.paid_at, o.id`,
      ).all(from, to) as PaidOrderWithoutPaymentRow[];
    },

    transactionById: (id: number) =>
      q(
        `SELECT t.id, t.idempotency_key AS idempotencyKey, t.kind, t.order_id AS orderId, o.number AS orderNumber, t.payout_id AS payoutId,
                t.memo, t.period, t.posted_at AS postedAt, t.prev_hash AS prevHash, t.hash
         FROM ledger_transactions t LEFT JOIN orders o ON o.id = t.order_id WHERE t.id = ?`,
      ).get(id) as
        | {
            id: number;
            idempotencyKey: string;
            kind: string;
            orderId: number | null;
            orderNumber: string | null;
            payoutId: number | null;
            memo: string;
            period: string;
            postedAt: number;
            prevHash: string;
            hash: string;
          }
        | undefined,
    entriesOf: (transactionId: number) =>
      q(
        `SELECT a.code AS accountCode, e.amount_fen AS amountFen, e.order_line_id AS orderLineId FROM ledger_entries e
         JOIN ledger_accounts a ON a.id = e.account_id WHERE e.transaction_id = ? ORDER BY e.id`,
      ).all(transactionId) as { accountCode: string; amountFen: number; orderLineId: number | null }[],

    // ----- notes on mismatches (append-only) -----
    notesOf: (period: string) =>
      q(
        `SELECT n.id, n.mismatch_key AS mismatchKey, n.note, n.created_at AS createdAt, u.display_name AS author FROM reconciliation_notes n
         LEFT JOIN users u ON u.id = n.created_by_user_id WHERE n.period = ? ORDER BY n.mismatch_key, n.id`,
      ).all(period) as NoteRow[],
    insertNote: (n: { period: string; mismatchKey: string; note: string; userId: number; now: number }) =>
      Number(
        q(`INSERT INTO reconciliation_notes (period, mismatch_key, note, created_by_user_id, created_at) VALUES (?, ?, ?, ?, ?)`).run(
          n.period,
          n.mismatchKey,
          n.note,
          n.userId,
          n.now,
        ).lastInsertRowid,
      ),

    // ----- closed periods -----
    periodLocks: () =>
      q(
        `SELECT l.period, l.locked_at AS lockedAt, u.display_name AS lockedBy FROM period_locks l
         LEFT JOIN users u ON u.id = l.locked_by_user_id ORDER BY l.period DESC`,
      ).all() as PeriodLockRow[],
    isLocked: (period: string) => q(`SELECT 1 FROM period_locks WHERE period = ?`).get(period) !== undefined,
    /** False when the period was already closed. */
    lockPeriod: (period: string, userId: number, now: number) =>
      q(`INSERT INTO period_locks (period, locked_at, locked_by_user_id) VALUES (?, ?, ?) ON CONFLICT(period) DO NOTHING`).run(period, now, userId).changes ===
      1,
  };
}

export type ReconciliationQueries = ReturnType<typeof createReconciliationQueries>;
