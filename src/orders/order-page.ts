import type { Locale, Translator } from '../i18n/i18n.js';
import type { OrdersService } from './orders-service.js';
import type { Order } from './orders-queries.js';

/** What the order page shows of an order: the order, its lines, shipments and postings. */
export interface ShownOrder {
  order: Order;
  details: Awaited<ReturnType<OrdersService['details']>>;
}

/** Who looks at the order page: their language, and the confirmation link's token if they came by it. */
export interface OrderViewer {
  locale: Locale;
  t: Translator;
  /** The order's access token (the confirmation link); undefined for the signed-in buyer without one. */
  token: string | undefined;
}

/**
 * A section of the order page (pickup, lots, wish, benefit), asked by the orders routes for what it
 * shows of this order to this viewer. `name` is the view local its partial reads (views/orders/order.hbs);
 * `load` answers the section ready to render, or null when it has nothing to show. The sections
 * are handed to the orders routes by the composition root (src/app.ts): orders need not know the
 * domains behind them. The viewer has already been let in (the order's token, or its signed-in buyer).
 */
export interface OrderPageSection {
  readonly name: 'orderPickup' | 'orderWish' | 'orderLots' | 'benefit' | 'donationReceipt';
  load(shown: ShownOrder, viewer: OrderViewer): Promise<unknown>;
}

/** The sections' view locals for one order page; a section with nothing to show adds none. */
export async function loadSections(sections: readonly OrderPageSection[], shown: ShownOrder, viewer: OrderViewer): Promise<Record<string, unknown>> {
  const locals: Record<string, unknown> = {};
  for (const section of sections) {
    const value = await section.load(shown, viewer);
    if (value !== null && value !== undefined) locals[section.name] = value;
  }
  return locals;
}

/** A charity supermarket the checkout offers for picking the order up (src/outlets). */
export interface PickupOutletChoice {
  id: string;
  name: string;
  address: string;
  openingHours: string;
}
