import { createHash } from 'node:crypto';
import { brotliCompress, constants, gzip as gzipCompress } from 'node:zlib';
import { promisify } from 'node:util';
import negotiate from '@fastify/accept-negotiator';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import type { Database_ } from '../db/client.js';
import { rememberLocale, visitorLocale } from './request-context.js';
import { catalogueEpoch, mintedCsrfToken } from './security.js';
import { FLASH_COOKIE, SESSION_COOKIE } from './session.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Anonymous visitors of this GET route may be served a cached rendering. */
    pageCache?: boolean;
  }
}

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzipCompress);
/** Compressed once per rendering, off the event loop, so the slowest and smallest settings pay. */
const BROTLI_BEST = { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } };

const MAX_ENTRIES = 2000;
/** Upper bound of the bytes held (pages and their compressed forms). */
const MAX_BYTES = 24 * 1024 * 1024;
/** Headers of a rendered response that belong to that one response, never replayed. */
const NOT_REPLAYED = new Set(['set-cookie', 'content-length', 'content-encoding', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'etag', 'x-page-cache']);
/** Caching headers: a page for anyone anonymous may be revalidated by its ETag; a page with a visitor's own token or account is theirs alone. */
const SHARED_PAGE = 'no-cache';
const OWN_PAGE = 'private, no-cache';
const VARY = 'accept-encoding, cookie';

interface Entry {
  /** total_changes() when it was rendered: any later write makes it stale. */
  version: number;
  /** The hour of the catalogue token it may hold (src/plugins/security.ts): the next hour renders it again. */
  epoch: number;
  /** The rendered response's own headers (type, security headers, caching), sent again on each hit. */
  headers: Record<string, string>;
  page: Buffer;
  /** A weak validator of the content, the same for every encoding. */
  etag: string;
  /** Compressed forms, made in the thread pool after the first rendering. */
  gzip: Buffer | null;
  br: Buffer | null;
  bytes: number;
}

/** If-None-Match against a weak ETag (weak comparison, RFC 9110 §13.1.2). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = etag.slice(2);
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === opaque;
  });
}

/** The best of `supported` that an Accept-Encoding value allows; remembered for a few values (the header is the client's to choose). */
function encodingChooser<K extends string>(supported: K[]): (header: string) => K | null {
  const memo = new Map<string, K | null>();
  return (header) => {
    let chosen = memo.get(header);
    if (chosen === undefined) {
      chosen = negotiate(header, supported);
      if (memo.size >= 64) memo.clear();
      memo.set(header, chosen);
    }
    return chosen;
  };
}

/**
 * A rendered-page cache for anonymous visitors of the public catalogue. A page is reused while
 * nothing has been written to the database since it was rendered (SQLite's total_changes() of
 * the app's one connection: any product, stock, price or ledger change invalidates every page).
 *
 * A hit is answered from the first onRequest hook, before the work a rendering needs (helmet,
 * sessions, language, validation, the view): the rendered response's headers are replayed and the
 * page goes out as it was compressed once (brotli or gzip, as the visitor accepts), the same bytes
 * for everyone: the product page's form carries the catalogue's token, not a visitor's own (see
 * src/plugins/security.ts); a page printed with a visitor's own token is never kept. Register it
 * right after @fastify/cookie and before the other plugins' hooks.
 */
export default fp(
  async function pageCache(app: FastifyInstance, opts: { db: Database_; secureCookies: boolean; clock: () => number; onLookup?: (hit: boolean) => void }) {
    const changes = opts.db.sqlite.prepare('SELECT total_changes() AS n').pluck();
    const version = () => changes.get() as number;
    const cache = new Map<string, Entry>();
    let cachedBytes = 0;
    const withBrotli = encodingChooser(['br', 'gzip', 'identity']);
    const withoutBrotli = encodingChooser(['gzip', 'identity']);

    const onCacheableRoute = (request: FastifyRequest) => request.routeOptions.config?.pageCache === true && (request.method === 'GET' || request.method === 'HEAD');
    const anonymousVisitor = (request: FastifyRequest) => !request.cookies[SESSION_COOKIE] && !request.cookies[FLASH_COOKIE];

    app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      if (request.method !== 'GET' || !onCacheableRoute(request) || !anonymousVisitor(request)) return done();
      const { locale, remember } = visitorLocale(request);
      const entry = cache.get(`${locale}\u0001${request.url}`);
      const hit = entry !== undefined && entry.version === version() && entry.epoch === catalogueEpoch(opts.clock());
      opts.onLookup?.(hit); // the metrics' hits and misses (src/plugins/metrics.ts)
      if (!hit) return done();
      if (remember) rememberLocale(reply, locale, opts.secureCookies);
      reply.headers(entry.headers).header('x-page-cache', 'hit');
      if (matchesEtag(request.headers['if-none-match'], entry.etag)) {
        reply.code(304).send();
        return;
      }
      const accepted = request.headers['accept-encoding'];
      const encoding = accepted === undefined ? 'identity' : (entry.br ? withBrotli : withoutBrotli)(accepted);
      if (encoding === 'br' && entry.br) reply.header('content-encoding', 'br').send(entry.br);
      else if (encoding === 'gzip' && entry.gzip) reply.header('content-encoding', 'gzip').send(entry.gzip);
      else reply.send(entry.page);
    });

    // Every response of these routes says how it may be cached; an anonymous one is kept.
    app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      if (onCacheableRoute(request) && !reply.getHeader('x-page-cache')) keep(request, reply, payload);
      done(null, payload);
    });

    function keep(request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
      const minted = mintedCsrfToken(reply);
      // A page printed with a visitor's own token is theirs (the catalogue's token is everyone's); one minted but never printed stays shared.
      const ownToken = minted !== undefined && typeof payload === 'string' && payload.includes(minted);
      const anonymous = request.session === null && !request.cookies[FLASH_COOKIE];
      reply.header('cache-control', anonymous && !ownToken ? SHARED_PAGE : OWN_PAGE).header('vary', VARY);
      if (!anonymous || ownToken || request.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string') return;

      const page = Buffer.from(payload);
      const etag = `W/"${createHash('sha1').update(page).digest('base64url')}"`;
      reply.header('etag', etag);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (!NOT_REPLAYED.has(name) && value !== undefined) headers[name] = String(value);
      }
      headers.etag = etag;
      const entry: Entry = { version: version(), epoch: catalogueEpoch(opts.clock()), headers, page, etag, gzip: null, br: null, bytes: page.length };
      const key = `${request.locale}\u0001${request.url}`;
      store(key, entry);
      void compress(key, entry);
    }

    function store(key: string, entry: Entry): void {
      const previous = cache.get(key);
      if (previous) {
        cache.delete(key);
        cachedBytes -= previous.bytes;
      }
      if (cache.size >= MAX_ENTRIES || cachedBytes + entry.bytes > MAX_BYTES) {
        cache.clear();
        cachedBytes = 0;
      }
      cache.set(key, entry);
      cachedBytes += entry.bytes;
    }

    /** Adds the compressed forms once they are made, if the entry is still the one cached. */
    async function compress(key: string, entry: Entry): Promise<void> {
      try {
        const [gzip, br] = await Promise.all([gzipAsync(entry.page, { level: 9 }), brotliAsync(entry.page, BROTLI_BEST)]);
        if (cache.get(key) !== entry) return;
        // OS "unknown" (RFC 1952): the same bytes wherever the shop runs, and told apart from the gzip made per response.
        gzip[9] = 0xff;
        entry.gzip = gzip;
        entry.br = br;
        const added = gzip.length + br.length;
        entry.bytes += added;
        cachedBytes += added;
      } catch (error) {
        app.log.warn({ err: error }, 'page cache: compression failed; the page is served uncompressed');
      }
    }
  },
  { name: 'page-cache', dependencies: ['@fastify/cookie'] },
);
