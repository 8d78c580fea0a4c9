import type { Query, Tx } from '../db/unit-of-work.js';
import type { OrderRequest } from './order-requests.js';
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
  /** The order reached the buyer (shipped → completed). */
  delivered(tx: Tx, order: Order): Query<void>;
  /** A coordinator accepted or declined the buyer's refund or problem request (its reply is the buyer's to read). */
  requestAnswered(tx: Tx, order: Order, request: OrderRequest): Query<void>;
  /** A sale took a product's stock to or below its low-stock threshold (once per crossing, not per sale). */
  stockLow(tx: Tx, product: LowStockProduct): Query<void>;
}

/** A product whose stock just fell to its low-stock threshold, and the village that restocks it. */
export interface LowStockProduct {
  id: number;
  titleZh: string;
  titleEn: string | null;
  unit: string;
  villageId: number;
  /** Units left after the sale. */
  stock: number;
  threshold: number;
}
