import type { InjectOptions, LightMyRequestResponse as Response } from 'fastify';
import type { AccountMessage } from '../../src/accounts/account-mail.js';
import type { App } from '../../src/app.js';

/**
 * A small browser for tests: a cookie jar (sid, _csrf, lang …) over `app.inject`, and form posts
 * that carry a CSRF token the way a real page would.
 *
 *   const admin = await signIn(app, 'admin@xiangyi.test');
 *   const page = await admin.get('/admin/users');
 *   const res = await admin.post('/admin/users', { email: 'x@y.test', villageIds: ['1', '2'] });
 *
 * Redirects are not followed: assert on `statusCode` and `headers.location`.
 */

export type FormFields = Record<string, string | string[]>;

export interface PostOptions {
  /**
   * The page whose form token to use (default: '/', else '/login' for a visitor). Tokens are bound
   * to the session, not to the page, so any page with a form will do.
   */
  csrfFrom?: string;
  /** Send no `_csrf` at all (to test that such posts are refused). */
  withoutCsrf?: boolean;
  headers?: Record<string, string>;
}

export interface TestBrowser {
  /** The current cookies by name; updated from every response's set-cookie headers. */
  readonly cookies: Record<string, string>;
  get(url: string, headers?: Record<string, string>): Promise<Response>;
  /**
   * Posts an application/x-www-form-urlencoded form. Without a `_csrf` field in `form`, first GETs
   * `csrfFrom` (see PostOptions) and takes the token from its HTML, as a person filling in a page would.
   * Arrays become repeated fields (checkbox groups).
   */
  post(url: string, form?: FormFields, options?: PostOptions): Promise<Response>;
  /** The `_csrf` token of the forms on a page (default as in PostOptions.csrfFrom), for this session. */
  csrfToken(from?: string): Promise<string>;
  /** Any request (a multipart upload …) with this browser's cookies; its set-cookie headers are kept. */
  send(options: InjectOptions): Promise<Response>;
}

/** The value of the first hidden `_csrf` input in a page. */
export function csrfTokenIn(html: string): string | null {
  const match = /name="_csrf" value="([^"]*)"/.exec(html);
  return match ? decodeEntities(match[1]!) : null;
}

/** Handlebars escapes = and / in attribute values; undo what it may have escaped. */
function decodeEntities(value: string): string {
  return value
    .replace(/&#x3D;/g, '=')
    .replace(/&#x2F;/g, '/')
    .replace(/&#x60;/g, '`')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** application/x-www-form-urlencoded, with repeated keys for arrays. */
export function encodeForm(form: FormFields): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  return params.toString();
}

/** A signed-out visitor with an empty cookie jar (on 127.0.0.1 unless given another client address). */
export function anonymous(app: App, options: { remoteAddress?: string } = {}): TestBrowser {
  const jar: Record<string, string> = {};

  function remember(response: Response): Response {
    for (const cookie of response.cookies) {
      const cleared = cookie.value === '' || cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (cleared) delete jar[cookie.name];
      else jar[cookie.name] = cookie.value;
    }
    return response;
  }

  const client = options;
  async function send(options: InjectOptions): Promise<Response> {
    return remember(await app.inject({ remoteAddress: client.remoteAddress, ...options, cookies: { ...jar } }));
  }

  async function tokenOn(url: string): Promise<string | null> {
    const page = await send({ method: 'GET', url });
    return csrfTokenIn(page.body);
  }

  async function csrfToken(from?: string): Promise<string> {
    // Signed-in pages carry the sign-out form; a visitor's home page has no form, the sign-in page has.
    for (const url of from ? [from] : ['/', '/login']) {
      const token = await tokenOn(url);
      if (token !== null) return token;
    }
    throw new Error(`No _csrf token on ${from ?? "'/' or '/login'"}`);
  }

  return {
    cookies: jar,
    csrfToken,
    send,
    get: (url, headers = {}) => send({ method: 'GET', url, headers }),
    async post(url, form = {}, options = {}) {
      const fields: FormFields = { ...form };
      if (!options.withoutCsrf && fields._csrf === undefined) fields._csrf = await csrfToken(options.csrfFrom);
      if (options.withoutCsrf) delete fields._csrf;
      return send({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
        payload: encodeForm(fields),
      });
    },
  };
}

/**
 * Signs in through the real form (GET /login for the token, POST /login) and returns the
 * signed-in browser. Throws if the sign-in does not redirect (wrong password, throttled …).
 */
export async function signIn(app: App, email: string, password = 'xiangyi-demo'): Promise<TestBrowser> {
  const browser = anonymous(app);
  const response = await browser.post('/login', { email, password }, { csrfFrom: '/login' });
  if (response.statusCode !== 303) {
    throw new Error(`Sign-in as ${email} failed with status ${response.statusCode}`);
  }
  return browser;
}

/** The path and query of the link in the last registration e-mail sent to `email`. */
export function registrationLinkFor(mailbox: readonly AccountMessage[], email: string): string {
  const message = mailbox.filter((m) => m.kind === 'confirm_registration' && m.to === email).at(-1);
  if (message?.kind !== 'confirm_registration') throw new Error(`No registration e-mail to ${email}`);
  const url = new URL(message.link);
  return `${url.pathname}${url.search}`;
}

/**
 * Registers a buyer the way people do: the form, then the link of the e-mail it sent (read from the
 * test's mailbox), then the button on that page. Returns the browser, signed in as the new buyer.
 */
export async function registerBuyer(
  target: { app: App; mailbox: readonly AccountMessage[] },
  form: { email: string; displayName: string; password: string },
  browser: TestBrowser = anonymous(target.app),
): Promise<TestBrowser> {
  const asked = await browser.post('/register', { ...form, passwordConfirm: form.password }, { csrfFrom: '/register' });
  if (asked.statusCode !== 200) throw new Error(`Registering ${form.email} failed with status ${asked.statusCode}`);
  const link = registrationLinkFor(target.mailbox, form.email.trim().toLowerCase());
  const token = new URL(link, 'http://shop.test').searchParams.get('token')!;
  const confirmed = await browser.post('/register/confirm', { token }, { csrfFrom: link });
  if (confirmed.statusCode !== 303) throw new Error(`Confirming ${form.email} failed with status ${confirmed.statusCode}`);
  return browser;
}
