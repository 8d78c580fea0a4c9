import fastifyCsrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set to false only for requests authenticated otherwise (the signed Stripe webhook). */
    csrf?: boolean;
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The token is bound to the session, so a token from before login (or from another visitor) fails. */
const userInfoOf = (request: FastifyRequest) => request.session?.idHash ?? 'anonymous';

/**
 * CSRF on every state-changing request (a `_csrf` form field, or the header for scripts), checked
 * after the body is parsed. Multipart forms carry the token in the action URL's query string.
 */
export default fp(
  async function security(app: FastifyInstance, opts: { sessionSecret: string; secureCookies: boolean }) {
    await app.register(fastifyCsrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: '_csrf',
      cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, signed: true, secure: opts.secureCookies },
      csrfOpts: { hmacKey: opts.sessionSecret },
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

    app.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      // Unknown routes fall through to the 404 handler; disabled only for the signed Stripe webhook.
      if (!STATE_CHANGING.has(request.method) || request.routeOptions.url === undefined || request.routeOptions.config?.csrf === false) return done();
      app.csrfProtection(request, reply, done);
    });

    // Pages get a token for their forms (bound to the session as it is at render time);
    // a form re-rendered with errors after a POST needs one too.
    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url;
      if (/^\/(api|media|static|webhooks)\//.test(path) || path === '/healthz') return;
      // Made when a page first reads it: a cached page without forms never pays for it.
      reply.locals ??= {};
      let token: string | undefined;
      Object.defineProperty(reply.locals, 'csrfToken', {
        enumerable: true,
        configurable: true,
        get: () => (token ??= reply.generateCsrf({ userInfo: userInfoOf(request) } as never)),
        set: (value: string) => {
          token = value;
        },
      });
    });
  },
  { name: 'security', dependencies: ['session'] },
);

/** The token for this response's forms (pages rendered after a POST, e.g. with form errors). */
export function csrfTokenFor(request: FastifyRequest, reply: FastifyReply): string {
  // One token per response: a second generation for a visitor without the secret cookie yet
  // would mint a second secret and make the first token useless.
  const token = reply.locals?.csrfToken;
  return typeof token === 'string' ? token : reply.generateCsrf({ userInfo: userInfoOf(request) } as never);
}
