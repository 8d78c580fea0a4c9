// A minimal browser for the load workers: a cookie jar and form posts over one undici Pool,
// with the `_csrf` token read from a page's hidden input as a person's browser would send it.
import type { Pool } from 'undici';

export interface Page {
  status: number;
  location: string | null;
  body: string;
  ms: number;
}

/** The value of the first hidden `_csrf` input of a page (handlebars escapes = / ` ' " < > &). */
export function csrfTokenIn(html: string): string | null {
  const match = /name="_csrf" value="([^"]*)"/.exec(html);
  if (!match) return null;
  return match[1]!
    .replace(/&#x3D;/g, '=')
    .replace(/&#x2F;/g, '/')
    .replace(/&#x60;/g, '`')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(private readonly pool: Pool) {}

  private remember(setCookie: string | string[] | undefined): void {
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq < 1) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k, v] = a.trim().split('=') as [string, string | undefined];
        return (k.toLowerCase() === 'max-age' && Number(v) <= 0) || (k.toLowerCase() === 'expires' && v !== undefined && Date.parse(v) <= Date.now());
      });
      if (value === '' || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  async send(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Page> {
    const started = performance.now();
    const headers: Record<string, string> = { ...this.cookieHeader(), 'user-agent': 'xiangyi-bench' };
    let body: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const res = await this.pool.request({ method, path, headers, body });
    const text = await res.body.text();
    this.remember(res.headers['set-cookie']);
    const location = res.headers.location;
    return { status: res.statusCode, location: typeof location === 'string' ? location : null, body: text, ms: performance.now() - started };
  }

  get(path: string): Promise<Page> {
    return this.send('GET', path);
  }

  post(path: string, form: Record<string, string>): Promise<Page> {
    return this.send('POST', path, form);
  }
}

/** Signs in through the real form; throws when the shop does not answer with a redirect. */
export async function signIn(browser: Browser, email: string, password: string): Promise<void> {
  const page = await browser.get('/login');
  const token = csrfTokenIn(page.body);
  if (!token) throw new Error(`no _csrf token on /login (status ${page.status})`);
  const res = await browser.post('/login', { email, password, _csrf: token });
  if (res.status !== 303 && res.status !== 302) throw new Error(`sign-in as ${email} answered ${res.status}`);
}
