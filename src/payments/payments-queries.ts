import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import type { PaymentChannel } from './schema.js';

export interface PaymentRow {
  id: number;
  orderId: number;
  channel: PaymentChannel;
  status: 'pending' | 'succeeded' | 'failed' | 'expired';
  amountFen: number;
  feeFen: number;
  settlementCurrency: string | null;
  settlementFeeMinor: number | null;
  settlementExchangeRate: string | null;
  reference: string | null;
  stripeCheckoutSessionId: string | null;
  stripePaymentIntentId: string | null;
  stripeChargeId: string | null;
  confirmedAt: number | null;
  createdAt: number;
}

/** A Stripe fee charged in another currency than CNY: as charged there, and the exchange rate it was converted to fen at (null: none given). */
export interface Settlement {
  currency: string;
  feeMinor: number;
  exchangeRate: string | null;
}

/** The settlement recorded on a payment row, if any. */
export const settlementOf = (p: Pick<PaymentRow, 'settlementCurrency' | 'settlementFeeMinor' | 'settlementExchangeRate'>): Settlement | null =>
  p.settlementCurrency !== null && p.settlementFeeMinor !== null
    ? { currency: p.settlementCurrency, feeMinor: p.settlementFeeMinor, exchangeRate: p.settlementExchangeRate }
    : null;

export interface RefundRow {
  id: number;
  orderId: number;
  paymentId: number | null;
  orderLineId: number | null;
  amountFen: number;
  reason: string;
  status: 'pending' | 'succeeded' | 'failed';
  stripeRefundId: string | null;
  createdAt: number;
}

const PAYMENT_COLUMNS = `id, order_id AS orderId, channel, status, amount_fen AS amountFen, fee_fen AS feeFen,
  settlement_currency AS settlementCurrency, settlement_fee_minor AS settlementFeeMinor, settlement_exchange_rate AS settlementExchangeRate, reference,
  stripe_checkout_session_id AS stripeCheckoutSessionId, stripe_payment_intent_id AS stripePaymentIntentId, stripe_charge_id AS stripeChargeId,
  confirmed_at AS confirmedAt, created_at AS createdAt`;
const REFUND_COLUMNS = `id, order_id AS orderId, payment_id AS paymentId, order_line_id AS orderLineId, amount_fen AS amountFen, reason, status,
  stripe_refund_id AS stripeRefundId, created_at AS createdAt`;

/** All SQL of payments, refunds and Stripe events. */
export function createPaymentsQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    /** The unit of work payments are recorded in (src/db/unit-of-work.ts). */
    unitOfWork: db.uow,
    /** Transitional: a synchronous write on the group commit (units of work replace it). */
    commitGrouped: db.commitGrouped,
    /** A write joining the caller's transaction, or one of its own. */
    transaction: <T>(fn: () => T): T => db.uow.within(fn),

    insertPayment(p: {
      orderId: number;
      channel: PaymentChannel;
      status: PaymentRow['status'];
      amountFen: number;
      reference: string | null;
      stripeCheckoutSessionId?: string | null;
      confirmedByUserId?: number | null;
      confirmedAt?: number | null;
      now: number;
    }): number {
      return Number(
        q(
          `INSERT INTO payments (order_id, channel, status, amount_fen, reference, stripe_checkout_session_id, confirmed_by_user_id, confirmed_at, created_at)
           VALUES (?,?,?,?,?,?,?,?,?)`,
        ).run(
          p.orderId,
          p.channel,
          p.status,
          p.amountFen,
          p.reference,
          p.stripeCheckoutSessionId ?? null,
          p.confirmedByUserId ?? null,
          p.confirmedAt ?? null,
          p.now,
        ).lastInsertRowid,
      );
    },
    paymentsOf: (orderId: number) => q(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE order_id = ? ORDER BY id`).all(orderId) as PaymentRow[],
    paymentBySession: (sessionId: string) =>
      q(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE stripe_checkout_session_id = ?`).get(sessionId) as PaymentRow | undefined,
    paymentByIntent: (intentId: string) =>
      q(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE stripe_payment_intent_id = ?`).get(intentId) as PaymentRow | undefined,
    paymentByCharge: (chargeId: string) => q(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE stripe_charge_id = ?`).get(chargeId) as PaymentRow | undefined,
    settlePayment: (
      id: number,
      s: {
        status: PaymentRow['status'];
        amountFen: number;
        feeFen: number;
        settlement: Settlement | null;
        intentId: string | null;
        chargeId: string | null;
        now: number;
      },
    ) =>
      q(
        `UPDATE payments SET status = ?, amount_fen = ?, fee_fen = ?, settlement_currency = ?, settlement_fee_minor = ?, settlement_exchange_rate = ?,
           stripe_payment_intent_id = coalesce(?, stripe_payment_intent_id), stripe_charge_id = coalesce(?, stripe_charge_id), confirmed_at = ? WHERE id = ?`,
      ).run(
        s.status,
        s.amountFen,
        s.feeFen,
        s.settlement?.currency ?? null,
        s.settlement?.feeMinor ?? null,
        s.settlement?.exchangeRate ?? null,
        s.intentId,
        s.chargeId,
        s.now,
        id,
      ),
    setPaymentStatus: (id: number, status: PaymentRow['status']) => q(`UPDATE payments SET status = ? WHERE id = ?`).run(status, id),

    insertRefund(r: {
      orderId: number;
      paymentId: number | null;
      orderLineId: number | null;
      amountFen: number;
      reason: string;
      status: RefundRow['status'];
      stripeRefundId: string | null;
      userId: number | null;
      now: number;
    }): number {
      return Number(
        q(
          `INSERT INTO refunds (order_id, payment_id, order_line_id, amount_fen, reason, status, stripe_refund_id, created_by_user_id, created_at, settled_at)
           VALUES (?,?,?,?,?,?,?,?,?,?)`,
        ).run(
          r.orderId,
          r.paymentId,
          r.orderLineId,
          r.amountFen,
          r.reason,
          r.status,
          r.stripeRefundId,
          r.userId,
          r.now,
          r.status === 'succeeded' ? r.now : null,
        ).lastInsertRowid,
      );
    },
    refundsOf: (orderId: number) => q(`SELECT ${REFUND_COLUMNS} FROM refunds WHERE order_id = ? ORDER BY id`).all(orderId) as RefundRow[],
    refundByStripeId: (id: string) => q(`SELECT ${REFUND_COLUMNS} FROM refunds WHERE stripe_refund_id = ?`).get(id) as RefundRow | undefined,
    refundById: (id: number) => q(`SELECT ${REFUND_COLUMNS} FROM refunds WHERE id = ?`).get(id) as RefundRow | undefined,
    setRefundStatus: (id: number, status: RefundRow['status'], stripeRefundId: string | null, now: number) =>
      q(
        `UPDATE refunds SET status = ?, stripe_refund_id = coalesce(?, stripe_refund_id), settled_at = CASE WHEN ? = 'succeeded' THEN ? ELSE settled_at END WHERE id = ?`,
      ).run(status, stripeRefundId, status, now, id),
    /** Refunds not yet settled (pending), for the pending total. */
    pendingRefundTotal: (orderId: number) =>
      (q(`SELECT coalesce(sum(amount_fen), 0) AS n FROM refunds WHERE order_id = ? AND status = 'pending'`).get(orderId) as { n: number }).n,

    /** Records a Stripe event id; false when it was already recorded (a replay). */
    recordStripeEvent: (id: string, type: string, createdAt: number, now: number) =>
      q(`INSERT INTO stripe_events (id, type, stripe_created_at, processed_at) VALUES (?,?,?,?) ON CONFLICT(id) DO NOTHING`).run(id, type, createdAt, now)
        .changes === 1,
    stripeEventSeen: (id: string) => q(`SELECT 1 FROM stripe_events WHERE id = ?`).get(id) !== undefined,
  };
}

export type PaymentsQueries = ReturnType<typeof createPaymentsQueries>;
