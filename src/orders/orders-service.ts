import { timingSafeEqual } from 'node:crypto';
import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { orderPaymentKey, paymentEntries, refundEntries } from '../ledger/order-postings.js';
import type { LedgerService } from '../ledger/ledger-service.js';
import { assertProjectRunning, saleDay } from '../projects/project-period.js';
import { assertVillage } from '../villages/access.js';
import { priceItems, reviewedFigures, type CartOwner, type CartService } from './cart-service.js';
import type { RecalledUnitsRow } from '../lots/lots-queries.js';
import { checkHolds, visitorKey } from './holds.js';
import { createOrderPlacing, sha256, type PlacedOrder } from './order-placing.js';
import type { OrderEvents } from './order-events.js';
import type { OrderRow, OrdersQueries } from './orders-queries.js';
import { checkQuantity, MAX_LINE_QUANTITY, shippingFeeFor, unitPriceFor } from './pricing.js';
import { canCancel, canPay, canRefund, canShip, EVER_PAID_STATUSES, REFUNDABLE_STATUSES, SHIPPABLE_STATUSES, statesLeadingTo } from './order-status.js';
import type { OrderStatus, PaymentMethod } from './schema.js';

import type { CheckoutContact } from './order-placing.js';

export type { CheckoutContact };

/** How an order reaches the buyer, and a step run inside the placing transaction (its throw undoes the order). */
export interface PlaceOptions {
  /** 'pickup': collected at a charity supermarket; no shipping fee is charged. */
  delivery?: 'ship' | 'pickup';
  onPlaced?: (order: OrderRow, accessToken: string) => void;
  /**
   * The figures the buyer reviewed (reviewedFigures of the review page). When given, the order is
   * placed only if the cart still prices the same; otherwise `prices_changed` and nothing is written.
   */
  reviewed?: string;
}

/** An order placed from given lines rather than the cart: an accepted quote, a counter sale. */
export interface DirectOrder {
  /** unitPriceFen overrides the catalogue price (a quoted price); otherwise retail with bulk tiers. */
  lines: { productId: number; quantity: number; unitPriceFen?: number }[];
  buyerUserId: number | null;
  contact: CheckoutContact;
  delivery: 'ship' | 'pickup';
  /** 'online' reserves the shop's stock like place(); 'held' means the caller takes the units from stock it holds (an outlet's shelf). */
  stock: 'online' | 'held';
  onPlaced?: (order: OrderRow, accessToken: string) => void;
}

/** Why an unpaid order looks like hoarding (the coordinator's holds page). */
export interface HoardingSign {
  code: 'same_visitor' | 'same_phone' | 'same_address' | 'large_share';
  params: Record<string, string | number>;
}

export { channelOf, orderPaymentKey } from '../ledger/order-postings.js';

/**
 * Orders: placing (one transaction that reserves stock and snapshots prices), payment,
 * cancellation and expiry (stock released exactly once), shipping per village, and refunds.
 * Every money movement posts to the ledger inside the same transaction as the state change.
 */
export function createOrdersService(
  queries: OrdersQueries,
  deps: {
    clock: Clock;
    cart: CartService;
    ledger: LedgerService;
    audit: AuditService;
    expiry: { stripeMs: number; offlineMs: number; offlineAnonymousMs: number; wishClaimMs: number };
    /** Told of each change inside its transaction (the e-mails to buyers and secretaries). */
    events?: OrderEvents;
  },
) {
  const { clock, ledger, audit } = deps;

  // Each write joins the caller's transaction or runs as its own (src/db/unit-of-work.ts).
  const { within } = queries.unitOfWork;
  const placing = createOrderPlacing(queries, { audit, expiry: deps.expiry });

  function order(number: string): OrderRow {
    const row = queries.orderByNumber(number);
    if (!row) throw new AppError('not_found', 'order_not_found');
    return row;
  }

  function release(o: OrderRow, now: number): void {
    for (const line of queries.linesOf(o.id)) {
      queries.releaseStock(line.productId, line.quantity, now);
      queries.releaseLots(line.id, line.productId, now); // back to the same harvest lots
    }
    // An unpaid micro-wish claim that ends opens the wish again for other donors.
    queries.reopenWishOf(o.id);
  }

  /** Cancels a pending order and releases its stock; false when it was no longer pending (so it happens once). */
  function cancelPending(o: OrderRow, reason: string, userId: number | null, address: string | null): boolean {
    const now = clock();
    if (!queries.transition(o.id, statesLeadingTo('cancelled'), 'cancelled', now)) return false;
    release(o, now);
    audit.record({
      userId,
      action: 'order.cancel',
      entityType: 'order',
      entityId: o.number,
      before: { status: o.status },
      after: { status: 'cancelled', reason },
      address,
    });
    deps.events?.cancelled(o, reason);
    return true;
  }

  /** Whether a coordinator's projects reach an order (a coordinator of all projects reaches every one). */
  function coordinatorSees(actor: CurrentUser, orderId: number): boolean {
    return actor.allProjects || queries.projectIdsOfOrder(orderId).some((id) => actor.projectIds.includes(id));
  }

  /**
   * An order as a coordinator may see it: one scoped to all projects sees every order, one
   * scoped to projects only orders with a line in them; others get "not found".
   */
  function orderForCoordinator(actor: CurrentUser, number: string): OrderRow {
    const row = queries.orderByNumber(number);
    if (!row || actor.role !== 'coordinator' || !coordinatorSees(actor, row.id)) throw new AppError('not_found', 'order_not_found');
    return row;
  }

  /** Ships one village's parcel of an order (inside a transaction); the audit says who, and for which village when on its behalf. */
  function shipParcel(
    actor: CurrentUser,
    o: OrderRow,
    villageId: number,
    carrier: string,
    trackingNumber: string,
    address: string | null,
    onBehalf: boolean,
  ): void {
    const shipment = queries.shipmentsOf(o.id).find((s) => s.villageId === villageId);
    if (!shipment) throw new AppError('not_found', 'order_not_found');
    if (!canShip(o.status)) {
      throw new AppError('conflict', 'order_not_shippable', undefined, { params: { status: o.status } });
    }
    // Units of a recalled lot never leave: the rest of the order (other villages' parcels) ships as usual.
    const [recalled] = queries.recalledUnitsHeld(o.id, villageId);
    if (recalled && shipment.status === 'pending') throw recallHold('parcel_holds_recalled_units', recalled);
    if (!queries.shipShipment(o.id, villageId, carrier, trackingNumber, actor.id, clock())) throw new AppError('conflict', 'already_shipped');
    if (queries.unshippedCount(o.id) === 0 && o.status === 'paid') queries.transition(o.id, ['paid'], 'shipped', clock());
    const after = onBehalf ? { villageId, carrier, trackingNumber, onBehalfOf: shipment.villageZh } : { villageId, carrier, trackingNumber };
    audit.record({ userId: actor.id, action: 'order.ship', entityType: 'order', entityId: o.number, after, address });
    deps.events?.shipped(o, villageId, carrier, trackingNumber);
  }

  return {
    order,
    /** Orders ever placed and paid, for the operator's metrics. */
    totals: () => queries.totals(),

    orderById(id: number): OrderRow {
      const row = queries.orderById(id);
      if (!row) throw new AppError('not_found', 'order_not_found');
      return row;
    },

    /** The order behind a confirmation link, checked in constant time; a wrong token is "not found". */
    orderWithToken(number: string, token: string | undefined): OrderRow {
      const row = queries.orderByNumber(number);
      if (!row || !token) throw new AppError('not_found', 'order_not_found');
      const given = Buffer.from(sha256(token), 'hex');
      const stored = Buffer.from(row.accessTokenHash, 'hex');
      if (given.length !== stored.length || !timingSafeEqual(given, stored)) throw new AppError('not_found', 'order_not_found');
      return row;
    },

    /** The signed-in buyer's own order, or not found. */
    orderOfBuyer(number: string, userId: number): OrderRow {
      const row = queries.orderByNumber(number);
      if (!row || row.buyerUserId !== userId) throw new AppError('not_found', 'order_not_found');
      return row;
    },

    details(o: OrderRow) {
      return { lines: queries.linesOf(o.id), shipments: queries.shipmentsOf(o.id), postings: ledger.transactionsOfOrder(o.id) };
    },

    ordersOfBuyer: (userId: number) => queries.ordersOfBuyer(userId),

    orderForCoordinator,

    pendingOffline: (actor: CurrentUser): OrderRow[] => queries.pendingOffline(200).filter((o) => coordinatorSees(actor, o.id)),

    /**
     * The unpaid orders placed in the shop that a coordinator may see, newest first, each with what
     * it holds and the signs of hoarding: other unpaid orders of the same visitor, phone number or
     * address, or a large share of what is left of a product. Suspicious ones first.
     */
    unpaidHolds(actor: CurrentUser) {
      const holds = queries
        .unpaidHolds(clock(), 500)
        .filter((o) => coordinatorSees(actor, o.id))
        .map((o) => {
          const lines = queries.linesOf(o.id);
          const signs: HoardingSign[] = [];
          if (o.sameVisitor > 1) signs.push({ code: 'same_visitor', params: { count: o.sameVisitor } });
          if (o.samePhone > 1) signs.push({ code: 'same_phone', params: { count: o.samePhone } });
          if (o.sameAddress > 1) signs.push({ code: 'same_address', params: { count: o.sameAddress } });
          for (const line of lines) {
            const left = queries.sellableProduct(line.productId)?.stock ?? 0;
            if (line.quantity > 1 && line.quantity >= left)
              signs.push({ code: 'large_share', params: { title: line.titleZh, quantity: line.quantity, left, unit: line.unit } });
          }
          return { order: o, lines, wishClaim: lines.length === 0 && queries.wishProjectOfOrder(o.id) !== undefined, signs };
        });
      return [...holds.filter((h) => h.signs.length > 0), ...holds.filter((h) => h.signs.length === 0)];
    },

    /** A coordinator releases an unpaid order's hold: the order is cancelled, its stock or wish freed. */
    releaseHold(actor: CurrentUser, number: string, address: string | null): void {
      const o = orderForCoordinator(actor, number);
      within(() => {
        const fresh = queries.orderById(o.id)!;
        if (!cancelPending(fresh, 'released by staff', actor.id, address)) {
          throw new AppError('conflict', 'order_not_cancellable', undefined, { params: { status: fresh.status } });
        }
      });
    },

    /** Parcels of the secretary's villages: waiting to ship (with units of recalled lots that hold them back), and recently shipped. */
    shipmentsFor(actor: CurrentUser) {
      const toShip = queries.shipmentsForVillages(actor.villageIds, SHIPPABLE_STATUSES).filter((s) => s.status === 'pending');
      const shipped = queries
        .shipmentsForVillages(actor.villageIds, EVER_PAID_STATUSES)
        .filter((s) => s.status !== 'pending')
        .slice(0, 50);
      const linesOf = (orderId: number, villageId: number) => queries.linesOf(orderId).filter((l) => l.villageId === villageId);
      return {
        toShip: toShip.map((s) => ({ ...s, lines: linesOf(s.orderId, s.villageId), recalled: queries.recalledUnitsHeld(s.orderId, s.villageId) })),
        shipped,
      };
    },

    /**
     * Units of recalled lots an order (or one village's parcel of it) holds that no refund or
     * replacement settled yet: while there are any, the parcel is not shipped and an unpaid order is
     * not marked paid.
     */
    recalledUnitsHeld: (orderId: number, villageId: number | null = null) => queries.recalledUnitsHeld(orderId, villageId),

    /**
     * Places an order that buys no product (a micro-wish donation): no lines, stock or shipping; the
     * total is the amount given. Joins the caller's transaction, so the caller links what it pays for
     * in the same commit (or nothing is written).
     */
    placeDonation(
      visitor: CartOwner,
      buyerUserId: number | null,
      contact: { name: string; phone: string; paymentMethod: PaymentMethod },
      amountFen: number,
      address: string | null,
    ): PlacedOrder {
      return within(() =>
        placing.insertOrder(
          {
            buyerUserId,
            contact: {
              name: contact.name,
              phone: contact.phone,
              province: '',
              city: '',
              district: '',
              address: '',
              note: null,
              paymentMethod: contact.paymentMethod,
            },
            delivery: 'ship',
            lines: [],
            fromLots: false,
            parcels: [],
            subtotalFen: amountFen,
            shippingFen: 0,
            hold: 'wish_claim',
            placedBy: { visitor: visitorKey(visitor), address },
            auditNote: { donation: true },
          },
          clock(),
          address,
        ),
      );
    },

    /**
     * Places the order in ONE transaction: every line's stock is reserved by a conditional
     * decrement (never below zero), prices are snapshotted, the number, token and receipt code are
     * made. If any line cannot be reserved, nothing is written and the cart stays as it was.
     */
    place(owner: CartOwner, buyerUserId: number | null, contact: CheckoutContact, address: string | null, options: PlaceOptions = {}): PlacedOrder {
      const pickup = options.delivery === 'pickup';
      return within(() => {
        const items = deps.cart.items(owner);
        if (items.length === 0) throw new AppError('conflict', 'cart_empty');
        const now = clock();
        const today = saleDay(now);
        const priced = priceItems(queries, items, null, today);
        for (const line of priced.lines) checkQuantity(line.product, line.quantity, today);
        if (priced.lines.length !== items.length) throw new AppError('conflict', 'cart_changed');
        if (options.reviewed !== undefined && reviewedFigures(priced, pickup) !== options.reviewed) {
          throw new AppError('conflict', 'prices_changed');
        }
        for (const line of priced.lines) {
          if (!queries.reserveStock(line.product.id, line.quantity, now)) {
            throw new AppError('conflict', 'sold_out', undefined, { params: { title: line.product.titleZh } });
          }
        }
        // After the stock: what is sold out is said so; a hold past the limit undoes the reservation with the rest.
        const placedBy = { visitor: visitorKey(owner), address };
        checkHolds(queries, { ...placedBy, phone: contact.phone }, priced.lines, now);
        const placed = placing.insertOrder(
          {
            buyerUserId,
            contact,
            delivery: pickup ? 'pickup' : 'ship',
            lines: priced.lines,
            fromLots: true,
            // A pickup order's parcels still leave the villages, for the outlet, at no charge to the buyer.
            parcels: priced.parcels.map((p) => ({ villageId: p.villageId, feeFen: pickup ? 0 : p.shippingFeeFen })),
            subtotalFen: priced.subtotalFen,
            shippingFen: pickup ? 0 : priced.shippingFen,
            hold: buyerUserId === null ? 'anonymous' : 'signed_in',
            placedBy,
            auditNote: pickup ? { delivery: 'pickup' } : {},
          },
          now,
          address,
        );
        // Offline orders empty the cart now; a Stripe order empties it once the Checkout Session exists.
        if (contact.paymentMethod === 'offline') deps.cart.clear(owner);
        deps.events?.placed(placed.order, queries.linesOf(placed.order.id), placed.accessToken);
        options.onPlaced?.(placed.order, placed.accessToken);
        return placed;
      });
    },

    /**
     * Places an order from given lines in ONE transaction, like place(): a quoted price may
     * override the catalogue price per line; 'online' stock is reserved by conditional decrement,
     * 'held' stock is the caller's to take (in the same transaction, through onPlaced or before).
     * Runs inside the caller's transaction when there is one.
     */
    placeDirect(input: DirectOrder, address: string | null): PlacedOrder {
      return within(() => {
        if (input.lines.length === 0) throw new AppError('conflict', 'cart_empty');
        const now = clock();
        const lines = input.lines.map((item) => {
          const product = queries.sellableProduct(item.productId);
          if (!product || (input.stock === 'online' && !product.published)) throw new AppError('not_found', 'product_not_found');
          // Units already on an outlet's shelf are no exception: the money would go to a project that no longer runs.
          assertProjectRunning(product, saleDay(now));
          if (!Number.isSafeInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_LINE_QUANTITY) {
            throw new AppError('validation', 'quantity_invalid', undefined, { params: { title: product.titleZh } });
          }
          if (input.stock === 'online' && !queries.reserveStock(product.id, item.quantity, now)) {
            throw new AppError('conflict', 'not_enough_stock', undefined, { params: { title: product.titleZh, stock: product.stock, unit: product.unit } });
          }
          const unitPriceFen = item.unitPriceFen ?? unitPriceFor(product.priceFen, queries.tiersOf(product.id), item.quantity);
          return { product, quantity: item.quantity, unitPriceFen, lineTotalFen: unitPriceFen * item.quantity };
        });
        const subtotals = new Map<number, { subtotalFen: number; feeFen: number }>();
        for (const line of lines) {
          const parcel = subtotals.get(line.product.villageId) ?? { subtotalFen: 0, feeFen: 0 };
          parcel.subtotalFen += line.lineTotalFen;
          subtotals.set(line.product.villageId, parcel);
        }
        for (const [villageId, parcel] of subtotals) {
          parcel.feeFen = input.delivery === 'pickup' ? 0 : shippingFeeFor(lines.find((l) => l.product.villageId === villageId)!.product, parcel.subtotalFen);
        }
        const subtotalFen = lines.reduce((a, l) => a + l.lineTotalFen, 0);
        const shippingFen = [...subtotals.values()].reduce((a, p) => a + p.feeFen, 0);
        const placed = placing.insertOrder(
          {
            buyerUserId: input.buyerUserId,
            contact: input.contact,
            delivery: input.delivery,
            lines,
            // Units already on an outlet's shelf come from no harvest lot and need no parcel from the village.
            fromLots: input.stock === 'online',
            parcels: input.stock === 'online' ? [...subtotals].map(([villageId, parcel]) => ({ villageId, feeFen: parcel.feeFen })) : [],
            subtotalFen,
            shippingFen,
            // Placed by staff (an accepted quote, a counter sale): not a hold the shop's limits count.
            hold: 'signed_in',
            placedBy: null,
            auditNote: { delivery: input.delivery, direct: true },
          },
          now,
          address,
        );
        input.onPlaced?.(placed.order, placed.accessToken);
        return placed;
      });
    },

    /**
     * Records a payment and posts the proceeds: the order becomes paid and the ledger says which
     * households and project the money belongs to. Idempotent per key (a replay changes nothing).
     * Must run inside a transaction when combined with other effects; opens its own otherwise.
     */
    recordPayment(o: OrderRow, payment: { channel: string; amountFen: number; userId: number | null; memo: string }): 'paid' | 'already' {
      const idempotencyKey = orderPaymentKey(o.id);
      return within(() => {
        const fresh = queries.orderById(o.id)!;
        if (ledger.transactionByKey(idempotencyKey)) return 'already';
        if (!canPay(fresh.status)) {
          if (fresh.paidAt !== null) return 'already';
          throw new AppError('conflict', 'order_not_payable', undefined, { params: { status: fresh.status } });
        }
        if (payment.amountFen !== fresh.totalFen) {
          throw new AppError('conflict', 'payment_amount_mismatch', undefined, { params: { expected: fresh.totalFen, got: payment.amountFen } });
        }
        const now = clock();
        // Conditional: of two payments of one order at once, the second finds it no longer payable.
        if (!queries.transition(fresh.id, statesLeadingTo('paid'), 'paid', now))
          throw new AppError('conflict', 'order_not_payable', undefined, { params: { status: fresh.status } });
        queries.markWishPaid(fresh.id);
        const lines = queries.linesOf(fresh.id);
        for (const line of lines) queries.addSold(line.productId, line.quantity);
        const { entries, splitRuleId } = paymentEntries({
          channel: payment.channel,
          amountFen: payment.amountFen,
          lines,
          subtotalFen: fresh.subtotalFen,
          shippingFen: fresh.shippingFen,
          // An order without product lines is a micro-wish donation: all of it goes to the wish's project fund.
          wishProjectId: lines.length === 0 ? queries.wishProjectOfOrder(fresh.id) : undefined,
          ruleOf: (projectId) => queries.splitRuleAt(projectId, clock()),
          membersOf: (producerId) => queries.membersOfProducer(producerId),
        });
        ledger.post({ idempotencyKey, kind: 'order_payment', orderId: fresh.id, entries, splitRuleId, memo: payment.memo, createdByUserId: payment.userId });
        deps.events?.paid(
          queries.orderById(fresh.id)!,
          queries.shipmentsOf(fresh.id).map((s) => s.villageId),
        );
        return 'paid';
      });
    },

    /** The buyer (with the order's token) or a coordinator cancels an unpaid order. */
    cancel(o: OrderRow, userId: number | null, address: string | null): void {
      within(() => {
        const fresh = queries.orderById(o.id)!;
        if (!cancelPending(fresh, 'requested', userId, address)) {
          throw new AppError('conflict', 'order_not_cancellable', undefined, { params: { status: fresh.status } });
        }
      });
    },

    /** Cancels an unpaid order whose payment failed or whose session expired (webhooks); false if not pending. */
    cancelUnpaid(o: OrderRow, reason: string): boolean {
      return within(() => cancelPending(queries.orderById(o.id)!, reason, null, null));
    },

    /** Cancels every unpaid order past its expiry; each releases its stock exactly once. */
    expireDue(limit = 500): number {
      let count = 0;
      for (const { id } of queries.duePendingOrders(clock(), limit)) {
        within(() => {
          const fresh = queries.orderById(id)!;
          if (canCancel(fresh.status) && fresh.expiresAt <= clock() && cancelPending(fresh, 'expired', null, null)) count++;
        });
      }
      return count;
    },

    /** The village's secretary ships their parcel of a paid order. */
    ship(actor: CurrentUser, number: string, villageId: number, carrier: string, trackingNumber: string, address: string | null): void {
      assertVillage(actor, villageId, 'order_not_found');
      within(() => shipParcel(actor, order(number), villageId, carrier, trackingNumber, address, false));
    },

    /**
     * A coordinator ships a village's parcel on its behalf (a village with no secretary, or one
     * away): only a coordinator in scope of a project of that village's lines in the order, and
     * audited as done on behalf of the village. Otherwise exactly as the secretary's shipping.
     */
    shipOnBehalf(actor: CurrentUser, number: string, villageId: number, carrier: string, trackingNumber: string, address: string | null): void {
      const o = orderForCoordinator(actor, number);
      const villageLines = queries.linesOf(o.id).filter((l) => l.villageId === villageId);
      if (villageLines.length === 0 || !(actor.allProjects || villageLines.some((l) => actor.projectIds.includes(l.projectId)))) {
        throw new AppError('not_found', 'order_not_found');
      }
      within(() => shipParcel(actor, queries.orderById(o.id)!, villageId, carrier, trackingNumber, address, true));
    },
    /** Marks a shipped order completed (delivered). */
    complete(o: OrderRow, userId: number | null): void {
      within(() => {
        if (!queries.transition(o.id, statesLeadingTo('completed'), 'completed', clock())) {
          throw new AppError('conflict', 'order_not_completable', undefined, { params: { status: queries.orderById(o.id)!.status } });
        }
        audit.record({ userId, action: 'order.complete', entityType: 'order', entityId: o.number, address: null });
      });
    },

    /**
     * Posts a refund: the exact reverse of what it refunds (a whole line, part of a line in
     * proportion, or the whole order with shipping). Idempotent per key.
     */
    postRefund(
      o: OrderRow,
      refund: { amountFen: number; orderLineId: number | null; channel: string; idempotencyKey: string; userId: number | null; reason: string },
    ): 'refunded' | 'already' {
      return within(() => {
        if (ledger.transactionByKey(refund.idempotencyKey)) return 'already';
        const fresh = queries.orderById(o.id)!;
        if (!canRefund(fresh.status)) {
          throw new AppError('conflict', 'order_not_refundable', undefined, { params: { status: fresh.status } });
        }
        const refundable = fresh.totalFen - fresh.refundedFen;
        if (refund.amountFen < 1 || refund.amountFen > refundable) {
          throw new AppError('validation', 'refund_too_large', undefined, { params: { max: refundable }, fields: { amount: 'refund_too_large' } });
        }
        const postings = ledger.transactionsOfOrder(fresh.id);
        if (!postings.some((t) => t.kind === 'order_payment'))
          throw new AppError('conflict', 'order_not_refundable', undefined, { params: { status: fresh.status } });
        const lines = queries.linesOf(fresh.id);
        if (refund.orderLineId !== null) {
          const line = lines.find((l) => l.id === refund.orderLineId);
          if (!line) throw new AppError('validation', 'refund_line_unknown', undefined, { fields: { lineId: 'refund_line_unknown' } });
          const lineLeft = line.lineTotalFen - line.refundedFen;
          if (refund.amountFen > lineLeft)
            throw new AppError('validation', 'refund_too_large', undefined, { params: { max: lineLeft }, fields: { amount: 'refund_too_large' } });
        }
        const { entries, perLine } = refundEntries(postings, refund);
        for (const [lineId, amount] of perLine) queries.addLineRefunded(lineId, amount);
        const now = clock();
        queries.addRefunded(fresh.id, refund.amountFen, now);
        const fully = fresh.refundedFen + refund.amountFen === fresh.totalFen;
        queries.transition(fresh.id, REFUNDABLE_STATUSES, fully ? 'refunded' : 'partially_refunded', now);
        if (fully) for (const line of lines) queries.addSold(line.productId, -line.quantity);
        ledger.post({
          idempotencyKey: refund.idempotencyKey,
          kind: 'refund',
          orderId: fresh.id,
          entries,
          memo: refund.reason,
          createdByUserId: refund.userId,
        });
        audit.record({
          userId: refund.userId,
          action: 'order.refund',
          entityType: 'order',
          entityId: fresh.number,
          before: { status: fresh.status, refundedFen: fresh.refundedFen },
          after: { refundedFen: fresh.refundedFen + refund.amountFen, lineId: refund.orderLineId, reason: refund.reason },
          address: null,
        });
        deps.events?.refunded(fresh, refund.amountFen, refund.reason);
        return 'refunded';
      });
    },
  };
}

/** The refusal while an order holds units of a recalled lot: which product, lot and how many. */
export function recallHold(
  code: 'parcel_holds_recalled_units' | 'order_holds_recalled_units' | 'pickup_holds_recalled_units',
  held: RecalledUnitsRow,
  field?: string,
): AppError {
  return new AppError('conflict', code, undefined, {
    params: { units: held.units, unit: held.unit, product: held.productZh, lot: held.code },
    ...(field ? { fields: { [field]: code } } : {}),
  });
}

export type OrdersService = ReturnType<typeof createOrdersService>;
export type { OrderStatus, PlacedOrder };
export { stripeHoldMs } from './order-placing.js';
