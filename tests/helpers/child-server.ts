import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real server as its own process (`node --import tsx src/server.ts`), for tests that kill it
 * (SIGKILL: no shutdown hook runs) and start it again on the same database file. It listens on
 * 127.0.0.1 only. With `fakeStripePort`, its Stripe requests go to the test's fake Stripe
 * (tests/helpers/stripe-to-fake.ts).
 */

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ChildServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** What the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends SIGKILL and waits for the process to be gone. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful shutdown, waited for. */
  stop(): Promise<void>;
}

export interface ChildServerOptions {
  databasePath: string;
  /** Extra environment (STRIPE_*, ORDER_EXPIRY_* …). */
  env?: Record<string, string>;
  fakeStripePort?: number;
  /** Reuse a port (a restart keeps its address); a free one by default. */
  port?: number;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_PATH: options.databasePath,
    // The demo catalogue without its months of history: a journey starts from a shop with no orders, quickly.
    SEED_DEMO_DATA: 'catalogue',
    LOG_LEVEL: 'warn',
    ...(options.fakeStripePort ? { XIANGYI_FAKE_STRIPE_PORT: String(options.fakeStripePort) } : {}),
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './tests/helpers/stripe-to-fake.ts', 'src/server.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the server exited during start-up (${child.exitCode ?? child.signalCode}):\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not answer /healthz within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    port,
    process: child,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
