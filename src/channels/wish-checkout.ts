import type Stripe from 'stripe';
import type { Clock } from '../clock.js';
import type { OrderRow } from '../orders/orders-queries.js';
import type { PaymentsQueries } from '../payments/payments-queries.js';
import { sessionExpiresAt, STRIPE_PAYMENT_METHODS } from '../payments/stripe-gateway.js';

/** Starts Stripe Checkout for a wish's donation order and returns the page to send the donor to. */
export type StartWishCheckout = (order: OrderRow, accessToken: string, wish: { item: string; childName: string }) => Promise<string>;

/**
 * Stripe Checkout for a micro-wish donation. The shop's checkout builds its Session from the
 * order's product lines; a donation has none, so its Session has one line: the wish itself. The
 * rest is the same contract: CNY in fen, card/Alipay/WeChat Pay, the order id as the client
 * reference (the one webhook handler pays it), and a pending payment row naming the Session.
 * Called outside any database transaction; the caller cancels the claim if this throws.
 */
export function createWishCheckout(deps: { stripe: Stripe; publicUrl: string; paymentsQueries: PaymentsQueries; clock: Clock; expiryMs: number }): StartWishCheckout {
  const { stripe, paymentsQueries, clock } = deps;
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');

  return async function startWishCheckout(order, accessToken, wish) {
    const metadata = { orderId: String(order.id), orderNumber: order.number, kind: 'wish' };
    const back = `order=${encodeURIComponent(order.number)}&token=${encodeURIComponent(accessToken)}`;
    const session = await stripe.checkout.sessions.create(
      {
        mode: 'payment',
        currency: 'cny',
        line_items: [{ price_data: { currency: 'cny', unit_amount: order.totalFen, product_data: { name: `微心愿：${wish.childName}的${wish.item}` } }, quantity: 1 }],
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
      paymentsQueries.transaction(() => {
        if (paymentsQueries.paymentBySession(session.id)) return;
        paymentsQueries.insertPayment({ orderId: order.id, channel: 'stripe', status: 'pending', amountFen: order.totalFen, reference: null, stripeCheckoutSessionId: session.id, now: clock() });
      });
    } catch (error) {
      await stripe.checkout.sessions.expire(session.id).catch(() => undefined);
      throw error;
    }
    return session.url;
  };
}
