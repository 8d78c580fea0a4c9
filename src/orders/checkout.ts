import type { Query, Tx, Work } from '../db/unit-of-work.js';
import type { CartOwner, CartService } from './cart-service.js';
import type { PlacedOrder } from './order-placing.js';
import type { Order } from './orders-queries.js';
import type { CheckoutContact, OrdersService, PlaceOptions } from './orders-service.js';

/**
 * The buyer's checkout as explicit steps, each with its undo, run in order; when a step fails, the
 * undos of the steps before it run in reverse and nothing the buyer can see is left half-done:
 *
 *   1. place the order (stock reserved, prices snapshotted; one write transaction)
 *        undo: cancel it, which releases its stock and lots
 *   2. open the payment session (Stripe; outside any transaction, it calls the network)
 *        no undo needed: an unused Checkout Session expires at Stripe
 *   3. clear the cart (a bank-transfer order cleared it in step 1, with the order)
 *
 * The cart stays as it was until the payment session exists, so a buyer whose session could not be
 * opened finds their cart intact and may try again.
 */
export interface CheckoutSteps {
  /** Step 1: places the order from the cart (an outlet pickup when `outletId` is set). */
  place: (input: CheckoutInput) => Promise<PlacedOrder>;
  /** Step 2: a Stripe Checkout Session's URL; null when Stripe is off. */
  openPaymentSession: ((order: Order, accessToken: string) => Promise<string>) | null;
  /** Undo of step 1. */
  cancelOrder: (order: Order, reason: string) => Promise<unknown>;
  /** Step 3. */
  clearCart: (owner: CartOwner) => Promise<void>;
}

export interface CheckoutInput {
  owner: CartOwner;
  buyerUserId: number | null;
  contact: CheckoutContact;
  /** A charity supermarket to collect from (no shipping fee); null ships the parcels. */
  outletId: number | null;
  address: string | null;
  reviewed: string | undefined;
}

export type CheckoutOutcome =
  /** Placed; pay by bank transfer (the order page says how). */
  | { kind: 'placed'; placed: PlacedOrder }
  /** Placed; the buyer pays at Stripe's page. */
  | { kind: 'pay_online'; placed: PlacedOrder; paymentUrl: string }
  /** The payment session could not be opened: the order was cancelled and the cart kept. */
  | { kind: 'payment_setup_failed'; order: Order; cause: unknown };

interface Step<T> {
  run: () => Promise<T>;
  undo?: (result: T) => Promise<unknown>;
}

/** Runs the steps in order; when one throws, the undos of those done run newest first and the throw goes on. */
async function runSteps(steps: Step<unknown>[]): Promise<void> {
  const done: (() => Promise<unknown>)[] = [];
  for (const step of steps) {
    try {
      const result = await step.run();
      if (step.undo) done.push(() => step.undo!(result));
    } catch (error) {
      for (const undo of done.reverse()) await undo();
      throw error;
    }
  }
}

class PaymentSetupFailed extends Error {
  constructor(
    readonly order: Order,
    override readonly cause: unknown,
  ) {
    super('payment setup failed');
  }
}

export function createCheckout(steps: CheckoutSteps) {
  return {
    /**
     * Runs the checkout. A refusal while placing (sold out, prices changed, an empty cart) is thrown
     * as the service's AppError with nothing written; a payment session that cannot be opened is
     * an outcome, the order cancelled and the cart kept.
     */
    async run(input: CheckoutInput): Promise<CheckoutOutcome> {
      let placed: PlacedOrder | undefined;
      let paymentUrl: string | null = null;
      const online = input.contact.paymentMethod === 'stripe' && steps.openPaymentSession !== null;
      try {
        await runSteps([
          {
            run: async () => (placed = await steps.place(input)),
            undo: (p) => steps.cancelOrder((p as PlacedOrder).order, 'payment setup failed'),
          },
          ...(online
            ? [
                {
                  run: async () => {
                    try {
                      paymentUrl = await steps.openPaymentSession!(placed!.order, placed!.accessToken);
                    } catch (error) {
                      throw new PaymentSetupFailed(placed!.order, error);
                    }
                  },
                },
                { run: () => steps.clearCart(input.owner) },
              ]
            : []),
        ]);
      } catch (error) {
        if (error instanceof PaymentSetupFailed) return { kind: 'payment_setup_failed', order: error.order, cause: error.cause };
        throw error;
      }
      return paymentUrl === null ? { kind: 'placed', placed: placed! } : { kind: 'pay_online', placed: placed!, paymentUrl };
    },
  };
}

/**
 * The checkout's steps over the order and cart services; step 1 is a unit of work committed by
 * `write` (the unit of work's, src/db/unit-of-work.ts: on the group commit, answered once durable).
 */
export function checkoutSteps(deps: {
  orders: OrdersService;
  cart: CartService;
  write: <T>(work: Work<T>) => Promise<T>;
  openPaymentSession: CheckoutSteps['openPaymentSession'];
  placePickup?: (
    tx: Tx,
    owner: CartOwner,
    buyerUserId: number | null,
    contact: CheckoutContact,
    outletId: number,
    address: string | null,
    options?: Pick<PlaceOptions, 'reviewed'>,
  ) => Query<PlacedOrder>;
}): CheckoutSteps {
  return {
    place: (input) =>
      deps.write(function* (tx) {
        // A pick-up at a charity supermarket: the outlets domain places it as a part of this unit.
        if (input.outletId !== null && deps.placePickup)
          return yield* deps.placePickup(tx, input.owner, input.buyerUserId, input.contact, input.outletId, input.address, { reviewed: input.reviewed });
        return yield* deps.orders.parts.place(tx, input.owner, input.buyerUserId, input.contact, input.address, { reviewed: input.reviewed });
      }),
    openPaymentSession: deps.openPaymentSession,
    cancelOrder: (order, reason) => deps.orders.cancelUnpaid(order, reason),
    clearCart: (owner) => deps.cart.clear(owner),
  };
}

export type Checkout = ReturnType<typeof createCheckout>;
