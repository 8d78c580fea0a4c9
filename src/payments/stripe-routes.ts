import type { FastifyInstance } from 'fastify';
import type { StripeWebhookHandler } from './stripe-webhooks.js';

/** Stripe events are small; anything larger is not from Stripe. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/**
 * POST /webhooks/stripe. Registered only when Stripe is configured. Its own encapsulated context
 * parses JSON as the raw bytes, because the signature covers the body exactly as sent; CSRF does
 * not apply (the Stripe signature authenticates the request).
 */
export default async function stripeRoutes(app: FastifyInstance, opts: { webhooks: StripeWebhookHandler }) {
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));

  app.post('/webhooks/stripe', { bodyLimit: WEBHOOK_BODY_LIMIT, config: { csrf: false } }, async (request, reply) => {
    const signature = request.headers['stripe-signature'];
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const result = await opts.webhooks.handle(body, typeof signature === 'string' ? signature : undefined);
    if (result.status === 400) request.log.warn('stripe webhook refused: invalid signature');
    if (result.status === 503) request.log.warn({ reason: result.message }, 'stripe webhook deferred');
    reply.header('cache-control', 'no-store');
    return reply.code(result.status).send({ received: result.status === 200, message: result.message });
  });
}
