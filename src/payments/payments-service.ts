import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { canPay, canRefund } from '../orders/order-status.js';
import type { Order } from '../orders/index.js';
import { channelOf, recallHold, type OrdersService } from '../orders/orders-service.js';
import type { Database_ } from '../db/client.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import {
  insertPayment,
  insertRefund,
  paymentsOf,
  pendingRefundTotal,
  refundById,
  refundByStripeId,
  refundsOf,
  setRefundStatus,
  type Payment,
} from './payments-queries.js';
import type { PaymentChannel } from './schema.js';

/**
 * The channel an order's money came in through, and so the clearing account its refunds go back
 * out by: its succeeded payment's channel (bank, stripe, or an outlet till's cash / wechat /
 * alipay). An order paid without a payment row (older data) falls back on its payment method.
 * Reconciliation (refundMatches) reads a refund's channel by the same rule.
 */
export function paymentChannelOf(payment: Pick<Payment, 'channel'> | undefined, order: Pick<Order, 'paymentMethod'>): PaymentChannel {
  return payment?.channel ?? channelOf(order.paymentMethod);
}

/** The idempotency key of a refund's posting (and of its request to Stripe). */
export const refundKey = (refundId: number) => `refund:${refundId}`;

/**
 * Payments for orders. The embedded default is bank transfer confirmed by a coordinator; Stripe
 * (when configured) is added by the Stripe module through `onlineRefund`. Every confirmation and
 * refund posts to the ledger in the same unit of work as its records (src/db/unit-of-work.ts).
 */
export function createPaymentsService(
  db: Database_,
  deps: {
    clock: Clock;
    orders: OrdersService;
    audit: AuditService;
    /** Refund through the processor (Stripe); absent when Stripe is off. */
    onlineRefund?: (
      order: Order,
      refund: { refundId: number; amountFen: number; reason: string },
    ) => Promise<{ stripeRefundId: string; status: 'pending' | 'succeeded' | 'failed' }>;
  },
) {
  const { clock, orders, audit } = deps;
  const { read, write } = db.uow;

  /**
   * Applies a Stripe refund's status (from the API answer or a webhook). Succeeded posts the
   * reverse once; failed marks it failed. Refunds made in Stripe's dashboard are recorded too.
   */
  function* settleStripeRefund(
    tx: Tx,
    stripeRefundId: string,
    status: 'pending' | 'succeeded' | 'failed' | 'canceled' | 'requires_action',
    knownRefundId?: number,
    dashboard?: { orderId: number; paymentId: number | null; amountFen: number },
  ): Query<'refunded' | 'pending' | 'failed' | 'ignored'> {
    let refund = knownRefundId !== undefined ? yield* refundById(tx, knownRefundId) : yield* refundByStripeId(tx, stripeRefundId);
    if (!refund && dashboard) {
      const id = yield* insertRefund(tx, {
        orderId: dashboard.orderId,
        paymentId: dashboard.paymentId,
        orderLineId: null,
        amountFen: dashboard.amountFen,
        reason: 'Stripe dashboard',
        status: 'pending',
        stripeRefundId,
        userId: null,
        now: clock(),
      });
      refund = yield* refundById(tx, id);
    }
    if (!refund) return 'ignored';
    if (status === 'succeeded') {
      const order = yield* orders.parts.orderById(tx, refund.orderId);
      yield* orders.parts.postRefund(tx, order, {
        amountFen: refund.amountFen,
        orderLineId: refund.orderLineId,
        channel: 'stripe',
        idempotencyKey: refundKey(refund.id),
        userId: null,
        reason: refund.reason,
      });
      yield* setRefundStatus(tx, refund.id, 'succeeded', stripeRefundId, clock());
      return 'refunded';
    }
    if (status === 'failed' || status === 'canceled') {
      if (refund.status === 'succeeded') return 'ignored'; // already posted; a later failure is a reconciliation matter
      yield* setRefundStatus(tx, refund.id, 'failed', stripeRefundId, clock());
      return 'failed';
    }
    if (refund.status === 'succeeded') return 'ignored'; // a late "pending" must not undo a posted refund
    yield* setRefundStatus(tx, refund.id, 'pending', stripeRefundId, clock());
    return 'pending';
  }

  return {
    paymentsOf: (orderId: number) => read((tx) => paymentsOf(tx, orderId)),
    refundsOf: (orderId: number) => read((tx) => refundsOf(tx, orderId)),

    /**
     * A coordinator confirms a bank transfer with its reference: the order is paid and the ledger
     * posts, in one unit of work answered once durable. Marking it twice at once pays it once: the
     * order moves from pending only conditionally and its payment posting has a unique key.
     */
    markPaidOffline: (actor: CurrentUser, number: string, reference: string, address: string | null): Promise<void> =>
      write(function* (tx) {
        const order = yield* orders.parts.orderForCoordinator(tx, actor, number);
        if (order.paymentMethod !== 'offline') throw new AppError('conflict', 'not_offline_order');
        // An order holding units of a recalled lot is not taken as it is: replace the units or cancel it first.
        const [recalled] = canPay(order.status) ? yield* orders.parts.recalledUnitsHeld(tx, order.id) : [];
        if (recalled) throw recallHold('order_holds_recalled_units', recalled);
        const result = yield* orders.parts.recordPayment(tx, order, {
          channel: 'bank',
          amountFen: order.totalFen,
          userId: actor.id,
          memo: `bank transfer ${reference}`,
          // The reference a coordinator typed may carry the payer's name.
          memoMayNamePeople: true,
        });
        if (result === 'already') throw new AppError('conflict', 'order_already_paid');
        const now = clock();
        yield* insertPayment(tx, {
          orderId: order.id,
          channel: 'bank',
          status: 'succeeded',
          amountFen: order.totalFen,
          reference,
          confirmedByUserId: actor.id,
          confirmedAt: now,
          now,
        });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'order.mark_paid',
          entityType: 'order',
          entityId: number,
          before: { status: order.status },
          after: { status: 'paid', reference, amountFen: order.totalFen },
          address,
        });
      }),

    /**
     * A coordinator refunds all or part of an order (or of one line), back through the channel it
     * was paid by. Bank transfer and an outlet's till (cash, WeChat, Alipay): recorded and posted at
     * once against that channel's clearing account (the money goes back by transfer or at the
     * counter). Stripe: the refund is requested from Stripe outside any transaction and posted
     * when Stripe reports it succeeded.
     */
    async refund(
      actor: CurrentUser,
      number: string,
      request: { amountFen: number; orderLineId: number | null; reason: string },
      address: string | null,
      /** Runs in the unit that records the refund (a recall settling units by it); its throw records nothing. */
      onRecorded?: (tx: Tx, refundId: number) => Query<void>,
    ): Promise<'refunded' | 'pending'> {
      const order = await orders.orderForCoordinator(actor, number);
      const { pending, payment } = await read(function* (tx) {
        return {
          pending: yield* pendingRefundTotal(tx, order.id),
          payment: (yield* paymentsOf(tx, order.id)).find((p) => p.status === 'succeeded'),
        };
      });
      if (request.amountFen > order.totalFen - order.refundedFen - pending) {
        throw new AppError('validation', 'refund_too_large', undefined, {
          params: { max: order.totalFen - order.refundedFen - pending },
          fields: { amount: 'refund_too_large' },
        });
      }
      if (!canRefund(order.status)) {
        throw new AppError('conflict', 'order_not_refundable', undefined, { params: { status: order.status } });
      }
      const channel = paymentChannelOf(payment, order);
      if (channel !== 'stripe') {
        await write(function* (tx) {
          const refundId = yield* insertRefund(tx, {
            orderId: order.id,
            paymentId: payment?.id ?? null,
            orderLineId: request.orderLineId,
            amountFen: request.amountFen,
            reason: request.reason,
            status: 'succeeded',
            stripeRefundId: null,
            userId: actor.id,
            now: clock(),
          });
          if (onRecorded) yield* onRecorded(tx, refundId);
          yield* orders.parts.postRefund(tx, order, {
            amountFen: request.amountFen,
            orderLineId: request.orderLineId,
            channel,
            idempotencyKey: refundKey(refundId),
            userId: actor.id,
            reason: request.reason,
          });
        });
        return 'refunded';
      }
      if (!deps.onlineRefund) throw new AppError('unavailable', 'stripe_unavailable');
      // Validate the line before asking Stripe for anything.
      if (request.orderLineId !== null) {
        const line = (await orders.details(order)).lines.find((l) => l.id === request.orderLineId);
        if (!line) throw new AppError('validation', 'refund_line_unknown', undefined, { fields: { lineId: 'refund_line_unknown' } });
        if (request.amountFen > line.lineTotalFen - line.refundedFen)
          throw new AppError('validation', 'refund_too_large', undefined, {
            params: { max: line.lineTotalFen - line.refundedFen },
            fields: { amount: 'refund_too_large' },
          });
      }
      if (!payment) throw new AppError('conflict', 'order_not_refundable', undefined, { params: { status: order.status } });
      const refundId = await write(function* (tx) {
        const id = yield* insertRefund(tx, {
          orderId: order.id,
          paymentId: payment.id,
          orderLineId: request.orderLineId,
          amountFen: request.amountFen,
          reason: request.reason,
          status: 'pending',
          stripeRefundId: null,
          userId: actor.id,
          now: clock(),
        });
        if (onRecorded) yield* onRecorded(tx, id);
        return id;
      });
      let result: { stripeRefundId: string; status: 'pending' | 'succeeded' | 'failed' };
      try {
        result = await deps.onlineRefund(order, { refundId, amountFen: request.amountFen, reason: request.reason });
      } catch (error) {
        await write((tx) => setRefundStatus(tx, refundId, 'failed', null, clock()));
        throw error instanceof AppError ? error : new AppError('unavailable', 'stripe_unavailable');
      }
      await write((tx) =>
        audit.add(tx, {
          userId: actor.id,
          action: 'order.refund_requested',
          entityType: 'order',
          entityId: number,
          after: { amountFen: request.amountFen, lineId: request.orderLineId, stripeRefundId: result.stripeRefundId },
          address,
        }),
      );
      const settled = await write((tx) => settleStripeRefund(tx, result.stripeRefundId, result.status, refundId));
      return settled === 'refunded' ? 'refunded' : 'pending';
    },

    /** Applies a Stripe refund's status in a unit of its own (see parts.settleStripeRefund). */
    settleStripeRefund: (
      stripeRefundId: string,
      status: 'pending' | 'succeeded' | 'failed' | 'canceled' | 'requires_action',
      knownRefundId?: number,
      dashboard?: { orderId: number; paymentId: number | null; amountFen: number },
    ) => write((tx) => settleStripeRefund(tx, stripeRefundId, status, knownRefundId, dashboard)),

    /** The payments' changes as parts of another unit of work (the webhook's, a counter sale's). */
    parts: {
      settleStripeRefund,
      /** Records a payment that has already succeeded (an outlet's till). */
      recordSucceeded: (tx: Tx, p: { orderId: number; channel: PaymentChannel; amountFen: number; userId: number; now: number }) =>
        insertPayment(tx, {
          orderId: p.orderId,
          channel: p.channel,
          status: 'succeeded',
          amountFen: p.amountFen,
          reference: null,
          confirmedByUserId: p.userId,
          confirmedAt: p.now,
          now: p.now,
        }),
    },
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;
