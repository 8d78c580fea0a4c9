import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';

export const REQUEST_ID_HEADER = 'x-request-id';
/** What an id from a proxy or client may look like: UUIDs, hex, ULIDs, trace ids; nothing that could break a header or a log line. */
const REQUEST_ID_RE = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Fastify's genReqId: an incoming X-Request-Id is kept when it looks like an id, else a new one is made. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
}

const QUIET_LEVELS = new Set(['fatal', 'error', 'warn', 'silent']);

/** The route a request matched, as registered (`/products/:slug`), so logs and metrics never carry a receipt code or token; `(unmatched)` for a 404 without a route. */
export function routeOf(request: FastifyRequest): string {
  return request.is404 ? '(unmatched)' : (request.routeOptions.url ?? '(unmatched)');
}

/**
 * Request ids and the one log line per request. Every response carries its X-Request-Id, and every
 * line logged while handling the request has it (Fastify's request logger, label `reqId`). When the
 * response has gone, one info line says what was asked and how it went: method, route, status, ms.
 * Register it first, so its onSend also sets the header on answers the page cache gives early.
 */
export default fp(
  async function requestLog(app: FastifyInstance) {
    app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      done(null, payload);
    });
    app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      // Nothing to build when the level is above info.
      if (QUIET_LEVELS.has(request.log.level)) return done();
      const route = routeOf(request);
      const ms = Math.round(reply.elapsedTime * 10) / 10;
      request.log.info({ method: request.method, route, status: reply.statusCode, ms }, `${request.method} ${route} ${reply.statusCode} ${ms} ms`);
      done();
    });
  },
  { name: 'request-log' },
);
