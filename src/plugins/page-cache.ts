import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Database_ } from '../db/client.js';
import { FLASH_COOKIE, SESSION_COOKIE } from './session.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Anonymous visitors of this GET route may be served a cached rendering. */
    pageCache?: boolean;
  }
}

const MAX_ENTRIES = 2000;
/** Upper bound of cached text (UTF-16 code units ≈ 2 bytes each): about 32 MB of memory. */
const MAX_CHARS = 16 * 1024 * 1024;

interface Entry {
  version: number;
  contentType: string;
  /** The page split where the CSRF token stood; joined again with each visitor's own token. */
  parts: string[];
}

/**
 * A rendered-page cache for anonymous visitors of the public catalogue. A page is reused while
 * nothing has been written to the database since it was rendered (SQLite's total_changes() of
 * the app's one connection: any product, stock, price or ledger change invalidates every page).
 * Each visitor still gets their own CSRF token in the page's forms.
 */
export default fp(
  async function pageCache(app: FastifyInstance, opts: { db: Database_ }) {
    const changes = opts.db.sqlite.prepare('SELECT total_changes() AS n').pluck();
    const cache = new Map<string, Entry>();
    let cachedChars = 0;
    const keyOf = (request: FastifyRequest) => `${request.locale}\u0001${request.url}`;

    function cacheable(request: FastifyRequest): boolean {
      return (
        request.method === 'GET' &&
        request.routeOptions.config?.pageCache === true &&
        !request.cookies[SESSION_COOKIE] &&
        !request.cookies[FLASH_COOKIE]
      );
    }

    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!cacheable(request)) return;
      const entry = cache.get(keyOf(request));
      if (!entry || entry.version !== (changes.get() as number)) return;
      reply.header('x-page-cache', 'hit').type(entry.contentType);
      if (entry.parts.length === 1) return reply.send(entry.parts[0]);
      const token = reply.locals?.csrfToken;
      return reply.send(entry.parts.join(typeof token === 'string' ? token : ''));
    });

    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (!cacheable(request) || reply.statusCode !== 200 || typeof payload !== 'string' || reply.getHeader('x-page-cache')) return payload;
      const contentType = String(reply.getHeader('content-type') ?? 'text/html; charset=utf-8');
      // A page whose forms carry the visitor's token is split around it; JSON carries none.
      const token = contentType.startsWith('text/html') ? reply.locals?.csrfToken : undefined;
      if (contentType.startsWith('text/html') && (typeof token !== 'string' || token.length < 10)) return payload;
      if (cache.size >= MAX_ENTRIES || cachedChars + payload.length > MAX_CHARS) {
        cache.clear();
        cachedChars = 0;
      }
      cachedChars += payload.length;
      cache.set(keyOf(request), { version: changes.get() as number, contentType, parts: typeof token === 'string' ? payload.split(token) : [payload] });
      return payload;
    });
  },
  { name: 'page-cache', dependencies: ['security'] },
);
