import { and, eq, inArray, sql } from 'drizzle-orm';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { payments, refunds, stripeEvents, type PaymentChannel } from './schema.js';

/** A payment of an order (bank transfer, Stripe, an outlet's till). */
export type Payment = typeof payments.$inferSelect;
/** A refund of an order, all or part, by the channel it was paid through. */
export type Refund = typeof refunds.$inferSelect;

/** A Stripe fee charged in another currency than CNY: as charged there, and the exchange rate it was converted to fen at (null: none given). */
export interface Settlement {
  currency: string;
  feeMinor: number;
  exchangeRate: string | null;
}

/** The settlement recorded on a payment, if any. */
export const settlementOf = (p: Pick<Payment, 'settlementCurrency' | 'settlementFeeMinor' | 'settlementExchangeRate'>): Settlement | null =>
  p.settlementCurrency !== null && p.settlementFeeMinor !== null
    ? { currency: p.settlementCurrency, feeMinor: p.settlementFeeMinor, exchangeRate: p.settlementExchangeRate }
    : null;

export function* insertPayment(
  tx: Tx,
  p: {
    orderId: number;
    channel: PaymentChannel;
    status: Payment['status'];
    amountFen: number;
    reference: string | null;
    stripeCheckoutSessionId?: string | null;
    confirmedByUserId?: number | null;
    confirmedAt?: number | null;
    now: number;
  },
): Query<number> {
  const row = yield* one(
    tx
      .insert(payments)
      .values({
        orderId: p.orderId,
        channel: p.channel,
        status: p.status,
        amountFen: p.amountFen,
        reference: p.reference,
        stripeCheckoutSessionId: p.stripeCheckoutSessionId ?? null,
        confirmedByUserId: p.confirmedByUserId ?? null,
        confirmedAt: p.confirmedAt ?? null,
        createdAt: p.now,
      })
      .returning({ id: payments.id }),
  );
  return row!.id;
}

export function* paymentsOf(tx: Tx, orderId: number): Query<Payment[]> {
  return yield* all(tx.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(payments.id));
}

export function* paymentBySession(tx: Tx, sessionId: string): Query<Payment | undefined> {
  return yield* one(tx.select().from(payments).where(eq(payments.stripeCheckoutSessionId, sessionId)));
}

export function* paymentByIntent(tx: Tx, intentId: string): Query<Payment | undefined> {
  return yield* one(tx.select().from(payments).where(eq(payments.stripePaymentIntentId, intentId)));
}

export function* paymentByCharge(tx: Tx, chargeId: string): Query<Payment | undefined> {
  return yield* one(tx.select().from(payments).where(eq(payments.stripeChargeId, chargeId)));
}

export function* settlePayment(
  tx: Tx,
  id: number,
  s: {
    status: Payment['status'];
    amountFen: number;
    feeFen: number;
    settlement: Settlement | null;
    intentId: string | null;
    chargeId: string | null;
    now: number;
  },
): Query<void> {
  yield* run(
    tx
      .update(payments)
      .set({
        status: s.status,
        amountFen: s.amountFen,
        feeFen: s.feeFen,
        settlementCurrency: s.settlement?.currency ?? null,
        settlementFeeMinor: s.settlement?.feeMinor ?? null,
        settlementExchangeRate: s.settlement?.exchangeRate ?? null,
        stripePaymentIntentId: sql`coalesce(${s.intentId}, ${payments.stripePaymentIntentId})`,
        stripeChargeId: sql`coalesce(${s.chargeId}, ${payments.stripeChargeId})`,
        confirmedAt: s.now,
      })
      .where(eq(payments.id, id)),
  );
}

export function* setPaymentStatus(tx: Tx, id: number, status: Payment['status']): Query<void> {
  yield* run(tx.update(payments).set({ status }).where(eq(payments.id, id)));
}

export function* insertRefund(
  tx: Tx,
  r: {
    orderId: number;
    paymentId: number | null;
    orderLineId: number | null;
    amountFen: number;
    reason: string;
    status: Refund['status'];
    stripeRefundId: string | null;
    userId: number | null;
    now: number;
  },
): Query<number> {
  const row = yield* one(
    tx
      .insert(refunds)
      .values({
        orderId: r.orderId,
        paymentId: r.paymentId,
        orderLineId: r.orderLineId,
        amountFen: r.amountFen,
        reason: r.reason,
        status: r.status,
        stripeRefundId: r.stripeRefundId,
        createdByUserId: r.userId,
        createdAt: r.now,
        settledAt: r.status === 'succeeded' ? r.now : null,
      })
      .returning({ id: refunds.id }),
  );
  return row!.id;
}

export function* refundsOf(tx: Tx, orderId: number): Query<Refund[]> {
  return yield* all(tx.select().from(refunds).where(eq(refunds.orderId, orderId)).orderBy(refunds.id));
}

export function* refundByStripeId(tx: Tx, id: string): Query<Refund | undefined> {
  return yield* one(tx.select().from(refunds).where(eq(refunds.stripeRefundId, id)));
}

export function* refundById(tx: Tx, id: number): Query<Refund | undefined> {
  return yield* one(tx.select().from(refunds).where(eq(refunds.id, id)));
}

export function* setRefundStatus(tx: Tx, id: number, status: Refund['status'], stripeRefundId: string | null, now: number): Query<void> {
  yield* run(
    tx
      .update(refunds)
      .set({
        status,
        stripeRefundId: sql`coalesce(${stripeRefundId}, ${refunds.stripeRefundId})`,
        ...(status === 'succeeded' ? { settledAt: now } : {}),
      })
      .where(eq(refunds.id, id)),
  );
}

/** Refunds not yet settled (pending), for the pending total. */
export function* pendingRefundTotal(tx: Tx, orderId: number): Query<number> {
  const row = yield* one(
    tx
      .select({ n: sql<number>`coalesce(sum(${refunds.amountFen}), 0)` })
      .from(refunds)
      .where(and(eq(refunds.orderId, orderId), eq(refunds.status, 'pending'))),
  );
  return row!.n;
}

/** Records a Stripe event id; false when it was already recorded (a replay). A unique key, so two deliveries at once record it once. */
export function* recordStripeEvent(tx: Tx, id: string, type: string, createdAt: number, now: number): Query<boolean> {
  const changed = yield* run(
    tx.insert(stripeEvents).values({ id, type, stripeCreatedAt: createdAt, processedAt: now }).onConflictDoNothing({ target: stripeEvents.id }),
  );
  return changed === 1;
}

export function* stripeEventSeen(tx: Tx, id: string): Query<boolean> {
  return (yield* one(tx.select({ id: stripeEvents.id }).from(stripeEvents).where(eq(stripeEvents.id, id)))) !== undefined;
}

/**
 * A personal-data request: the reasons typed for the refunds of these orders may name the buyer and
 * are emptied; amounts, statuses and Stripe ids stay (reconciliation reads them).
 */
export function* eraseRefundReasons(tx: Tx, orderIds: readonly number[]): Query<void> {
  if (!orderIds.length) return;
  yield* run(
    tx
      .update(refunds)
      .set({ reason: '' })
      .where(inArray(refunds.orderId, [...orderIds])),
  );
}
