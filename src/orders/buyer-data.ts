import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import { all, run, type Query, type Tx } from '../db/unit-of-work.js';
import { linesOf, shipmentsOf } from './orders-queries.js';
import { carts, orderLookups, orders, shipments } from './schema.js';

/**
 * The orders domain's part of a buyer's personal-data requests (src/privacy): what it holds about
 * a signed-in buyer, and erasing it. Orders stay with their figures (lines, totals, refunds,
 * statuses): the ledger and the households' statements rest on them.
 */

/** Every order of a signed-in buyer, newest first, with its lines and parcels. */
export function* buyerOrders(tx: Tx, userId: number) {
  const rows = yield* all(
    tx
      .select({
        id: orders.id,
        number: orders.number,
        status: orders.status,
        contactName: orders.contactName,
        phone: orders.phone,
        province: orders.province,
        city: orders.city,
        district: orders.district,
        address: orders.address,
        note: orders.note,
        paymentMethod: orders.paymentMethod,
        deliveryMethod: orders.deliveryMethod,
        subtotalFen: orders.subtotalFen,
        shippingFen: orders.shippingFen,
        totalFen: orders.totalFen,
        refundedFen: orders.refundedFen,
        createdAt: orders.createdAt,
        paidAt: orders.paidAt,
        cancelledAt: orders.cancelledAt,
        completedAt: orders.completedAt,
      })
      .from(orders)
      .where(eq(orders.buyerUserId, userId))
      .orderBy(desc(orders.createdAt), desc(orders.id)),
  );
  const list = [];
  for (const o of rows) {
    const lines = (yield* linesOf(tx, o.id)).map((l) => ({
      titleZh: l.titleZh,
      titleEn: l.titleEn,
      unit: l.unit,
      quantity: l.quantity,
      unitPriceFen: l.unitPriceFen,
      lineTotalFen: l.lineTotalFen,
      refundedFen: l.refundedFen,
    }));
    const parcels = (yield* shipmentsOf(tx, o.id)).map((s) => ({
      villageZh: s.villageZh,
      villageEn: s.villageEn,
      status: s.status,
      carrier: s.carrier,
      trackingNumber: s.trackingNumber,
    }));
    list.push({ ...o, lines, parcels });
  }
  return list;
}

/**
 * The buyer's orders that still need their contact and address: unpaid (pending_payment), or paid
 * with a parcel not yet sent (paid, or partly refunded with a parcel pending). Deletion waits for them.
 */
export function* ordersHoldingContact(tx: Tx, userId: number): Query<{ number: string; status: string }[]> {
  const pendingParcel = sql`EXISTS (SELECT 1 FROM ${shipments} WHERE ${shipments.orderId} = ${orders.id} AND ${shipments.status} = 'pending')`;
  return yield* all(
    tx
      .select({ number: orders.number, status: orders.status })
      .from(orders)
      .where(
        and(
          eq(orders.buyerUserId, userId),
          or(inArray(orders.status, ['pending_payment', 'paid']), and(eq(orders.status, 'partially_refunded'), pendingParcel)),
        ),
      )
      .orderBy(orders.id),
  );
}

/**
 * Erases a buyer's contact from their orders (name, phone, address, note, the address it was placed
 * from), forgets the "find my order" requests for them and the buyer's cart. Returns the orders'
 * ids and the phone numbers they had (text messages to them are erased from the outbox too).
 */
export function* eraseBuyerFromOrders(tx: Tx, userId: number, now: number): Query<{ orderIds: number[]; phones: string[] }> {
  const rows = yield* all(tx.select({ id: orders.id, phone: orders.phone }).from(orders).where(eq(orders.buyerUserId, userId)));
  const orderIds = rows.map((r) => r.id);
  const phones = [...new Set(rows.map((r) => r.phone).filter((p) => p !== ''))];
  if (orderIds.length) {
    yield* run(
      tx
        .update(orders)
        .set({ contactName: '', phone: '', province: '', city: '', district: '', address: '', note: null, placedFromAddress: null, updatedAt: now })
        .where(eq(orders.buyerUserId, userId)),
    );
    yield* run(tx.delete(orderLookups).where(inArray(orderLookups.orderId, orderIds)));
  }
  yield* run(tx.delete(carts).where(eq(carts.userId, userId)));
  return { orderIds, phones };
}
