import { createHmac, randomFillSync } from 'node:crypto';
import fastifyCsrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set to false only for requests authenticated otherwise (the signed Stripe webhook). */
    csrf?: boolean;
  }
  interface FastifyReply {
    /** A CSRF token for this visitor's forms; gives the visitor a secret (cookie) first if they have none. */
    mintCsrfToken(): string;
    /** Gives the visitor a new secret: their earlier tokens stop working (the person behind them changed). */
    renewCsrfSecret(): void;
    /** The secret this response gave the visitor (a new visitor's, or a renewed one); tokens are made with it. */
    csrfSecretGiven: string | null;
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

/** What a new anonymous visitor is given: a secret, its cookie, and a first token made with it. */
interface NewVisitorCredential {
  secret: string;
  setCookie: string;
  token: string;
}
const CREDENTIAL_BATCH = 128;

/**
 * New visitors' credentials, made a batch at a time and each handed out once. Under load a new
 * visitor's page is a cached one, and its credential was most of its cost: made one at a time
 * between requests, about 19 µs of server CPU each on the bench machine (the HMAC call alone
 * several times what it costs in a loop, code and tables gone cold in between); made in a batch,
 * about 4 µs. The pool holds only unused random secrets, as pooledRandom holds unused random bytes.
 */
function credentialPool(make: () => NewVisitorCredential): () => NewVisitorCredential {
  const pool: NewVisitorCredential[] = [];
  return () => {
    if (pool.length === 0) for (let i = 0; i < CREDENTIAL_BATCH; i++) pool.push(make());
    return pool.pop()!;
  };
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ANONYMOUS = 'anonymous';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Whom a token is for: a signed-in session, or an anonymous visitor (told apart by their secret).
 * A signed-in person's tokens are bound to their session, so a secret set in their browser by
 * anyone else (a sibling subdomain can write cookies for the shop's domain) yields no token that
 * works for them; an anonymous visitor's stay valid when a cart starts their session.
 */
const userInfoOf = (request: FastifyRequest) => (request.user && request.session ? request.session.idHash : ANONYMOUS);

/**
 * CSRF on every state-changing request (a `_csrf` form field, or the header for scripts), checked
 * after the body is parsed. Multipart forms carry the token in the action URL's query string.
 *
 * Each visitor has a random secret in a cookie; a token is a salted HMAC under the server's key of
 * the secret and whom it is for (see userInfoOf), so it fails with any other visitor's secret or
 * session. The secret is also replaced when the person behind the visitor changes (sign-in,
 * sign-out). The cookie is not signed: without the server's key a secret yields no token.
 *
 * The plugin (@fastify/csrf-protection, through @fastify/csrf) checks every token. Tokens are made
 * here in @fastify/csrf's format, `HMAC(userInfo)-salt-HMAC(HMAC(userInfo)-salt-secret)`, so that
 * the anonymous part is worked out once, and a new visitor's first credential (secret, cookie and
 * token) comes from a batch made ahead (tests/accounts/csrf-secret.test.ts holds the format to the lib's).
 */
export default fp(
  async function security(app: FastifyInstance, opts: { sessionSecret: string; secureCookies: boolean }) {
    const cookieOpts = { path: '/', sameSite: 'lax', httpOnly: true, secure: opts.secureCookies } as const;
    const hmacKey = opts.sessionSecret;
    await app.register(fastifyCsrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: CSRF_COOKIE,
      cookieOpts,
      csrfOpts: { hmacKey },
      getUserInfo: userInfoOf,
      getToken: (request: FastifyRequest) => {
        const body = request.body as Record<string, unknown> | undefined;
        const query = request.query as Record<string, unknown> | undefined;
        const fromBody = body && typeof body === 'object' && typeof body._csrf === 'string' ? body._csrf : undefined;
        const multipart = (request.headers['content-type'] ?? '').startsWith('multipart/form-data');
        const fromQuery = multipart && typeof query?._csrf === 'string' ? query._csrf : undefined;
        const header = request.headers['x-csrf-token'];
        return fromBody ?? fromQuery ?? (typeof header === 'string' ? header : undefined);
      },
    });

    app.decorateReply('csrfSecretGiven', null);
    // The cookie's attributes as @fastify/cookie writes them, worked out once: a new visitor's first
    // page (often a cached one) only appends them to the secret.
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
    const newVisitors = credentialPool(() => {
      const secret = secrets();
      return { secret, setCookie: `${CSRF_COOKIE}=${secret}${attributes}`, token: tokenFor(ANONYMOUS, secret) };
    });
    app.decorateReply('mintCsrfToken', function (this: FastifyReply): string {
      const userInfo = userInfoOf(this.request);
      // An empty cookie is no secret (the plugin would refuse every token made with it).
      const known = this.csrfSecretGiven || this.request.cookies[CSRF_COOKIE] || undefined;
      if (known === undefined && userInfo === ANONYMOUS) {
        const credential = newVisitors();
        this.header('set-cookie', credential.setCookie);
        this.csrfSecretGiven = credential.secret;
        return credential.token;
      }
      return tokenFor(userInfo, known ?? giveSecret(this));
    });
    app.decorateReply('renewCsrfSecret', function (this: FastifyReply): void {
      giveSecret(this);
    });

    app.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      // Unknown routes fall through to the 404 handler; disabled only for the signed Stripe webhook.
      if (!STATE_CHANGING.has(request.method) || request.routeOptions.url === undefined || request.routeOptions.config?.csrf === false) return done();
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
    return (this.token ??= this.mint());
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
