import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, householdIdOf, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

const ADMIN = 'admin@xiangyi.test';
const COORDINATOR = 'coordinator@xiangyi.test';
const SECRETARY = 'secretary.gulou@xiangyi.test';
const BUYER = 'buyer@xiangyi.test';

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const villageId = (slug: string) => (ctx.db.sqlite.prepare(`SELECT id FROM villages WHERE slug = ?`).get(slug) as { id: number }).id;
const projectId = (slug: string) => (ctx.db.sqlite.prepare(`SELECT id FROM projects WHERE slug = ?`).get(slug) as { id: number }).id;
const userByEmail = (email: string) =>
  ctx.db.sqlite.prepare(`SELECT id, role, display_name AS displayName, disabled FROM users WHERE email = ?`).get(email) as
    | { id: number; role: string; displayName: string; disabled: number }
    | undefined;
const userCount = () => (ctx.db.sqlite.prepare(`SELECT count(*) AS n FROM users`).get() as { n: number }).n;
/** The <tr> of one account in the accounts table ('' when it is not listed). */
function rowOf(html: string, email: string): string {
  const rows = html.match(/<tr data-user-id="\d+">[\s\S]*?<\/tr>/g) ?? [];
  return rows.find((row) => row.includes(`<th scope="row">${email}</th>`)) ?? '';
}

const newSecretary = (overrides: Record<string, string | string[]> = {}) => ({
  email: 'secretary.huang@xiangyi.test',
  displayName: '黄书记',
  password: 'a-long-initial-password',
  role: 'first_secretary',
  villageIds: [String(villageId('chashan'))],
  ...overrides,
});

describe('staff accounts', () => {
  it('lets the admin create a first secretary for a village, who can then sign in and is listed with that village', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const created = await admin.post('/admin/users', newSecretary(), { csrfFrom: '/admin/users' });
    expect(created.statusCode).toBe(303);
    expect(created.headers.location).toBe('/admin/users');

    const list = await admin.get('/admin/users');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('已创建账号 secretary.huang@xiangyi.test。');
    const row = rowOf(list.body, 'secretary.huang@xiangyi.test');
    expect(row).toContain('黄书记');
    expect(row).toContain('驻村第一书记');
    const chashan = ctx.db.sqlite.prepare(`SELECT name_zh AS name FROM villages WHERE slug = 'chashan'`).get() as { name: string };
    expect(row).toContain(`<li>${chashan.name}</li>`);

    const secretary = await signIn(ctx.app, 'secretary.huang@xiangyi.test', 'a-long-initial-password');
    expect(secretary.cookies.sid).toBeTruthy();
    const audit = ctx.db.sqlite.prepare(`SELECT user_id AS userId, entity_id AS entityId FROM audit_log WHERE action = 'user.create'`).all();
    expect(audit).toEqual([{ userId: userByEmail(ADMIN)!.id, entityId: String(userByEmail('secretary.huang@xiangyi.test')!.id) }]);
  });

  it('shows the village and project names of the seeded staff', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const list = await admin.get('/admin/users');
    expect(rowOf(list.body, SECRETARY)).toContain('<li>古楼村</li>');
    expect(rowOf(list.body, SECRETARY)).toContain('<li>明梅村</li>');
    expect(rowOf(list.body, COORDINATOR)).toContain('<li>全部帮扶项目</li>');
    expect(rowOf(list.body, BUYER)).toContain('无');
  });

  it('speaks English when asked, role names included', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const list = await admin.get('/admin/users?lang=en');
    expect(list.body).toContain('Create a staff account');
    expect(rowOf(list.body, SECRETARY)).toContain('First secretary');
    expect(rowOf(list.body, SECRETARY)).toContain('<li>Gulou Village</li>');
  });

  it('re-renders the form with the message and the typed email when the email is taken, and never echoes the password', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const before = userCount();
    const response = await admin.post('/admin/users', newSecretary({ email: 'Buyer@Xiangyi.test ' }));
    expect(response.statusCode).toBe(409);
    expect(response.body).toContain('这个邮箱已经注册过了。');
    expect(response.body).toMatch(/<input id="f-email" name="email" type="email" value="Buyer@Xiangyi.test "/);
    expect(response.body).toContain('aria-errormessage="e-email"');
    expect(response.body).toContain('value="黄书记"');
    expect(response.body).not.toContain('a-long-initial-password');
    // The ticked village stays ticked.
    expect(response.body).toMatch(new RegExp(`value="${villageId('chashan')}" checked`));
    expect(userCount()).toBe(before);
  });

  it('reports each invalid field with status 422 and keeps what was typed', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const response = await admin.post('/admin/users', newSecretary({ email: 'not-an-email', password: 'short', villageIds: ['abc'] }));
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('<p class="field-error" id="e-email">请输入有效的电子邮箱地址。</p>');
    expect(response.body).toContain('<p class="field-error" id="e-password">密码至少需要 10 个字符。</p>');
    expect(response.body).toContain('<p class="field-error" id="e-villageIds">这一项的格式不对。</p>');
    expect(response.body).toContain('value="not-an-email"');
    expect(response.body).not.toContain('value="short"');
  });

  it('refuses scopes that do not exist', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const response = await admin.post('/admin/users', newSecretary({ villageIds: ['999999'] }));
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('选择的村庄或项目不存在。');
    expect(userByEmail('secretary.huang@xiangyi.test')).toBeUndefined();
  });

  it('keeps the accounts pages to admins: 403 for a buyer and a secretary, sign-in for a visitor', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const secretary = await signIn(ctx.app, SECRETARY);
    const visitor = anonymous(ctx.app);

    expect((await buyer.get('/admin/users')).statusCode).toBe(403);
    expect((await secretary.get('/admin/users')).statusCode).toBe(403);
    const redirected = await visitor.get('/admin/users');
    expect(redirected.statusCode).toBe(303);
    expect(redirected.headers.location).toBe('/login?next=%2Fadmin%2Fusers');

    const before = userCount();
    expect((await buyer.post('/admin/users', newSecretary())).statusCode).toBe(403);
    expect((await secretary.post('/admin/users', newSecretary())).statusCode).toBe(403);
    expect((await visitor.post('/admin/users', newSecretary())).statusCode).toBe(401);
    const id = String(userByEmail(BUYER)!.id);
    expect((await secretary.get(`/admin/users/${id}`)).statusCode).toBe(403);
    expect((await secretary.post(`/admin/users/${id}`, { displayName: 'x', role: 'admin' })).statusCode).toBe(403);
    expect(userByEmail(BUYER)!.role).toBe('buyer');
    expect(userCount()).toBe(before);
  });

  it('refuses a post without a CSRF token and creates nothing', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const before = userCount();
    const response = await admin.post('/admin/users', newSecretary(), { withoutCsrf: true });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('页面已过期，请刷新后重试。');
    const forged = await admin.post('/admin/users', { ...newSecretary(), _csrf: 'forged-token' });
    expect(forged.statusCode).toBe(403);
    expect(userCount()).toBe(before);
    expect(userByEmail('secretary.huang@xiangyi.test')).toBeUndefined();
  });

  it('answers 404 for an unknown or malformed account id', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    expect((await admin.get('/admin/users/999999')).statusCode).toBe(404);
    expect((await admin.get('/admin/users/0')).statusCode).toBe(404);
    expect((await admin.get('/admin/users/abc')).statusCode).toBe(404);
    expect((await admin.post('/admin/users/999999', { displayName: 'x', role: 'buyer' })).statusCode).toBe(404);
  });

  it('does not let the admin demote or disable themselves', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const me = userByEmail(ADMIN)!;
    const demote = await admin.post(`/admin/users/${me.id}`, { displayName: '平台管理员', role: 'coordinator', allProjects: 'on' });
    expect(demote.statusCode).toBe(409);
    expect(demote.body).toContain('不能取消自己的管理员身份或停用自己。');
    const disable = await admin.post(`/admin/users/${me.id}`, { displayName: '平台管理员', role: 'admin', disabled: 'on' });
    expect(disable.statusCode).toBe(409);
    expect(userByEmail(ADMIN)).toMatchObject({ role: 'admin', disabled: 0 });
  });

  it('shows the edit page with the current role and scopes', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const page = await admin.get(`/admin/users/${userByEmail(SECRETARY)!.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<option value="first_secretary" selected>驻村第一书记</option>');
    expect(page.body).toMatch(new RegExp(`value="${villageId('gulou')}" checked`));
    expect(page.body).toMatch(new RegExp(`value="${villageId('mingmei')}" checked`));
    expect(page.body).not.toMatch(new RegExp(`value="${villageId('chashan')}" checked`));
    expect(page.body).toContain('<legend>负责的村庄</legend>');
  });

  it('records who changed a role, with the account before and after', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const secretary = userByEmail(SECRETARY)!;
    const project = String(projectId('xiaoji-kuaipao'));
    const response = await admin.post(`/admin/users/${secretary.id}`, { displayName: '覃协调', role: 'coordinator', projectIds: [project] });
    expect(response.statusCode).toBe(303);
    expect(userByEmail(SECRETARY)).toMatchObject({ role: 'coordinator', displayName: '覃协调' });

    const row = ctx.db.sqlite
      .prepare(`SELECT user_id AS userId, entity_id AS entityId, summary, address FROM audit_log WHERE action = 'user.update'`)
      .get() as { userId: number; entityId: string; summary: string; address: string };
    expect(row.userId).toBe(userByEmail(ADMIN)!.id);
    expect(row.entityId).toBe(String(secretary.id));
    expect(row.address).toBe('127.0.0.1');
    const summary = JSON.parse(row.summary) as { before: Record<string, unknown>; after: Record<string, unknown> };
    expect(summary.before).toMatchObject({ role: 'first_secretary', villageIds: [villageId('gulou'), villageId('mingmei')].sort((a, b) => a - b) });
    expect(summary.after).toMatchObject({ role: 'coordinator', villageIds: [], projectIds: [Number(project)], allProjects: false });

    const log = await admin.get('/admin/audit?what=user.update');
    expect(log.body).toContain('<td data-action="user.update">修改了账号的角色或范围 <code class="hint">user.update</code></td>');
    expect(log.body).toContain('&quot;role&quot;: &quot;first_secretary&quot;');
    expect(log.body).toContain('&quot;role&quot;: &quot;coordinator&quot;');
    expect(log.body).toContain(`账号 #${secretary.id}`);
  });
});

describe('audit log', () => {
  it('is readable by coordinators but not by secretaries, buyers or visitors', async () => {
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const page = await coordinator.get('/admin/audit');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>审计日志</h1>');
    // Coordinators get no link to the accounts page they cannot open.
    expect(page.body).not.toContain('href="/admin/users"');

    expect((await (await signIn(ctx.app, SECRETARY)).get('/admin/audit')).statusCode).toBe(403);
    expect((await (await signIn(ctx.app, BUYER)).get('/admin/audit')).statusCode).toBe(403);
    const visitor = await anonymous(ctx.app).get('/admin/audit');
    expect(visitor.statusCode).toBe(303);
    expect(visitor.headers.location).toBe('/login?next=%2Fadmin%2Faudit');
  });

  it('shows a coordinator scoped to some projects only the entries about their projects’ objects; the admin and a coordinator of all projects see them all', async () => {
    // An order and a payout of 深贺协作 (古楼村’s shiitake, 黄德明) and of 煤窑沟产业扶贫 (honey, 王秀兰).
    const own = await placePaidOrder(ctx, [{ slug: 'gulou-shiitake', quantity: 1 }]);
    const foreign = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const payoutTo = async (realName: string) => {
      const householdId = await householdIdOf(ctx.db, realName);
      expect(
        (
          await coordinator.post(
            '/coordinator/payouts',
            { householdId: String(householdId), amount: '0.50', method: 'cash', reference: '' },
            { csrfFrom: '/coordinator' },
          )
        ).statusCode,
      ).toBe(303);
      return (ctx.db.sqlite.prepare(`SELECT max(id) AS id FROM payouts WHERE household_id = ?`).get(householdId) as { id: number }).id;
    };
    const ownPayout = await payoutTo('黄德明');
    const foreignPayout = await payoutTo('王秀兰');
    await createScopedCoordinator(ctx.db, 'shenhe@xiangyi.test', ['shen-he-xiezuo']);
    const scoped = await signIn(ctx.app, 'shenhe@xiangyi.test', STAFF_PASSWORD);

    const log = await scoped.get('/admin/audit');
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain('这里只列出与您负责的项目有关的记录');
    expect(log.body).toContain(`订单 #${own.number}`);
    expect(log.body).toContain(`付款 #${ownPayout}`);
    expect(log.body).not.toContain(foreign.number);
    expect(log.body).not.toContain(`付款 #${foreignPayout}`);
    expect(log.body).not.toContain('账号 #');
    const shown = Number(/共 (\d+) 条记录/.exec(log.body)?.[1]);
    const ownEntries = ctx.db.sqlite
      .prepare(`SELECT count(*) AS n FROM audit_log WHERE (entity_type = 'order' AND entity_id = ?) OR (entity_type = 'payout' AND entity_id = ?)`)
      .get(own.number, String(ownPayout)) as { n: number };
    expect(shown).toBe(ownEntries.n);
    const payouts = await scoped.get('/admin/audit?what=payout');
    expect(payouts.body).toContain('共 1 条记录');
    expect(payouts.body).toContain(`付款 #${ownPayout}`);
    expect(payouts.body).not.toContain(`付款 #${foreignPayout}`);

    for (const reader of [coordinator, await signIn(ctx.app, ADMIN)]) {
      const all = await reader.get('/admin/audit?what=payout');
      expect(all.body).toContain('共 2 条记录');
      expect(all.body).not.toContain('data-scoped');
    }
  });

  it('narrows by who, by action prefix and by Beijing-time dates', async () => {
    // 23:30 on 1 March and 00:30 on 2 March in Beijing are both 1 March in UTC.
    ctx.clock.now = Date.parse('2024-03-01T23:30:00+08:00');
    const admin = await signIn(ctx.app, ADMIN);
    await admin.post('/admin/users', newSecretary({ email: 'late@xiangyi.test' }));
    ctx.clock.advance(3600_000);
    await admin.post('/admin/users', newSecretary({ email: 'early@xiangyi.test' }));
    const early = userByEmail('early@xiangyi.test')!;
    await admin.post(`/admin/users/${early.id}`, { displayName: '早书记', role: 'first_secretary', villageIds: [String(villageId('gulou'))] });

    const all = await admin.get('/admin/audit');
    expect(all.body).toContain('2024-03-02 00:30:00');
    expect(all.body).toContain('2024-03-01 23:30:00');

    const march2 = await admin.get('/admin/audit?from=2024-03-02&to=2024-03-02');
    expect(march2.statusCode).toBe(200);
    expect(march2.body).toContain('共 2 条记录');
    expect(march2.body).toContain(`账号 #${early.id}`);
    expect(march2.body).not.toContain('late@xiangyi.test');

    const creations = await admin.get('/admin/audit?what=user.create&from=2024-03-01');
    expect(creations.body).toContain('共 2 条记录');
    expect(creations.body).not.toContain('<code>user.update</code>');

    const byAdmin = await admin.get(`/admin/audit?who=${encodeURIComponent(ADMIN)}&what=user.`);
    expect(byAdmin.body).toContain('共 3 条记录');
    const byBuyer = await admin.get(`/admin/audit?who=${encodeURIComponent(BUYER)}`);
    expect(byBuyer.body).toContain('没有符合条件的记录。');
    const byNobody = await admin.get('/admin/audit?who=nobody%40xiangyi.test');
    expect(byNobody.statusCode).toBe(200);
    expect(byNobody.body).toContain('共 0 条记录');
    // The filters stay in the form.
    expect(march2.body).toContain('name="from" type="date" value="2024-03-02"');
  });

  it('pages 50 at a time, newest first, and the page links keep the filters', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    const adminId = userByEmail(ADMIN)!.id;
    const insert = ctx.db.sqlite.prepare(
      `INSERT INTO audit_log (user_id, action, entity_type, entity_id, summary, address, created_at) VALUES (?, 'stock.adjust', 'product', ?, '{"before":null,"after":null}', '10.0.0.1', ?)`,
    );
    for (let i = 1; i <= 120; i++) insert.run(adminId, String(i), ctx.clock.now + i);

    const first = await admin.get('/admin/audit?what=stock.');
    expect(first.body).toContain('共 120 条记录');
    expect(first.body.match(/<time /g)).toHaveLength(50);
    expect(first.body.indexOf('商品 #120')).toBeGreaterThan(-1);
    expect(first.body.indexOf('商品 #120')).toBeLessThan(first.body.indexOf('商品 #119'));
    expect(first.body).toContain('第 1 页，共 3 页');
    expect(first.body).toContain('href="/admin/audit?what&#x3D;stock.&amp;page&#x3D;2"');

    const last = await admin.get('/admin/audit?what=stock.&page=3');
    expect(last.body.match(/<time /g)).toHaveLength(20);
    expect(last.body).toContain('商品 #1<');
    expect(last.body).toContain('href="/admin/audit?what&#x3D;stock.&amp;page&#x3D;2"');
  });

  it('escapes what it shows from the summary', async () => {
    const admin = await signIn(ctx.app, ADMIN);
    ctx.db.sqlite
      .prepare(`INSERT INTO audit_log (user_id, action, entity_type, entity_id, summary, created_at) VALUES (NULL, 'household.update', 'household', '7', ?, ?)`)
      .run(JSON.stringify({ before: { name: '<script>alert(1)</script>' }, after: null }), ctx.clock.now);
    const page = await admin.get('/admin/audit?what=household.');
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('系统');
  });

  it.each([['from=2024-13-01'], ['to=2024-02-30'], ['from=yesterday'], ['from=2024-03-02&to=2024-03-01'], ['who=not-an-email'], ['what=%25'], ['page=0']])(
    'answers 400 to a bad filter (%s)',
    async (query) => {
      const admin = await signIn(ctx.app, ADMIN);
      const response = await admin.get(`/admin/audit?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('查询参数有误');
    },
  );
});
