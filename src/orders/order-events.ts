import type { OrderLineRow, OrderRow } from './orders-queries.js';

/**
 * What the orders domain reports as it happens, for whoever tells people (src/notifications).
 * Each is called inside the transaction that makes the change, so what it writes (an outbox
 * message) commits or rolls back with it; none may do anything outside the database.
 */
export interface OrderEvents {
  placed(order: OrderRow, lines: readonly OrderLineRow[], accessToken: string): void;
  /** `parcelVillageIds`: the villages whose parcels of the order now wait to be shipped. */
  paid(order: OrderRow, parcelVillageIds: readonly number[]): void;
  shipped(order: OrderRow, villageId: number, carrier: string, trackingNumber: string): void;
  /** `order` as it was before this refund. */
  refunded(order: OrderRow, amountFen: number, reason: string): void;
  /** `reason` is 'expired' when no payment came in time. */
  cancelled(order: OrderRow, reason: string): void;
}
