import type { InjectOptions, LightMyRequestResponse as Response } from 'fastify';
import type { App } from '../../src/app.js';
import { csrfTokenIn, encodeForm, type FormFields } from './auth.js';
import { multipartBody, type FilePart } from './multipart.js';

/**
 * A browser over `app.inject` like tests/helpers/auth.ts's, for tests that send many requests as
 * many people: each client has its own client address (rate limits and sign-in throttling count per
 * address), keeps one CSRF token per session (fetched again only when the session changes), and can
 * send any body at all (raw bytes, JSON, multipart) for fuzzing.
 */
export class InjectClient {
  readonly jar: Record<string, string> = {};
  private token: { sid: string | undefined; value: string } | null = null;

  constructor(
    private readonly app: App,
    readonly address: string,
  ) {}

  private remember(response: Response): Response {
    for (const cookie of response.cookies) {
      const cleared = cookie.value === '' || cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (cleared) delete this.jar[cookie.name];
      else this.jar[cookie.name] = cookie.value;
    }
    return response;
  }

  /** Any request, with this client's cookies and address. */
  async inject(options: Omit<InjectOptions, 'cookies' | 'remoteAddress'>): Promise<Response> {
    return this.remember(await this.app.inject({ ...options, remoteAddress: this.address, cookies: { ...this.jar } }));
  }

  async send(method: 'GET' | 'POST', url: string, body?: { payload: string | Buffer; contentType: string }): Promise<Response> {
    return this.inject({ method, url, ...(body ? { payload: body.payload, headers: { 'content-type': body.contentType } } : {}) });
  }

  get = (url: string) => this.send('GET', url);

  /** A valid CSRF token for the current session (fetched again when the session changed). */
  async csrf(): Promise<string> {
    if (this.token && this.token.sid === this.jar.sid) return this.token.value;
    for (const page of ['/login', '/', '/account/password']) {
      const value = csrfTokenIn((await this.get(page)).body);
      if (value) {
        this.token = { sid: this.jar.sid, value };
        return value;
      }
    }
    throw new Error('no page with a CSRF token');
  }

  async post(url: string, form: FormFields = {}, options: { csrf?: boolean } = {}): Promise<Response> {
    const fields = options.csrf === false ? form : { ...form, _csrf: await this.csrf() };
    return this.send('POST', url, { payload: encodeForm(fields), contentType: 'application/x-www-form-urlencoded' });
  }

  /** An upload form as its page sends it: the token is the form's first field. */
  async postMultipart(url: string, fields: FormFields, file?: FilePart, options: { csrf?: boolean } = {}): Promise<Response> {
    const token = options.csrf === false ? null : await this.csrf();
    const { payload, contentType } = multipartBody(token === null ? fields : { _csrf: token, ...fields }, file);
    return this.send('POST', url, { payload, contentType });
  }

  /** Signs in through the real form; throws unless it redirects. */
  async signIn(email: string, password: string): Promise<this> {
    const res = await this.post('/login', { email, password });
    if (res.statusCode !== 303) throw new Error(`sign-in as ${email} failed with status ${res.statusCode}`);
    return this;
  }
}
