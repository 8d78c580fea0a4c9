import type Stripe from 'stripe';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Order } from '../orders/index.js';
import type { OrdersService } from '../orders/orders-service.js';
import type { Database_ } from '../db/client.js';
import { insertPayment, paymentBySession, paymentsOf } from './payments-queries.js';
import { refundKey } from './payments-service.js';

/** Stripe accepts a Checkout Session expiry from 30 minutes to 24 hours ahead; keep a margin on both ends. */
const MIN_SESSION_MS = 31 * 60_000;
const MAX_SESSION_MS = 23 * 3_600_000;

/** The payment methods offered on the Checkout page (stripe-node 23 refuses `payment_method_types`). */
export const STRIPE_PAYMENT_METHODS = ['card', 'alipay', 'wechat_pay'] as const;

export interface StripeClientOptions {
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

/**
 * The Stripe client. One retry in production (requests carry idempotency keys, so a retry is
 * safe); none when the host is overridden, which only tests do against their fake server.
 */
export async function createStripeClient(secretKey: string, options: StripeClientOptions = {}): Promise<Stripe> {
  // Loaded only when Stripe is configured: a shop on bank transfer never pays for the SDK at start-up.
  const { default: StripeSdk } = await import('stripe');
  return new StripeSdk(secretKey, { maxNetworkRetries: options.host ? 0 : 1, timeout: 10_000, ...options });
}

/** The Checkout Session expiry in epoch seconds: the order's hold, clamped into what Stripe accepts. */
export function sessionExpiresAt(now: number, expiryMs: number): number {
  const ms = Math.min(Math.max(expiryMs, MIN_SESSION_MS), MAX_SESSION_MS);
  return Math.floor((now + ms) / 1000);
}

/**
 * Starts Stripe Checkout for a placed order: one Checkout Session in CNY (fen) whose lines are the
 * order's lines and its shipping, then a pending payment row naming the session. Stripe is called
 * outside any database transaction; the caller cancels the order if this throws.
 */
export function createStripeCheckout(deps: {
  stripe: Stripe;
  publicUrl: string;
  orders: OrdersService;
  db: Database_;
  clock: Clock;
  /** How long a Stripe order holds its stock, ms (config.orderExpiry.stripeMs). */
  expiryMs: number;
}) {
  const { orders } = deps;

  return async function startStripeCheckout(order: Order, accessToken: string): Promise<string> {
    const { lines } = await orders.details(order);
    const lineItems: Stripe.Checkout.SessionCreateParams.LineItem[] = lines.map((line) => ({
      price_data: { currency: 'cny', unit_amount: line.unitPriceFen, product_data: { name: line.titleZh } },
      quantity: line.quantity,
    }));
    if (order.shippingFen > 0) {
      lineItems.push({ price_data: { currency: 'cny', unit_amount: order.shippingFen, product_data: { name: '运费' } }, quantity: 1 });
    }
    const sum = lineItems.reduce((a, item) => a + item.price_data!.unit_amount! * item.quantity!, 0);
    if (sum !== order.totalFen) throw new Error(`checkout lines of order ${order.number} sum to ${sum} fen, not its total ${order.totalFen}`);

    return openCheckoutSession(deps, order, accessToken, lineItems, {});
  };
}

export interface CheckoutSessionDeps {
  stripe: Stripe;
  publicUrl: string;
  db: Database_;
  clock: Clock;
  expiryMs: number;
}

/**
 * Opens the Checkout Session of an order (CNY in fen; card, Alipay, WeChat Pay; the order id as
 * the client reference so the one webhook handler pays it; one idempotency key per order), then
 * records a pending payment naming the session. Returns the page to send the buyer to.
 */
export async function openCheckoutSession(
  deps: CheckoutSessionDeps,
  order: Order,
  accessToken: string,
  lineItems: Stripe.Checkout.SessionCreateParams.LineItem[],
  extraMetadata: Record<string, string>,
): Promise<string> {
  const { stripe, db, clock } = deps;
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const metadata = { orderId: String(order.id), orderNumber: order.number, ...extraMetadata };
  const back = `order=${encodeURIComponent(order.number)}&token=${encodeURIComponent(accessToken)}`;
  const session = await stripe.checkout.sessions.create(
    {
      mode: 'payment',
      currency: 'cny',
      line_items: lineItems,
      allowed_payment_method_types: [...STRIPE_PAYMENT_METHODS],
      payment_method_options: { wechat_pay: { client: 'web' } },
      client_reference_id: String(order.id),
      metadata,
      payment_intent_data: { metadata },
      success_url: `${publicUrl}/checkout/success?${back}`,
      cancel_url: `${publicUrl}/checkout/cancel?${back}`,
      expires_at: sessionExpiresAt(clock(), deps.expiryMs),
    },
    { idempotencyKey: `checkout-session:${order.id}` },
  );
  if (!session.url) throw new Error(`Stripe returned Checkout Session ${session.id} without a URL`);

  try {
    await db.uow.write(function* (tx) {
      // A retried call returns the same session (idempotency key): record it once.
      if (yield* paymentBySession(tx, session.id)) return;
      yield* insertPayment(tx, {
        orderId: order.id,
        channel: 'stripe',
        status: 'pending',
        amountFen: order.totalFen,
        reference: null,
        stripeCheckoutSessionId: session.id,
        now: clock(),
      });
    });
  } catch (error) {
    // The order is about to be cancelled: close the session so nobody can pay for it (best effort).
    await stripe.checkout.sessions.expire(session.id).catch(() => undefined);
    throw error;
  }
  return session.url;
}

/** What the payments service needs to refund through Stripe. */
export type OnlineRefund = (
  order: Order,
  refund: { refundId: number; amountFen: number; reason: string },
) => Promise<{ stripeRefundId: string; status: 'pending' | 'succeeded' | 'failed' }>;

/** A Stripe refund's status in the three states our refunds have. */
export function refundStatusOf(status: string | null | undefined): 'pending' | 'succeeded' | 'failed' {
  if (status === 'succeeded') return 'succeeded';
  if (status === 'failed' || status === 'canceled') return 'failed';
  return 'pending'; // pending, requires_action, or not yet known
}

/**
 * Refunds through Stripe: against the order's succeeded PaymentIntent, keyed by our refund id so
 * a retried request never refunds twice. The metadata lets the webhook match it to our refund row.
 */
export function createStripeRefund(deps: { stripe: Stripe; db: Database_ }): OnlineRefund {
  return async function onlineRefund(order, refund) {
    const payment = (await deps.db.uow.read((tx) => paymentsOf(tx, order.id))).find(
      (p) => p.channel === 'stripe' && p.status === 'succeeded' && p.stripePaymentIntentId,
    );
    if (!payment?.stripePaymentIntentId) throw new AppError('conflict', 'order_not_refundable', undefined, { params: { status: order.status } });
    const created = await deps.stripe.refunds.create(
      { payment_intent: payment.stripePaymentIntentId, amount: refund.amountFen, metadata: { refundId: String(refund.refundId), orderId: String(order.id) } },
      { idempotencyKey: refundKey(refund.refundId) },
    );
    return { stripeRefundId: created.id, status: refundStatusOf(created.status) };
  };
}
