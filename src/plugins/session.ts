import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { CurrentUser, Session, SessionService } from '../accounts/session-service.js';
import type { Role } from '../accounts/schema.js';
import type { Work } from '../db/unit-of-work.js';
import { setLocal } from './request-context.js';

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
    user: CurrentUser | null;
    /** The step that stores a session started by `sessionStep()` and not yet written. */
    unstoredSession: Work<void> | null;
  }
  interface FastifyReply {
    /** Returns the visitor's session, creating an anonymous one (and its cookie) if needed. */
    ensureSession(): Promise<Session>;
    /**
     * For a write that may be a visitor's first: when they have no session yet, starts one (its
     * cookie is set) and answers the step that stores it, to run inside that write, so one commit
     * saves both; null when the session is already stored. If the write fails, `ensureSession()`
     * stores the session on its own.
     */
    sessionStep(): Work<void> | null;
    /** Says the write that ran `sessionStep()`'s step has committed. */
    sessionStored(): void;
    /** Replaces the session with a new id for `userId` (at login: no session fixation). */
    startSession(userId: number | null, role?: Role): Promise<Session>;
    endSession(): Promise<void>;
    /**
     * A one-time message for the next page. `at` names the section of that page the person is
     * sent to (`#stock`, `#photos`): the message is drawn there, where they are, not at the top.
     */
    flash(kind: 'success' | 'error', message: string, at?: FlashSection): void;
  }
}

export const SESSION_COOKIE = 'sid';
export const FLASH_COOKIE = 'flash';
/** Sections of a page that draw their own one-time message (views/partials/section-flash.hbs). */
export const FLASH_SECTIONS = ['stock', 'photos'] as const;
export type FlashSection = (typeof FLASH_SECTIONS)[number];
const isFlashSection = (value: unknown): value is FlashSection => FLASH_SECTIONS.includes(value as FlashSection);

export default fp(
  async function sessionPlugin(app: FastifyInstance, opts: { sessions: SessionService; secureCookies: boolean }) {
    const { sessions } = opts;
    const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: opts.secureCookies };

    app.decorateRequest('session', null);
    app.decorateRequest('user', null);

    app.decorateRequest('unstoredSession', null);

    app.decorateReply('ensureSession', async function (this: FastifyReply): Promise<Session> {
      const request = this.request;
      if (!request.session) return this.startSession(null);
      const unstored = request.unstoredSession;
      if (unstored) {
        request.unstoredSession = null;
        await sessions.store(unstored);
      }
      return request.session;
    });

    app.decorateReply('sessionStep', function (this: FastifyReply): Work<void> | null {
      const request = this.request;
      if (request.session) return request.unstoredSession;
      const { cookieValue, session, store } = sessions.prepare(null);
      request.session = session;
      request.unstoredSession = store;
      this.setCookie(SESSION_COOKIE, cookieValue, cookieOptions);
      return store;
    });

    app.decorateReply('sessionStored', function (this: FastifyReply): void {
      this.request.unstoredSession = null;
    });

    app.decorateReply('startSession', async function (this: FastifyReply, userId: number | null, role?: Role): Promise<Session> {
      const request = this.request;
      if (request.session) await sessions.destroy(request.session.idHash);
      const { cookieValue, session } = await sessions.create(userId, role);
      request.session = session;
      this.setCookie(SESSION_COOKIE, cookieValue, cookieOptions);
      // Someone signed in: forms of the pages from before (and a planted CSRF secret) stop working.
      if (userId !== null) this.renewCsrfSecret();
      return session;
    });

    app.decorateReply('endSession', async function (this: FastifyReply): Promise<void> {
      const request = this.request;
      if (request.session) await sessions.destroy(request.session.idHash);
      request.session = null;
      request.user = null;
      this.clearCookie(SESSION_COOKIE, cookieOptions);
      this.renewCsrfSecret();
    });

    // Flash messages live in a short-lived signed cookie, not the session row: showing a message
    // after a redirect costs no database write.
    app.decorateReply('flash', function (this: FastifyReply, kind: 'success' | 'error', message: string, at?: FlashSection): void {
      this.setCookie(FLASH_COOKIE, JSON.stringify({ kind, message: message.slice(0, 200), ...(at ? { at } : {}) }), {
        ...cookieOptions,
        signed: true,
        maxAge: 300,
      });
    });

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const flashCookie = request.cookies[FLASH_COOKIE];
      if (flashCookie && request.method === 'GET') {
        // A flash message is shown once, on the next page.
        const unsigned = reply.unsignCookie(flashCookie);
        reply.clearCookie(FLASH_COOKIE, cookieOptions);
        if (unsigned.valid && unsigned.value) {
          try {
            const flash = JSON.parse(unsigned.value) as { kind?: unknown; message?: unknown; at?: unknown };
            if ((flash.kind === 'success' || flash.kind === 'error') && typeof flash.message === 'string') {
              setLocal(reply, 'flash', { kind: flash.kind, message: flash.message, ...(isFlashSection(flash.at) ? { at: flash.at } : {}) });
            }
          } catch {
            // A malformed flash cookie is ignored.
          }
        }
      }
      const cookie = request.cookies[SESSION_COOKIE];
      if (!cookie) return;
      const loaded = await sessions.load(cookie);
      if (!loaded) {
        reply.clearCookie(SESSION_COOKIE, cookieOptions);
        return;
      }
      request.session = loaded.session;
      request.user = loaded.user;
      setLocal(reply, 'user', loaded.user);
    });
  },
  { name: 'session', dependencies: ['request-context', 'security'] },
);
