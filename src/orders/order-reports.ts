import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';

/** Read-only figures about orders for consoles (the orders domain owns these tables). */
export function createOrderReports(db: Database_) {
  const q = statementCache(db.sqlite);
  const villageFilter = (ids: readonly number[] | 'all', column: string) =>
    ids === 'all' ? '1 = 1' : ids.length ? `${column} IN (${ids.map(Number).join(',')})` : '0 = 1';
  return {
    /** Net sales (line totals less refunds, fen) of paid orders in [from, to), for the villages. */
    villageSales(villageIds: readonly number[] | 'all', from: number, to: number): { salesFen: number; orders: number } {
      return q(
        `SELECT coalesce(sum(ol.line_total_fen - ol.refunded_fen), 0) AS salesFen, count(DISTINCT ol.order_id) AS orders
         FROM order_lines ol JOIN orders o ON o.id = ol.order_id
         WHERE o.paid_at >= ? AND o.paid_at < ? AND ${villageFilter(villageIds, 'ol.village_id')}`,
      ).get(from, to) as { salesFen: number; orders: number };
    },

    /** Paid orders whose parcel from one of the villages has not been shipped yet. */
    shipmentsToShip(villageIds: readonly number[] | 'all'): number {
      return (
        q(
          `SELECT count(*) AS n FROM shipments s JOIN orders o ON o.id = s.order_id
           WHERE s.status = 'pending' AND o.status IN ('paid', 'partially_refunded') AND ${villageFilter(villageIds, 's.village_id')}`,
        ).get() as { n: number }
      ).n;
    },
  };
}

export type OrderReports = ReturnType<typeof createOrderReports>;
