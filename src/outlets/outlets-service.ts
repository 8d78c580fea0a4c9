import type { CurrentUser } from '../accounts/session-service.js';
import type { Role } from '../accounts/schema.js';
import type { AuditService } from '../audit/audit-service.js';
import type { ProductManagement } from '../catalog/product-management.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import type { CartOwner } from '../orders/cart-service.js';
import { canConfirmReceipt, canRefund } from '../orders/order-status.js';
import type { Order } from '../orders/index.js';
import { recallHold, type CheckoutContact, type OrdersService, type PlaceOptions, type PlacedOrder } from '../orders/orders-service.js';
import type { PaymentChannel } from '../payments/schema.js';
import { savepoint, type Query, type Tx } from '../db/unit-of-work.js';
import {
  addStaff,
  addToShelf,
  allOutlets,
  insertCounterSale,
  insertPickup,
  markCollected,
  openPickupWithCode,
  outletById,
  outletIdsOfUser,
  pickupOfOrder,
  pickupsWithCode,
  recentCounterSales,
  removeStaff,
  shelfQuantity,
  staffOf,
  stockForVillages,
  stockOf,
  takeFromShelf,
  type Outlet,
  type OutletStock,
} from './outlets-queries.js';
import type { PickupCodes } from './pickup-code.js';

export const COUNTER_CHANNELS = ['cash', 'wechat', 'alipay'] as const;
export type CounterChannel = (typeof COUNTER_CHANNELS)[number];

/** The contact recorded on a counter sale: the buyer walked in and paid at the till. */
export const COUNTER_SALE_CONTACT = '门店现场销售';

/** A pick-up code clashed with one still waiting to be collected: the order is placed again with a new token. */
class PickupCodeClash extends Error {}

export interface OutletsDeps {
  clock: Clock;
  audit: AuditService;
  orders: OrdersService;
  products: ProductManagement;
  codes: PickupCodes;
  /** Records the money taken at the till as a payment of the order (the payments domain's table). */
  /** A step of the counter sale's unit of work (the payments domain's). */
  recordPayment: (tx: Tx, p: { orderId: number; channel: PaymentChannel; amountFen: number; userId: number; now: number }) => Query<unknown>;
  /** Finds an account by email, for scoping outlet staff. */
  /** A step of the caller's unit of work (the accounts service's). */
  userByEmail: (tx: Tx, email: string) => Query<{ id: number; role: Role } | undefined>;
  /** Told of each pick-up order as it is placed, in its unit of work (the buyer's text message with the code). */
  events?: PickupEvents;
}

/** What outlets report as it happens: a step of the unit of work that makes the change. */
export interface PickupEvents {
  /** A pick-up order was placed at `outlet`; `code` is its 6-digit pick-up code. */
  pickupPlaced(tx: Tx, order: Order, outlet: { name: string; address: string; openingHours: string }, code: string): Query<void>;
}

/**
 * Charity supermarkets (慈善超市): the public list, shelf stock moved from the online stock by the
 * village's first secretary, online orders picked up at an outlet with a code, and sales at the
 * counter, which are orders paid at once and posted to the ledger like any online sale.
 */
export function createOutletsService(db: Database_, deps: OutletsDeps) {
  const { clock, audit, orders, codes } = deps;

  function* outlet(tx: Tx, id: number): Query<Outlet> {
    const row = yield* outletById(tx, id);
    if (!row) throw new AppError('not_found', 'outlet_not_found');
    return row;
  }

  /** An outlet the staff member works at; any other is "not found" (404), like an id that does not exist. */
  function* outletFor(tx: Tx, actor: CurrentUser, id: number): Query<Outlet> {
    if (actor.role !== 'outlet_staff' || !(yield* outletIdsOfUser(tx, actor.id)).includes(id)) throw new AppError('not_found', 'outlet_not_found');
    return yield* outlet(tx, id);
  }

  /** The text stored as an order's address when it goes to (or is sold at) an outlet. */
  const outletAddress = (o: Outlet) => `${o.name}（${o.address}）`;

  return {
    outlets: () => db.uow.read((tx) => allOutlets(tx)),
    outlet: (id: number) => db.uow.read((tx) => outlet(tx, id)),
    outletFor: (actor: CurrentUser, id: number) => db.uow.read((tx) => outletFor(tx, actor, id)),
    outletsOf: (actor: CurrentUser) =>
      db.uow.read(function* (tx) {
        const found: Outlet[] = [];
        if (actor.role !== 'outlet_staff') return found;
        for (const id of yield* outletIdsOfUser(tx, actor.id)) found.push(yield* outlet(tx, id));
        return found;
      }),
    stockOf: (actor: CurrentUser, outletId: number): Promise<OutletStock[]> =>
      db.uow.read(function* (tx) {
        return yield* stockOf(tx, (yield* outletFor(tx, actor, outletId)).id);
      }),
    recentSales: (actor: CurrentUser, outletId: number) =>
      db.uow.read(function* (tx) {
        return yield* recentCounterSales(tx, (yield* outletFor(tx, actor, outletId)).id, 20);
      }),

    // ---------- shelf stock (first secretary) ----------

    /** Shelf stock of the secretary's products at every outlet. */
    allocationsFor: (actor: CurrentUser) => db.uow.read((tx) => stockForVillages(tx, actor.role === 'first_secretary' ? actor.villageIds : [])),

    /**
     * Moves units of the secretary's product between the online stock and an outlet's shelf, in one
     * transaction: both sides are conditional updates that never go below zero, the product's stock
     * history says where the units went, and the audit log records the move.
     */
    moveStock: (
      actor: CurrentUser,
      input: { productId: number; outletId: number; quantity: number; direction: 'to_outlet' | 'to_online' },
      address: string | null,
    ): Promise<void> =>
      db.uow.write(function* (tx) {
        const product = yield* deps.products.readProduct(tx, actor, input.productId); // 404 for another village's product
        const target = yield* outletById(tx, input.outletId);
        if (!target) throw new AppError('validation', 'outlet_not_found', undefined, { fields: { outletId: 'outlet_not_found' } });
        const shelfBefore = yield* shelfQuantity(tx, target.id, product.id);
        if (input.direction === 'to_outlet') {
          try {
            yield* deps.products.writeStockAdjustment(tx, actor, product.id, -input.quantity, `调拨到门店：${target.name}`, address);
          } catch (error) {
            if (error instanceof AppError && error.code === 'stock_below_zero') {
              throw new AppError('validation', 'outlet_move_exceeds_online', undefined, {
                params: { stock: product.stock },
                fields: { quantity: 'outlet_move_exceeds_online' },
              });
            }
            throw error;
          }
          yield* addToShelf(tx, target.id, product.id, input.quantity);
        } else {
          if (!(yield* takeFromShelf(tx, target.id, product.id, input.quantity))) {
            throw new AppError('validation', 'outlet_move_exceeds_shelf', undefined, {
              params: { stock: shelfBefore },
              fields: { quantity: 'outlet_move_exceeds_shelf' },
            });
          }
          yield* deps.products.writeStockAdjustment(tx, actor, product.id, input.quantity, `从门店调回：${target.name}`, address);
        }
        yield* audit.add(tx, {
          userId: actor.id,
          action: input.direction === 'to_outlet' ? 'outlet.stock_allocate' : 'outlet.stock_return',
          entityType: 'product',
          entityId: product.id,
          before: { outletId: target.id, shelf: shelfBefore },
          after: { outletId: target.id, shelf: yield* shelfQuantity(tx, target.id, product.id), quantity: input.quantity },
          address,
        });
      }),

    // ---------- pick-up of online orders ----------

    /**
     * Places the buyer's cart as an order collected at an outlet (no shipping fee; the stock is
     * reserved from the online stock as for any order) and records its pick-up with the keyed hash
     * of its code, as part of the caller's unit of work (the checkout's). A code still held by an
     * uncollected order is never given out twice: the order is then placed again, in a savepoint
     * that undid the first one, with a fresh token.
     */
    *placePickup(
      tx: Tx,
      owner: CartOwner,
      buyerUserId: number | null,
      contact: CheckoutContact,
      outletId: number,
      address: string | null,
      options: Pick<PlaceOptions, 'reviewed'> = {},
    ): Query<PlacedOrder> {
      const target = yield* outletById(tx, outletId);
      if (!target) throw new AppError('validation', 'outlet_not_found', undefined, { fields: { outletId: 'outlet_not_found' } });
      const atOutlet: CheckoutContact = { ...contact, province: '', city: '', district: '', address: outletAddress(target) };
      for (let attempt = 0; attempt < 8; attempt++) {
        try {
          return yield* savepoint(
            (function* () {
              const placed = yield* orders.parts.place(tx, owner, buyerUserId, atOutlet, address, { ...options, delivery: 'pickup' });
              const code = codes.codeFor(placed.accessToken);
              const hash = codes.hashOf(code);
              if (yield* openPickupWithCode(tx, hash)) throw new PickupCodeClash();
              yield* insertPickup(tx, placed.order.id, target.id, hash);
              if (deps.events) yield* deps.events.pickupPlaced(tx, placed.order, target, code);
              return placed;
            })(),
          );
        } catch (error) {
          if (!(error instanceof PickupCodeClash)) throw error;
        }
      }
      throw new Error('no free pick-up code after 8 attempts');
    },

    /** What the order page says about a pick-up; the code only with the order's token. */
    pickupOf: (order: Order, accessToken: string | undefined) =>
      db.uow.read(function* (tx) {
        const pickup = yield* pickupOfOrder(tx, order.id);
        if (!pickup) return null;
        const code = accessToken && codes.matches(accessToken, pickup.codeHash) ? codes.codeFor(accessToken) : null;
        return { outlet: yield* outlet(tx, pickup.outletId), code, pickedUpAt: pickup.pickedUpAt };
      }),

    /**
     * Outlet staff check a code: the order is found at their outlet, must be paid, and is marked
     * collected exactly once (a second check of the same code is "already picked up").
     */
    collectPickup: (actor: CurrentUser, outletId: number, code: string, address: string | null): Promise<Order> =>
      db.uow.write(function* (tx) {
        const here = yield* outletFor(tx, actor, outletId);
        const [pickup] = yield* pickupsWithCode(tx, here.id, codes.hashOf(code));
        if (!pickup) throw new AppError('not_found', 'pickup_not_found', undefined, { fields: { code: 'pickup_not_found' } });
        const order = (yield* orders.parts.orderById(tx, pickup.orderId))!;
        if (pickup.pickedUpAt !== null)
          throw new AppError('conflict', 'pickup_already_collected', undefined, {
            params: { number: order.number },
            fields: { code: 'pickup_already_collected' },
          });
        if (order.paidAt === null || !canRefund(order.status)) {
          throw new AppError('conflict', 'pickup_not_paid', undefined, { params: { number: order.number }, fields: { code: 'pickup_not_paid' } });
        }
        // Units of a recalled lot are not handed over (a coordinator refunds or replaces them first).
        const [recalled] = yield* orders.parts.recalledUnitsHeld(tx, order.id);
        if (recalled) throw recallHold('pickup_holds_recalled_units', recalled, 'code');
        if (!(yield* markCollected(tx, order.id, actor.id, clock())))
          throw new AppError('conflict', 'pickup_already_collected', undefined, {
            params: { number: order.number },
            fields: { code: 'pickup_already_collected' },
          });
        // Goods that came by parcel and are now in the buyer's hands: the order is complete.
        if (canConfirmReceipt(order.status)) yield* orders.parts.complete(tx, order, actor.id);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'pickup.collect',
          entityType: 'order',
          entityId: order.number,
          after: { outletId: here.id },
          address,
        });
        return (yield* orders.parts.orderById(tx, order.id))!;
      }),

    // ---------- counter sales ----------

    /**
     * A sale at the counter, in ONE transaction: the units come off the outlet's shelf (never below
     * zero), the sale becomes an order (pick-up, no shipping, the walk-in contact) paid at once
     * through the till's channel, posted to the ledger exactly as an online payment of the same
     * lines would be (only the clearing account differs), and recorded as a payment.
     */
    counterSale: (
      actor: CurrentUser,
      outletId: number,
      items: { productId: number; quantity: number }[],
      channel: CounterChannel,
      address: string | null,
    ): Promise<Order> =>
      db.uow.write(function* (tx) {
        const here = yield* outletFor(tx, actor, outletId);
        if (items.length === 0) throw new AppError('validation', 'counter_sale_empty', undefined, { fields: { _form: 'counter_sale_empty' } });
        for (const item of items) {
          if (!(yield* takeFromShelf(tx, here.id, item.productId, item.quantity))) {
            throw new AppError('validation', 'outlet_shelf_short', undefined, {
              params: { stock: yield* shelfQuantity(tx, here.id, item.productId) },
              fields: { [`qty_${item.productId}`]: 'outlet_shelf_short' },
            });
          }
        }
        const { order } = yield* orders.parts.placeDirect(
          tx,
          {
            lines: items,
            buyerUserId: null,
            contact: {
              name: COUNTER_SALE_CONTACT,
              phone: '',
              province: '',
              city: '',
              district: '',
              address: outletAddress(here),
              note: null,
              paymentMethod: 'offline',
            },
            delivery: 'pickup',
            stock: 'held',
          },
          address,
        );
        yield* insertCounterSale(tx, { orderId: order.id, outletId: here.id, channel, staffUserId: actor.id });
        const now = clock();
        yield* orders.parts.recordPayment(tx, order, {
          channel,
          amountFen: order.totalFen,
          userId: actor.id,
          memo: `counter sale at ${here.slug} (${channel})`,
        });
        yield* deps.recordPayment(tx, { orderId: order.id, channel, amountFen: order.totalFen, userId: actor.id, now });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'outlet.counter_sale',
          entityType: 'order',
          entityId: order.number,
          after: { outletId: here.id, channel, totalFen: order.totalFen, items },
          address,
        });
        return (yield* orders.parts.orderById(tx, order.id))!;
      }),

    // ---------- staff scopes (admin) ----------

    staffOf: (outletId: number) =>
      db.uow.read(function* (tx) {
        return yield* staffOf(tx, (yield* outlet(tx, outletId)).id);
      }),

    /** The admin scopes an outlet-staff account (created at /admin/users) to an outlet. */
    assignStaff: (actor: CurrentUser, outletId: number, email: string, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        if (actor.role !== 'admin') throw new AppError('forbidden', 'forbidden');
        const target = yield* outlet(tx, outletId);
        const user = yield* deps.userByEmail(tx, email);
        if (!user) throw new AppError('validation', 'user_not_found', undefined, { fields: { email: 'user_not_found' } });
        if (user.role !== 'outlet_staff')
          throw new AppError('validation', 'outlet_staff_role_required', undefined, { fields: { email: 'outlet_staff_role_required' } });
        if (yield* addStaff(tx, user.id, target.id)) {
          yield* audit.add(tx, {
            userId: actor.id,
            action: 'user.outlet_scope_add',
            entityType: 'user',
            entityId: user.id,
            after: { outletId: target.id },
            address,
          });
        }
      }),

    removeStaff: (actor: CurrentUser, outletId: number, userId: number, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        if (actor.role !== 'admin') throw new AppError('forbidden', 'forbidden');
        const target = yield* outlet(tx, outletId);
        if (!(yield* removeStaff(tx, userId, target.id))) throw new AppError('not_found', 'user_not_found');
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'user.outlet_scope_remove',
          entityType: 'user',
          entityId: userId,
          before: { outletId: target.id },
          address,
        });
      }),
  };
}

export type OutletsService = ReturnType<typeof createOutletsService>;
