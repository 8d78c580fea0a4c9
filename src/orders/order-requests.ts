import { and, asc, desc, eq } from 'drizzle-orm';
import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import type { OrderEvents } from './order-events.js';
import { canRequestAfterSale } from './order-status.js';
import { orderById, type Order } from './orders-queries.js';
import type { OrdersService } from './orders-service.js';
import { orderRequests } from './schema.js';

/** A buyer's refund or problem request (申请退款 / 问题反馈) about an order. */
export type OrderRequest = typeof orderRequests.$inferSelect;
export type OrderRequestKind = OrderRequest['kind'];
export type OrderRequestReason = OrderRequest['reason'];

/** What the buyer asks: refund or problem, a reason from the list, a note, optionally the amount (fen). */
export interface RequestInput {
  kind: OrderRequestKind;
  reason: OrderRequestReason;
  note: string;
  amountFen: number | null;
}

// ----- queries -----

function* requestsOfOrder(tx: Tx, orderId: number): Query<OrderRequest[]> {
  return yield* all(tx.select().from(orderRequests).where(eq(orderRequests.orderId, orderId)).orderBy(desc(orderRequests.id)));
}

function* requestById(tx: Tx, id: number): Query<OrderRequest | undefined> {
  return yield* one(tx.select().from(orderRequests).where(eq(orderRequests.id, id)));
}

function* openRequests(tx: Tx, limit: number): Query<OrderRequest[]> {
  return yield* all(tx.select().from(orderRequests).where(eq(orderRequests.status, 'open')).orderBy(asc(orderRequests.createdAt)).limit(limit));
}

/** Answers an open request; false when it was answered already (two coordinators at once). */
function* answerRequest(tx: Tx, id: number, status: 'accepted' | 'declined', reply: string | null, userId: number, now: number): Query<boolean> {
  const changed = yield* run(
    tx
      .update(orderRequests)
      .set({ status, reply, answeredByUserId: userId, answeredAt: now })
      .where(and(eq(orderRequests.id, id), eq(orderRequests.status, 'open'))),
  );
  return changed === 1;
}

/** The most open requests the coordinators' queue reads at once. */
const QUEUE_LIMIT = 300;

/**
 * After-sale requests: the buyer of a paid order asks for a refund or reports a problem; a
 * coordinator in scope of the order accepts it (and refunds through the usual refund, which posts
 * to the ledger) or declines it with a reply. Only the order's buyer (signed in, or by its private
 * link: the routes let them in) and those coordinators see a request; one is open per order at a
 * time (a partial unique index, so two posts at once cannot open two). Each step is audited and the
 * answer is e-mailed to the buyer through the outbox, in the same unit of work.
 */
export function createOrderRequests(
  db: Database_,
  deps: { clock: Clock; audit: AuditService; orders: OrdersService; events?: Pick<OrderEvents, 'requestAnswered'> },
) {
  const { clock, audit, orders } = deps;
  const { read, write } = db.uow;

  return {
    /** The requests of an order, newest first (the order page, for its buyer or a coordinator let in). */
    ofOrder: (order: Order): Promise<OrderRequest[]> => read((tx) => requestsOfOrder(tx, order.id)),

    /** The buyer opens a request about their order (the routes checked it is theirs). */
    open: (order: Order, input: RequestInput, userId: number | null, address: string | null): Promise<OrderRequest> =>
      write(function* (tx) {
        const fresh = (yield* orderById(tx, order.id))!;
        if (!canRequestAfterSale(fresh.status) || fresh.paidAt === null) {
          throw new AppError('conflict', 'order_not_requestable', undefined, { params: { status: fresh.status } });
        }
        const left = fresh.totalFen - fresh.refundedFen;
        if (input.amountFen !== null && input.amountFen > left) {
          throw new AppError('validation', 'request_amount_too_large', undefined, { params: { max: left }, fields: { amount: 'request_amount_too_large' } });
        }
        const now = clock();
        const inserted = yield* run(
          tx
            .insert(orderRequests)
            .values({ orderId: fresh.id, ...input, status: 'open', openedByUserId: userId, createdAt: now })
            .onConflictDoNothing(),
        );
        if (inserted !== 1) throw new AppError('conflict', 'request_already_open');
        const [request] = yield* requestsOfOrder(tx, fresh.id);
        yield* audit.add(tx, {
          userId,
          action: input.kind === 'refund' ? 'order_request.refund' : 'order_request.problem',
          entityType: 'order',
          entityId: fresh.number,
          after: { requestId: request!.id, reason: input.reason, amountFen: input.amountFen },
          address,
        });
        return request!;
      }),

    /** The open requests of orders a coordinator may see, oldest first, each with its order. */
    queue: (actor: CurrentUser): Promise<{ request: OrderRequest; order: Order }[]> =>
      read(function* (tx) {
        const rows = [];
        for (const request of yield* openRequests(tx, QUEUE_LIMIT)) {
          if (!(yield* orders.parts.coordinatorSees(tx, actor, request.orderId))) continue;
          rows.push({ request, order: (yield* orderById(tx, request.orderId))! });
        }
        return rows;
      }),

    /** A request as a coordinator in scope of its order sees it; "not found" for anyone else. */
    forCoordinator: (actor: CurrentUser, id: number): Promise<{ request: OrderRequest; order: Order }> =>
      read(function* (tx) {
        const request = yield* requestById(tx, id);
        if (!request || !(yield* orders.parts.coordinatorSees(tx, actor, request.orderId))) throw new AppError('not_found', 'not_found');
        return { request, order: (yield* orderById(tx, request.orderId))! };
      }),

    /**
     * A coordinator in scope accepts or declines an open request; a decline needs a reply the buyer
     * reads. Accepting refunds nothing by itself: the console goes on to the refund form, prefilled.
     */
    answer: (
      actor: CurrentUser,
      id: number,
      decision: 'accept' | 'decline',
      reply: string | null,
      address: string | null,
    ): Promise<{ request: OrderRequest; order: Order }> =>
      write(function* (tx) {
        const request = yield* requestById(tx, id);
        if (!request || actor.role !== 'coordinator' || !(yield* orders.parts.coordinatorSees(tx, actor, request.orderId))) {
          throw new AppError('not_found', 'not_found');
        }
        if (decision === 'decline' && !reply)
          throw new AppError('validation', 'request_reply_required', undefined, { fields: { reply: 'request_reply_required' } });
        const status = decision === 'accept' ? 'accepted' : 'declined';
        if (!(yield* answerRequest(tx, id, status, reply, actor.id, clock()))) throw new AppError('conflict', 'request_already_answered');
        const order = (yield* orderById(tx, request.orderId))!;
        yield* audit.add(tx, {
          userId: actor.id,
          action: decision === 'accept' ? 'order_request.accept' : 'order_request.decline',
          entityType: 'order',
          entityId: order.number,
          before: { requestId: id, status: 'open' },
          after: { requestId: id, status, reply },
          address,
        });
        const answered = (yield* requestById(tx, id))!;
        if (deps.events) yield* deps.events.requestAnswered(tx, order, answered);
        return { request: answered, order };
      }),
  };
}

export type OrderRequests = ReturnType<typeof createOrderRequests>;
