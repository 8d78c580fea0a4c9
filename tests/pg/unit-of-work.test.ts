import { join } from 'node:path';
import { and, count, eq, sql, sum } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/schema.js';
import { products } from '../../src/catalog/schema.js';
import { recordSold, reserveStock } from '../../src/catalog/stock.js';
import { createPgPool, pgQueryBuilder, pgUnitOfWork } from '../../src/db/pg-engine.js';
import { all, one, run, savepoint } from '../../src/db/unit-of-work.js';
import { ROOT_DIR } from '../../src/paths.js';
import { producers, regions, villages } from '../../src/villages/schema.js';
import { projects } from '../../src/projects/schema.js';
import { scratchDatabase } from './helpers.js';

/**
 * The unit of work on PostgreSQL (src/db/pg-engine.ts): units written against the SQLite tables run
 * in BEGIN … COMMIT on one pooled client, with drizzle's row mapping and SQLite's column decoders.
 */
describe('PostgreSQL unit of work', () => {
  let database: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;
  const tx = pgQueryBuilder();
  let productId: number;

  beforeAll(async () => {
    database = await scratchDatabase();
    pool = createPgPool(database.url, { max: 4 });
    await migrate(drizzle({ client: pool }), { migrationsFolder: join(ROOT_DIR, 'drizzle-pg') });
    const uow = pgUnitOfWork(pool, tx);
    productId = await uow.write(function* (t) {
      const region = yield* one(t.insert(regions).values({ province: '广西', city: '桂林', county: '恭城', township: '莲花' }).returning());
      const village = yield* one(t.insert(villages).values({ regionId: region!.id, slug: 'hongyan', nameZh: '红岩村' }).returning({ id: villages.id }));
      const producer = yield* one(t.insert(producers).values({ villageId: village!.id, kind: 'household', nameZh: '王阿姨' }).returning({ id: producers.id }));
      const project = yield* one(t.insert(projects).values({ slug: 'chicks', nameZh: '小鸡快跑' }).returning({ id: projects.id }));
      const product = yield* one(
        t
          .insert(products)
          .values({
            slug: 'eggs',
            producerId: producer!.id,
            projectId: project!.id,
            category: 'eggs-poultry',
            unit: 'dozen',
            titleZh: '土鸡蛋',
            priceFen: 3_800,
            stock: 10,
            published: true,
          })
          .returning({ id: products.id }),
      );
      return product!.id;
    });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });
  beforeEach(async () => {
    await pool.query('DELETE FROM audit_log');
  });

  it('answers rows with the schema’s types: numbers for bigint, booleans for flags, defaults filled in', async () => {
    const uow = pgUnitOfWork(pool, tx);
    const before = Date.now();
    const product = await uow.read((t) => one(t.select().from(products).where(eq(products.id, productId))));
    expect(product).toMatchObject({ id: productId, slug: 'eggs', priceFen: 3_800, stock: 10, published: true, featured: false, titleEn: null, minOrderQty: 1 });
    expect(typeof product!.createdAt).toBe('number');
    expect(product!.createdAt).toBeLessThanOrEqual(before + 1000);
    // Joined rows, aggregates (count is bigint, sum numeric on PostgreSQL) and raw `sql` all come back as numbers.
    const joined = await uow.read((t) =>
      all(
        t
          .select({ title: products.titleZh, village: villages.nameZh, published: products.published })
          .from(products)
          .innerJoin(producers, eq(producers.id, products.producerId))
          .innerJoin(villages, eq(villages.id, producers.villageId)),
      ),
    );
    expect(joined).toEqual([{ title: '土鸡蛋', village: '红岩村', published: true }]);
    const totals = await uow.read((t) => one(t.select({ n: count(), stock: sum(products.stock).mapWith(Number) }).from(products)));
    expect(totals).toEqual({ n: 1, stock: 10 });
    const raw = await uow.read(() => one(sql<{ price_fen: number }>`SELECT ${products.priceFen} AS price_fen FROM ${products}`));
    expect(raw).toEqual({ price_fen: 3_800 });
  });

  it('binds the placeholders of prepared statements', async () => {
    const uow = pgUnitOfWork(pool, tx);
    const byId = tx
      .select({ slug: products.slug })
      .from(products)
      .where(eq(products.id, sql.placeholder('id')))
      .prepare();
    expect(await uow.read(() => one(byId, { id: productId }))).toEqual({ slug: 'eggs' });
    expect(await uow.read(() => one(byId, { id: productId + 99 }))).toBeUndefined();
  });

  it('runs writes and counts the rows changed; a failing unit leaves nothing behind', async () => {
    const uow = pgUnitOfWork(pool, tx);
    const inserted = await uow.write((t) =>
      run(
        t.insert(auditLog).values([
          { action: 'a', entityType: 'x', entityId: '1' },
          { action: 'b', entityType: 'x', entityId: '2' },
        ]),
      ),
    );
    expect(inserted).toBe(2);
    await expect(
      uow.write(function* (t) {
        yield* run(t.insert(auditLog).values({ action: 'c', entityType: 'x', entityId: '3' }));
        yield* run(t.update(auditLog).set({ summary: 'changed' }));
        throw new Error('the unit changed its mind');
      }),
    ).rejects.toThrow('the unit changed its mind');
    const rows = await uow.read((t) => all(t.select({ action: auditLog.action, summary: auditLog.summary }).from(auditLog).orderBy(auditLog.action)));
    expect(rows).toEqual([
      { action: 'a', summary: '{}' },
      { action: 'b', summary: '{}' },
    ]);
    // A statement the server refuses fails the unit with the server's error, and rolls it back too.
    await expect(
      uow.write(function* (t) {
        yield* run(t.insert(auditLog).values({ action: 'd', entityType: 'x', entityId: '4' }));
        yield* run(t.update(products).set({ stock: -1 }).where(eq(products.id, productId)));
      }),
    ).rejects.toMatchObject({ code: '23514' });
    expect(await uow.read((t) => all(t.select().from(auditLog).where(eq(auditLog.action, 'd'))))).toEqual([]);
  });

  it('undoes only a savepoint’s own writes when it throws, and the unit carries on', async () => {
    const uow = pgUnitOfWork(pool, tx);
    const outcome = await uow.write(function* (t) {
      yield* run(t.insert(auditLog).values({ action: 'kept', entityType: 'x', entityId: '1' }));
      try {
        yield* savepoint(
          (function* () {
            yield* run(t.insert(auditLog).values({ action: 'undone', entityType: 'x', entityId: '2' }));
            // The server refuses this one: the savepoint is rolled back, the transaction goes on.
            yield* run(t.update(products).set({ stock: -1 }).where(eq(products.id, productId)));
          })(),
        );
      } catch (error) {
        yield* run(t.insert(auditLog).values({ action: 'after', entityType: 'x', entityId: (error as { code: string }).code }));
      }
      const inner = yield* savepoint(
        (function* () {
          yield* run(t.insert(auditLog).values({ action: 'nested-kept', entityType: 'x', entityId: '3' }));
          return 'done';
        })(),
      );
      return inner;
    });
    expect(outcome).toBe('done');
    const rows = await uow.read((t) => all(t.select({ action: auditLog.action, entityId: auditLog.entityId }).from(auditLog).orderBy(auditLog.id)));
    expect(rows).toEqual([
      { action: 'kept', entityId: '1' },
      { action: 'after', entityId: '23514' },
      { action: 'nested-kept', entityId: '3' },
    ]);
  });

  it('reads in a read-only transaction', async () => {
    const uow = pgUnitOfWork(pool, tx);
    await expect(uow.read((t) => run(t.insert(auditLog).values({ action: 'r', entityType: 'x', entityId: '1' })))).rejects.toMatchObject({ code: '25006' });
  });

  it('runs the whole unit again after a serialisation failure, the failed attempt rolled back', async () => {
    const retries: unknown[] = [];
    const uow = pgUnitOfWork(pool, tx, { onRetry: (_n, error) => retries.push((error as { code: string }).code) });
    let attempts = 0;
    const result = await uow.write(function* (t) {
      attempts++;
      yield* run(t.insert(auditLog).values({ action: `attempt-${attempts}`, entityType: 'x', entityId: '1' }));
      if (attempts === 1) yield* run(sql`DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$`);
      return attempts;
    });
    expect(result).toBe(2);
    expect(retries).toEqual(['40001']);
    expect(await uow.read((t) => all(t.select({ action: auditLog.action }).from(auditLog)))).toEqual([{ action: 'attempt-2' }]);
    // A unit that keeps failing gives up after a few attempts with the server's error.
    let tries = 0;
    await expect(
      pgUnitOfWork(pool, tx, { maxAttempts: 3 }).write(function* () {
        tries++;
        yield* run(sql`DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$`);
      }),
    ).rejects.toMatchObject({ code: '40001' });
    expect(tries).toBe(3);
  });

  it('recovers from a real deadlock between two units by running the loser again', async () => {
    const uow = pgUnitOfWork(pool, tx);
    const [a, b] = await uow.write(function* (t) {
      const x = yield* one(t.insert(auditLog).values({ action: 'lock-a', entityType: 'x', entityId: '0' }).returning({ id: auditLog.id }));
      const y = yield* one(t.insert(auditLog).values({ action: 'lock-b', entityType: 'x', entityId: '0' }).returning({ id: auditLog.id }));
      return [x!.id, y!.id];
    });
    const retried: string[] = [];
    const racing = pgUnitOfWork(pool, tx, { onRetry: (_n, error) => retried.push((error as { code: string }).code) });
    // Each locks one row, waits until the other holds its own, then asks for the other's: a deadlock.
    const crossing = (first: number, second: number, mark: string) =>
      racing.write(function* (t) {
        yield* run(
          t
            .update(auditLog)
            .set({ entityId: sql`${auditLog.entityId} || ${mark}` })
            .where(eq(auditLog.id, first)),
        );
        yield* run(sql`SELECT pg_sleep(0.3)`);
        yield* run(
          t
            .update(auditLog)
            .set({ entityId: sql`${auditLog.entityId} || ${mark}` })
            .where(eq(auditLog.id, second)),
        );
      });
    await Promise.all([crossing(a!, b!, 'A'), crossing(b!, a!, 'B')]);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(new Set(retried)).toEqual(new Set(['40P01']));
    const rows = await uow.read((t) => all(t.select({ entityId: auditLog.entityId }).from(auditLog).orderBy(auditLog.id)));
    // Both units committed in full, once each.
    for (const row of rows) expect(row.entityId.split('').sort().join('')).toBe('0AB');
  });

  it('lets exactly one of three concurrent reservations take the last unit', async () => {
    const uow = pgUnitOfWork(pool, tx);
    await uow.write((t) => run(t.update(products).set({ stock: 1 }).where(eq(products.id, productId))));
    const reserve = () =>
      uow.write(function* (t) {
        const ok = yield* reserveStock(t, productId, 1, Date.now());
        // Hold the row a moment so the other reservation waits on its lock rather than running after.
        yield* run(sql`SELECT pg_sleep(0.1)`);
        return ok;
      });
    const outcomes = await Promise.all([reserve(), reserve(), reserve()]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const left = await uow.read((t) =>
      one(
        t
          .select({ stock: products.stock })
          .from(products)
          .where(and(eq(products.id, productId))),
      ),
    );
    expect(left).toEqual({ stock: 0 });
  });

  it('counts units sold and taken back, never below zero, with engine-neutral SQL', async () => {
    const uow = pgUnitOfWork(pool, tx);
    const sold = () => uow.read((t) => one(t.select({ n: products.soldCount }).from(products).where(eq(products.id, productId))));
    await uow.write((t) => recordSold(t, productId, 3));
    expect(await sold()).toEqual({ n: 3 });
    await uow.write((t) => recordSold(t, productId, -5));
    expect(await sold()).toEqual({ n: 0 });
  });

  it('names an ON CONFLICT target by its bare columns, as PostgreSQL asks', async () => {
    const uow = pgUnitOfWork(pool, tx);
    const insertOnce = (slug: string) =>
      uow.write((t) =>
        one(t.insert(projects).values({ slug, nameZh: '深贺协作' }).onConflictDoNothing({ target: projects.slug }).returning({ id: projects.id })),
      );
    expect(await insertOnce('shenhe')).toMatchObject({ id: expect.any(Number) });
    expect(await insertOnce('shenhe')).toBeUndefined();
    const updated = await uow.write((t) =>
      one(
        t
          .insert(projects)
          .values({ slug: 'shenhe', nameZh: '深贺协作' })
          .onConflictDoUpdate({ target: [projects.slug], set: { nameZh: '深圳贺州协作' } })
          .returning({ nameZh: projects.nameZh }),
      ),
    );
    expect(updated).toEqual({ nameZh: '深圳贺州协作' });
  });

  it('refuses what only SQLite can do, with a message saying so', async () => {
    const uow = pgUnitOfWork(pool, tx);
    expect(() => uow.now(function* () {})).toThrow(/SQLite only/);
    expect(() => tx.select().from(products).all()).toThrow(/step of a unit of work/);
  });
});
