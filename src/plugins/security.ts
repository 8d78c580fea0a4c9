import { randomFillSync } from 'node:crypto';
import Tokens from '@fastify/csrf';
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

/**
 * Secrets for new visitors, cut from random blocks: one call into the system's random source per
 * 227 visitors rather than one each (the same pooling Node uses for randomUUID).
 */
const secrets = (() => {
  const block = Buffer.alloc(SECRET_BYTES * 227);
  let used = block.length;
  return () => {
    if (used === block.length) {
      randomFillSync(block);
      used = 0;
    }
    const secret = block.toString('base64url', used, used + SECRET_BYTES);
    used += SECRET_BYTES;
    return secret;
  };
})();

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF on every state-changing request (a `_csrf` form field, or the header for scripts), checked
 * after the body is parsed. Multipart forms carry the token in the action URL's query string.
 *
 * Each visitor has a random secret in a cookie; a token is a salted HMAC of it under the server's
 * key (@fastify/csrf), so it fails with any other visitor's secret. The secret is replaced whenever
 * the person behind the visitor changes (sign-in, sign-out): a token from before sign-in stops
 * working, and a secret planted in someone's browser dies when they sign in. The cookie is not
 * signed: without the server's key a secret yields no token, and a signature would add an HMAC
 * to every new visitor's first page.
 */
export default fp(
  async function security(app: FastifyInstance, opts: { sessionSecret: string; secureCookies: boolean }) {
    const cookieOpts = { path: '/', sameSite: 'lax', httpOnly: true, secure: opts.secureCookies } as const;
    const csrfOpts = { hmacKey: opts.sessionSecret } as const;
    // The plugin checks tokens; they are made here with the same options, in @fastify/csrf's format.
    await app.register(fastifyCsrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: CSRF_COOKIE,
      cookieOpts,
      csrfOpts: { ...csrfOpts },
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

    const tokens = Tokens(csrfOpts);
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
    app.decorateReply('mintCsrfToken', function (this: FastifyReply): string {
      return tokens.create(this.csrfSecretGiven ?? this.request.cookies[CSRF_COOKIE] ?? giveSecret(this));
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
