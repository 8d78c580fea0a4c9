import { createHmac, randomFillSync } from 'node:crypto';
import fastifyCsrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { readCsrfField } from '../multipart-form.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false only for requests authenticated otherwise (the signed Stripe webhook); 'catalogue' for
     * the one form of the public catalogue (add to cart), which also takes the catalogue's token
     * from a visitor who is not signed in (see catalogueTokenAccepted); 'multipart' for the upload
     * forms, whose token is the first field of the multipart body (never the URL): see readCsrfField.
     */
    csrf?: boolean | 'catalogue' | 'multipart';
  }
  interface FastifyReply {
    /** A CSRF token for this visitor's forms; gives the visitor a secret (cookie) first if they have none. */
    mintCsrfToken(): string;
    /** Gives the visitor a new secret: their earlier tokens stop working (the person behind them changed). */
    renewCsrfSecret(): void;
    /** The secret this response gave the visitor (a new visitor's, or a renewed one); tokens are made with it. */
    csrfSecretGiven: string | null;
    /** The token of a catalogue form (add to cart): the catalogue's own for a visitor not signed in, else their own. */
    mintCatalogueToken(): string;
  }
}

const CSRF_COOKIE = '_csrf';
const SECRET_BYTES = 18;
const SALT_LENGTH = 8;

/**
 * Random bytes for secrets and salts, cut from blocks: one call into the system's random source
 * per few hundred tokens rather than one each (the pooling Node itself uses for randomUUID).
 */
const pooledRandom = (() => {
  const block = Buffer.alloc(4096);
  let used = block.length;
  return (length: number): Buffer => {
    if (used + length > block.length) {
      randomFillSync(block);
      used = 0;
    }
    used += length;
    return block.subarray(used - length, used);
  };
})();
const secrets = () => pooledRandom(SECRET_BYTES).toString('base64url');

/** A catalogue token is made anew every hour and taken for two (a page open since the last hour still works). */
export const CATALOGUE_TOKEN_MS = 3600_000;
/** Which catalogue token is current at `now`: a cached page printed with an earlier one is rendered again. */
export const catalogueEpoch = (now: number) => Math.floor(now / CATALOGUE_TOKEN_MS);
const CATALOGUE_PREFIX = 'c.';

/**
 * Whether the browser says the request comes from the shop's own pages. Fetch metadata when the
 * browser sends it (every current one does), else Origin, else Referer (the shop's pages send
 * none): the shop's public address, or the host the request was sent to (a proxy may rewrite it).
 * A client that sends none of them is no browser, and no browser can be made to send a cross-site
 * request without them.
 */
function fromOwnPage(request: FastifyRequest, publicOrigin: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const from = request.headers.origin ?? request.headers.referer;
  if (from === undefined) return true;
  try {
    const url = new URL(from);
    // The Host header read the same way (a default port is no port).
    return url.origin === publicOrigin || url.host === new URL(`${url.protocol}//${request.headers.host}`).host;
  } catch {
    return false; // "null" (a sandboxed or privacy-stripped origin) and anything unreadable
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ANONYMOUS = 'anonymous';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The token a request carries: the `_csrf` field, or the header for scripts; never the URL (it
 * would end up in logs and browser history). Multipart forms: see readCsrfField.
 */
function formToken(request: FastifyRequest): string | undefined {
  const body = request.body as Record<string, unknown> | undefined;
  const fromBody = body && typeof body === 'object' && typeof body._csrf === 'string' ? body._csrf : undefined;
  const header = request.headers['x-csrf-token'];
  return fromBody ?? (typeof header === 'string' ? header : undefined);
}

/**
 * Whom a token is for: a signed-in session, or an anonymous visitor (told apart by their secret).
 * A signed-in person's tokens are bound to their session, so a secret set in their browser by
 * anyone else (a sibling subdomain can write cookies for the shop's domain) yields no token that
 * works for them; an anonymous visitor's stay valid when a cart starts their session.
 */
const userInfoOf = (request: FastifyRequest) => (request.user && request.session ? request.session.idHash : ANONYMOUS);

/**
 * CSRF on every state-changing request (a `_csrf` form field, or the header for scripts), checked
 * after the body is parsed. Multipart forms carry it as their first field (route config csrf: 'multipart').
 *
 * Each visitor has a random secret in a cookie; a token is a salted HMAC under the server's key of
 * the secret and whom it is for (see userInfoOf), so it fails with any other visitor's secret or
 * session. The secret is also replaced when the person behind the visitor changes (sign-in,
 * sign-out). The cookie is not signed: without the server's key a secret yields no token.
 *
 * The plugin (@fastify/csrf-protection, through @fastify/csrf) checks every token. Tokens are made
 * here in @fastify/csrf's format, `HMAC(userInfo)-salt-HMAC(HMAC(userInfo)-salt-secret)`, so that
 * the anonymous part is worked out once (tests/accounts/csrf-secret.test.ts holds the format to the lib's).
 */
export default fp(
  async function security(app: FastifyInstance, opts: { sessionSecret: string; secureCookies: boolean; publicUrl: string; clock: () => number }) {
    const publicOrigin = new URL(opts.publicUrl).origin;
    const cookieOpts = { path: '/', sameSite: 'lax', httpOnly: true, secure: opts.secureCookies } as const;
    const hmacKey = opts.sessionSecret;
    await app.register(fastifyCsrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: CSRF_COOKIE,
      cookieOpts,
      csrfOpts: { hmacKey },
      getUserInfo: userInfoOf,
      getToken: formToken,
    });

    app.decorateReply('csrfSecretGiven', null);
    // The cookie's attributes as @fastify/cookie writes them, worked out once: giving a secret only appends them to it.
    const probe = `${CSRF_COOKIE}=-`;
    const attributes = app.serializeCookie(CSRF_COOKIE, '-', cookieOpts).slice(probe.length);
    const giveSecret = (reply: FastifyReply): string => {
      const secret = secrets();
      reply.header('set-cookie', `${CSRF_COOKIE}=${secret}${attributes}`);
      reply.csrfSecretGiven = secret;
      return secret;
    };
    const userPart = (userInfo: string) => createHmac('sha256', hmacKey).update(userInfo).digest('base64url').replace(/-/g, '_');
    const anonymousPart = userPart(ANONYMOUS);
    const salt = () => {
      let text = '';
      for (const byte of pooledRandom(SALT_LENGTH)) text += BASE62[byte % 62];
      return text;
    };
    const tokenFor = (userInfo: string, secret: string) => {
      const signed = `${userInfo === ANONYMOUS ? anonymousPart : userPart(userInfo)}-${salt()}`;
      return `${signed}-${createHmac('sha256', hmacKey).update(`${signed}-${secret}`, 'ascii').digest('base64url')}`;
    };
    app.decorateReply('mintCsrfToken', function (this: FastifyReply): string {
      const userInfo = userInfoOf(this.request);
      // An empty cookie is no secret (the plugin would refuse every token made with it).
      const known = this.csrfSecretGiven || this.request.cookies[CSRF_COOKIE] || undefined;
      return tokenFor(userInfo, known ?? giveSecret(this));
    });
    app.decorateReply('renewCsrfSecret', function (this: FastifyReply): void {
      giveSecret(this);
    });

    // The catalogue's token, one an hour: an HMAC of the hour under the server's key.
    const catalogueTokens = new Map<number, string>();
    const catalogueToken = (epoch: number) => {
      let token = catalogueTokens.get(epoch);
      if (token === undefined) {
        if (catalogueTokens.size > 4) catalogueTokens.clear();
        token = `${CATALOGUE_PREFIX}${epoch}.${createHmac('sha256', hmacKey).update(`catalogue-${epoch}`).digest('base64url')}`;
        catalogueTokens.set(epoch, token);
      }
      return token;
    };
    app.decorateReply('mintCatalogueToken', function (this: FastifyReply): string {
      return this.request.user ? this.mintCsrfToken() : catalogueToken(catalogueEpoch(opts.clock()));
    });

    /**
     * The public catalogue's pages are the same for every visitor who is not signed in: cached, and
     * sent compressed as they are, with no cookie. Their one form, add to cart, carries the
     * catalogue's token rather than a visitor's own. What a forged request could do with it is put a
     * product in a cart that is not an account's (cart stuffing); it is refused unless the browser
     * says the request comes from the shop's own page, which a page on another site cannot make it
     * say. A request without a session starts one of the visitor's own (the response's cookie),
     * never one an attacker holds. Anyone signed in must use their own token, as on every form.
     */
    const catalogueTokenAccepted = (request: FastifyRequest, token: string | undefined) => {
      if (request.user || token === undefined || !token.startsWith(CATALOGUE_PREFIX) || !fromOwnPage(request, publicOrigin)) return false;
      const epoch = catalogueEpoch(opts.clock());
      return token === catalogueToken(epoch) || token === catalogueToken(epoch - 1);
    };

    app.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      // Unknown routes fall through to the 404 handler; disabled only for the signed Stripe webhook.
      const csrf = request.routeOptions.config?.csrf;
      if (!STATE_CHANGING.has(request.method) || request.routeOptions.url === undefined || csrf === false) return done();
      if (csrf === 'catalogue' && catalogueTokenAccepted(request, formToken(request))) return done();
      if (csrf === 'multipart' && request.isMultipart()) {
        // The form's first part is its `_csrf` field: read just that, and check it as any form's token,
        // before the route runs; the handler reads the rest (readMultipartForm).
        readCsrfField(request).then(
          (token) => app.csrfProtection(Object.create(request, { body: { value: { _csrf: token } } }) as FastifyRequest, reply, done),
          (error: Error) => done(error),
        );
        return;
      }
      app.csrfProtection(request, reply, done);
    });

    // Pages get a token for their forms; a form re-rendered with errors after a POST needs one too.
    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url;
      if (/^\/(api|media|static|webhooks)\//.test(path) || path === '/healthz') return;
      reply.locals ??= {};
      reply.locals.csrfToken = new LazyCsrfToken(() => reply.mintCsrfToken());
    });
  },
  { name: 'security', dependencies: ['@fastify/cookie'] },
);

/**
 * The CSRF token of a page's forms, made when a template first prints it: a page without forms
 * never mints a secret or sets the cookie (the view engine copies locals, so a getter would not
 * stay lazy). Templates print it like a string; `minted` tells whether the page holds one.
 */
export class LazyCsrfToken {
  private token: string | undefined;
  constructor(private readonly mint: () => string) {}
  get minted(): string | undefined {
    return this.token;
  }
  toString(): string {
    this.token ??= this.mint();
    return this.token;
  }
  valueOf(): string {
    return this.toString();
  }
}

/** The token for this response's forms (pages rendered after a POST, e.g. with form errors). */
export function csrfTokenFor(reply: FastifyReply): string {
  const token = reply.locals?.csrfToken;
  return token instanceof LazyCsrfToken ? token.toString() : reply.mintCsrfToken();
}

/** The token this response's page was given, if it was given one. */
export function mintedCsrfToken(reply: FastifyReply): string | undefined {
  const token = reply.locals?.csrfToken;
  return token instanceof LazyCsrfToken ? token.minted : typeof token === 'string' ? token : undefined;
}
