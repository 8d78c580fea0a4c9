import type Stripe from 'stripe';
import { buildApp, type App } from '../../src/app.js';
import type { Database_ } from '../../src/db/client.js';
import { freshTestDatabase, testConfig } from './test-app.js';

export interface LiveServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  app: App;
  db: Database_;
  close(): Promise<void>;
}

export interface LiveServerOptions {
  /** Start from the seeded demo data (default) or an empty migrated database. */
  seeded?: boolean;
  env?: Record<string, string>;
  /** The Stripe client (a fake Stripe's) used when the env configures Stripe. */
  stripe?: Stripe;
  /** The app's clock (default: the real one), for tests that must not let time pass. */
  clock?: () => number;
}

/**
 * The app on a fresh database of the run's engine (SQLite, or PostgreSQL in `npm run test:pg`),
 * listening on a free port of 127.0.0.1, for a real browser or concurrent requests to visit.
 */
export async function startLiveServer(options: LiveServerOptions = {}): Promise<LiveServer> {
  const { db, path, dispose } = await freshTestDatabase(options.seeded ?? true);
  const config = testConfig(options.env, path);
  const app = await buildApp(config, { db, logger: false, stripe: options.stripe, clock: options.clock });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    await app.close();
    await dispose();
    throw error;
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the live server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    app,
    db,
    async close() {
      await app.close();
      await dispose();
    },
  };
}
