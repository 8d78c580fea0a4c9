import { createHash } from 'node:crypto';
import { tiersOf } from '../catalog/index.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import type { Query, Tx, Work } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import { saleDay } from '../projects/project-period.js';
import {
  cartIdForSession,
  cartIdForUser,
  cartItemsOf,
  clearCart,
  createCart,
  deleteCart,
  removeCartItem,
  sellableProduct,
  setCartItem,
  touchCart,
  type SellableProduct,
} from './cart-queries.js';
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
  /** The village's free-shipping threshold (fen; null = never free). */
  freeShippingOverFen: number | null;
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
export function* priceItems(tx: Tx, items: readonly { productId: number; quantity: number }[], cartId: number | null, today: string): Query<PricedCart> {
  const lines: PricedLine[] = [];
  for (const item of items) {
    const product = yield* sellableProduct(tx, item.productId);
    if (!product) continue;
    let problem: PricedLine['problem'] = null;
    try {
      checkQuantity(product, item.quantity, today);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      problem = { code: error.code, params: error.details.params ?? {} };
    }
    const unitPriceFen = unitPriceFor(product.priceFen, yield* tiersOf(tx, product.id), item.quantity);
    lines.push({ product, quantity: item.quantity, unitPriceFen, lineTotalFen: unitPriceFen * item.quantity, problem });
  }
  const parcels = new Map<number, VillageParcel>();
  for (const line of lines) {
    const p = line.product;
    const parcel = parcels.get(p.villageId) ?? {
      villageId: p.villageId,
      villageZh: p.villageZh,
      villageEn: p.villageEn,
      subtotalFen: 0,
      shippingFeeFen: 0,
      freeShippingOverFen: p.freeShippingOverFen,
    };
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

/** The owner's cart, if they have one. */
function* cartIdOf(tx: Tx, owner: CartOwner): Query<number | undefined> {
  return 'userId' in owner ? yield* cartIdForUser(tx, owner.userId) : yield* cartIdForSession(tx, owner.sessionIdHash);
}

function* ensureCart(tx: Tx, owner: CartOwner, now: number): Query<number> {
  return (
    (yield* cartIdOf(tx, owner)) ??
    (yield* createCart(tx, { sessionIdHash: 'sessionIdHash' in owner ? owner.sessionIdHash : null, userId: 'userId' in owner ? owner.userId : null }, now))
  );
}

/** The items of the owner's cart (a step of a unit of work: checkout reads them in its own). */
export function* cartItemsOfOwner(tx: Tx, owner: CartOwner): Query<{ productId: number; quantity: number }[]> {
  const cartId = yield* cartIdOf(tx, owner);
  return cartId === undefined ? [] : yield* cartItemsOf(tx, cartId);
}

/** Empties the owner's cart (a step of a unit of work: an offline order empties it with the order). */
export function* clearCartOf(tx: Tx, owner: CartOwner): Query<void> {
  const cartId = yield* cartIdOf(tx, owner);
  if (cartId !== undefined) yield* clearCart(tx, cartId);
}

/**
 * The cart lives in the database, keyed by the session (anonymous) or the user. Quantities are
 * checked against stock, minimum order and retail limit when changed; prices are always current.
 */
export function createCartService(db: Database_, deps: { clock: Clock }) {
  return {
    view: (owner: CartOwner): Promise<PricedCart> =>
      db.uow.read(function* (tx) {
        const cartId = (yield* cartIdOf(tx, owner)) ?? null;
        return yield* priceItems(tx, cartId === null ? [] : yield* cartItemsOf(tx, cartId), cartId, saleDay(deps.clock()));
      }),

    itemCount: (owner: CartOwner): Promise<number> =>
      db.uow.read(function* (tx) {
        return (yield* cartItemsOfOwner(tx, owner)).reduce((a, i) => a + i.quantity, 0);
      }),

    /**
     * Adds to what is already in the cart for that product; the total is checked. `startSession`
     * stores a visitor's new session in the same write (src/plugins/session.ts, `sessionStep`).
     * `replace` (the product page's "buy now"): the line becomes that quantity, whatever was there.
     */
    add: (owner: CartOwner, productId: number, quantity: number, startSession?: Work<void> | null, replace = false): Promise<void> =>
      db.uow.write(function* (tx) {
        if (startSession) yield* startSession(tx);
        const existing = replace ? 0 : ((yield* cartItemsOfOwner(tx, owner)).find((i) => i.productId === productId)?.quantity ?? 0);
        const total = existing + quantity;
        checkQuantity(yield* sellableProduct(tx, productId), total, saleDay(deps.clock()));
        const cartId = yield* ensureCart(tx, owner, deps.clock());
        yield* setCartItem(tx, cartId, productId, total, deps.clock());
        yield* touchCart(tx, cartId, deps.clock());
      }),

    /** Sets the quantity of a line; 0 removes it. */
    set: (owner: CartOwner, productId: number, quantity: number): Promise<void> =>
      db.uow.write(function* (tx) {
        const cartId = yield* cartIdOf(tx, owner);
        if (quantity === 0) {
          if (cartId !== undefined) yield* removeCartItem(tx, cartId, productId);
          return;
        }
        checkQuantity(yield* sellableProduct(tx, productId), quantity, saleDay(deps.clock()));
        const id = cartId ?? (yield* ensureCart(tx, owner, deps.clock()));
        yield* setCartItem(tx, id, productId, quantity, deps.clock());
        yield* touchCart(tx, id, deps.clock());
      }),

    clear: (owner: CartOwner): Promise<void> => db.uow.write((tx) => clearCartOf(tx, owner)),

    /**
     * At sign-in the anonymous cart joins the user's: quantities of the same product add up,
     * capped at what can still be bought; the anonymous cart is then removed.
     */
    mergeIntoUser: (sessionIdHash: string, userId: number): Promise<void> =>
      db.uow.write(function* (tx) {
        const anonId = yield* cartIdForSession(tx, sessionIdHash);
        if (anonId === undefined) return;
        const items = yield* cartItemsOf(tx, anonId);
        const userCartId = yield* ensureCart(tx, { userId }, deps.clock());
        const userItems = new Map((yield* cartItemsOf(tx, userCartId)).map((i) => [i.productId, i.quantity]));
        for (const item of items) {
          const product = yield* sellableProduct(tx, item.productId);
          if (!product?.published) continue;
          const cap = Math.min(product.stock, product.maxRetailQty ?? Number.MAX_SAFE_INTEGER);
          const merged = Math.min((userItems.get(item.productId) ?? 0) + item.quantity, Math.max(cap, 0));
          if (merged >= Math.max(1, product.minOrderQty)) yield* setCartItem(tx, userCartId, item.productId, merged, deps.clock());
        }
        yield* deleteCart(tx, anonId);
      }),

    /** Items of the owner's cart (for checkout). */
    items: (owner: CartOwner) => db.uow.read((tx) => cartItemsOfOwner(tx, owner)),
  };
}

export type CartService = ReturnType<typeof createCartService>;
