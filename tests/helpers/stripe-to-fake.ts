/**
 * Preloaded (`node --import tsx --import ./tests/helpers/stripe-to-fake.ts src/server.ts`) into a
 * server started as a child process by a test: the app's Stripe client talks to api.stripe.com
 * over HTTPS, and the server offers no setting to point it elsewhere, so this sends the SDK's
 * requests for api.stripe.com to the test's fake Stripe on 127.0.0.1 (XIANGYI_FAKE_STRIPE_PORT)
 * instead. The SDK calls `https.request` on the module object precisely so that tests can do this.
 * Nothing else is changed; without the variable this file does nothing.
 */
import http from 'node:http';
import https from 'node:https';

const port = Number(process.env.XIANGYI_FAKE_STRIPE_PORT ?? '');

if (Number.isInteger(port) && port > 0) {
  const original = https.request;
  const toFake = function (this: unknown, ...args: unknown[]) {
    const options = args[0];
    if (options && typeof options === 'object' && !(options instanceof URL)) {
      const o = options as https.RequestOptions;
      if (o.host === 'api.stripe.com' || o.hostname === 'api.stripe.com') {
        // The https agent and TLS options do not apply to the plain-HTTP fake.
        const { agent: _agent, ciphers: _ciphers, hostname: _hostname, ...rest } = o;
        return http.request({ ...rest, host: '127.0.0.1', port, protocol: 'http:' }, args[1] as (res: http.IncomingMessage) => void);
      }
    }
    return (original as (...a: unknown[]) => http.ClientRequest).apply(this, args);
  };
  (https as unknown as { request: typeof toFake }).request = toFake;
}
