import { createHash } from 'node:crypto';
import { brotliCompress, constants } from 'node:zlib';
import { promisify } from 'node:util';
import negotiate from '@fastify/accept-negotiator';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import type { Database_ } from '../db/client.js';
import { rememberLocale, visitorLocale } from './request-context.js';
import { csrfTokenFor, mintedCsrfToken } from './security.js';
import { FLASH_COOKIE, SESSION_COOKIE } from './session.js';
import { spliceableGzip, type SplicedGzip } from './spliced-gzip.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Anonymous visitors of this GET route may be served a cached rendering. */
    pageCache?: boolean;
  }
}

const brotliAsync = promisify(brotliCompress);
/** Compressed once per rendering, off the event loop, so the slowest and smallest settings pay. */
const BROTLI_BEST = { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } };

const MAX_ENTRIES = 2000;
/** Upper bound of the bytes held (pages and their compressed forms). */
const MAX_BYTES = 24 * 1024 * 1024;
/** Headers of a rendered response that belong to that one response, never replayed. */
const NOT_REPLAYED = new Set(['set-cookie', 'content-length', 'content-encoding', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'etag', 'x-page-cache']);
/** Caching headers: a page for anyone anonymous may be revalidated by its ETag; a page with a visitor's token or account is theirs alone. */
const SHARED_PAGE = 'no-cache';
const OWN_PAGE = 'private, no-cache';
const VARY = 'accept-encoding, cookie';

interface Entry {
  /** total_changes() when it was rendered: any later write makes it stale. */
  version: number;
  /** The rendered response's own headers (type, security headers, caching), sent again on each hit. */
  headers: Record<string, string>;
  /** The page cut where the CSRF token stood (joined again with each visitor's own); one piece if it has no form. */
  pieces: Buffer[];
  /** Pages without a token only: a weak validator of the content, the same for every encoding. */
  etag: string | null;
  /** Compressed forms, made in the thread pool after the first rendering; brotli only for pages without a token. */
  gzip: SplicedGzip | null;
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
 * page goes out as it was compressed once (brotli or gzip, as the visitor accepts). A page with a
 * form gets the visitor's own CSRF token, spliced into the cached gzip without compressing again.
 * Register it right after @fastify/cookie and before the other plugins' hooks.
 */
export default fp(
  async function pageCache(app: FastifyInstance, opts: { db: Database_; secureCookies: boolean }) {
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
      if (!entry || entry.version !== version()) return done();
      if (remember) rememberLocale(reply, locale, opts.secureCookies);
      reply.headers(entry.headers).header('x-page-cache', 'hit');
      if (entry.etag !== null && matchesEtag(request.headers['if-none-match'], entry.etag)) {
        reply.code(304).send();
        return;
      }
      const token = entry.pieces.length > 1 ? Buffer.from(csrfTokenFor(reply), 'latin1') : null;
      const accepted = request.headers['accept-encoding'];
      const encoding = accepted === undefined ? 'identity' : (entry.br ? withBrotli : withoutBrotli)(accepted);
      if (encoding === 'br' && entry.br) {
        reply.header('content-encoding', 'br').send(entry.br);
      } else if (encoding === 'gzip' && entry.gzip) {
        reply.header('content-encoding', 'gzip').send(entry.gzip.assemble(token ?? EMPTY));
      } else {
        reply.send(token ? joinPieces(entry.pieces, token) : entry.pieces[0]);
      }
    });

    // Every response of these routes says how it may be cached; an anonymous one is kept.
    app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      if (onCacheableRoute(request) && !reply.getHeader('x-page-cache')) keep(request, reply, payload);
      done(null, payload);
    });

    function keep(request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
      const minted = mintedCsrfToken(reply);
      // A token that was minted but never printed leaves the page a shared one.
      const token = minted !== undefined && typeof payload === 'string' && payload.includes(minted) ? minted : undefined;
      const anonymous = request.session === null && !request.cookies[FLASH_COOKIE];
      reply.header('cache-control', anonymous && token === undefined ? SHARED_PAGE : OWN_PAGE).header('vary', VARY);
      if (!anonymous || request.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string') return;

      const page = Buffer.from(payload);
      const pieces = token === undefined ? [page] : cut(page, Buffer.from(token, 'latin1'));
      const etag = pieces.length === 1 ? `W/"${createHash('sha1').update(page).digest('base64url')}"` : null;
      if (etag) reply.header('etag', etag);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (!NOT_REPLAYED.has(name) && value !== undefined) headers[name] = String(value);
      }
      if (etag) headers.etag = etag;
      const entry: Entry = { version: version(), headers, pieces, etag, gzip: null, br: null, bytes: page.length };
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
        const [gzip, br] = await Promise.all([
          spliceableGzip(entry.pieces, 9),
          entry.pieces.length === 1 ? brotliAsync(entry.pieces[0]!, BROTLI_BEST) : null,
        ]);
        if (cache.get(key) !== entry) return;
        entry.gzip = gzip;
        entry.br = br;
        const added = gzip.size + (br?.length ?? 0);
        entry.bytes += added;
        cachedBytes += added;
      } catch (error) {
        app.log.warn({ err: error }, 'page cache: compression failed; the page is served uncompressed');
      }
    }
  },
  { name: 'page-cache', dependencies: ['@fastify/cookie'] },
);

const EMPTY = Buffer.alloc(0);

/** The page split at every occurrence of the token. */
function cut(page: Buffer, token: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let from = 0;
  for (let at = page.indexOf(token); at !== -1; at = page.indexOf(token, from)) {
    pieces.push(page.subarray(from, at));
    from = at + token.length;
  }
  pieces.push(page.subarray(from));
  return pieces;
}

function joinPieces(pieces: readonly Buffer[], token: Buffer): Buffer {
  const chunks: Buffer[] = [pieces[0]!];
  for (let i = 1; i < pieces.length; i++) chunks.push(token, pieces[i]!);
  return Buffer.concat(chunks);
}
