import { timingSafeEqual } from 'node:crypto';
import type { CurrentUser } from '../accounts/session-service.js';
import type { Database_ } from '../db/client.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import { recalledUnitsHeld as recalledUnitsOf, type RecalledUnits } from '../lots/index.js';
import { wishProjectOfOrder } from '../wishes/index.js';
import { assertVillage } from '../villages/access.js';
import { sellableProduct } from './cart-queries.js';
import type { CartOwner } from './cart-service.js';
import { createOrderChanges, type DirectOrder, type OrdersDeps, type PlaceOptions } from './order-changes.js';
import { sha256, type CheckoutContact, type PlacedOrder } from './order-placing.js';
import { lookupLinkOpens } from './order-lookup.js';
import { canCancel, EVER_PAID_STATUSES, SHIPPABLE_STATUSES } from './order-status.js';
import {
  duePendingOrders,
  isShippedToBuyer,
  linesOf,
  orderById,
  orderByNumber,
  ordersOfBuyer,
  ordersDueForAutoConfirm,
  orderTotals,
  pendingOffline,
  shipmentsForVillages,
  shipmentsOf,
  unpaidHolds,
  type Order,
} from './orders-queries.js';
import type { OrderStatus, PaymentMethod } from './schema.js';

export type { CheckoutContact, DirectOrder, PlaceOptions };

/** Orders on one page of /account/orders. */
export const BUYER_ORDERS_PAGE_SIZE = 20;

/** Why an unpaid order looks like hoarding (the coordinator's holds page). */
export interface HoardingSign {
  code: 'same_visitor' | 'same_phone' | 'same_address' | 'large_share';
  params: Record<string, string | number>;
}

export { channelOf, orderPaymentKey } from '../ledger/order-postings.js';
export { recallHold } from './order-changes.js';

/**
 * Orders: placing (one unit of work that reserves stock and snapshots prices), payment,
 * cancellation and expiry (stock released exactly once), shipping per village, and refunds.
 * Every money movement posts to the ledger inside the same unit as the state change.
 *
 * The service answers with promises (each call its own unit of work); `parts` offers the changes
 * other domains compose into their own units (a counter sale's order, a wish's donation order).
 */
export function createOrdersService(db: Database_, deps: OrdersDeps) {
  const { clock, ledger } = deps;
  const { read, write } = db.uow;
  const changes = createOrderChanges(deps);

  function* orderOr404ById(tx: Tx, id: number): Query<Order> {
    const row = yield* orderById(tx, id);
    if (!row) throw new AppError('not_found', 'order_not_found');
    return row;
  }

  /** The order behind a confirmation link, checked in constant time; a wrong token is "not found". */
  function* orderWithToken(tx: Tx, number: string, token: string | undefined): Query<Order> {
    const row = yield* orderByNumber(tx, number);
    if (!row || !token || token.length > 100) throw new AppError('not_found', 'order_not_found');
    const given = Buffer.from(sha256(token), 'hex');
    const stored = Buffer.from(row.accessTokenHash, 'hex');
    if (given.length === stored.length && timingSafeEqual(given, stored)) return row;
    // A fresh link from "find my order" (looked up by the secret's hash, so no comparison leaks it).
    if (yield* lookupLinkOpens(tx, row.id, token, clock())) return row;
    throw new AppError('not_found', 'order_not_found');
  }

  /** The signed-in buyer's own order, or not found. */
  function* orderOfBuyer(tx: Tx, number: string, userId: number): Query<Order> {
    const row = yield* orderByNumber(tx, number);
    if (!row || row.buyerUserId !== userId) throw new AppError('not_found', 'order_not_found');
    return row;
  }

  /** Units of recalled lots an order (or one village's parcel of it) holds: the lots domain's step. */
  function* recalledUnitsHeld(tx: Tx, orderId: number, villageId: number | null = null): Query<RecalledUnits[]> {
    return yield* recalledUnitsOf(tx, orderId, villageId);
  }

  return {
    order: (number: string): Promise<Order> => read((tx) => changes.orderOr404(tx, number)),
    /** Orders ever placed and paid, for the operator's metrics. */
    totals: () => read(orderTotals),

    orderById: (id: number): Promise<Order> => read((tx) => orderOr404ById(tx, id)),

    /** The order behind a confirmation link, checked in constant time; a wrong token is "not found". */
    orderWithToken: (number: string, token: string | undefined): Promise<Order> => read((tx) => orderWithToken(tx, number, token)),

    /** The signed-in buyer's own order, or not found. */
    orderOfBuyer: (number: string, userId: number): Promise<Order> => read((tx) => orderOfBuyer(tx, number, userId)),

    details: (o: Order) =>
      read(function* (tx) {
        return {
          lines: yield* linesOf(tx, o.id),
          shipments: yield* shipmentsOf(tx, o.id),
          postings: yield* ledger.transactionsOfOrderIn(tx, o.id),
          /** Sent to the buyer's address (not collected at a charity supermarket): the buyer confirms its receipt. */
          shippedToBuyer: yield* isShippedToBuyer(tx, o.id),
        };
      }),

    /** One page of the signed-in buyer's orders (every one they placed while signed in), newest first. */
    ordersOfBuyer: (userId: number, page = 1, pageSize = BUYER_ORDERS_PAGE_SIZE): Promise<{ rows: Order[]; total: number }> =>
      read((tx) => ordersOfBuyer(tx, userId, page, pageSize)),

    orderForCoordinator: (actor: CurrentUser, number: string): Promise<Order> => read((tx) => changes.orderForCoordinator(tx, actor, number)),

    pendingOffline: (actor: CurrentUser): Promise<Order[]> =>
      read(function* (tx) {
        const seen: Order[] = [];
        for (const o of yield* pendingOffline(tx, 200)) if (yield* changes.coordinatorSees(tx, actor, o.id)) seen.push(o);
        return seen;
      }),

    /**
     * The unpaid orders placed in the shop that a coordinator may see, newest first, each with what
     * it holds and the signs of hoarding: other unpaid orders of the same visitor, phone number or
     * address, or a large share of what is left of a product. Suspicious ones first.
     */
    unpaidHolds: (actor: CurrentUser) =>
      read(function* (tx) {
        const holds = [];
        for (const o of yield* unpaidHolds(tx, clock(), 500)) {
          if (!(yield* changes.coordinatorSees(tx, actor, o.id))) continue;
          const lines = yield* linesOf(tx, o.id);
          const signs: HoardingSign[] = [];
          if (o.sameVisitor > 1) signs.push({ code: 'same_visitor', params: { count: o.sameVisitor } });
          if (o.samePhone > 1) signs.push({ code: 'same_phone', params: { count: o.samePhone } });
          if (o.sameAddress > 1) signs.push({ code: 'same_address', params: { count: o.sameAddress } });
          for (const line of lines) {
            const left = (yield* sellableProduct(tx, line.productId))?.stock ?? 0;
            if (line.quantity > 1 && line.quantity >= left)
              signs.push({ code: 'large_share', params: { title: line.titleZh, quantity: line.quantity, left, unit: line.unit } });
          }
          holds.push({ order: o, lines, wishClaim: lines.length === 0 && (yield* wishProjectOfOrder(tx, o.id)) !== undefined, signs });
        }
        return [...holds.filter((h) => h.signs.length > 0), ...holds.filter((h) => h.signs.length === 0)];
      }),

    /** A coordinator releases an unpaid order's hold: the order is cancelled, its stock or wish freed. */
    releaseHold: (actor: CurrentUser, number: string, address: string | null): Promise<void> =>
      write(function* (tx) {
        const o = yield* changes.orderForCoordinator(tx, actor, number);
        if (!(yield* changes.cancelPending(tx, o, 'released by staff', actor.id, address))) {
          throw new AppError('conflict', 'order_not_cancellable', undefined, { params: { status: o.status } });
        }
      }),

    /** Parcels of the secretary's villages: waiting to ship (with units of recalled lots that hold them back), and recently shipped. */
    shipmentsFor: (actor: CurrentUser) =>
      read(function* (tx) {
        const toShip = (yield* shipmentsForVillages(tx, actor.villageIds, SHIPPABLE_STATUSES)).filter((s) => s.status === 'pending');
        const shipped = (yield* shipmentsForVillages(tx, actor.villageIds, EVER_PAID_STATUSES)).filter((s) => s.status !== 'pending').slice(0, 50);
        const parcels = [];
        for (const s of toShip) {
          const lines = (yield* linesOf(tx, s.orderId)).filter((l) => l.villageId === s.villageId);
          parcels.push({ ...s, lines, recalled: yield* recalledUnitsHeld(tx, s.orderId, s.villageId) });
        }
        return { toShip: parcels, shipped };
      }),

    /**
     * Units of recalled lots an order (or one village's parcel of it) holds that no refund or
     * replacement settled yet: while there are any, the parcel is not shipped and an unpaid order is
     * not marked paid.
     */
    recalledUnitsHeld: (orderId: number, villageId: number | null = null) => read((tx) => recalledUnitsHeld(tx, orderId, villageId)),

    /** Places the buyer's cart as an order, in one unit of work (see parts.place). */
    place: (owner: CartOwner, buyerUserId: number | null, contact: CheckoutContact, address: string | null, options: PlaceOptions = {}): Promise<PlacedOrder> =>
      write((tx) => changes.place(tx, owner, buyerUserId, contact, address, options)),

    placeDirect: (input: DirectOrder, address: string | null): Promise<PlacedOrder> => write((tx) => changes.placeDirect(tx, input, address)),

    recordPayment: (o: Order, payment: { channel: string; amountFen: number; userId: number | null; memo: string; memoMayNamePeople?: boolean }) =>
      write((tx) => changes.recordPayment(tx, o, payment)),

    /** The buyer (with the order's token) or a coordinator cancels an unpaid order. */
    cancel: (o: Order, userId: number | null, address: string | null): Promise<void> =>
      write(function* (tx) {
        const fresh = (yield* orderById(tx, o.id))!;
        if (!(yield* changes.cancelPending(tx, fresh, 'requested', userId, address))) {
          throw new AppError('conflict', 'order_not_cancellable', undefined, { params: { status: fresh.status } });
        }
      }),

    /** Cancels an unpaid order whose payment failed or whose session expired (webhooks); false if not pending. */
    cancelUnpaid: (o: Order, reason: string): Promise<boolean> => write((tx) => changes.cancelUnpaid(tx, o, reason)),

    /** Cancels every unpaid order past its expiry, each in its own unit; each releases its stock exactly once. */
    async expireDue(limit = 500): Promise<number> {
      let count = 0;
      for (const { id } of await read((tx) => duePendingOrders(tx, clock(), limit))) {
        const cancelled = await write(function* (tx) {
          const fresh = (yield* orderById(tx, id))!;
          return canCancel(fresh.status) && fresh.expiresAt <= clock() && (yield* changes.cancelPending(tx, fresh, 'expired', null, null));
        });
        if (cancelled) count++;
      }
      return count;
    },

    /** The village's secretary ships their parcel of a paid order. */
    ship: (actor: CurrentUser, number: string, villageId: number, carrier: string, trackingNumber: string, address: string | null): Promise<void> =>
      write(function* (tx) {
        assertVillage(actor, villageId, 'order_not_found');
        yield* changes.shipParcel(tx, actor, yield* changes.orderOr404(tx, number), villageId, carrier, trackingNumber, address, false);
      }),

    /**
     * A coordinator ships a village's parcel on its behalf (a village with no secretary, or one
     * away): only a coordinator in scope of a project of that village's lines in the order, and
     * audited as done on behalf of the village. Otherwise exactly as the secretary's shipping.
     */
    shipOnBehalf: (actor: CurrentUser, number: string, villageId: number, carrier: string, trackingNumber: string, address: string | null): Promise<void> =>
      write(function* (tx) {
        const o = yield* changes.orderForCoordinator(tx, actor, number);
        const villageLines = (yield* linesOf(tx, o.id)).filter((l) => l.villageId === villageId);
        if (villageLines.length === 0 || !(actor.allProjects || villageLines.some((l) => actor.projectIds.includes(l.projectId)))) {
          throw new AppError('not_found', 'order_not_found');
        }
        yield* changes.shipParcel(tx, actor, o, villageId, carrier, trackingNumber, address, true);
      }),

    /** Marks a shipped order completed (delivered). */
    complete: (o: Order, userId: number | null): Promise<void> => write((tx) => changes.complete(tx, o, userId)),

    /** The buyer (signed in, or by the order's link) confirms receipt of a shipped order (确认收货). */
    confirmReceipt: (o: Order, userId: number | null, address: string | null): Promise<'confirmed' | 'already'> =>
      write((tx) => changes.confirmReceipt(tx, o, { userId, automatic: false, address })),

    /**
     * Confirms the receipt of every shipped order whose last parcel left `afterMs` ago or more and
     * whose buyer has not confirmed it, each in its own unit (the periodic work, on one server). Run
     * twice, or together with the buyer's own click, an order is confirmed once: the transition is
     * conditional, and a confirmed order is no longer due.
     */
    async autoConfirmDue(afterMs: number, limit = 500): Promise<number> {
      let count = 0;
      for (const { id } of await read((tx) => ordersDueForAutoConfirm(tx, clock() - afterMs, limit))) {
        const outcome = await write(function* (tx) {
          const fresh = (yield* orderById(tx, id))!;
          return yield* changes.confirmReceipt(tx, fresh, { userId: null, automatic: true, address: null });
        }).catch((error: unknown) => {
          // Refunded meanwhile: no longer due, nothing to confirm.
          if (error instanceof AppError && error.type === 'conflict') return 'already' as const;
          throw error;
        });
        if (outcome === 'confirmed') count++;
      }
      return count;
    },

    /** Posts a refund (see parts.postRefund). */
    postRefund: (
      o: Order,
      refund: { amountFen: number; orderLineId: number | null; channel: string; idempotencyKey: string; userId: number | null; reason: string },
    ) => write((tx) => changes.postRefund(tx, o, refund)),

    /**
     * The order's changes as parts of another unit of work (`yield* orders.parts.placeDirect(tx, …)`):
     * the caller's own writes commit or roll back with them.
     */
    parts: {
      order: changes.orderOr404,
      orderById: orderOr404ById,
      orderForCoordinator: changes.orderForCoordinator,
      coordinatorSees: changes.coordinatorSees,
      orderWithToken,
      orderOfBuyer,
      lines: linesOf,
      place: changes.place,
      placeDirect: changes.placeDirect,
      placeDonation: changes.placeDonation,
      recordPayment: changes.recordPayment,
      cancelUnpaid: changes.cancelUnpaid,
      complete: changes.complete,
      confirmReceipt: changes.confirmReceipt,
      postRefund: changes.postRefund,
      recalledUnitsHeld,
    },
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
export type { Order, OrderStatus, PaymentMethod, PlacedOrder };
export { stripeHoldMs } from './order-placing.js';
