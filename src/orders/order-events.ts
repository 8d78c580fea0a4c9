import type { OrderLine, Order } from './orders-queries.js';

/**
 * What the orders domain reports as it happens, for whoever tells people (src/notifications).
 * Each is called inside the transaction that makes the change, so what it writes (an outbox
 * message) commits or rolls back with it; none may do anything outside the database.
 */
export interface OrderEvents {
  placed(order: Order, lines: readonly OrderLine[], accessToken: string): void;
  /** `parcelVillageIds`: the villages whose parcels of the order now wait to be shipped. */
  paid(order: Order, parcelVillageIds: readonly number[]): void;
  shipped(order: Order, villageId: number, carrier: string, trackingNumber: string): void;
  /** `order` as it was before this refund. */
  refunded(order: Order, amountFen: number, reason: string): void;
  /** `reason` is 'expired' when no payment came in time. */
  cancelled(order: Order, reason: string): void;
}
