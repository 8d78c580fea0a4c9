import { and, count, countDistinct, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Database_ } from '../db/client.js';
import { one } from '../db/unit-of-work.js';
import { AWAITING_SHIPMENT_STATUSES } from './order-status.js';
import { orderLines, orders, shipments } from './schema.js';

/** Rows of the given villages only ('all': every village; none: no row). */
const ofVillages = (ids: readonly number[] | 'all', column: typeof orderLines.villageId | typeof shipments.villageId): SQL | undefined =>
  ids === 'all' ? undefined : ids.length ? inArray(column, [...ids]) : sql`0 = 1`;

/** Read-only figures about orders for consoles (the orders domain owns these tables). */
export function createOrderReports(db: Database_) {
  return {
    /** Net sales (line totals less refunds, fen) of paid orders in [from, to), for the villages. */
    villageSales: (villageIds: readonly number[] | 'all', from: number, to: number): Promise<{ salesFen: number; orders: number }> =>
      db.uow.read(function* (tx) {
        const row = yield* one(
          tx
            .select({
              salesFen: sql<number>`coalesce(sum(${orderLines.lineTotalFen} - ${orderLines.refundedFen}), 0)`,
              orders: countDistinct(orderLines.orderId),
            })
            .from(orderLines)
            .innerJoin(orders, eq(orders.id, orderLines.orderId))
            .where(and(gte(orders.paidAt, from), lt(orders.paidAt, to), ofVillages(villageIds, orderLines.villageId))),
        );
        return row!;
      }),

    /** Paid orders whose parcel from one of the villages has not been shipped yet. */
    shipmentsToShip: (villageIds: readonly number[] | 'all'): Promise<number> =>
      db.uow.read(function* (tx) {
        const row = yield* one(
          tx
            .select({ n: count() })
            .from(shipments)
            .innerJoin(orders, eq(orders.id, shipments.orderId))
            .where(and(eq(shipments.status, 'pending'), inArray(orders.status, [...AWAITING_SHIPMENT_STATUSES]), ofVillages(villageIds, shipments.villageId))),
        );
        return row!.n;
      }),
  };
}

export type OrderReports = ReturnType<typeof createOrderReports>;
