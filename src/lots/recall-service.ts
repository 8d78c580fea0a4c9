import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { takeStock } from '../catalog/index.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import { canRefund, REPLACEABLE_STATUSES } from '../orders/order-status.js';
import type { OrdersService } from '../orders/orders-service.js';
import { ORDER_STATUSES, type OrderStatus } from '../orders/schema.js';
import type { PaymentsService } from '../payments/payments-service.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import {
  allocateLots,
  insertResolution,
  lotById,
  recallCases,
  recalledLots,
  recalledUnitsHeld,
  replacementStock,
  takeOffRecalledLot,
  type LotView,
  type RecallCase,
} from './lots-queries.js';

/** Whether an order's unshipped units of a recalled lot may be replaced (src/orders/order-status.ts), for a status read as text. */
const replaceableStatus = (status: string) => (REPLACEABLE_STATUSES as readonly string[]).includes(status);
/** Whether an order's money can be refunded (src/orders/order-status.ts), for a status read as text. */
const refundable = (status: string) => (ORDER_STATUSES as readonly string[]).includes(status) && canRefund(status as OrderStatus);

/** One order line's units of the recalled lot, with what is still unsettled and what refunding it would return. */
export interface RecallLine extends RecallCase {
  /** Units not yet refunded or replaced (0 once the line was refunded in full). */
  unsettled: number;
  /** What refunding the unsettled units returns: their price, at most what the line still has (fen). */
  refundFen: number;
  /** The units left the village (parcel shipped or delivered). */
  shipped: boolean;
}

/**
 * Where an affected order stands for the buyer: not paid yet, paid with the recalled units not sent,
 * the units already with the buyer, or nothing left to do (every unit refunded or replaced).
 */
export type RecallStage = 'unpaid' | 'unshipped' | 'shipped' | 'refunded' | 'replaced';

export interface RecallOrder {
  orderId: number;
  number: string;
  status: string;
  contactName: string;
  phone: string;
  email: string | null;
  address: string;
  lines: RecallLine[];
  /** Units of the lot the order received (held now, and replaced since). */
  units: number;
  unsettled: number;
  stage: RecallStage;
  refundFen: number;
  canRefund: boolean;
  canReplace: boolean;
}

/**
 * What a recall does to the orders holding units of the lot: their parcels are held back (see
 * orders-service ship), an unpaid one is not marked paid, and a coordinator of the lot's project
 * settles the units: refunds them (through the order's own refund, so the money leaves by the way
 * it came) or, while they are not shipped, replaces them with units of the product's other lots.
 * Coordinators of other projects see nothing of it ("not found").
 */
export function createRecallService(db: Database_, deps: { clock: Clock; audit: AuditService; orders: OrdersService; payments: PaymentsService }) {
  const { clock, audit, orders, payments } = deps;

  const inScope = (actor: CurrentUser, projectId: number) => actor.role === 'coordinator' && (actor.allProjects || actor.projectIds.includes(projectId));

  function* recalledLot(tx: Tx, actor: CurrentUser, id: number): Query<LotView> {
    const lot = yield* lotById(tx, id);
    if (!lot || lot.recalledAt === null || !inScope(actor, lot.projectId)) throw new AppError('not_found', 'lot_not_found');
    return lot;
  }

  function line(row: RecallCase): RecallLine {
    const unsettled = row.lineRefundedFen >= row.lineTotalFen ? 0 : Math.max(0, row.held - row.refunded);
    return {
      ...row,
      unsettled,
      refundFen: Math.min(unsettled * row.unitPriceFen, row.lineTotalFen - row.lineRefundedFen),
      shipped: row.parcel !== null && row.parcel !== 'pending',
    };
  }

  function stageOf(status: string, lines: RecallLine[]): RecallStage {
    const unsettled = lines.filter((l) => l.unsettled > 0);
    if (unsettled.length === 0) return lines.some((l) => l.replaced > 0) && lines.every((l) => l.refunded === 0) ? 'replaced' : 'refunded';
    if (status === 'pending_payment') return 'unpaid';
    return unsettled.some((l) => l.shipped) ? 'shipped' : 'unshipped';
  }

  /** Every order that received units of the lot, each with its buyer's contact and what can be done. */
  function* affectedOrders(tx: Tx, lot: LotView): Query<RecallOrder[]> {
    const byOrder = new Map<number, RecallCase[]>();
    for (const row of yield* recallCases(tx, lot.id)) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), row]);
    const available = yield* replacementStock(tx, lot.productId);
    return [...byOrder.values()].map((rows) => {
      const first = rows[0]!;
      const lines = rows.map(line);
      const unsettled = lines.reduce((a, l) => a + l.unsettled, 0);
      const refundFen = lines.reduce((a, l) => a + l.refundFen, 0);
      const replaceable = lines.filter((l) => l.unsettled > 0 && !l.shipped).reduce((a, l) => a + l.unsettled, 0);
      return {
        orderId: first.orderId,
        number: first.number,
        status: first.status,
        contactName: first.contactName,
        phone: first.phone,
        email: first.email,
        address: [first.province, first.city, first.district, first.address].filter(Boolean).join(' '),
        lines,
        units: lines.reduce((a, l) => a + l.held + l.replaced, 0),
        unsettled,
        stage: stageOf(first.status, lines),
        refundFen,
        canRefund: refundable(first.status) && refundFen > 0,
        canReplace: replaceableStatus(first.status) && replaceable > 0 && replaceable <= available,
      };
    });
  }

  function* affectedOrder(tx: Tx, actor: CurrentUser, lot: LotView, number: string): Query<RecallOrder> {
    yield* orders.parts.orderForCoordinator(tx, actor, number); // an order the coordinator may not see is "not found"
    const found = (yield* affectedOrders(tx, lot)).find((o) => o.number === number);
    if (!found) throw new AppError('not_found', 'order_not_found');
    return found;
  }

  return {
    /** Recalled lots of the coordinator's projects, each with how many orders still hold unsettled units. */
    recalledLots: (actor: CurrentUser) =>
      db.uow.read(function* (tx) {
        const out = [];
        for (const lot of yield* recalledLots(tx, actor.allProjects ? null : actor.projectIds)) {
          const affected = yield* affectedOrders(tx, lot);
          out.push({ lot, orders: affected.length, open: affected.filter((o) => o.unsettled > 0).length });
        }
        return out;
      }),

    recall: (actor: CurrentUser, id: number) =>
      db.uow.read(function* (tx) {
        const lot = yield* recalledLot(tx, actor, id);
        return { lot, orders: yield* affectedOrders(tx, lot), replacementStock: yield* replacementStock(tx, lot.productId) };
      }),

    /**
     * Refunds the order's unsettled units of the lot (each line through the order's refund, so
     * the money goes back the way it came). Each refund records what it settles in its own
     * transaction, after checking again that no one settled the units meanwhile.
     */
    async refund(actor: CurrentUser, lotId: number, number: string, reason: string, address: string | null): Promise<'refunded' | 'pending'> {
      const { lot, order } = await db.uow.read(function* (tx) {
        const lot = yield* recalledLot(tx, actor, lotId);
        return { lot, order: yield* affectedOrder(tx, actor, lot, number) };
      });
      if (!order.canRefund) {
        if (order.status === 'pending_payment') throw new AppError('conflict', 'recall_unpaid_not_refundable');
        throw new AppError('conflict', 'recall_nothing_to_refund');
      }
      let result: 'refunded' | 'pending' = 'refunded';
      for (const l of order.lines.filter((x) => x.unsettled > 0 && x.refundFen > 0)) {
        // A step of the payments domain's unit that records the refund: its throw records nothing.
        const settle = function* (tx: Tx, refundId: number): Query<void> {
          const held = (yield* recalledUnitsHeld(tx, order.orderId, null)).find((h) => h.orderLineId === l.orderLineId && h.lotId === lot.id);
          if (!held || held.units !== l.unsettled) throw new AppError('conflict', 'recall_settled_meanwhile');
          yield* insertResolution(tx, {
            lotId: lot.id,
            orderLineId: l.orderLineId,
            quantity: l.unsettled,
            action: 'refund',
            refundId,
            replacementLotId: null,
            userId: actor.id,
            now: clock(),
          });
          yield* audit.add(tx, {
            userId: actor.id,
            action: 'lot.recall_refund',
            entityType: 'order',
            entityId: number,
            after: { lot: lot.code, lineId: l.orderLineId, units: l.unsettled, amountFen: l.refundFen, refundId },
            address,
          });
        };
        const settled = await payments.refund(actor, number, { amountFen: l.refundFen, orderLineId: l.orderLineId, reason }, address, settle);
        if (settled === 'pending') result = 'pending';
      }
      return result;
    },

    /**
     * Replaces the order's unsettled, unshipped units of the lot with units of the product's other
     * lots (oldest harvest first), in ONE transaction: the replacement units leave the shelf, the
     * recalled ones go back into their lot (never onto the shelf). Not enough in other lots: nothing
     * changes, and the message says how many there are.
     */
    replace: (actor: CurrentUser, lotId: number, number: string, address: string | null): Promise<number> =>
      db.uow.write(function* (tx) {
        const lot = yield* recalledLot(tx, actor, lotId);
        const order = yield* affectedOrder(tx, actor, lot, number);
        const lines = replaceableStatus(order.status) ? order.lines.filter((l) => l.unsettled > 0 && !l.shipped) : [];
        if (lines.length === 0) throw new AppError('conflict', 'recall_nothing_to_replace');
        const now = clock();
        let replaced = 0;
        for (const l of lines) {
          const units = l.unsettled;
          const available = yield* replacementStock(tx, l.productId);
          const noStock = () =>
            new AppError('conflict', 'recall_no_replacement', undefined, { params: { units, unit: l.unit, product: l.productZh, available } });
          if (!(yield* takeStock(tx, l.productId, units, now))) throw noStock();
          const takes = yield* allocateLots(tx, l.orderLineId, l.productId, units);
          if (takes.reduce((a, t) => a + t.quantity, 0) !== units) throw noStock();
          yield* takeOffRecalledLot(tx, l.orderLineId, lot.id, units);
          for (const t of takes)
            yield* insertResolution(tx, {
              lotId: lot.id,
              orderLineId: l.orderLineId,
              quantity: t.quantity,
              action: 'replace',
              refundId: null,
              replacementLotId: t.lotId,
              userId: actor.id,
              now,
            });
          replaced += units;
        }
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'lot.recall_replace',
          entityType: 'order',
          entityId: number,
          after: { lot: lot.code, units: replaced },
          address,
        });
        return replaced;
      }),
  };
}

export type RecallService = ReturnType<typeof createRecallService>;
