import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Request ids and request logging: an incoming X-Request-Id is honoured (or one is made), sent back,
 * and carried by every log line of that request; each request is logged once, at info, in one line.
 */

interface LogLine {
  level: number;
  reqId?: string;
  msg: string;
  method?: string;
  route?: string;
  status?: number;
  ms?: number;
}

let ctx: TestContext;
let lines: LogLine[];

async function appWithLog() {
  lines = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  ctx = await createTestApp({ logger: { level: 'info', stream } });
}

afterEach(async () => ctx?.close());

const INFO = 30;

describe('request ids', () => {
  it('sends back the X-Request-Id it was given, and every log line of that request carries it', async () => {
    await appWithLog();
    const res = await ctx.app.inject({ method: 'GET', url: '/products/no-such-product', headers: { 'x-request-id': 'edge-7f3a9c21' } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-request-id']).toBe('edge-7f3a9c21');
    const ofRequest = lines.filter((l) => l.reqId === 'edge-7f3a9c21');
    // The refusal the error handler logs, and the request's own line.
    expect(ofRequest.map((l) => l.msg)).toEqual(['request refused', `GET /products/:slug 404 ${ofRequest[1]!.ms} ms`]);
    expect(lines.filter((l) => l.reqId !== undefined && l.reqId !== 'edge-7f3a9c21')).toEqual([]);
  });

  it.each([
    ['has spaces', 'my request id'],
    ['is too long', 'a'.repeat(129)],
    ['could break a log line', 'id\u0000with-nul'],
  ])('makes its own id when the given one %s', async (_why, given) => {
    await appWithLog();
    const res = await ctx.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': given } });
    const id = String(res.headers['x-request-id']);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(lines.find((l) => l.route === '/healthz')?.reqId).toBe(id);
  });

  it('gives each request without one an id of its own', async () => {
    await appWithLog();
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add(String((await ctx.app.inject({ method: 'GET', url: '/' })).headers['x-request-id']));
    expect(ids.size).toBe(3);
  });

  it('sends the id on a page served from the page cache too, not the id of the request that filled it', async () => {
    await appWithLog();
    // On PostgreSQL the versions are read in the background: a page is kept once they are read.
    await ctx.app.pageCacheSettled();
    await ctx.app.inject({ method: 'GET', url: '/products', headers: { 'x-request-id': 'first-one' } });
    await ctx.app.pageCacheSettled();
    const hit = await ctx.app.inject({ method: 'GET', url: '/products', headers: { 'x-request-id': 'second-one' } });
    expect(hit.headers['x-page-cache']).toBe('hit');
    expect(hit.headers['x-request-id']).toBe('second-one');
  });
});

describe('request logging', () => {
  it('logs each request once, at info, with its method, route, status and time', async () => {
    await appWithLog();
    await ctx.app.inject({ method: 'GET', url: '/products?q=%E8%9C%82%E8%9C%9C' });
    const requestLines = lines.filter((l) => l.route !== undefined);
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({ level: INFO, method: 'GET', route: '/products', status: 200 });
    expect(typeof requestLines[0]!.ms).toBe('number');
    // Fastify's own "incoming request" / "request completed" pair is not there.
    expect(lines.map((l) => l.msg)).not.toContain('incoming request');
    expect(lines.map((l) => l.msg)).not.toContain('request completed');
  });

  it('logs the route, never the address: a receipt code or an order token stays out of the log', async () => {
    await appWithLog();
    await ctx.app.inject({ method: 'GET', url: '/receipts/ABCDEFGHJK' });
    await ctx.app.inject({ method: 'GET', url: '/orders/XY-20260101-0001?token=secret-token-value' });
    const log = lines.map((l) => JSON.stringify(l)).join('\n');
    expect(log).not.toContain('ABCDEFGHJK');
    expect(log).not.toContain('secret-token-value');
    expect(lines.filter((l) => l.route).map((l) => l.route)).toEqual(['/receipts/:code', '/orders/:number']);
  });

  it('logs a request for no route at all as unmatched', async () => {
    await appWithLog();
    await ctx.app.inject({ method: 'GET', url: '/no/such/thing/here' });
    expect(lines.find((l) => l.route !== undefined)).toMatchObject({ route: '(unmatched)', status: 404 });
  });
});
