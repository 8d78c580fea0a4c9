import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The real process, as `npm start` runs it: config from the environment, migrations, demo data,
 * listening on a port, and a graceful exit on SIGTERM.
 */

const ROOT = resolve(import.meta.dirname, '..');

interface ServerProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A port nothing listens on right now: the OS picks one, and we let it go again. */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port'));
      probe.close(() => resolvePort(address.port));
    });
  });
}

/** Starts `node --import tsx src/server.ts` with only the environment a deployment would set. */
function startServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.on('exit', (code, signal) => resolveExit({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with the exit, or with null if the process is still running after `ms`. */
async function exitWithin(server: ServerProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolveTimeout) => (timer = setTimeout(() => resolveTimeout(null), ms)));
  const result = await Promise.race([server.exited, timeout]);
  clearTimeout(timer);
  return result;
}

// Start-up compiles the sources through tsx and seeds the demo data: seconds on a quiet machine, but
// far longer on one shared with other work. This waits for readiness; it asserts no speed (the
// bench measures start-up).
async function waitUntilHealthy(base: string, server: ServerProcess, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (server.child.exitCode !== null) {
      throw new Error(`server exited with ${server.child.exitCode} before it was healthy:\n${server.stderr()}\n${server.stdout()}`);
    }
    try {
      const res = await request(`${base}/healthz`, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.text();
      if (res.statusCode === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`server not healthy after ${ms} ms:\n${server.stderr()}\n${server.stdout()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function fetchText(url: string) {
  const res = await request(url);
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

const header = (headers: Record<string, string | string[] | undefined>, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
};

describe('the server process', () => {
  let dir: string;
  let base: string;
  let server: ServerProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xiangyi-server-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = startServer({
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: join(dir, 'xiangyi.db'),
      LOG_LEVEL: 'info',
    });
    await waitUntilHealthy(base, server);
  }, 100_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports itself healthy with its database', async () => {
    const res = await fetchText(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', database: 'ok' });
  });

  it('serves the home page as HTML with the shop name', async () => {
    const res = await fetchText(`${base}/`);
    expect(res.status).toBe(200);
    expect(header(res.headers, 'content-type')).toMatch(/^text\/html/);
    expect(res.body).toContain('乡益');
  });

  it('has loaded the demo catalogue into the new database: 土瑶茶 has its page', async () => {
    const res = await fetchText(`${base}/products/tuyao-tea`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('土瑶茶');
    expect(res.body).toContain('¥560.00');
  });

  it('answers an unknown page with the 404 page', async () => {
    const res = await fetchText(`${base}/products/no-such-product`);
    expect(res.status).toBe(404);
    expect(header(res.headers, 'content-type')).toMatch(/^text\/html/);
    expect(res.body).toContain('没有找到这个页面');
  });

  it('serves the product API as JSON', async () => {
    const res = await fetchText(`${base}/api/v1/products?q=${encodeURIComponent('蜂蜜')}`);
    expect(res.status).toBe(200);
    expect(header(res.headers, 'content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(res.body) as { total: number; items: { category: string }[] };
    expect(body.total).toBeGreaterThan(0);
    expect(body.items.map((i) => i.category)).toContain('honey');
  });

  it('sends security headers: a CSP without inline scripts, nosniff, no framing', async () => {
    const res = await fetchText(`${base}/`);
    const csp = header(res.headers, 'content-security-policy');
    const scriptSrc = csp
      .split(';')
      .map((d) => d.trim())
      .find((d) => d.startsWith('script-src'));
    expect(scriptSrc).toBeDefined();
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(header(res.headers, 'x-content-type-options')).toBe('nosniff');
    expect(header(res.headers, 'x-powered-by')).toBe('');
  });

  it('serves its stylesheet', async () => {
    const res = await fetchText(`${base}/static/css/site.css`);
    expect(res.status).toBe(200);
    expect(header(res.headers, 'content-type')).toMatch(/^text\/css/);
  });

  it('exits with code 0 within 10 s of SIGTERM (graceful shutdown)', async () => {
    server.child.kill('SIGTERM');
    const exit = await exitWithin(server, 10_000);
    expect(exit, `still running 10 s after SIGTERM:\n${server.stdout()}`).not.toBeNull();
    expect(exit!.code).toBe(0);
    expect(server.stdout()).toContain('shutting down');
  }, 15_000);
});

describe('starting with a bad configuration', () => {
  it('exits non-zero at once and says PORT is wrong when PORT=abc', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiangyi-badconf-'));
    try {
      const server = startServer({ NODE_ENV: 'test', PORT: 'abc', DATABASE_PATH: join(dir, 'x.db'), LOG_LEVEL: 'info' });
      const exit = await exitWithin(server, 15_000);
      if (exit === null) server.child.kill('SIGKILL');
      expect(exit).not.toBeNull();
      expect(exit!.code).not.toBe(0);
      expect(exit!.code).not.toBeNull();
      expect(server.stderr()).toContain('PORT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
