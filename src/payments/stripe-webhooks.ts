import type Stripe from 'stripe';
import { z } from 'zod';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { savepoint, type Query, type Tx, type Work } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import type { LedgerService } from '../ledger/ledger-service.js';
import type { Order } from '../orders/index.js';
import type { OrdersService } from '../orders/orders-service.js';
import { foreignMinorToFen, formatMinorUnits } from '../money.js';
import {
  insertPayment,
  paymentByCharge,
  paymentByIntent,
  paymentBySession,
  recordStripeEvent,
  refundById,
  setPaymentStatus,
  settlementOf,
  settlePayment,
  stripeEventSeen,
  type Payment,
  type Settlement,
} from './payments-queries.js';
import type { PaymentsService } from './payments-service.js';
import { refundStatusOf } from './stripe-gateway.js';

/**
 * 200: handled (or a replay, or nothing for us). 400: the signature did not verify; nothing changed.
 * 503: Stripe could not be asked for what the event needs, or the event is ahead of one it depends
 * on; nothing changed and Stripe delivers it again later.
 */
export interface WebhookResult {
  status: 200 | 400 | 503;
  message: string;
}

/** Nothing was recorded; Stripe retries the delivery later. */
class RetryLater extends Error {}

/** What a succeeded payment's charge says: its id and the processor fee, fen. */
interface ChargeFacts {
  id: string;
  /** The fee in fen: as Stripe charged it, or converted at the balance transaction's exchange rate. */
  feeFen: number;
  /** Set when Stripe settled in another currency: the fee as charged there, and the rate (null: none given, the fee could not be converted). */
  settlement: Settlement | null;
}

/**
 * What a balance transaction says about the fee: in fen when it is in CNY; otherwise converted at
 * its exchange_rate (CNY → the settlement currency; see foreignMinorToFen for the exact rounding),
 * keeping the fee as Stripe charged it. A JSON number's shortest text is the decimal Stripe wrote.
 */
export function feeOfBalanceTransaction(bt: Pick<Stripe.BalanceTransaction, 'currency' | 'fee' | 'exchange_rate'>): Pick<ChargeFacts, 'feeFen' | 'settlement'> {
  if (bt.currency.toLowerCase() === 'cny') return { feeFen: bt.fee, settlement: null };
  const rate = typeof bt.exchange_rate === 'number' && Number.isFinite(bt.exchange_rate) ? String(bt.exchange_rate) : null;
  const feeFen = rate === null ? null : foreignMinorToFen(bt.fee, bt.currency, rate);
  return { feeFen: feeFen ?? 0, settlement: { currency: bt.currency.toLowerCase(), feeMinor: bt.fee, exchangeRate: feeFen === null ? null : rate } };
}

/** The event's effects, run inside the transaction that records the event; returns what was done. */
/** What an event does, as a unit of work run with the event's record (a step of its one transaction). */
type Effect = Work<string>;

const idOf = (ref: string | { id: string } | null | undefined): string | null => (typeof ref === 'string' ? ref : (ref?.id ?? null));

const idRef = z.union([z.string(), z.object({ id: z.string() }).passthrough(), z.null()]).optional();
const metadata = z.record(z.string(), z.string()).nullable().optional();
const sessionShape = z
  .object({
    id: z.string(),
    client_reference_id: z.string().nullable().optional(),
    metadata,
    payment_status: z.string().optional(),
    amount_total: z.number().int().nullable().optional(),
    payment_intent: idRef,
  })
  .passthrough();
const refundShape = z
  .object({ id: z.string(), status: z.string().nullable().optional(), amount: z.number().int(), charge: idRef, payment_intent: idRef, metadata })
  .passthrough();
const chargeShape = z
  .object({
    id: z.string(),
    payment_intent: idRef,
    metadata,
    refunds: z
      .object({ data: z.array(refundShape), has_more: z.boolean() })
      .passthrough()
      .nullable()
      .optional(),
  })
  .passthrough();

/** The shape of `data.object` for each event type we act on; a signed event of another shape is refused. */
const OBJECT_SHAPES: Record<string, z.ZodType> = {
  'checkout.session.completed': sessionShape,
  'checkout.session.async_payment_succeeded': sessionShape,
  'checkout.session.async_payment_failed': sessionShape,
  'checkout.session.expired': sessionShape,
  'charge.refunded': chargeShape,
  'charge.refund.updated': refundShape,
};

/** The fields every handled event needs: an id, a type, a creation time and a data object of the right shape. */
function isWellFormed(event: unknown): event is Stripe.Event {
  const e = event as { id?: unknown; type?: unknown; created?: unknown; data?: { object?: unknown } } | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    e.id.length > 0 &&
    e.id.length <= 255 &&
    typeof e.type === 'string' &&
    typeof e.created === 'number' &&
    Number.isFinite(e.created) &&
    typeof e.data === 'object' &&
    e.data !== null &&
    typeof e.data.object === 'object' &&
    e.data.object !== null &&
    (OBJECT_SHAPES[e.type]?.safeParse(e.data.object).success ?? true)
  );
}

/** The SDK's errors (StripeAPIError, StripeConnectionError …) carry their class name as `type`. */
function isStripeError(error: unknown): error is Error {
  const type = (error as { type?: unknown } | null)?.type;
  return error instanceof Error && typeof type === 'string' && type.startsWith('Stripe');
}

/** An effect that changes nothing but says why. */
function ignore(why: string): Effect {
  // biome-ignore lint/correctness/useYield: an effect without a query is still a unit of work.
  return function* () {
    return why;
  };
}

function orderIdOf(session: Stripe.Checkout.Session): number | null {
  const raw = session.client_reference_id ?? session.metadata?.orderId ?? null;
  return raw !== null && /^[1-9][0-9]{0,9}$/.test(raw) ? Number(raw) : null;
}

/**
 * Stripe webhooks. The signature is verified first; anything needed from Stripe's API is fetched
 * before the database is touched; then the event id and all of its effects are written in ONE
 * transaction, so replays and parallel deliveries of the same event change nothing, and events
 * arriving in any order converge on the same state (every effect is idempotent by key or by state).
 */
export function createStripeWebhookHandler(deps: {
  stripe: Stripe;
  webhookSecret: string;
  orders: OrdersService;
  payments: PaymentsService;
  db: Database_;
  ledger: LedgerService;
  audit: AuditService;
  clock: Clock;
}) {
  const { stripe, orders, payments, db, ledger, audit, clock } = deps;

  /** Calls Stripe; any failure of Stripe (network, 5xx, rate limit) means "try this event later". */
  async function fromStripe<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isStripeError(error)) throw new RetryLater(`${what}: ${error.message}`);
      throw error;
    }
  }

  function* findOrder(tx: Tx, id: number | null): Query<Order | null> {
    if (id === null) return null;
    try {
      return yield* orders.parts.orderById(tx, id);
    } catch (error) {
      if (error instanceof AppError && error.code === 'order_not_found') return null;
      throw error;
    }
  }

  /** The session's payment row; created when the checkout never got to write it. */
  function* paymentOfSession(tx: Tx, session: Stripe.Checkout.Session, order: Order): Query<Payment> {
    const existing = yield* paymentBySession(tx, session.id);
    if (existing) return existing;
    yield* insertPayment(tx, {
      orderId: order.id,
      channel: 'stripe',
      status: 'pending',
      amountFen: session.amount_total ?? order.totalFen,
      reference: null,
      stripeCheckoutSessionId: session.id,
      now: clock(),
    });
    return (yield* paymentBySession(tx, session.id))!;
  }

  // ---------- Checkout Sessions ----------

  async function paymentSucceeded(session: Stripe.Checkout.Session): Promise<Effect> {
    const intentId = idOf(session.payment_intent);
    let charge: ChargeFacts | null = null;
    if (intentId) {
      const intent = await fromStripe('retrieve payment intent', () =>
        stripe.paymentIntents.retrieve(intentId, { expand: ['latest_charge.balance_transaction'] }),
      );
      const latest = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
      if (latest) {
        const bt = typeof latest.balance_transaction === 'object' ? latest.balance_transaction : null;
        charge = { id: latest.id, ...(bt ? feeOfBalanceTransaction(bt) : { feeFen: 0, settlement: null }) };
      }
    }
    return function* (tx) {
      const order = yield* findOrder(tx, orderIdOf(session));
      if (!order) return 'ignored: no order of ours';
      const amountFen = session.amount_total ?? 0;
      const payment = yield* paymentOfSession(tx, session, order);
      const firstTime = payment.status !== 'succeeded';
      let orphan: string | null = null;
      try {
        yield* orders.parts.recordPayment(tx, order, { channel: 'stripe', amountFen, userId: null, memo: `stripe ${session.id}` });
      } catch (error) {
        // The order was cancelled (expired) before the money arrived, or the amount is not the total.
        if (error instanceof AppError && error.type === 'conflict') orphan = error.code;
        else throw error;
      }
      yield* settlePayment(tx, payment.id, {
        status: 'succeeded',
        amountFen,
        feeFen: charge?.feeFen ?? payment.feeFen,
        settlement: charge ? charge.settlement : settlementOf(payment),
        intentId,
        chargeId: charge?.id ?? null,
        now: clock(),
      });
      if (orphan) {
        // Money without a payable order: nothing is posted; reconciliation flags it for a refund.
        if (firstTime)
          yield* audit.add(tx, {
            userId: null,
            action: 'payment.orphan',
            entityType: 'order',
            entityId: order.number,
            before: { status: order.status },
            after: { reason: orphan, sessionId: session.id, amountFen, chargeId: charge?.id ?? null },
          });
        return 'orphan payment recorded';
      }
      if (charge && charge.feeFen > 0) {
        yield* ledger.postIn(tx, {
          idempotencyKey: `stripe-fee:${charge.id}`,
          kind: 'processor_fee',
          orderId: order.id,
          entries: [
            { account: { kind: 'processor_fees', processor: 'stripe' }, amountFen: charge.feeFen },
            { account: { kind: 'clearing', channel: 'stripe' }, amountFen: -charge.feeFen },
          ],
          // The fee as Stripe charged it stays on the posting (and on the payment row) when it was converted.
          memo: charge.settlement
            ? `stripe fee ${charge.id}: ${formatMinorUnits(charge.settlement.feeMinor, charge.settlement.currency)} at ${charge.settlement.exchangeRate} ${charge.settlement.currency.toUpperCase()} per CNY`
            : `stripe fee ${charge.id}`,
        });
      }
      if (charge?.settlement && charge.settlement.exchangeRate === null && firstTime) {
        // No exchange rate to convert by: nothing is posted, and reconciliation lists the fee as unconverted.
        yield* audit.add(tx, {
          userId: null,
          action: 'payment.fee_unposted',
          entityType: 'order',
          entityId: order.number,
          after: { chargeId: charge.id, currency: charge.settlement.currency, amount: charge.settlement.feeMinor },
        });
      }
      return 'paid';
    };
  }

  function paymentFailed(session: Stripe.Checkout.Session): Effect {
    return function* (tx) {
      const order = yield* findOrder(tx, orderIdOf(session));
      if (!order) return 'ignored: no order of ours';
      const payment = yield* paymentOfSession(tx, session, order);
      if (payment.status === 'pending') yield* setPaymentStatus(tx, payment.id, 'failed');
      return (yield* orders.parts.cancelUnpaid(tx, order, 'payment failed')) ? 'cancelled' : 'unchanged';
    };
  }

  function sessionExpired(session: Stripe.Checkout.Session): Effect {
    return function* (tx) {
      const order = yield* findOrder(tx, orderIdOf(session));
      if (!order) return 'ignored: no order of ours';
      const payment = yield* paymentOfSession(tx, session, order);
      if (payment.status === 'pending') yield* setPaymentStatus(tx, payment.id, 'expired');
      return (yield* orders.parts.cancelUnpaid(tx, order, 'checkout expired')) ? 'cancelled' : 'unchanged';
    };
  }

  // ---------- Refunds ----------

  /** Our refund row named in the refund's metadata (set by onlineRefund), if it belongs to that order. */
  function* knownRefundId(tx: Tx, refund: Stripe.Refund, orderId: number | null): Query<number | undefined> {
    const raw = refund.metadata?.refundId;
    if (!raw || !/^[1-9][0-9]{0,9}$/.test(raw)) return undefined;
    const row = yield* refundById(tx, Number(raw));
    return row && (orderId === null || row.orderId === orderId) ? row.id : undefined;
  }

  /** Settles a refund of `payment` (our succeeded Stripe payment of `order`, when it is one of ours). */
  function* settleRefund(tx: Tx, refund: Stripe.Refund, order: Order | null, payment: Payment | undefined): Query<string> {
    if (typeof refund?.id !== 'string' || !Number.isSafeInteger(refund.amount)) return 'ignored: malformed refund';
    const status = refundStatusOf(refund.status);
    try {
      const dashboard = order ? { orderId: order.id, paymentId: payment?.id ?? null, amountFen: refund.amount } : undefined;
      const known = yield* knownRefundId(tx, refund, order?.id ?? null);
      // Its own savepoint: a refund the order cannot take undoes only its own writes, and is audited instead.
      return yield* savepoint(payments.parts.settleStripeRefund(tx, refund.id, status, known, dashboard));
    } catch (error) {
      // Money went back for an order that cannot take the refund (an orphan payment, or more than was paid).
      if (!(error instanceof AppError) || !order) throw error;
      yield* audit.add(tx, {
        userId: null,
        action: 'refund.unposted',
        entityType: 'order',
        entityId: order.number,
        after: { reason: error.code, stripeRefundId: refund.id, amountFen: refund.amount, status },
      });
      return 'unposted';
    }
  }

  /** The payment a charge paid for, by charge or by PaymentIntent. */
  function* paymentOfCharge(tx: Tx, charge: Stripe.Charge | string, intent: string | null): Query<Payment | undefined> {
    const chargeId = typeof charge === 'string' ? charge : charge.id;
    return (yield* paymentByCharge(tx, chargeId)) ?? (intent ? yield* paymentByIntent(tx, intent) : undefined);
  }

  async function chargeRefunded(charge: Stripe.Charge): Promise<Effect> {
    const payment = await db.uow.read((tx) => paymentOfCharge(tx, charge, idOf(charge.payment_intent)));
    if (payment?.status !== 'succeeded') {
      // Ours but the payment's own event is not processed yet: come back later. Not ours: ignore.
      if (charge.metadata?.orderId) throw new RetryLater('charge refunded before its payment was recorded');
      return ignore('ignored: no payment of ours');
    }
    const refunds =
      charge.refunds && !charge.refunds.has_more
        ? charge.refunds.data
        : (await fromStripe('list refunds', () => stripe.refunds.list({ charge: charge.id, limit: 100 }))).data;
    return function* (tx) {
      const order = yield* findOrder(tx, payment.orderId);
      const settled: string[] = [];
      for (const refund of refunds) settled.push(`${refund.id}: ${yield* settleRefund(tx, refund, order, payment)}`);
      return settled.join(', ') || 'no refunds';
    };
  }

  function refundUpdated(refund: Stripe.Refund): Effect {
    return function* (tx) {
      const payment = refund.charge ? yield* paymentOfCharge(tx, refund.charge, idOf(refund.payment_intent)) : undefined;
      const order = payment?.status === 'succeeded' ? yield* findOrder(tx, payment.orderId) : null;
      return yield* settleRefund(tx, refund, order, payment);
    };
  }

  async function prepare(event: Stripe.Event): Promise<Effect> {
    switch (event.type) {
      case 'checkout.session.completed':
        // Cards, Alipay and WeChat Pay are paid at once; anything still unpaid waits for async_payment_*.
        if (event.data.object.payment_status !== 'paid') return ignore('awaiting payment');
        return paymentSucceeded(event.data.object);
      case 'checkout.session.async_payment_succeeded':
        return paymentSucceeded(event.data.object);
      case 'checkout.session.async_payment_failed':
        return paymentFailed(event.data.object);
      case 'checkout.session.expired':
        return sessionExpired(event.data.object);
      case 'charge.refunded':
        return chargeRefunded(event.data.object);
      case 'charge.refund.updated':
        return refundUpdated(event.data.object);
      default:
        return ignore('ignored');
    }
  }

  return {
    async handle(rawBody: Buffer, signature: string | undefined): Promise<WebhookResult> {
      let event: Stripe.Event;
      try {
        if (!signature) throw new Error('no Stripe-Signature header');
        event = stripe.webhooks.constructEvent(rawBody, signature, deps.webhookSecret);
      } catch {
        return { status: 400, message: 'invalid signature' };
      }
      // Signed is not the same as well-formed: an event without the fields we rely on is refused.
      if (!isWellFormed(event)) return { status: 400, message: 'malformed event' };
      if (await db.uow.read((tx) => stripeEventSeen(tx, event.id))) return { status: 200, message: 'duplicate' };
      let effect: Effect;
      try {
        effect = await prepare(event);
      } catch (error) {
        if (error instanceof RetryLater) return { status: 503, message: error.message };
        throw error;
      }
      const seen = event;
      // One unit of work, answered once durable: the event's record and all of its effects.
      return db.uow.write(function* (tx): Query<WebhookResult> {
        // A parallel delivery of the same event may have committed while we talked to Stripe: the unique event id refuses it.
        if (!(yield* recordStripeEvent(tx, seen.id, seen.type, seen.created * 1000, clock()))) return { status: 200, message: 'duplicate' };
        return { status: 200, message: yield* effect(tx) };
      });
    },
  };
}

export type StripeWebhookHandler = ReturnType<typeof createStripeWebhookHandler>;
