import { AppError } from '../errors.js';
import type { CartOwner } from './cart-service.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import type { SellableProduct } from './cart-queries.js';
import { unitsHeldBy } from './orders-queries.js';

/**
 * What unpaid orders may hold (README, "Holds on stock and micro-wishes"). An unpaid order keeps its
 * units off the shelf until it is paid or expires; placing orders costs nothing, so without limits
 * one visitor could take a product's whole stock with a few orders and never pay.
 *
 * A holder is each of: the visitor who placed the order (their account, else their browser
 * session), the phone number on it, and the address it was placed from. The unpaid orders of any
 * one holder may hold at most `unitCap` units of a product: its retail limit (which already caps one
 * order's line), or HOLD_LIMITS.unitsWithoutRetailLimit when it has none. So splitting a purchase
 * into several orders, or several browsers, phones or addresses short of all three, gives no more.
 * Orders placed by staff (accepted quotes, counter sales) are not counted. Staff see the holds and
 * release suspicious ones at /coordinator/holds.
 */
export const HOLD_LIMITS = {
  /** The cap for a product without a retail limit, units. */
  unitsWithoutRetailLimit: 20,
  /** Unpaid micro-wish claims one holder may have at once (a wish is one of a kind). */
  wishClaims: { visitor: 1, phone: 1, address: 2 },
} as const;

/** Who holds an unpaid order: the visitor ("user:<id>" or "session:<hash>"), the phone number, the client address. */
export interface Holder {
  visitor: string;
  phone: string;
  address: string | null;
}

/** The visitor as a holder: their account when signed in, else their browser session. */
export const visitorKey = (owner: CartOwner): string => ('userId' in owner ? `user:${owner.userId}` : `session:${owner.sessionIdHash}`);

/** Units of a product one holder's unpaid orders may hold together. */
export const unitCap = (product: Pick<SellableProduct, 'minOrderQty' | 'maxRetailQty'>) =>
  Math.max(product.minOrderQty, product.maxRetailQty ?? HOLD_LIMITS.unitsWithoutRetailLimit);

/**
 * Refuses an order (409, nothing written: it runs inside the placing transaction) whose lines would
 * take a holder's unpaid units of a product over the cap.
 */
export function* checkHolds(tx: Tx, holder: Holder, lines: readonly { product: SellableProduct; quantity: number }[], now: number): Query<void> {
  for (const { product, quantity } of lines) {
    const held = yield* unitsHeldBy(tx, holder, product.id, now);
    const cap = unitCap(product);
    if (Math.max(held.visitor, held.phone, held.address) + quantity > cap) {
      throw new AppError('conflict', 'hold_limit', undefined, { params: { title: product.titleZh, max: cap, unit: product.unit } });
    }
  }
}
