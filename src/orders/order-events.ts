import type { Query, Tx } from '../db/unit-of-work.js';
import type { OrderLine, Order } from './orders-queries.js';

/**
 * What the orders domain reports as it happens, for whoever tells people (src/notifications).
 * Each is a step of the unit of work that makes the change, so what it writes (an outbox message)
 * commits or rolls back with it; none may do anything outside the database.
 */
export interface OrderEvents {
  placed(tx: Tx, order: Order, lines: readonly OrderLine[], accessToken: string): Query<void>;
  /** `parcelVillageIds`: the villages whose parcels of the order now wait to be shipped. */
  paid(tx: Tx, order: Order, parcelVillageIds: readonly number[]): Query<void>;
  shipped(tx: Tx, order: Order, villageId: number, carrier: string, trackingNumber: string): Query<void>;
  /** `order` as it was before this refund. */
  refunded(tx: Tx, order: Order, amountFen: number, reason: string): Query<void>;
  /** `reason` is 'expired' when no payment came in time. */
  cancelled(tx: Tx, order: Order, reason: string): Query<void>;
}
