import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_LOCALE, negotiateLocale, parseLocale, translatorFor, type Locale, type Translator } from '../i18n/i18n.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The visitor's language: ?lang= (remembered in a cookie), else the cookie, else the browser's (Accept-Language), else zh-CN. */
    locale: Locale;
    t: Translator;
  }
  interface FastifyReply {
    locals: Record<string, unknown> | undefined;
  }
}

export const LANG_COOKIE = 'lang';
/** The answers written in the visitor's language: pages, the API's JSON, text and CSV downloads. */
const LANGUAGE_DEPENDENT = /^(text\/html|application\/json|text\/plain|text\/csv)/i;
const ONE_YEAR_S = 365 * 24 * 3600;

/** The current URL with ?lang= replaced, for the language switch link. */
export function urlWithLang(rawUrl: string, lang: 'en' | 'zh'): string {
  const url = new URL(rawUrl, 'http://x');
  url.searchParams.set('lang', lang);
  return url.pathname + url.search;
}

/** Adds a value to the view context of this reply (merged under the route's own data). */
export function setLocal(reply: FastifyReply, key: string, value: unknown): void {
  reply.locals ??= {};
  reply.locals[key] = value;
}

/**
 * The visitor's language, and whether it came from ?lang= and differs from the cookie (then it is remembered).
 * `fromUrl` says the URL alone decides it; otherwise the lang cookie and Accept-Language do, and a shared
 * cache must vary on them (src/plugins/page-cache.ts). A language negotiated from the browser is not
 * remembered: the next request negotiates it again, and the switch's ?lang= still wins.
 */
export function visitorLocale(request: FastifyRequest): { locale: Locale; remember: boolean; fromUrl: boolean } {
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = parseLocale(typeof query?.lang === 'string' ? query.lang : undefined);
  const fromCookie = parseLocale(request.cookies[LANG_COOKIE]);
  const locale = fromQuery ?? fromCookie ?? negotiateLocale(request.headers['accept-language']) ?? DEFAULT_LOCALE;
  return { locale, remember: fromQuery !== null && fromQuery !== fromCookie, fromUrl: fromQuery !== null };
}

/** Keeps the chosen language in a cookie for a year. */
export function rememberLocale(reply: FastifyReply, locale: Locale, secureCookies: boolean): void {
  reply.setCookie(LANG_COOKIE, locale, { path: '/', maxAge: ONE_YEAR_S, sameSite: 'lax', httpOnly: true, secure: secureCookies });
}

export default fp(
  async function requestContext(app: FastifyInstance, opts: { secureCookies: boolean }) {
    app.decorateRequest('locale', DEFAULT_LOCALE);
    app.decorateRequest('t', null as unknown as Translator);
    app.decorateReply('locals', undefined);

    /**
     * When the cookie or the browser chose the language, no cache may give a page or an answer to another
     * visitor's: it varies on both. Images, styles and downloads are the same in every language and say
     * nothing (a CDN keeps one copy). The page cache sets its own Vary on the catalogue's pages.
     */
    const languageFromUrl = new WeakMap<FastifyRequest, boolean>();
    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (languageFromUrl.get(request) !== false || !LANGUAGE_DEPENDENT.test(String(reply.getHeader('content-type') ?? ''))) return payload;
      const vary = String(reply.getHeader('vary') ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      const missing = ['accept-language', 'cookie'].filter((name) => !vary.some((v) => v.toLowerCase() === name));
      if (missing.length > 0) reply.header('vary', [...vary, ...missing].join(', '));
      return payload;
    });

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const { locale, remember, fromUrl } = visitorLocale(request);
      if (remember) rememberLocale(reply, locale, opts.secureCookies);
      languageFromUrl.set(request, fromUrl);
      request.locale = locale;
      request.t = translatorFor(locale);
      reply.locals = {
        locale,
        htmlLang: locale,
        isEnglish: locale === 'en',
        langSwitchUrl: urlWithLang(request.url, locale === 'en' ? 'zh' : 'en'),
        currentPath: request.url.split('?')[0],
      };
    });
  },
  { name: 'request-context', dependencies: [] },
);
