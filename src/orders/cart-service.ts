import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { saleDay } from '../projects/project-period.js';
import type { OrdersQueries, SellableProduct } from './orders-queries.js';
import { checkQuantity, shippingFeeFor, unitPriceFor } from './pricing.js';

/** Whose cart: an anonymous session's, or a signed-in user's. */
export type CartOwner = { userId: number } | { sessionIdHash: string };

export interface PricedLine {
  product: SellableProduct;
  quantity: number;
  unitPriceFen: number;
  lineTotalFen: number;
  /** Why the line cannot be bought as it is (sold out, below minimum …), or null. */
  problem: { code: string; params: Record<string, string | number> } | null;
}

export interface VillageParcel {
  villageId: number;
  villageZh: string;
  villageEn: string | null;
  subtotalFen: number;
  shippingFeeFen: number;
}

export interface PricedCart {
  cartId: number | null;
  lines: PricedLine[];
  parcels: VillageParcel[];
  subtotalFen: number;
  shippingFen: number;
  totalFen: number;
  itemCount: number;
  canCheckout: boolean;
}

/**
 * What the buyer reviewed, as a short string the review form carries back: the total in fen, then
 * a digest of every line's product, quantity and unit price and of the shipping. An order is placed
 * only if the cart still prices to the same string (prices, tiers, shipping or lines unchanged).
 */
export function reviewedFigures(priced: PricedCart, pickup: boolean): string {
  const shippingFen = pickup ? 0 : priced.shippingFen;
  const lines = priced.lines.map((l) => [l.product.id, l.quantity, l.unitPriceFen, l.lineTotalFen]);
  const digest = createHash('sha256')
    .update(JSON.stringify([lines, shippingFen]))
    .digest('base64url')
    .slice(0, 22);
  return `${priced.subtotalFen + shippingFen}.${digest}`;
}

/** The total (fen) a reviewed-figures string says the buyer saw, or null when it is not one. */
export function reviewedTotalFen(reviewed: string): number | null {
  const match = /^([0-9]{1,13})\.[A-Za-z0-9_-]{22}$/.exec(reviewed);
  return match ? Number(match[1]) : null;
}

/**
 * Prices cart contents from current products: tier prices by quantity, shipping per village. Each
 * line says why it cannot be bought as it is on `today` (YYYY-MM-DD, CST), if it cannot.
 */
export function priceItems(
  queries: OrdersQueries,
  items: readonly { productId: number; quantity: number }[],
  cartId: number | null,
  today: string,
): PricedCart {
  const lines: PricedLine[] = [];
  for (const item of items) {
    const product = queries.sellableProduct(item.productId);
    if (!product) continue;
    let problem: PricedLine['problem'] = null;
    try {
      checkQuantity(product, item.quantity, today);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      problem = { code: error.code, params: error.details.params ?? {} };
    }
    const unitPriceFen = unitPriceFor(product.priceFen, queries.tiersOf(product.id), item.quantity);
    lines.push({ product, quantity: item.quantity, unitPriceFen, lineTotalFen: unitPriceFen * item.quantity, problem });
  }
  const parcels = new Map<number, VillageParcel>();
  for (const line of lines) {
    const p = line.product;
    const parcel = parcels.get(p.villageId) ?? { villageId: p.villageId, villageZh: p.villageZh, villageEn: p.villageEn, subtotalFen: 0, shippingFeeFen: 0 };
    parcel.subtotalFen += line.lineTotalFen;
    parcels.set(p.villageId, parcel);
  }
  for (const parcel of parcels.values()) {
    const line = lines.find((l) => l.product.villageId === parcel.villageId)!;
    parcel.shippingFeeFen = shippingFeeFor(line.product, parcel.subtotalFen);
  }
  const subtotalFen = lines.reduce((a, l) => a + l.lineTotalFen, 0);
  const shippingFen = [...parcels.values()].reduce((a, p) => a + p.shippingFeeFen, 0);
  return {
    cartId,
    lines,
    parcels: [...parcels.values()],
    subtotalFen,
    shippingFen,
    totalFen: subtotalFen + shippingFen,
    itemCount: lines.reduce((a, l) => a + l.quantity, 0),
    canCheckout: lines.length > 0 && lines.every((l) => l.problem === null),
  };
}

/**
 * The cart lives in the database, keyed by the session (anonymous) or the user. Quantities are
 * checked against stock, minimum order and retail limit when changed; prices are always current.
 */
export function createCartService(queries: OrdersQueries, deps: { clock: Clock }) {
  const cartIdOf = (owner: CartOwner) => ('userId' in owner ? queries.cartIdForUser(owner.userId) : queries.cartIdForSession(owner.sessionIdHash));

  function ensureCart(owner: CartOwner): number {
    return (
      cartIdOf(owner) ??
      queries.createCart(
        { sessionIdHash: 'sessionIdHash' in owner ? owner.sessionIdHash : null, userId: 'userId' in owner ? owner.userId : null },
        deps.clock(),
      )
    );
  }

  function current(owner: CartOwner) {
    const cartId = cartIdOf(owner);
    return cartId === undefined ? [] : queries.cartItems(cartId);
  }

  return {
    view(owner: CartOwner): PricedCart {
      const cartId = cartIdOf(owner) ?? null;
      return priceItems(queries, cartId === null ? [] : queries.cartItems(cartId), cartId, saleDay(deps.clock()));
    },

    itemCount(owner: CartOwner): number {
      return current(owner).reduce((a, i) => a + i.quantity, 0);
    },

    /** Adds to what is already in the cart for that product; the total is checked. */
    add(owner: CartOwner, productId: number, quantity: number): void {
      queries.transaction(() => {
        const existing = current(owner).find((i) => i.productId === productId)?.quantity ?? 0;
        const total = existing + quantity;
        checkQuantity(queries.sellableProduct(productId), total, saleDay(deps.clock()));
        const cartId = ensureCart(owner);
        queries.setCartItem(cartId, productId, total, deps.clock());
        queries.touchCart(cartId, deps.clock());
      });
    },

    /** Sets the quantity of a line; 0 removes it. */
    set(owner: CartOwner, productId: number, quantity: number): void {
      queries.transaction(() => {
        const cartId = cartIdOf(owner);
        if (quantity === 0) {
          if (cartId !== undefined) queries.removeCartItem(cartId, productId);
          return;
        }
        checkQuantity(queries.sellableProduct(productId), quantity, saleDay(deps.clock()));
        const id = cartId ?? ensureCart(owner);
        queries.setCartItem(id, productId, quantity, deps.clock());
        queries.touchCart(id, deps.clock());
      });
    },

    clear(owner: CartOwner): void {
      const cartId = cartIdOf(owner);
      if (cartId !== undefined) queries.clearCart(cartId);
    },

    /**
     * At sign-in the anonymous cart joins the user's: quantities of the same product add up,
     * capped at what can still be bought; the anonymous cart is then removed.
     */
    mergeIntoUser(sessionIdHash: string, userId: number): void {
      queries.transaction(() => {
        const anonId = queries.cartIdForSession(sessionIdHash);
        if (anonId === undefined) return;
        const items = queries.cartItems(anonId);
        const userCartId = ensureCart({ userId });
        const userItems = new Map(queries.cartItems(userCartId).map((i) => [i.productId, i.quantity]));
        for (const item of items) {
          const product = queries.sellableProduct(item.productId);
          if (!product?.published) continue;
          const cap = Math.min(product.stock, product.maxRetailQty ?? Number.MAX_SAFE_INTEGER);
          const merged = Math.min((userItems.get(item.productId) ?? 0) + item.quantity, Math.max(cap, 0));
          if (merged >= Math.max(1, product.minOrderQty)) queries.setCartItem(userCartId, item.productId, merged, deps.clock());
        }
        queries.deleteCart(anonId);
      });
    },

    /** Items of the owner's cart (for checkout). */
    items: current,
  };
}

export type CartService = ReturnType<typeof createCartService>;
