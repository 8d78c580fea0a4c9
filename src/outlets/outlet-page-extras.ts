import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import { pickText } from '../i18n/i18n.js';
import type { OrdersService } from '../orders/orders-service.js';
import { setLocal } from '../plugins/request-context.js';
import { formatDateTime } from '../time.js';
import type { OutletsService } from './outlets-service.js';

/**
 * What charity supermarkets add to pages the orders domain renders, as view locals: the outlets a
 * buyer can choose at checkout (`pickupOutlets`), and on the order page where to pick the order up
 * and its code (`orderPickup`). The code is shown only to whoever holds the order's token (the
 * confirmation link), the same access the order page itself requires.
 */
export default fp(
  async function outletPageExtras(app: FastifyInstance, deps: { orders: OrdersService; outlets: OutletsService }) {
    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const route = request.routeOptions.url;
      if (route === '/checkout') {
        setLocal(
          reply,
          'pickupOutlets',
          (await deps.outlets.outlets()).map((o) => ({
            id: String(o.id),
            name: pickText(request.locale, o.name, o.nameEn),
            address: o.address,
            openingHours: o.openingHours,
          })),
        );
        return;
      }
      if (request.method !== 'GET' || route !== '/orders/:number') return;
      const number = (request.params as Record<string, unknown>).number;
      const token = (request.query as Record<string, unknown> | undefined)?.token;
      if (typeof number !== 'string') return;
      let found;
      try {
        if (typeof token === 'string' && token) found = { order: await deps.orders.orderWithToken(number, token), token };
        else if (request.user) found = { order: await deps.orders.orderOfBuyer(number, request.user.id), token: undefined };
      } catch (error) {
        if (error instanceof AppError && error.type === 'not_found') return; // the route answers 404
        throw error;
      }
      if (!found) return;
      const pickup = await deps.outlets.pickupOf(found.order, found.token);
      if (!pickup) return;
      setLocal(reply, 'orderPickup', {
        outlet: pickText(request.locale, pickup.outlet.name, pickup.outlet.nameEn),
        address: pickup.outlet.address,
        openingHours: pickup.outlet.openingHours,
        code: pickup.code,
        collectedAt: pickup.pickedUpAt === null ? null : formatDateTime(pickup.pickedUpAt),
      });
    });
  },
  { name: 'outlet-page-extras', dependencies: ['request-context'] },
);
