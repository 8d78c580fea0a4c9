import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { setLocal } from '../plugins/request-context.js';
import type { CartService } from './cart-service.js';
import { cartOwnerOf } from './orders-routes.js';

/** Answers that are never a page with the header: no cart to count. */
const NOT_A_PAGE = /^\/(api|media|static|webhooks|healthz|metrics)(\/|$|\?)/;

/**
 * The header's cart count (`cartCount`): the units in the cart of the signed-in user or of the
 * visitor's session. A visitor without a session has no cart, so the shared (cached) rendering of a
 * catalogue page, which only such visitors get (src/plugins/page-cache.ts), shows no count.
 */
export const cartCountInHeader = fp(
  async function cartCountInHeader(app: FastifyInstance, opts: { cart: Pick<CartService, 'itemCount'> }) {
    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.method !== 'GET' || NOT_A_PAGE.test(request.url)) return;
      const owner = cartOwnerOf(request);
      if (!owner) return;
      const count = await opts.cart.itemCount(owner);
      if (count > 0) setLocal(reply, 'cartCount', count);
    });
  },
  { name: 'cart-count-in-header', dependencies: ['session'] },
);
