import { and, count, eq, type SQL, sql } from 'drizzle-orm';
import { products } from '../../src/catalog/schema.js';
import { producers, villages } from '../../src/villages/schema.js';
import { users } from '../../src/accounts/schema.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signIn } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, STAFF_PASSWORD } from '../helpers/staff.js';
import { rowOf, rowsOf, writeOf } from '../helpers/db-query.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Every village with products has someone who ships: when its secretary is away or has no
 * account, a coordinator in scope of the village's lines ships its parcel from the order page,
 * with the secretary's checks, audited as done on the village's behalf; and the coordinator's
 * console names the villages nobody ships for.
 */

const COORDINATOR = 'coordinator@xiangyi.test';
const SHIP = { carrier: '顺丰速运', trackingNumber: 'SF1234567890' };

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

/** The first row of an engine-neutral query (tests/helpers/db-query.ts), which the test expects to find. */
const get = async <T>(query: SQL) => (await rowOf<T>(ctx.db, query)) as T;
const all = <T>(query: SQL) => rowsOf<T>(ctx.db, query);
const village = async (slug: string) => await get<{ id: number; name: string }>(sql`SELECT id, name_zh AS name FROM villages WHERE slug = ${slug}`);
const parcel = async (orderId: number, villageId: number) =>
  await get<{ status: string; carrier: string | null; trackingNumber: string | null; shippedBy: number | null }>(
    sql`SELECT status, carrier, tracking_number AS "trackingNumber", shipped_by_user_id AS "shippedBy" FROM shipments WHERE order_id = ${orderId} AND village_id = ${villageId}`,
  );
const userId = async (email: string) => (await get<{ id: number }>(sql`SELECT id FROM users WHERE email = ${email}`)).id;
const shipAudits = async (number: string) =>
  await all<{ userId: number; summary: string }>(
    sql`SELECT user_id AS "userId", summary FROM audit_log WHERE action = 'order.ship' AND entity_id = ${number} ORDER BY id`,
  );

describe('a coordinator shipping a village’s parcel on its behalf', () => {
  it('ships 孟庄村’s tiger-head shoes from the order page, and the audit log says who did it for which village', async () => {
    const order = await placePaidOrder(ctx, [{ slug: 'tiger-head-shoes', quantity: 1 }]);
    const mengzhuang = await village('mengzhuang');
    const coordinator = await signIn(ctx.app, COORDINATOR);

    const page = await coordinator.get(`/coordinator/orders/${order.number}`);
    expect(page.body).toContain(`action="/coordinator/orders/${order.number}/ship"`);
    expect(page.body).toContain(`代${mengzhuang.name}发货`);

    const shipped = await coordinator.post(
      `/coordinator/orders/${order.number}/ship`,
      { ...SHIP, villageId: String(mengzhuang.id) },
      { csrfFrom: `/coordinator/orders/${order.number}` },
    );
    expect(shipped.statusCode).toBe(303);
    expect(shipped.headers.location).toBe(`/coordinator/orders/${order.number}`);
    expect(await parcel(order.orderId, mengzhuang.id)).toEqual({
      status: 'shipped',
      carrier: '顺丰速运',
      trackingNumber: 'SF1234567890',
      shippedBy: await userId(COORDINATOR),
    });
    expect((await get<{ status: string }>(sql`SELECT status FROM orders WHERE id = ${order.orderId}`)).status).toBe('shipped');

    const [audit] = await shipAudits(order.number);
    expect(audit?.userId).toBe(await userId(COORDINATOR));
    expect(JSON.parse(audit!.summary).after).toEqual({
      villageId: mengzhuang.id,
      carrier: '顺丰速运',
      trackingNumber: 'SF1234567890',
      onBehalfOf: mengzhuang.name,
    });

    const after = await coordinator.get(`/coordinator/orders/${order.number}`);
    expect(after.body).toContain(`已代${mengzhuang.name}登记发货。`);
    expect(after.body).toContain(`${mengzhuang.name}：已发货 · 顺丰速运 SF1234567890`);
    expect(after.body).not.toContain(`action="/coordinator/orders/${order.number}/ship"`);
  });

  it('refuses a missing carrier or a malformed tracking number with field messages, changing nothing', async () => {
    const order = await placePaidOrder(ctx, [{ slug: 'tiger-head-shoes', quantity: 1 }]);
    const mengzhuang = await village('mengzhuang');
    const coordinator = await signIn(ctx.app, COORDINATOR);

    const refused = await coordinator.post(`/coordinator/orders/${order.number}/ship`, {
      carrier: '',
      trackingNumber: 'no!',
      villageId: String(mengzhuang.id),
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toMatch(/aria-invalid="true"/);
    expect(refused.body).toContain('value="no!"');
    expect((await parcel(order.orderId, mengzhuang.id)).status).toBe('pending');
    expect(await shipAudits(order.number)).toEqual([]);
  });

  it('refuses to ship a parcel twice, and an unknown village of the order is not found', async () => {
    const order = await placePaidOrder(ctx, [{ slug: 'tiger-head-shoes', quantity: 1 }]);
    const mengzhuang = await village('mengzhuang');
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.post(`/coordinator/orders/${order.number}/ship`, { ...SHIP, villageId: String(mengzhuang.id) })).statusCode).toBe(303);

    const again = await coordinator.post(`/coordinator/orders/${order.number}/ship`, {
      carrier: '中国邮政',
      trackingNumber: 'EMS1234567',
      villageId: String(mengzhuang.id),
    });
    expect(again.statusCode).toBe(409);
    expect((await parcel(order.orderId, mengzhuang.id)).carrier).toBe('顺丰速运');

    const elsewhere = await coordinator.post(`/coordinator/orders/${order.number}/ship`, { ...SHIP, villageId: String((await village('gulou')).id) });
    expect(elsewhere.statusCode).toBe(404);
    expect(await shipAudits(order.number)).toHaveLength(1);
  });

  it('lets a coordinator scoped to some projects ship only the parcels of villages whose lines are in them', async () => {
    // Tiger-head shoes (巧手绣娘, 孟庄村) and shiitake (深贺协作, 古楼村) in one order.
    const order = await placePaidOrder(ctx, [
      { slug: 'tiger-head-shoes', quantity: 1 },
      { slug: 'gulou-shiitake', quantity: 1 },
    ]);
    const [mengzhuang, gulou] = [await village('mengzhuang'), await village('gulou')];
    await createScopedCoordinator(ctx.db, 'shenhe.coordinator@xiangyi.test', ['shen-he-xiezuo']);
    const scoped = await signIn(ctx.app, 'shenhe.coordinator@xiangyi.test', STAFF_PASSWORD);

    const page = await scoped.get(`/coordinator/orders/${order.number}`);
    expect(page.body).toContain(`代${gulou.name}发货`);
    expect(page.body).not.toContain(`代${mengzhuang.name}发货`);

    const foreign = await scoped.post(`/coordinator/orders/${order.number}/ship`, { ...SHIP, villageId: String(mengzhuang.id) });
    expect(foreign.statusCode).toBe(404);
    expect((await parcel(order.orderId, mengzhuang.id)).status).toBe('pending');

    const own = await scoped.post(`/coordinator/orders/${order.number}/ship`, { ...SHIP, villageId: String(gulou.id) });
    expect(own.statusCode).toBe(303);
    expect((await parcel(order.orderId, gulou.id)).status).toBe('shipped');
    expect((await get<{ status: string }>(sql`SELECT status FROM orders WHERE id = ${order.orderId}`)).status).toBe('paid');
  });

  it('refuses the order of another project as not found, and a post without the CSRF token', async () => {
    const order = await placePaidOrder(ctx, [{ slug: 'tiger-head-shoes', quantity: 1 }]);
    const mengzhuang = await village('mengzhuang');
    await createScopedCoordinator(ctx.db, 'shenhe.coordinator@xiangyi.test', ['shen-he-xiezuo']);
    const scoped = await signIn(ctx.app, 'shenhe.coordinator@xiangyi.test', STAFF_PASSWORD);
    expect((await scoped.post(`/coordinator/orders/${order.number}/ship`, { ...SHIP, villageId: String(mengzhuang.id) })).statusCode).toBe(404);

    const coordinator = await signIn(ctx.app, COORDINATOR);
    const forged = await coordinator.post(`/coordinator/orders/${order.number}/ship`, { ...SHIP, villageId: String(mengzhuang.id) }, { withoutCsrf: true });
    expect(forged.statusCode).toBe(403);

    const secretary = await signIn(ctx.app, 'secretary.mengzhuang@xiangyi.test');
    expect((await secretary.post(`/coordinator/orders/${order.number}/ship`, { ...SHIP, villageId: String(mengzhuang.id) })).statusCode).toBe(403);
    expect((await parcel(order.orderId, mengzhuang.id)).status).toBe('pending');
  });
});

describe('villages nobody ships for', () => {
  it('are named on the coordinator’s console, with their published products, until a secretary runs them', async () => {
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.get('/coordinator')).body).not.toContain('data-unstaffed-villages');

    // 孟庄村's only secretary leaves (their account is disabled).
    await writeOf(ctx.db, (tx) => tx.update(users).set({ disabled: true }).where(eq(users.email, 'secretary.mengzhuang@xiangyi.test')));
    const published = (await rowOf(ctx.db, (tx) =>
      tx
        .select({ n: count() })
        .from(products)
        .innerJoin(producers, eq(producers.id, products.producerId))
        .innerJoin(villages, eq(villages.id, producers.villageId))
        .where(and(eq(villages.slug, 'mengzhuang'), eq(products.published, true))),
    ))!.n;
    const console_ = await coordinator.get('/coordinator');
    expect(console_.body).toContain('data-unstaffed-villages');
    expect(console_.body).toContain(`<li>孟庄村（${published} 件上架商品）</li>`);
    expect(console_.body).not.toContain('<li>古楼村');

    const order = await placePaidOrder(ctx, [{ slug: 'tiger-head-shoes', quantity: 1 }]);
    expect((await coordinator.get(`/coordinator/orders/${order.number}`)).body).toContain('孟庄村还没有驻村第一书记账号，只能由协调员代发。');
  });
});
