import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import type { Order } from '../orders/index.js';
import type { OrdersService } from '../orders/orders-service.js';
import { setLocal } from '../plugins/request-context.js';
import { formatDateTime } from '../time.js';
import { presentOrderLots } from '../lots/lots-routes.js';
import type { LotsService } from '../lots/lots-service.js';
import { presentWish } from './wishes-routes.js';
import type { WishesService } from './wishes-service.js';

/**
 * What wishes and lots add to pages the orders domain renders: the wish a donation order paid for
 * (and, once delivered, its photo and note) and the harvest lots each line was served from. They
 * reach the templates as view locals (`orderWish`, `orderLots`; partials order-wish and order-lots),
 * so the orders routes need not know about wishes or lots. Access is the order page's own: the
 * confirmation token or the signed-in buyer; anything else adds nothing (the route answers 404).
 */
export default fp(
  async function orderPageExtras(app: FastifyInstance, deps: { orders: OrdersService; wishes: WishesService; lots: LotsService }) {
    async function orderOfPage(request: FastifyRequest): Promise<{ order: Order; token: string | undefined } | null> {
      const number = (request.params as Record<string, unknown>).number;
      const token = (request.query as Record<string, unknown> | undefined)?.token;
      if (typeof number !== 'string') return null;
      try {
        if (typeof token === 'string' && token) return { order: await deps.orders.orderWithToken(number, token), token };
        if (request.user) return { order: await deps.orders.orderOfBuyer(number, request.user.id), token: undefined };
      } catch (error) {
        if (error instanceof AppError && error.type === 'not_found') return null;
        throw error;
      }
      return null;
    }

    async function addOrderExtras(request: FastifyRequest, reply: FastifyReply, order: Order, token: string | undefined) {
      const wish = await deps.wishes.wishOfOrder(order.id);
      if (wish) {
        const delivered = wish.status === 'delivered';
        setLocal(reply, 'orderWish', {
          ...presentWish(request, wish),
          delivered,
          deliveredAt: delivered && wish.deliveredAt ? formatDateTime(wish.deliveredAt) : null,
          deliveryNote: delivered ? wish.deliveryNote : null,
          deliveryPhotoUrl:
            delivered && wish.deliveryPhotoMediaId ? `/wishes/${wish.id}/delivery-photo${token ? `?token=${encodeURIComponent(token)}` : ''}` : null,
        });
      }
      const lots = presentOrderLots(request.locale, request.t, await deps.lots.lotsOfOrder(order.id));
      if (lots.length) setLocal(reply, 'orderLots', lots);
    }

    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.method !== 'GET') return;
      const route = request.routeOptions.url;
      if (route === '/orders/:number') {
        const found = await orderOfPage(request);
        if (found) await addOrderExtras(request, reply, found.order, found.token);
      } else if (route === '/receipts/:code') {
        // The benefit receipt is public proof: the lots (public pages themselves) may be shown on it.
        const code = (request.params as Record<string, unknown>).code;
        if (typeof code !== 'string') return;
        const lots = presentOrderLots(request.locale, request.t, await deps.lots.lotsOfReceipt(code));
        if (lots.length) setLocal(reply, 'orderLots', lots);
      }
    });
  },
  { name: 'order-page-extras', dependencies: ['request-context'] },
);
