import type { OrderStatus, PaymentMethod } from './schema.js';

/**
 * The order's life in one table: which state may move to which, and what may be done to an order
 * in each state. Services check these before writing (and write conditionally on the same lists,
 * so two requests at once cannot both move an order); consoles ask them to show or hide buttons.
 *
 *   pending_payment → paid → shipped → completed
 *   pending_payment → cancelled (buyer, coordinator, expiry; releases stock)
 *   paid / shipped / completed / partially_refunded → partially_refunded / refunded
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending_payment: ['paid', 'cancelled'],
  paid: ['shipped', 'partially_refunded', 'refunded'],
  shipped: ['completed', 'partially_refunded', 'refunded'],
  completed: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  cancelled: [],
  refunded: [],
};

/** The states an order may move to `to` from (the `WHERE status IN (…)` of the conditional write). */
export const statesLeadingTo = (to: OrderStatus): OrderStatus[] =>
  (Object.keys(ORDER_TRANSITIONS) as OrderStatus[]).filter((from) => ORDER_TRANSITIONS[from].includes(to));

/** Paid for and not wholly refunded: money came in, so part of it may go back. */
export const REFUNDABLE_STATUSES: readonly OrderStatus[] = statesLeadingTo('refunded');
/** Paid and with parcels that may still leave the villages (a part refund does not stop the rest). */
export const SHIPPABLE_STATUSES: readonly OrderStatus[] = ['paid', 'shipped', 'partially_refunded'];
/**
 * Paid, and parcels may still wait to leave the villages: 'shipped' is not among them, since an order
 * becomes shipped only once every parcel has left (a part refund keeps the rest of an order to send).
 * What the secretary's console counts as orders to ship.
 */
export const AWAITING_SHIPMENT_STATUSES: readonly OrderStatus[] = ['paid', 'partially_refunded'];
/**
 * Not yet shipped as a whole, cancelled or wholly refunded: the unshipped units of a recalled lot an
 * order holds may be swapped for units of the product's other lots (src/lots/recall-service.ts).
 */
export const REPLACEABLE_STATUSES: readonly OrderStatus[] = ['pending_payment', 'paid', 'partially_refunded'];
/** Paid at some time, whatever happened after: its parcels are shown to the secretaries. */
export const EVER_PAID_STATUSES: readonly OrderStatus[] = ['paid', 'shipped', 'completed', 'partially_refunded', 'refunded'];
/** Not cancelled and not wholly refunded: a pickup code still collects it. */
export const COLLECTABLE_STATUSES: readonly OrderStatus[] = ['pending_payment', 'paid', 'shipped', 'partially_refunded'];

export const canRefund = (status: OrderStatus): boolean => REFUNDABLE_STATUSES.includes(status);
export const canShip = (status: OrderStatus): boolean => SHIPPABLE_STATUSES.includes(status);
export const canCancel = (status: OrderStatus): boolean => ORDER_TRANSITIONS[status].includes('cancelled');
export const canPay = (status: OrderStatus): boolean => ORDER_TRANSITIONS[status].includes('paid');
/** A coordinator confirms a bank transfer only for an unpaid order that was to be paid by one. */
export const canMarkPaid = (order: { status: OrderStatus; paymentMethod: PaymentMethod }): boolean => canPay(order.status) && order.paymentMethod === 'offline';
/** Delivered: the buyer (or the outlet handing it over) confirms receipt of a shipped order. */
export const canConfirmReceipt = (status: OrderStatus): boolean => ORDER_TRANSITIONS[status].includes('completed');
/** A parcel's packing slip is printed for an order that was paid and is still to be (or was) sent. */
export const canPrintPackingSlip = (status: OrderStatus): boolean => canRefund(status);
/**
 * The buyer may ask for a refund or report a problem (an after-sale request) about an order that was
 * paid and is not wholly refunded: paid, shipped, delivered (completed) or partly refunded.
 */
export const canRequestAfterSale = (status: OrderStatus): boolean => canRefund(status);
