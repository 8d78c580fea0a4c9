import type { Order } from '../orders/index.js';
import { openCheckoutSession, type CheckoutSessionDeps } from '../payments/stripe-gateway.js';

/** Starts Stripe Checkout for a wish's donation order and returns the page to send the donor to. */
export type StartWishCheckout = (order: Order, accessToken: string, wish: { item: string; childName: string }) => Promise<string>;

/**
 * Stripe Checkout for a micro-wish donation. The shop's checkout builds its Session from the
 * order's product lines; a donation has none, so its Session has one line: the wish itself. The
 * rest is the same contract: CNY in fen, card/Alipay/WeChat Pay, the order id as the client
 * reference (the one webhook handler pays it), and a pending payment row naming the Session.
 * Called outside any database transaction; the caller cancels the claim if this throws.
 */
export function createWishCheckout(deps: CheckoutSessionDeps): StartWishCheckout {
  return async function startWishCheckout(order, accessToken, wish) {
    const line = {
      price_data: { currency: 'cny', unit_amount: order.totalFen, product_data: { name: `微心愿：${wish.childName}的${wish.item}` } },
      quantity: 1,
    };
    return openCheckoutSession(deps, order, accessToken, [line], { kind: 'wish' });
  };
}
