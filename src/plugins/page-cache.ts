import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import type { Database_ } from '../db/client.js';
import { createCacheVersions, type GlobalScope, type Scope } from './cache-versions.js';
import { canonicalKey, clockBoundary, matchesEtag } from './page-identity.js';
import { BEST, brotliAsync, compressionQueue, encodingChooser, gzipAsync, QUICK, timeBudget } from './page-compression.js';
import { rememberLocale, visitorLocale } from './request-context.js';
import { mintedCsrfToken } from './security.js';
import { FLASH_COOKIE, SESSION_COOKIE } from './session.js';

/** Which versions a cached page depends on (src/plugins/cache-versions.ts); `true`: the whole catalogue. */
export type PageCacheOption = boolean | { scopes: GlobalScope[] };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Anonymous visitors of this GET route may be served a cached rendering. */
    pageCache?: PageCacheOption;
  }
  interface FastifyReply {
    /** The page shows this product's own rows: it is rendered again when they change. */
    pageDependsOn(scope: Scope): void;
  }
  interface FastifyInstance {
    /** What the page cache holds, for tests and the bench. */
    pageCacheStats(): PageCacheStats;
    /** Resolves once the versions pages are checked against are read (see CacheVersions.settled), for tests and the bench. */
    pageCacheSettled(): Promise<void>;
  }
}

export interface PageCacheStats {
  entries: number;
  bytes: number;
  /** Compressions waiting, and running (at most one: the thread pool is shared with sign-ins' scrypt). */
  queued: number;
  compressing: number;
  /** Renderings kept without compressed forms because the queue was full. */
  skippedCompressions: number;
  /** Compressions made: quick (a new rendering) and at best quality (a page served often). */
  compressions: { quick: number; best: number };
}

export interface PageCacheLimits {
  maxEntries: number;
  /** Upper bound of the bytes held: pages and their compressed forms. */
  maxBytes: number;
  /** Compressions that may wait; a rendering beyond them is kept and sent uncompressed until asked for again. */
  maxQueued: number;
  /**
   * Milliseconds per second that best-quality compression may take (brotli 11: 10–20 ms a page),
   * so a long tail of popular pages (hundreds of searches) cannot keep a core busy recompressing.
   */
  bestMsPerSecond: number;
}

/** The operator's CDN settings (seconds), or null: pages then say `no-cache` and vary on cookies. */
export interface CdnCaching {
  maxAge: number;
  staleWhileRevalidate: number;
}

export const DEFAULT_LIMITS: PageCacheLimits = { maxEntries: 5000, maxBytes: 32 * 1024 * 1024, maxQueued: 64, bestMsPerSecond: 50 };
/**
 * The longest a rendering is reused. What no trigger follows is at most this old: the popularity order
 * of listings (products' sold counts, which change with every paid order).
 */
export const PAGE_MAX_AGE_MS = 60_000;
/** A page served this often is compressed again at brotli's best quality (the first is quick). */
const HOT_HITS = 32;
/** The longest a request waits for the same page's rendering under way before rendering it itself. */
const COALESCE_MS = 2000;
/** How long a CDN may keep a 404 of a catalogue route (a removed product): briefly. */
const CDN_NOT_FOUND_S = 10;

/** Headers of a rendered response that belong to that one response, never replayed. */
const NOT_REPLAYED = new Set([
  'set-cookie',
  'content-length',
  'content-encoding',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'etag',
  'x-page-cache',
  'cache-control',
  'vary',
]);
const OWN_PAGE = 'private, no-cache';

interface Entry {
  key: string;
  /** The versions it was rendered at: any other current version makes it stale. */
  deps: [Scope, number][];
  /** It is rendered again from then on (the clock's next boundary, or its maximum age). */
  expiresAt: number;
  /** The rendered response's own headers (type, security headers), sent again on each hit. */
  headers: Record<string, string>;
  page: Buffer;
  /** A weak validator of the content, the same for every encoding. */
  etag: string;
  gzip: Buffer | null;
  br: Buffer | null;
  /** Compressed at brotli's best quality yet, or queued for it. */
  best: boolean;
  /** Its quick compression is queued or done (not refused by a full queue). */
  quick: boolean;
  hits: number;
  bytes: number;
}

const requestKeys = new WeakMap<FastifyRequest, { key: string; stamp: string; scopes: Set<Scope> }>();

/**
 * A rendered-page cache for anonymous visitors of the public catalogue. A page is reused while the
 * data it shows is unchanged: it records the versions it was rendered at (the catalogue's, or the
 * places' and its own product's; see src/plugins/cache-versions.ts), kept by triggers in the
 * database, so carts, sessions, sign-ins and orders invalidate nothing, and writes from another
 * process do. A page also expires at the clock's next boundary and after PAGE_MAX_AGE_MS.
 *
 * A hit is answered from the first onRequest hook, before the work a rendering needs (helmet,
 * sessions, language, validation, the view): the rendered response's headers are replayed and the
 * page goes out as it was compressed (brotli or gzip, as the visitor accepts), the same bytes for
 * everyone: the product page's form carries the catalogue's token, not a visitor's own (see
 * src/plugins/security.ts); a page printed with a visitor's own token is never kept. Register it
 * right after @fastify/cookie and before the other plugins' hooks.
 *
 * Bounded: entries and bytes (least recently used evicted first), and the compression queue (a
 * rendering is compressed quickly once, again at best quality when it is served often).
 */
export default fp(
  async function pageCache(
    app: FastifyInstance,
    opts: {
      db: Database_;
      secureCookies: boolean;
      clock: () => number;
      onLookup?: (hit: boolean) => void;
      limits?: Partial<PageCacheLimits>;
      cdn?: CdnCaching | null;
    },
  ) {
    const limits: PageCacheLimits = { ...DEFAULT_LIMITS, ...opts.limits };
    const versions = createCacheVersions(opts.db);
    app.addHook('onClose', (_app, done) => {
      versions.close();
      done();
    });
    const cache = new Map<string, Entry>();
    let cachedBytes = 0;
    let skippedCompressions = 0;
    const compressions = { quick: 0, best: 0 };
    const queue = compressionQueue(limits.maxQueued);
    const bestBudget = timeBudget(limits.bestMsPerSecond);
    const withBrotli = encodingChooser(['br', 'gzip', 'identity']);
    const withoutBrotli = encodingChooser(['gzip', 'identity']);
    const cdn = opts.cdn ?? null;
    /**
     * What a response varies on. Its language comes from ?lang= in the URL, or else from the lang cookie
     * and Accept-Language (src/plugins/request-context.ts): then a shared cache must key on both, or it
     * would serve one visitor's language to another. A CDN need not vary on cookies when the URL decides.
     */
    const varyOn = (languageFromUrl: boolean) =>
      !languageFromUrl ? 'accept-encoding, accept-language, cookie' : cdn ? 'accept-encoding' : 'accept-encoding, cookie';

    const scopesOf = (request: FastifyRequest): GlobalScope[] | null => {
      const option = request.routeOptions.config?.pageCache;
      if (option === undefined || option === false) return null;
      return option === true ? ['catalogue'] : option.scopes;
    };
    const anonymousVisitor = (request: FastifyRequest) => !request.cookies[SESSION_COOKIE] && !request.cookies[FLASH_COOKIE];

    /** How a page that is the same for everyone may be cached: revalidated by browsers; kept a while by a CDN when the operator asks. */
    function sharedCacheControl(now: number, status: number): string {
      if (!cdn) return 'no-cache';
      const left = Math.floor((clockBoundary(now) - now) / 1000);
      if (status === 404) return `public, max-age=0, s-maxage=${Math.min(CDN_NOT_FOUND_S, left)}`;
      if (status !== 200) return 'no-store';
      const sMaxAge = Math.min(cdn.maxAge, left);
      const stale = Math.min(cdn.staleWhileRevalidate, left - sMaxAge);
      return `public, max-age=0, s-maxage=${sMaxAge}${stale > 0 ? `, stale-while-revalidate=${stale}` : ''}`;
    }

    const fresh = (entry: Entry, now: number) => now < entry.expiresAt && entry.deps.every(([scope, version]) => versions.get(scope) === version);

    app.decorate(
      'pageCacheStats',
      (): PageCacheStats => ({
        entries: cache.size,
        bytes: cachedBytes,
        queued: queue.queued,
        compressing: queue.running,
        skippedCompressions,
        compressions: { ...compressions },
      }),
    );
    app.decorate('pageCacheSettled', () => versions.settled());
    app.decorateReply('pageDependsOn', function (this: FastifyReply, scope: Scope) {
      requestKeys.get(this.request)?.scopes.add(scope);
    });

    /** Renderings under way, by key: others asking for the same page wait for them (at most COALESCE_MS). */
    const inflight = new Map<string, Promise<void>>();
    const renderings = new WeakMap<FastifyRequest, () => void>();
    const waited = new WeakSet<FastifyRequest>();
    const release = (key: string, finished: Promise<void>, finish: () => void) => {
      if (inflight.get(key) === finished) inflight.delete(key);
      finish();
    };
    app.addHook('onResponse', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      renderings.get(request)?.();
      done();
    });
    app.addHook('onRequestAbort', (request: FastifyRequest, done: HookHandlerDoneFunction) => {
      renderings.get(request)?.();
      done();
    });

    app.addHook('onRequest', onRequest);
    function onRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
      if (request.method !== 'GET' || !scopesOf(request) || !anonymousVisitor(request)) {
        done();
        return;
      }
      const { locale, remember, fromUrl } = visitorLocale(request);
      const key = canonicalKey(request, locale);
      if (key === null) {
        done();
        return;
      }
      const now = opts.clock();
      const entry = cache.get(key);
      versions.refresh();
      const hit = entry !== undefined && fresh(entry, now);
      if (!hit) {
        const rendering = inflight.get(key);
        if (rendering && !waited.has(request)) {
          // The same page is being rendered for someone else: wait for it rather than render it again
          // (a popular page just changed, or many asking for one new search), then look again.
          waited.add(request);
          void rendering.then(() => onRequest(request, reply, done));
          return;
        }
        opts.onLookup?.(false); // the metrics' hits and misses (src/plugins/metrics.ts)
        // What it will be rendered from: a write during the rendering leaves it uncached.
        requestKeys.set(request, { key, stamp: versions.stamp(), scopes: new Set() });
        if (!rendering) {
          let finish = () => {};
          const finished = new Promise<void>((resolve) => (finish = resolve));
          // However the rendering ends (kept, not kept, an error, a client gone), and at the latest after a while.
          const timer = setTimeout(() => release(key, finished, finish), COALESCE_MS);
          timer.unref();
          renderings.set(request, () => {
            clearTimeout(timer);
            release(key, finished, finish);
          });
          inflight.set(key, finished);
        }
        done();
        return;
      }
      opts.onLookup?.(true);
      // The most recently used last: eviction takes the first.
      cache.delete(key);
      cache.set(key, entry);
      if (++entry.hits >= HOT_HITS && !entry.best && bestBudget.allows()) {
        entry.best = true;
        if (!queue.offer(() => compress(entry, BEST))) entry.best = false;
      } else if (!entry.quick && entry.hits % 8 === 0) {
        entry.quick = queue.offer(() => compress(entry, QUICK)); // its first compression found the queue full
      }
      if (remember) rememberLocale(reply, locale, opts.secureCookies);
      reply
        .headers(entry.headers)
        .header('cache-control', sharedCacheControl(now, 200))
        .header('vary', varyOn(fromUrl))
        .header('etag', entry.etag)
        .header('x-page-cache', 'hit');
      if (matchesEtag(request.headers['if-none-match'], entry.etag)) {
        reply.code(304).send();
        return;
      }
      const accepted = request.headers['accept-encoding'];
      const encoding = accepted === undefined ? 'identity' : (entry.br ? withBrotli : withoutBrotli)(accepted);
      if (encoding === 'br' && entry.br) reply.header('content-encoding', 'br').send(entry.br);
      else if (encoding === 'gzip' && entry.gzip) reply.header('content-encoding', 'gzip').send(entry.gzip);
      else reply.send(entry.page);
    }

    // Every response of these routes says how it may be cached; an anonymous one is kept.
    app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      if (scopesOf(request) && !reply.getHeader('x-page-cache')) keep(request, reply, payload);
      done(null, payload);
    });

    function keep(request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
      const minted = mintedCsrfToken(reply);
      // A page printed with a visitor's own token is theirs (the catalogue's token is everyone's); one minted but never printed stays shared.
      const ownToken = minted !== undefined && typeof payload === 'string' && payload.includes(minted);
      const anonymous = request.session === null && !request.cookies[FLASH_COOKIE];
      const shared = anonymous && !ownToken;
      const now = opts.clock();
      reply
        .header('cache-control', shared ? sharedCacheControl(now, reply.statusCode) : OWN_PAGE)
        .header('vary', varyOn(shared && visitorLocale(request).fromUrl));
      const pending = requestKeys.get(request);
      if (!pending || !shared || request.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string') return;
      requestKeys.delete(request);

      const page = Buffer.from(payload);
      const etag = `W/"${createHash('sha1').update(page).digest('base64url')}"`;
      reply.header('etag', etag);
      // Written to while it was rendered: it may show some of the change and not the rest.
      versions.refresh();
      if (versions.stamp() !== pending.stamp) return;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (!NOT_REPLAYED.has(name) && value !== undefined) headers[name] = String(value);
      }
      const scopes: Scope[] = [...scopesOf(request)!, ...pending.scopes];
      const entry: Entry = {
        key: pending.key,
        deps: scopes.map((scope) => [scope, versions.get(scope)]),
        expiresAt: Math.min(now + PAGE_MAX_AGE_MS, clockBoundary(now)),
        headers,
        page,
        etag,
        gzip: null,
        br: null,
        best: false,
        quick: false,
        hits: 0,
        bytes: page.length + pending.key.length,
      };
      // The same bytes as the rendering it replaces (its minute is up, or a version moved that changed
      // nothing shown): its compressed forms still fit, and compressing again would be wasted work.
      const previous = cache.get(entry.key);
      if (previous?.etag === etag && previous.br && previous.gzip) {
        Object.assign(entry, { br: previous.br, gzip: previous.gzip, best: previous.best, quick: true, hits: previous.hits });
        entry.bytes += previous.br.length + previous.gzip.length;
        store(entry);
        return;
      }
      store(entry);
      entry.quick = queue.offer(() => compress(entry, QUICK));
      if (!entry.quick) skippedCompressions++;
    }

    function store(entry: Entry): void {
      const previous = cache.get(entry.key);
      if (previous) {
        cache.delete(entry.key);
        cachedBytes -= previous.bytes;
      }
      cache.set(entry.key, entry);
      cachedBytes += entry.bytes;
      evict();
    }

    /** Least recently used first, until both bounds hold again. */
    function evict(): void {
      for (const [key, entry] of cache) {
        if (cache.size <= limits.maxEntries && cachedBytes <= limits.maxBytes) break;
        cache.delete(key);
        cachedBytes -= entry.bytes;
      }
    }

    /** The entry cached for `entry`'s page with the same bytes (itself, or a rendering that replaced it unchanged). */
    const holding = (entry: Entry) => {
      const current = cache.get(entry.key);
      return current?.etag === entry.etag ? current : undefined;
    };

    /** Adds compressed forms once they are made, if the page is still cached with the same bytes. */
    async function compress(entry: Entry, settings: typeof QUICK): Promise<void> {
      if (!holding(entry)) return; // evicted or changed while it waited
      const best = settings === BEST;
      try {
        const started = performance.now();
        const br = await brotliAsync(entry.page, settings.br);
        const gzip = await gzipAsync(entry.page, settings.gzip);
        if (best) bestBudget.spend(performance.now() - started);
        compressions[best ? 'best' : 'quick']++;
        const target = holding(entry);
        // Gone, or a quick form arriving after the best one (for a rendering since replaced unchanged).
        if (!target || (!best && target.best && target.br)) return;
        // OS "unknown" (RFC 1952): the same bytes wherever the shop runs, and told apart from the gzip made per response.
        gzip[9] = 0xff;
        const added = br.length + gzip.length - (target.br?.length ?? 0) - (target.gzip?.length ?? 0);
        target.br = br;
        target.gzip = gzip;
        if (best) target.best = true;
        target.bytes += added;
        cachedBytes += added;
        evict();
      } catch (error) {
        if (!best) entry.quick = false; // tried again as it is served
        app.log.warn({ err: error }, 'page cache: compression failed; the page is served uncompressed');
      }
    }
  },
  { name: 'page-cache', dependencies: ['@fastify/cookie'] },
);
