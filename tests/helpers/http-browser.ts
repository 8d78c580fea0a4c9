import { createHash } from 'node:crypto';
import { Agent, request, type Dispatcher } from 'undici';
import { csrfTokenIn, encodeForm, type FormFields } from './auth.js';

/**
 * A browser over real HTTP (undici) with its own cookie jar, for tests that need a listening server:
 * concurrency, crashes, backups. Redirects are not followed. A request that fails at the socket
 * (the server was killed) resolves to status 0 with the error's message as its body.
 *
 *   const buyer = httpBrowser(server.url, agent);
 *   await buyer.post('/cart/items', { productId: '4', quantity: '1' }, '/login');
 *   const press = await buyer.prepare('/checkout', contact, '/checkout');
 *   const answer = await press();
 */

export interface HttpAnswer {
  /** 0 when no answer came (connection refused or reset). */
  status: number;
  location: string | null;
  body: string;
}

export interface HttpBrowser {
  readonly cookies: Map<string, string>;
  /** The SHA-256 of the session cookie, as the sessions and carts tables key it; null without a session. */
  sessionHash(): string | null;
  get(path: string): Promise<HttpAnswer>;
  /** Posts a urlencoded form with the `_csrf` of `tokenFrom` (fetched now), as the page a person is on would. */
  post(path: string, form: FormFields, tokenFrom: string): Promise<HttpAnswer>;
  /** Fetches the token now and returns a post to send later, which then does nothing else first. */
  prepare(path: string, form: FormFields, tokenFrom: string): Promise<() => Promise<HttpAnswer>>;
  /** The `_csrf` token of a page for this session. */
  token(from: string): Promise<string>;
  /** Posts with a token the caller already holds. */
  postWith(path: string, form: FormFields, token: string): Promise<HttpAnswer>;
  /** Points the browser at another address (a restarted server), keeping its cookies. */
  moveTo(base: string): void;
}

export function httpBrowser(base: string, dispatcher: Dispatcher): HttpBrowser {
  const jar = new Map<string, string>();
  let origin = base;

  function remember(setCookie: string | string[] | undefined) {
    for (const header of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) <= Date.now()));
      if (value === '' || expired) jar.delete(name);
      else jar.set(name, value);
    }
  }

  async function send(method: 'GET' | 'POST', path: string, form?: FormFields): Promise<HttpAnswer> {
    try {
      const res = await request(`${origin}${path}`, {
        method,
        dispatcher,
        headers: {
          cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: form ? encodeForm(form) : undefined,
      });
      remember(res.headers['set-cookie']);
      const location = res.headers.location;
      return { status: res.statusCode, location: typeof location === 'string' ? location : null, body: await res.body.text() };
    } catch (error) {
      return { status: 0, location: null, body: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }

  async function token(from: string): Promise<string> {
    const page = await send('GET', from);
    const found = csrfTokenIn(page.body);
    if (!found) throw new Error(`no _csrf token on ${from} (status ${page.status})`);
    return found;
  }

  return {
    cookies: jar,
    sessionHash() {
      const sid = jar.get('sid');
      return sid ? createHash('sha256').update(decodeURIComponent(sid)).digest('hex') : null;
    },
    get: (path) => send('GET', path),
    async post(path, form, tokenFrom) {
      return send('POST', path, { ...form, _csrf: await token(tokenFrom) });
    },
    async prepare(path, form, tokenFrom) {
      const t = await token(tokenFrom);
      return () => send('POST', path, { ...form, _csrf: t });
    },
    token,
    postWith: (path, form, t) => send('POST', path, { ...form, _csrf: t }),
    moveTo(next) {
      origin = next;
    },
  };
}

/**
 * undici agents bound to loopback addresses of their own (127.0.1.1, 127.0.1.2 …; Linux answers on
 * all of 127.0.0.0/8), so that simulated buyers arrive from different addresses, as different people
 * do: limits per client address (holds on stock, sign-in throttling) then see many people, not one.
 */
export function loopbackAgents(count: number) {
  const agents = Array.from({ length: count }, (_, i) => new Agent({ localAddress: `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}` }));
  let next = 0;
  return {
    /** The agent of buyer `i` (agents are reused round the pool). */
    of: (i: number): Agent => agents[i % agents.length]!,
    /** The next agent round the pool. */
    next: (): Agent => agents[next++ % agents.length]!,
    close: () => Promise.all(agents.map((a) => a.close())),
  };
}
