import type { Locale } from '../i18n/i18n.js';
import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { lowStockCrossedBy, recordSold, releaseStock, reserveStock, tiersOf } from '../catalog/index.js';
import type { Clock } from '../clock.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { issueDonationReceipt } from '../donations/index.js';
import { AppError } from '../errors.js';
import type { SplitRule } from '../ledger/allocation.js';
import { orderPaymentKey, paymentEntries, refundEntries } from '../ledger/order-postings.js';
import type { LedgerService } from '../ledger/ledger-service.js';
import { recalledUnitsHeld, releaseLots, type RecalledUnits } from '../lots/index.js';
import { splitRuleAt } from '../projects/index.js';
import { assertProjectRunning, saleDay } from '../projects/project-period.js';
import { markWishPaid, reopenWishOf, wishProjectOfOrder } from '../wishes/index.js';
import { sellableProduct } from './cart-queries.js';
import { cartItemsOfOwner, clearCartOf, priceItems, reviewedFigures, type CartOwner } from './cart-service.js';
import { checkHolds, visitorKey } from './holds.js';
import type { OrderEvents } from './order-events.js';
import type { SellableProduct } from './cart-queries.js';
import { createOrderPlacing, type CheckoutContact, type PlacedOrder } from './order-placing.js';
import { canConfirmReceipt, canPay, canRefund, canShip, REFUNDABLE_STATUSES, statesLeadingTo } from './order-status.js';
import {
  addLineRefunded,
  addRefunded,
  deliverShipments,
  isShippedToBuyer,
  linesOf,
  membersOfProducer,
  orderById,
  orderByNumber,
  projectIdsOfLines,
  deliveryOf,
  shipmentsOf,
  shipShipment,
  transition,
  unshippedCount,
  type Order,
} from './orders-queries.js';
import { checkQuantity, MAX_LINE_QUANTITY, shippingFeeFor, unitPriceFor } from './pricing.js';
import type { PaymentMethod } from './schema.js';

/** How an order reaches the buyer, and a step run inside the placing transaction (its throw undoes the order). */
export interface PlaceOptions {
  /** 'pickup': collected at a charity supermarket; no shipping fee is charged. */
  delivery?: 'ship' | 'pickup';
  onPlaced?: (order: Order, accessToken: string) => void;
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
  onPlaced?: (order: Order, accessToken: string) => void;
}

export interface OrdersDeps {
  clock: Clock;
  ledger: LedgerService;
  audit: AuditService;
  expiry: { stripeMs: number; offlineMs: number; offlineAnonymousMs: number; wishClaimMs: number };
  /** Told of each change inside its transaction (the e-mails to buyers and secretaries). */
  events?: OrderEvents;
}

/**
 * The order's changes as parts of a unit of work (src/db/unit-of-work.ts): each is a generator of
 * the transaction's handle, so the orders service runs it as a unit of its own and another domain
 * composes it into its own unit with `yield*`. Stock and money invariants are conditional writes:
 * a reservation takes stock only while enough is left, a transition happens only from the
 * expected state, a posting only once per idempotency key.
 */
export function createOrderChanges(deps: OrdersDeps) {
  const { clock, ledger, audit } = deps;
  const placing = createOrderPlacing({ audit, expiry: deps.expiry });

  function* orderOr404(tx: Tx, number: string): Query<Order> {
    const row = yield* orderByNumber(tx, number);
    if (!row) throw new AppError('not_found', 'order_not_found');
    return row;
  }

  /** Tells the village when this reservation took the product's stock across its low-stock threshold. */
  function* reportLowStock(tx: Tx, product: SellableProduct, quantity: number): Query<void> {
    if (!deps.events) return;
    const crossed = yield* lowStockCrossedBy(tx, product.id, quantity);
    if (!crossed) return;
    yield* deps.events.stockLow(tx, {
      id: product.id,
      titleZh: product.titleZh,
      titleEn: product.titleEn,
      unit: product.unit,
      villageId: product.villageId,
      stock: crossed.stock,
      threshold: crossed.threshold,
    });
  }

  function* release(tx: Tx, o: Order, now: number): Query<void> {
    for (const line of yield* linesOf(tx, o.id)) {
      yield* releaseStock(tx, line.productId, line.quantity, now);
      yield* releaseLots(tx, line.id, line.productId, now); // back to the same harvest lots
    }
    // An unpaid micro-wish claim that ends opens the wish again for other donors.
    yield* reopenWishOf(tx, o.id);
  }

  /** Cancels a pending order and releases its stock; false when it was no longer pending (so it happens once). */
  function* cancelPending(tx: Tx, o: Order, reason: string, userId: number | null, address: string | null): Query<boolean> {
    const now = clock();
    if (!(yield* transition(tx, o.id, statesLeadingTo('cancelled'), 'cancelled', now))) return false;
    yield* release(tx, o, now);
    yield* audit.add(tx, {
      userId,
      action: 'order.cancel',
      entityType: 'order',
      entityId: o.number,
      before: { status: o.status },
      after: { status: 'cancelled', reason },
      address,
    });
    if (deps.events) yield* deps.events.cancelled(tx, o, reason);
    return true;
  }

  /** Whether a coordinator's projects reach an order (a coordinator of all projects reaches every one). */
  function* coordinatorSees(tx: Tx, actor: CurrentUser, orderId: number): Query<boolean> {
    if (actor.allProjects) return true;
    const projectIds = yield* projectIdsOfLines(tx, orderId);
    const wishProject = yield* wishProjectOfOrder(tx, orderId);
    if (wishProject !== undefined) projectIds.push(wishProject);
    return projectIds.some((id) => actor.projectIds.includes(id));
  }

  /**
   * An order as a coordinator may see it: one scoped to all projects sees every order, one
   * scoped to projects only orders with a line in them; others get "not found".
   */
  function* orderForCoordinator(tx: Tx, actor: CurrentUser, number: string): Query<Order> {
    const row = yield* orderByNumber(tx, number);
    if (!row || actor.role !== 'coordinator' || !(yield* coordinatorSees(tx, actor, row.id))) throw new AppError('not_found', 'order_not_found');
    return row;
  }

  /** Ships one village's parcel of an order; the audit says who, and for which village when on its behalf. */
  function* shipParcel(
    tx: Tx,
    actor: CurrentUser,
    o: Order,
    villageId: number,
    carrier: string,
    trackingNumber: string,
    address: string | null,
    onBehalf: boolean,
  ): Query<void> {
    const shipment = (yield* shipmentsOf(tx, o.id)).find((s) => s.villageId === villageId);
    if (!shipment) throw new AppError('not_found', 'order_not_found');
    if (!canShip(o.status)) {
      throw new AppError('conflict', 'order_not_shippable', undefined, { params: { status: o.status } });
    }
    // Units of a recalled lot never leave: the rest of the order (other villages' parcels) ships as usual.
    const [recalled] = yield* recalledUnitsHeld(tx, o.id, villageId);
    if (recalled && shipment.status === 'pending') throw recallHold('parcel_holds_recalled_units', recalled);
    if (!(yield* shipShipment(tx, o.id, villageId, carrier, trackingNumber, actor.id, clock()))) throw new AppError('conflict', 'already_shipped');
    if ((yield* unshippedCount(tx, o.id)) === 0 && o.status === 'paid') yield* transition(tx, o.id, ['paid'], 'shipped', clock());
    const after = onBehalf ? { villageId, carrier, trackingNumber, onBehalfOf: shipment.villageZh } : { villageId, carrier, trackingNumber };
    yield* audit.add(tx, { userId: actor.id, action: 'order.ship', entityType: 'order', entityId: o.number, after, address });
    if (deps.events) yield* deps.events.shipped(tx, o, villageId, carrier, trackingNumber);
  }

  /**
   * Places the order from the cart in ONE unit: every line's stock is reserved by a conditional
   * decrement (never below zero), prices are snapshotted, the number, token and receipt code are
   * made. If any line cannot be reserved, nothing is written and the cart stays as it was.
   */
  function* place(
    tx: Tx,
    owner: CartOwner,
    buyerUserId: number | null,
    contact: CheckoutContact,
    address: string | null,
    options: PlaceOptions = {},
  ): Query<PlacedOrder> {
    const pickup = options.delivery === 'pickup';
    const items = yield* cartItemsOfOwner(tx, owner);
    if (items.length === 0) throw new AppError('conflict', 'cart_empty');
    const now = clock();
    const today = saleDay(now);
    const priced = yield* priceItems(tx, items, null, today);
    for (const line of priced.lines) checkQuantity(line.product, line.quantity, today);
    if (priced.lines.length !== items.length) throw new AppError('conflict', 'cart_changed');
    if (options.reviewed !== undefined && reviewedFigures(priced, pickup) !== options.reviewed) {
      throw new AppError('conflict', 'prices_changed');
    }
    for (const line of priced.lines) {
      if (!(yield* reserveStock(tx, line.product.id, line.quantity, now))) {
        throw new AppError('conflict', 'sold_out', undefined, { params: { title: line.product.titleZh } });
      }
      yield* reportLowStock(tx, line.product, line.quantity);
    }
    // After the stock: what is sold out is said so; a hold past the limit undoes the reservation with the rest.
    const placedBy = { visitor: visitorKey(owner), address };
    yield* checkHolds(tx, { ...placedBy, phone: contact.phone }, priced.lines, now);
    const placed = yield* placing.insertOrder(
      tx,
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
    if (contact.paymentMethod === 'offline') yield* clearCartOf(tx, owner);
    if (deps.events) yield* deps.events.placed(tx, placed.order, yield* linesOf(tx, placed.order.id), placed.accessToken);
    options.onPlaced?.(placed.order, placed.accessToken);
    return placed;
  }

  /**
   * Places an order from given lines in ONE unit, like place(): a quoted price may override the
   * catalogue price per line; 'online' stock is reserved by conditional decrement, 'held' stock is
   * the caller's to take (in the same unit, through onPlaced or before).
   */
  function* placeDirect(tx: Tx, input: DirectOrder, address: string | null): Query<PlacedOrder> {
    if (input.lines.length === 0) throw new AppError('conflict', 'cart_empty');
    const now = clock();
    const lines = [];
    for (const item of input.lines) {
      const product = yield* sellableProduct(tx, item.productId);
      if (!product || (input.stock === 'online' && !product.published)) throw new AppError('not_found', 'product_not_found');
      // Units already on an outlet's shelf are no exception: the money would go to a project that no longer runs.
      assertProjectRunning(product, saleDay(now));
      if (!Number.isSafeInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_LINE_QUANTITY) {
        throw new AppError('validation', 'quantity_invalid', undefined, { params: { title: product.titleZh } });
      }
      if (input.stock === 'online' && !(yield* reserveStock(tx, product.id, item.quantity, now))) {
        throw new AppError('conflict', 'not_enough_stock', undefined, { params: { title: product.titleZh, stock: product.stock, unit: product.unit } });
      }
      if (input.stock === 'online') yield* reportLowStock(tx, product, item.quantity);
      const unitPriceFen = item.unitPriceFen ?? unitPriceFor(product.priceFen, yield* tiersOf(tx, product.id), item.quantity);
      lines.push({ product, quantity: item.quantity, unitPriceFen, lineTotalFen: unitPriceFen * item.quantity });
    }
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
    const placed = yield* placing.insertOrder(
      tx,
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
  }

  /**
   * Places an order that buys no product (a micro-wish donation): no lines, stock or shipping; the
   * total is the amount given. A part of the caller's unit, so the caller links what it pays for
   * in the same commit (or nothing is written).
   */
  function* placeDonation(
    tx: Tx,
    visitor: CartOwner,
    buyerUserId: number | null,
    contact: { name: string; phone: string; paymentMethod: PaymentMethod; locale?: Locale | undefined },
    amountFen: number,
    address: string | null,
  ): Query<PlacedOrder> {
    const placed = yield* placing.insertOrder(
      tx,
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
          locale: contact.locale,
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
    );
    // The donor is told how to pay (the bank details of a transfer) like any buyer; no lines to list.
    if (deps.events) yield* deps.events.placed(tx, placed.order, [], placed.accessToken);
    return placed;
  }

  /**
   * Records a payment and posts the proceeds: the order becomes paid and the ledger says which
   * households and project the money belongs to. Idempotent per key (a replay changes nothing).
   */
  function* recordPayment(
    tx: Tx,
    o: Order,
    payment: { channel: string; amountFen: number; userId: number | null; memo: string; memoMayNamePeople?: boolean },
  ): Query<'paid' | 'already'> {
    const idempotencyKey = orderPaymentKey(o.id);
    const fresh = (yield* orderById(tx, o.id))!;
    if (yield* ledger.transactionByKeyIn(tx, idempotencyKey)) return 'already';
    if (!canPay(fresh.status)) {
      if (fresh.paidAt !== null) return 'already';
      throw new AppError('conflict', 'order_not_payable', undefined, { params: { status: fresh.status } });
    }
    if (payment.amountFen !== fresh.totalFen) {
      throw new AppError('conflict', 'payment_amount_mismatch', undefined, { params: { expected: fresh.totalFen, got: payment.amountFen } });
    }
    const now = clock();
    // Conditional: of two payments of one order at once, the second finds it no longer payable.
    if (!(yield* transition(tx, fresh.id, statesLeadingTo('paid'), 'paid', now)))
      throw new AppError('conflict', 'order_not_payable', undefined, { params: { status: fresh.status } });
    yield* markWishPaid(tx, fresh.id);
    const lines = yield* linesOf(tx, fresh.id);
    for (const line of lines) yield* recordSold(tx, line.productId, line.quantity);
    // The split rules and members the posting divides by, read in this unit before it posts.
    const rules = new Map<number, SplitRule | undefined>();
    const members = new Map<number, { householdId: number; weight: number }[]>();
    for (const line of lines) {
      if (!rules.has(line.projectId)) rules.set(line.projectId, yield* splitRuleAt(tx, line.projectId, clock()));
      if (!members.has(line.producerId)) members.set(line.producerId, yield* membersOfProducer(tx, line.producerId));
    }
    const wishProjectId = lines.length === 0 ? yield* wishProjectOfOrder(tx, fresh.id) : undefined;
    if (wishProjectId !== undefined && !rules.has(wishProjectId)) rules.set(wishProjectId, yield* splitRuleAt(tx, wishProjectId, clock()));
    const { entries, splitRuleId } = paymentEntries({
      channel: payment.channel,
      amountFen: payment.amountFen,
      lines,
      subtotalFen: fresh.subtotalFen,
      shippingFen: fresh.shippingFen,
      // An order without product lines is a micro-wish donation: all of it goes to the wish's project fund.
      wishProjectId,
      ruleOf: (projectId) => rules.get(projectId),
      membersOf: (producerId) => members.get(producerId) ?? [],
    });
    yield* ledger.postIn(tx, {
      idempotencyKey,
      kind: 'order_payment',
      orderId: fresh.id,
      entries,
      splitRuleId,
      memo: payment.memo,
      memoMayNamePeople: payment.memoMayNamePeople,
      createdByUserId: payment.userId,
    });
    // A donation (no product lines) gets its numbered donation receipt in the same commit; a purchase gets none.
    if (wishProjectId !== undefined)
      yield* issueDonationReceipt(tx, { orderId: fresh.id, projectId: wishProjectId, donorName: fresh.contactName, amountFen: fresh.totalFen, paidAt: now });
    if (deps.events)
      yield* deps.events.paid(
        tx,
        (yield* orderById(tx, fresh.id))!,
        (yield* shipmentsOf(tx, fresh.id)).map((s) => s.villageId),
      );
    return 'paid';
  }

  /** Cancels an unpaid order whose payment failed or whose session expired; false if not pending. */
  function* cancelUnpaid(tx: Tx, o: Order, reason: string): Query<boolean> {
    return yield* cancelPending(tx, (yield* orderById(tx, o.id))!, reason, null, null);
  }

  /** Marks a shipped order completed (delivered). */
  function* complete(tx: Tx, o: Order, userId: number | null): Query<void> {
    if (!(yield* transition(tx, o.id, statesLeadingTo('completed'), 'completed', clock()))) {
      throw new AppError('conflict', 'order_not_completable', undefined, { params: { status: (yield* orderById(tx, o.id))!.status } });
    }
    yield* audit.add(tx, { userId, action: 'order.complete', entityType: 'order', entityId: o.number, address: null });
    if (deps.events) yield* deps.events.delivered(tx, (yield* orderById(tx, o.id))!);
  }

  /**
   * The buyer's 确认收货, or the periodic work's after the configured days: the order's shipped parcels
   * become delivered and a shipped order completed (the order-status table's shipped → completed);
   * the delivered e-mail goes out with it. 'already' when it was confirmed before (a second click, or
   * the buyer and the periodic work at once: the conditional transition lets one through).
   * Orders collected at a charity supermarket are confirmed by the outlet at hand-over instead.
   */
  function* confirmReceipt(tx: Tx, o: Order, by: { userId: number | null; automatic: boolean; address: string | null }): Query<'confirmed' | 'already'> {
    const fresh = (yield* orderById(tx, o.id))!;
    if (fresh.status === 'completed') return 'already';
    if (!canConfirmReceipt(fresh.status) || !(yield* isShippedToBuyer(tx, fresh.id))) {
      throw new AppError('conflict', 'order_not_confirmable', undefined, { params: { status: fresh.status } });
    }
    const now = clock();
    if (!(yield* transition(tx, fresh.id, statesLeadingTo('completed'), 'completed', now))) {
      if ((yield* orderById(tx, fresh.id))!.status === 'completed') return 'already';
      throw new AppError('conflict', 'order_not_confirmable', undefined, { params: { status: fresh.status } });
    }
    const parcels = yield* deliverShipments(tx, fresh.id, now);
    yield* audit.add(tx, {
      userId: by.userId,
      action: by.automatic ? 'order.auto_confirm_receipt' : 'order.confirm_receipt',
      entityType: 'order',
      entityId: fresh.number,
      before: { status: fresh.status },
      after: { status: 'completed', parcels },
      address: by.address,
    });
    if (deps.events) yield* deps.events.delivered(tx, (yield* orderById(tx, fresh.id))!);
    return 'confirmed';
  }

  /**
   * Posts a refund: the exact reverse of what it refunds (a whole line, part of a line in
   * proportion, or the whole order with shipping). Idempotent per key.
   */
  function* postRefund(
    tx: Tx,
    o: Order,
    refund: { amountFen: number; orderLineId: number | null; channel: string; idempotencyKey: string; userId: number | null; reason: string },
  ): Query<'refunded' | 'already'> {
    if (yield* ledger.transactionByKeyIn(tx, refund.idempotencyKey)) return 'already';
    const fresh = (yield* orderById(tx, o.id))!;
    if (!canRefund(fresh.status)) {
      throw new AppError('conflict', 'order_not_refundable', undefined, { params: { status: fresh.status } });
    }
    const refundable = fresh.totalFen - fresh.refundedFen;
    if (refund.amountFen < 1 || refund.amountFen > refundable) {
      throw new AppError('validation', 'refund_too_large', undefined, { params: { max: refundable }, fields: { amount: 'refund_too_large' } });
    }
    const postings = yield* ledger.transactionsOfOrderIn(tx, fresh.id);
    if (!postings.some((t) => t.kind === 'order_payment'))
      throw new AppError('conflict', 'order_not_refundable', undefined, { params: { status: fresh.status } });
    const lines = yield* linesOf(tx, fresh.id);
    if (refund.orderLineId !== null) {
      const line = lines.find((l) => l.id === refund.orderLineId);
      if (!line) throw new AppError('validation', 'refund_line_unknown', undefined, { fields: { lineId: 'refund_line_unknown' } });
      const lineLeft = line.lineTotalFen - line.refundedFen;
      if (refund.amountFen > lineLeft)
        throw new AppError('validation', 'refund_too_large', undefined, { params: { max: lineLeft }, fields: { amount: 'refund_too_large' } });
    }
    const { entries, perLine } = refundEntries(postings, refund);
    for (const [lineId, amount] of perLine) yield* addLineRefunded(tx, lineId, amount);
    const now = clock();
    // Units never shipped go back on sale (and to their harvest lots) once their line is wholly
    // refunded. Shipped units are with the buyer: what comes back is counted in by the village's
    // stock adjustment when it arrives. A part refund of a line is money only.
    if ((yield* deliveryOf(tx, fresh.id)) === 'ship') {
      const shipped = new Set((yield* shipmentsOf(tx, fresh.id)).filter((s) => s.status !== 'pending').map((s) => s.villageId));
      for (const line of lines) {
        const refundedNow = perLine.get(line.id) ?? 0;
        if (refundedNow > 0 && line.refundedFen + refundedNow === line.lineTotalFen && !shipped.has(line.villageId)) {
          yield* releaseStock(tx, line.productId, line.quantity, now);
          yield* releaseLots(tx, line.id, line.productId, now);
        }
      }
    }
    yield* addRefunded(tx, fresh.id, refund.amountFen, now);
    const fully = fresh.refundedFen + refund.amountFen === fresh.totalFen;
    yield* transition(tx, fresh.id, REFUNDABLE_STATUSES, fully ? 'refunded' : 'partially_refunded', now);
    if (fully) for (const line of lines) yield* recordSold(tx, line.productId, -line.quantity);
    yield* ledger.postIn(tx, {
      idempotencyKey: refund.idempotencyKey,
      kind: 'refund',
      orderId: fresh.id,
      entries,
      memo: refund.reason,
      // A refund's reason is a coordinator's words about a buyer: kept beside the chain, erasable.
      memoMayNamePeople: true,
      createdByUserId: refund.userId,
    });
    yield* audit.add(tx, {
      userId: refund.userId,
      action: 'order.refund',
      entityType: 'order',
      entityId: fresh.number,
      before: { status: fresh.status, refundedFen: fresh.refundedFen },
      after: { refundedFen: fresh.refundedFen + refund.amountFen, lineId: refund.orderLineId, reason: refund.reason },
      address: null,
    });
    if (deps.events) yield* deps.events.refunded(tx, fresh, refund.amountFen, refund.reason);
    return 'refunded';
  }

  return {
    orderOr404,
    cancelPending,
    coordinatorSees,
    orderForCoordinator,
    shipParcel,
    place,
    placeDirect,
    placeDonation,
    recordPayment,
    cancelUnpaid,
    complete,
    confirmReceipt,
    postRefund,
  };
}

/** The refusal while an order holds units of a recalled lot: which product, lot and how many. */
export function recallHold(
  code: 'parcel_holds_recalled_units' | 'order_holds_recalled_units' | 'pickup_holds_recalled_units',
  held: RecalledUnits,
  field?: string,
): AppError {
  return new AppError('conflict', code, undefined, {
    params: { units: held.units, unit: held.unit, product: held.productZh, lot: held.code },
    ...(field ? { fields: { [field]: code } } : {}),
  });
}
