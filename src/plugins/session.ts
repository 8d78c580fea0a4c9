import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { CurrentUser, Session, SessionService } from '../accounts/session-service.js';
import type { Role } from '../accounts/schema.js';
import { setLocal } from './request-context.js';

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
    user: CurrentUser | null;
  }
  interface FastifyReply {
    /** Returns the visitor's session, creating an anonymous one (and its cookie) if needed. */
    ensureSession(): Session;
    /** Replaces the session with a new id for `userId` (at login: no session fixation). */
    startSession(userId: number | null, role?: Role): Session;
    endSession(): void;
    flash(kind: 'success' | 'error', message: string): void;
  }
}

export const SESSION_COOKIE = 'sid';

export default fp(
  async function sessionPlugin(app: FastifyInstance, opts: { sessions: SessionService; secureCookies: boolean }) {
    const { sessions } = opts;
    const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: opts.secureCookies };

    app.decorateRequest('session', null);
    app.decorateRequest('user', null);

    app.decorateReply('ensureSession', function (this: FastifyReply): Session {
      const request = this.request;
      if (request.session) return request.session;
      return this.startSession(null);
    });

    app.decorateReply('startSession', function (this: FastifyReply, userId: number | null, role?: Role): Session {
      const request = this.request;
      if (request.session) sessions.destroy(request.session.idHash);
      const { cookieValue, session } = sessions.create(userId, role);
      request.session = session;
      this.setCookie(SESSION_COOKIE, cookieValue, cookieOptions);
      return session;
    });

    app.decorateReply('endSession', function (this: FastifyReply): void {
      const request = this.request;
      if (request.session) sessions.destroy(request.session.idHash);
      request.session = null;
      request.user = null;
      this.clearCookie(SESSION_COOKIE, cookieOptions);
    });

    app.decorateReply('flash', function (this: FastifyReply, kind: 'success' | 'error', message: string): void {
      const session = this.ensureSession();
      session.data.flash = { kind, message };
      sessions.save(session);
    });

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (!cookie) return;
      const loaded = sessions.load(cookie);
      if (!loaded) {
        reply.clearCookie(SESSION_COOKIE, cookieOptions);
        return;
      }
      request.session = loaded.session;
      request.user = loaded.user;
      setLocal(reply, 'user', loaded.user);
      if (loaded.session.data.flash && request.method === 'GET') {
        // A flash message is shown once, on the next page.
        setLocal(reply, 'flash', loaded.session.data.flash);
        delete loaded.session.data.flash;
        sessions.save(loaded.session);
      }
    });
  },
  { name: 'session', dependencies: ['request-context'] },
);
