import { buildApp, type App, type AppDeps } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { openDatabase, type Database_ } from '../../src/db/client.js';
import { freshDatabase, memoryAccountMail, testConfig } from './test-app.js';

/** One app server of a test cluster: its own process state and its own connection to the shared database. */
export interface TestServer {
  app: App;
  db: Database_;
}

export interface TestCluster {
  servers: TestServer[];
  config: Config;
  dbPath: string;
  /** The clock every server reads (ms); moved by the test. */
  clock: { now: number; advance(ms: number): void };
  close(): Promise<void>;
}

/**
 * Several app servers, as separate instances over one database file (seeded): each has its own
 * connection, caches, rate-limit memory and timers, and shares with the others only what the
 * database holds, as servers on different machines share a PostgreSQL server.
 */
export async function createTestCluster(
  count: number,
  options: { env?: Record<string, string>; deps?: (index: number) => Partial<AppDeps> } = {},
): Promise<TestCluster> {
  const shared = freshDatabase(true);
  const config = testConfig(options.env, shared.path);
  const clock = {
    now: Date.now(),
    advance(ms: number) {
      this.now += ms;
    },
  };
  const servers: TestServer[] = [];
  const extraHandles: Database_[] = [];
  for (let i = 0; i < count; i++) {
    const db = i === 0 ? shared.db : openDatabase(shared.path);
    if (i > 0) extraHandles.push(db);
    const app = await buildApp(config, { db, clock: () => clock.now, logger: false, accountMail: memoryAccountMail(), ...options.deps?.(i) });
    servers.push({ app, db });
  }
  return {
    servers,
    config,
    dbPath: shared.path,
    clock,
    async close() {
      for (const server of servers) await server.app.close();
      for (const db of extraHandles) db.close();
      shared.dispose();
    },
  };
}
