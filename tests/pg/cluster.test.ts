import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countHit, pruneRateLimits } from '../../src/cluster/cluster-queries.js';
import { createLeaderLease, databaseRateLimitStore } from '../../src/cluster/index.js';
import { createHash } from 'node:crypto';
import { openPgDatabase, type PgDatabase } from '../../src/db/pg-client.js';
import { insertMedia, mediaById } from '../../src/media/media-queries.js';
import { ROOT_DIR } from '../../src/paths.js';
import { scratchDatabase } from './helpers.js';

type Store = { incr(key: string, answer: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number, max: number): void };

/**
 * What app servers share through PostgreSQL alone (src/cluster/): request counts, counted atomically
 * however many servers count at once, and the lease of the periodic work. Each "server" here is its
 * own pool on the same database.
 */
describe('the cluster’s shared state on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof scratchDatabase>>;
  let servers: PgDatabase[];

  beforeAll(async () => {
    database = await scratchDatabase();
    servers = [openPgDatabase(database.url, { maxConnections: 6 }), openPgDatabase(database.url, { maxConnections: 6 })];
    await migrate(drizzle({ client: servers[0]!.pool }), { migrationsFolder: join(ROOT_DIR, 'drizzle-pg') });
  });
  afterAll(async () => {
    for (const db of servers) await db.end();
    await database.drop();
  });

  it('counts 60 requests sent at once through two servers as 1 to 60, each once', async () => {
    const now = Date.now();
    const counts = await Promise.all(
      Array.from({ length: 60 }, (_, i) => servers[i % 2]!.uow.write((tx) => countHit(tx, 'POST /login|203.0.113.10', now, 60_000))),
    );
    expect(counts.map((c) => c.hits).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(new Set(counts.map((c) => c.resetAt))).toEqual(new Set([now + 60_000]));
  });

  it('gives @fastify/rate-limit one count per route and address across two servers’ stores', async () => {
    const route = { routeInfo: { method: 'POST', url: '/orders/find' } };
    const stores = servers.map((db) => new (databaseRateLimitStore(db) as unknown as new (options: unknown) => { child(o: unknown): Store })({}).child(route));
    const incr = (store: Store, key: string) =>
      new Promise<{ current: number; ttl: number }>((resolve, reject) =>
        store.incr(key, (error, result) => (error ? reject(error) : resolve(result!)), 60_000, 10),
      );
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await incr(stores[i % 2]!, '192.0.2.9'));
    expect(answers.map((a) => a.current)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(answers.every((a) => a.ttl > 0 && a.ttl <= 60_000)).toBe(true);
    expect((await incr(stores[1]!, '192.0.2.10')).current).toBe(1);
  });

  it('starts a new window for the first request after the last ended, and forgets ended counts', async () => {
    const start = Date.now();
    await servers[0]!.uow.write((tx) => countHit(tx, 'POST /register|198.51.100.20', start, 1_000));
    await servers[1]!.uow.write((tx) => countHit(tx, 'POST /register|198.51.100.20', start + 10, 1_000));
    const after = await servers[1]!.uow.write((tx) => countHit(tx, 'POST /register|198.51.100.20', start + 1_000, 1_000));
    expect(after).toEqual({ hits: 1, resetAt: start + 2_000 });
    expect(await servers[0]!.uow.write((tx) => pruneRateLimits(tx, start + 2_000))).toBeGreaterThanOrEqual(1);
  });

  it('lets one of two servers hold the lease, and the other take it only once it has expired', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const first = createLeaderLease(servers[0]!, { clock, name: 'pg-test', ttlMs: 30_000, holder: 'server-1' });
    const second = createLeaderLease(servers[1]!, { clock, name: 'pg-test', ttlMs: 30_000, holder: 'server-2' });
    const [a, b] = await Promise.all([first.renew(), second.renew()]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const [leader, other] = a ? [first, second] : [second, first];

    now += 29_999;
    expect(await other.renew()).toBe(false);
    now += 1;
    expect(leader.holding()).toBe(false);
    expect(await other.renew()).toBe(true);
    expect(await leader.renew()).toBe(false);
    expect(await other.currentHolder()).toBe(other.holder);

    await other.release();
    expect(await leader.renew()).toBe(true);
  });

  it('serves from one server the upload stored through another, and stores the same bytes once', async () => {
    const bytes = Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 a product photo', 'latin1');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const upload = { bytes, sha256, contentType: 'image/webp' as const, width: 480, height: 360 };
    const id = await servers[0]!.uow.write((tx) => insertMedia(tx, upload));
    const served = await servers[1]!.uow.read((tx) => mediaById(tx, id));
    expect(served).toMatchObject({ id, sha256, contentType: 'image/webp', width: 480, height: 360 });
    expect(Buffer.isBuffer(served!.bytes) && served!.bytes.equals(bytes)).toBe(true);
    expect(await servers[1]!.uow.write((tx) => insertMedia(tx, upload))).toBe(id);
  });
});
