import { and, asc, desc, eq, isNotNull } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/schema.js';
import { ledgerAccounts, ledgerEntries, ledgerTransactions, payouts } from '../../src/ledger/schema.js';
import { checkLedger } from '../../src/ledger/ledger-service.js';
import { projectHouseholds, projects, projectSplitRules } from '../../src/projects/schema.js';
import { households, villages } from '../../src/villages/schema.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { countOf, rowOf, rowsOf, writeOf } from '../helpers/db-query.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, householdIdOf, projectIdOf, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The coordinator's projects: creating and editing them, changing the split rule (a new row from
 * now on; history kept; earlier payments untouched), enrolling households, and project scope.
 */

let ctx: TestContext;
let coordinator: TestBrowser;

beforeEach(async () => {
  ctx = await createTestApp();
  coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
});

afterEach(async () => {
  expect((await checkLedger(ctx.db)).problems).toEqual([]);
  await ctx.close();
});

const count = (table: Parameters<typeof countOf>[1]) => countOf(ctx.db, table);
const flashIn = (html: string) => /<div class="wrap flash flash-(success|error)" role="status">([^<]*)<\/div>/.exec(html)?.slice(1, 3) ?? null;
const fieldError = (html: string, field: string) => new RegExp(`<p class="field-error" id="e-${field}"[^>]*>([^<]*)</p>`).exec(html)?.[1] ?? null;

const chicksRun = {
  nameZh: '小鸡快跑二期',
  nameEn: 'Chicks Run, phase two',
  slug: 'xiaoji-kuaipao-2',
  fundingSource: '福彩公益金',
  startsOn: '2026-03-01',
  endsOn: '2027-02-28',
  target: '130000',
  storyZh: '第二期为二十户农户提供鸡苗、疫苗和技术员上门指导。',
  storyEn: 'The second phase gives twenty households chicks, vaccines and a visiting technician.',
  householdBp: '9000',
  projectFundBp: '800',
  operationsBp: '200',
};

/** The ledger entries of an order's payment, by account code. */
function paymentEntries(orderId: number) {
  return rowsOf(ctx.db, (tx) =>
    tx
      .select({ code: ledgerAccounts.code, amountFen: ledgerEntries.amountFen, ruleId: ledgerTransactions.splitRuleId })
      .from(ledgerEntries)
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
      .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
      .where(and(eq(ledgerTransactions.orderId, orderId), eq(ledgerTransactions.kind, 'order_payment'), isNotNull(ledgerEntries.orderLineId)))
      .orderBy(asc(ledgerEntries.id)),
  );
}

/** The newest audit entry's action and entity. */
const lastAudit = () =>
  rowOf(ctx.db, (tx) => tx.select({ action: auditLog.action, entityId: auditLog.entityId }).from(auditLog).orderBy(desc(auditLog.id)).limit(1));

/** The households enrolled in a project, by id. */
const enrolledIn = async (project: number) =>
  (
    await rowsOf(ctx.db, (tx) =>
      tx
        .select({ id: projectHouseholds.householdId })
        .from(projectHouseholds)
        .where(eq(projectHouseholds.projectId, project))
        .orderBy(asc(projectHouseholds.householdId)),
    )
  ).map((r) => r.id);

const projectBySlug = (slug: string) => rowOf(ctx.db, (tx) => tx.select().from(projects).where(eq(projects.slug, slug)));

describe('creating and editing projects', () => {
  it('creates a project with its funding source, period, target, story and first split rule, and audits it', async () => {
    const before = await count(auditLog);
    const response = await coordinator.post('/coordinator/projects', chicksRun, { csrfFrom: '/coordinator/projects/new' });
    expect(response.statusCode).toBe(303);
    const project = (await projectBySlug('xiaoji-kuaipao-2'))!;
    expect(response.headers.location).toBe(`/coordinator/projects/${project.id}`);
    expect(project).toMatchObject({
      nameZh: '小鸡快跑二期',
      fundingSource: '福彩公益金',
      startsOn: '2026-03-01',
      endsOn: '2027-02-28',
      targetFen: 13_000_000,
    });
    const rules = await rowsOf(ctx.db, (tx) =>
      tx
        .select({ h: projectSplitRules.householdBp, f: projectSplitRules.projectFundBp, o: projectSplitRules.operationsBp })
        .from(projectSplitRules)
        .where(eq(projectSplitRules.projectId, project.id)),
    );
    expect(rules).toEqual([{ h: 9000, f: 800, o: 200 }]);
    expect(await count(auditLog)).toBe(before + 1);
    expect(await lastAudit()).toEqual({
      action: 'project.create',
      entityId: String(project.id),
    });

    const page = await coordinator.get(`/coordinator/projects/${project.id}`);
    expect(flashIn(page.body)).toEqual(['success', '已创建项目“小鸡快跑二期”。']);
    const list = await coordinator.get('/coordinator/projects');
    expect(list.body).toMatch(
      /<tr data-project-id="\d+">\s*<th scope="row"><a href="\/projects\/xiaoji-kuaipao-2">小鸡快跑二期<\/a><\/th>\s*<td>福彩公益金<\/td>\s*<td>2026-03-01 至 2027-02-28<\/td>\s*<td>¥130,000.00<\/td>\s*<td>90% \/ 8% \/ 2%<\/td>/,
    );
    expect((await coordinator.get('/projects/xiaoji-kuaipao-2')).statusCode).toBe(200);
  });

  it('re-renders the form with a message by each wrong field, keeps what was typed and creates nothing', async () => {
    const before = { projects: await count(projects), rules: await count(projectSplitRules) };
    const response = await coordinator.post(
      '/coordinator/projects',
      { ...chicksRun, nameZh: '', slug: 'Chicks Run!', endsOn: '2026-02-01', target: '12.345' },
      { csrfFrom: '/coordinator/projects/new' },
    );
    expect(response.statusCode).toBe(422);
    expect(fieldError(response.body, 'nameZh')).toBe('这一项必须填写。');
    expect(fieldError(response.body, 'slug')).toBe('网址名只能用小写字母、数字和连字符，并以字母或数字开头。');
    expect(fieldError(response.body, 'target')).toBe('请填写金额（元），最多两位小数，例如 130000 或 99.50。');
    expect(response.body).toContain('value="Chicks Run!"');
    expect(response.body).toContain('value="12.345"');

    const period = await coordinator.post('/coordinator/projects', { ...chicksRun, endsOn: '2026-02-01' }, { csrfFrom: '/coordinator/projects/new' });
    expect(period.statusCode).toBe(422);
    expect(fieldError(period.body, 'endsOn')).toBe('结束日期不能早于开始日期。');

    const taken = await coordinator.post('/coordinator/projects', { ...chicksRun, slug: 'xiaoji-kuaipao' }, { csrfFrom: '/coordinator/projects/new' });
    expect(taken.statusCode).toBe(422);
    expect(fieldError(taken.body, 'slug')).toBe('这个网址名已经被其他项目使用了。');

    const split = await coordinator.post('/coordinator/projects', { ...chicksRun, operationsBp: '300' }, { csrfFrom: '/coordinator/projects/new' });
    expect(split.statusCode).toBe(422);
    expect(fieldError(split.body, 'split')).toBe('三项加起来必须正好是 10000 基点（100%）。');
    expect(split.body).toContain('id="f-operationsBp" name="operationsBp" type="text" value="300"');
    expect({ projects: await count(projects), rules: await count(projectSplitRules) }).toEqual(before);
  });

  it('edits a project’s details and audits before and after', async () => {
    const id = await projectIdOf(ctx.db, 'xiaoji-kuaipao');
    const page = await coordinator.get(`/coordinator/projects/${id}`);
    expect(page.statusCode).toBe(200);
    const response = await coordinator.post(
      `/coordinator/projects/${id}`,
      { ...chicksRun, slug: 'xiaoji-kuaipao', nameZh: '小鸡快跑', fundingSource: '福彩公益金（2026 年度）', target: '150000.50' },
      { csrfFrom: `/coordinator/projects/${id}` },
    );
    expect(response.statusCode).toBe(303);
    expect(await rowOf(ctx.db, (tx) => tx.select({ f: projects.fundingSource, t: projects.targetFen }).from(projects).where(eq(projects.id, id)))).toEqual({
      f: '福彩公益金（2026 年度）',
      t: 15_000_050,
    });
    const audit = (await rowOf(ctx.db, (tx) =>
      tx
        .select({ summary: auditLog.summary })
        .from(auditLog)
        .where(and(eq(auditLog.action, 'project.update'), eq(auditLog.entityId, String(id)))),
    ))!;
    const summary = JSON.parse(audit.summary) as { before: { targetFen: number }; after: { targetFen: number } };
    expect(summary.after.targetFen).toBe(15_000_050);
    expect(summary.before.targetFen).not.toBe(15_000_050);
    expect(flashIn((await coordinator.get(`/coordinator/projects/${id}`)).body)).toEqual(['success', '项目信息已保存。']);
  });
});

describe('split rules', () => {
  it('inserts a new rule on a change, keeps the history on the page, and applies it only to payments after the change', async () => {
    const project = await projectIdOf(ctx.db, 'meiyaogou-chanye');
    const wang = await householdIdOf(ctx.db, '王秀兰');
    const earlier = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const earlierEntries = await paymentEntries(earlier.orderId);
    expect(earlierEntries.map(({ code, amountFen }) => ({ code, amountFen }))).toEqual([
      { code: `household:${wang}`, amountFen: -6460 },
      { code: `project:${project}`, amountFen: -340 },
    ]);

    ctx.clock.advance(60_000);
    const changed = await coordinator.post(
      `/coordinator/projects/${project}/split`,
      { householdBp: '8000', projectFundBp: '1500', operationsBp: '500' },
      { csrfFrom: `/coordinator/projects/${project}` },
    );
    expect(changed.statusCode).toBe(303);
    const rules = await rowsOf(ctx.db, (tx) =>
      tx
        .select({ id: projectSplitRules.id, h: projectSplitRules.householdBp, since: projectSplitRules.effectiveFrom })
        .from(projectSplitRules)
        .where(eq(projectSplitRules.projectId, project))
        .orderBy(asc(projectSplitRules.id)),
    );
    expect(rules.map((r) => r.h)).toEqual([9500, 8000]);
    expect(rules[1]!.since).toBe(ctx.clock.now);
    expect((await lastAudit())?.action).toBe('project.split_rule');

    ctx.clock.advance(60_000);
    const later = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    expect(await paymentEntries(later.orderId)).toEqual([
      { code: `household:${wang}`, amountFen: -5440, ruleId: rules[1]!.id },
      { code: `project:${project}`, amountFen: -1020, ruleId: rules[1]!.id },
      { code: 'operations', amountFen: -340, ruleId: rules[1]!.id },
    ]);
    // The earlier payment is exactly as it was posted, under the old rule.
    expect(await paymentEntries(earlier.orderId)).toEqual(earlierEntries);
    expect(earlierEntries[0]!.ruleId).toBe(rules[0]!.id);

    const page = await coordinator.get(`/coordinator/projects/${project}`);
    expect(flashIn(page.body)).toEqual(['success', '新的分配规则已启用，只对今后的收款生效。']);
    const history = page.body.match(/<tr data-split-rule>[\s\S]*?<\/tr>/g) ?? [];
    expect(history).toHaveLength(2);
    expect(history[0]).toContain('现行');
    expect(history[0]).toContain('<td>8000</td><td>1500</td><td>500</td>');
    expect(history[0]).toContain('陈协调');
    expect(history[1]).toContain('<td>9500</td><td>500</td><td>0</td>');
    expect(history[1]).not.toContain('现行');
    expect((await coordinator.get('/coordinator/projects')).body).toContain('<td>80% / 15% / 5%</td>');
  });

  it('refuses a rule whose parts do not sum to 10000 with 422 and adds no rule', async () => {
    const project = await projectIdOf(ctx.db, 'meiyaogou-chanye');
    const before = await count(projectSplitRules);
    for (const parts of [
      { householdBp: '9000', projectFundBp: '500', operationsBp: '0' },
      { householdBp: '9000', projectFundBp: '1500', operationsBp: '0' },
      { householdBp: '10001', projectFundBp: '0', operationsBp: '-1' },
      { householdBp: '95%', projectFundBp: '5%', operationsBp: '0' },
    ]) {
      const response = await coordinator.post(`/coordinator/projects/${project}/split`, parts, { csrfFrom: `/coordinator/projects/${project}` });
      expect(response.statusCode).toBe(422);
      expect(response.body).toContain('class="field-error"');
      expect(response.body).toContain(`value="${parts.householdBp}"`);
    }
    const sum = await coordinator.post(
      `/coordinator/projects/${project}/split`,
      { householdBp: '9000', projectFundBp: '500', operationsBp: '0' },
      { csrfFrom: `/coordinator/projects/${project}` },
    );
    expect(fieldError(sum.body, 'split')).toBe('三项加起来必须正好是 10000 基点（100%）。');
    expect(await count(projectSplitRules)).toBe(before);
  });
});

describe('enrolling households', () => {
  it('enrols ticked households (a household may be in several projects) and removes unticked ones', async () => {
    const project = await projectIdOf(ctx.db, 'xiaoji-kuaipao');
    const wang = await householdIdOf(ctx.db, '王秀兰');
    const zhou = await householdIdOf(ctx.db, '周建华');
    const enrolled = () => enrolledIn(project);
    const projectsOfWang = () => countOf(ctx.db, projectHouseholds, eq(projectHouseholds.householdId, wang));
    const wangBefore = await projectsOfWang();
    const others = (await enrolled()).filter((id) => id !== zhou);

    const page = await coordinator.get(`/coordinator/projects/${project}`);
    expect(page.body).toContain(`<input type="checkbox" id="h-${zhou}" name="householdIds" value="${zhou}" checked>`);
    expect(page.body).toContain(`<input type="checkbox" id="h-${wang}" name="householdIds" value="${wang}">`);

    const response = await coordinator.post(
      `/coordinator/projects/${project}/households`,
      { householdIds: [...others, wang].map(String) },
      { csrfFrom: `/coordinator/projects/${project}` },
    );
    expect(response.statusCode).toBe(303);
    expect(await enrolled()).toEqual([...others, wang].sort((a, b) => a - b));
    expect(await projectsOfWang()).toBe(wangBefore + 1);
    const audit = JSON.parse(
      (await rowOf(ctx.db, (tx) => tx.select({ summary: auditLog.summary }).from(auditLog).where(eq(auditLog.action, 'project.enrolment'))))!.summary,
    ) as { after: unknown };
    expect(audit.after).toEqual({ added: [wang], removed: [zhou] });
    expect(flashIn((await coordinator.get(`/coordinator/projects/${project}`)).body)).toEqual(['success', '入组名单已保存：新增 1 户，移出 1 户。']);

    const unknown = await coordinator.post(
      `/coordinator/projects/${project}/households`,
      { householdIds: [String(wang), '999999'] },
      { csrfFrom: `/coordinator/projects/${project}` },
    );
    expect(unknown.statusCode).toBe(422);
    expect(fieldError(unknown.body, 'householdIds')).toBe('没有找到这户农户。');
    expect(await enrolled()).toContain(wang);
  });
});

describe('enrolment by a coordinator scoped to some projects', () => {
  it('refuses a household they may not see like one that does not exist, enrols nothing, and lists no other village’s real names', async () => {
    await createScopedCoordinator(ctx.db, 'chicks@xiangyi.test', ['xiaoji-kuaipao']);
    const chicks = await signIn(ctx.app, 'chicks@xiangyi.test', STAFF_PASSWORD);
    const project = await projectIdOf(ctx.db, 'xiaoji-kuaipao');
    const wang = await householdIdOf(ctx.db, '王秀兰');
    const before = await enrolledIn(await projectIdOf(ctx.db, 'xiaoji-kuaipao'));
    const audits = await count(auditLog);

    const refused = await chicks.post(
      `/coordinator/projects/${project}/households`,
      { householdIds: [...before, wang].map(String) },
      { csrfFrom: `/coordinator/projects/${project}` },
    );
    expect(refused.statusCode).toBe(422);
    expect(fieldError(refused.body, 'householdIds')).toBe('没有找到这户农户。');
    expect(refused.body).not.toContain('王秀兰');
    expect(refused.body).not.toContain(`value="${wang}"`);
    expect(await enrolledIn(await projectIdOf(ctx.db, 'xiaoji-kuaipao'))).toEqual(before);
    expect(await count(auditLog)).toBe(audits);
    // Her money stays out of reach.
    expect((await chicks.get(`/coordinator/households/${wang}`)).statusCode).toBe(404);
    expect((await chicks.get(`/coordinator/households/${wang}/statement`)).statusCode).toBe(404);

    const form = await chicks.get(`/coordinator/projects/${project}`);
    const listed = [...form.body.matchAll(/name="householdIds" value="(\d+)"/g)].map((m) => Number(m[1]));
    const shibantan = (
      await rowsOf(ctx.db, (tx) =>
        tx
          .select({ id: households.id })
          .from(households)
          .innerJoin(villages, eq(villages.id, households.villageId))
          .where(eq(villages.slug, 'shibantan'))
          .orderBy(asc(households.id)),
      )
    ).map((r) => r.id);
    expect(listed.sort((a, b) => a - b)).toEqual(shibantan);
    for (const name of ['王秀兰', '赵建民', '刘春梅', '黄德明', '凤志强']) expect(form.body).not.toContain(name);
    expect(form.body).toContain('胡春生');

    // Unticking their own households still works.
    const zhou = await householdIdOf(ctx.db, '周建华');
    const kept = before.filter((id) => id !== zhou);
    expect(
      (await chicks.post(`/coordinator/projects/${project}/households`, { householdIds: kept.map(String) }, { csrfFrom: `/coordinator/projects/${project}` }))
        .statusCode,
    ).toBe(303);
    expect(await enrolledIn(await projectIdOf(ctx.db, 'xiaoji-kuaipao'))).toEqual(kept);
  });

  it('enrols a household of a village the project sells from, and shows them none of its money from other projects', async () => {
    await createScopedCoordinator(ctx.db, 'meiyaogou@xiangyi.test', ['meiyaogou-chanye']);
    const scoped = await signIn(ctx.app, 'meiyaogou@xiangyi.test', STAFF_PASSWORD);
    const project = await projectIdOf(ctx.db, 'meiyaogou-chanye');
    // 赵建民 (煤窑沟村) is enrolled in 扶贫先扶志 only; the cooperative's eggs (扶贫先扶志) earn him ¥24.30.
    const zhao = await householdIdOf(ctx.db, '赵建民');
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-eggs', quantity: 2 }]);
    expect((await scoped.get(`/coordinator/households/${zhao}`)).statusCode).toBe(404);

    const form = await scoped.get(`/coordinator/projects/${project}`);
    expect(form.body).toContain(`<input type="checkbox" id="h-${zhao}" name="householdIds" value="${zhao}">`);
    const enrolled = await scoped.post(
      `/coordinator/projects/${project}/households`,
      { householdIds: [...(await enrolledIn(await projectIdOf(ctx.db, 'meiyaogou-chanye'))), zhao].map(String) },
      { csrfFrom: `/coordinator/projects/${project}` },
    );
    expect(enrolled.statusCode).toBe(303);
    expect(await enrolledIn(await projectIdOf(ctx.db, 'meiyaogou-chanye'))).toContain(zhao);

    const page = await scoped.get(`/coordinator/households/${zhao}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<dd data-earned>¥0.00</dd>');
    expect(page.body).toContain('<dd data-owed>¥0.00</dd>');
    expect(page.body).not.toContain('土鸡蛋');
    expect((await scoped.get(`/coordinator/households/${zhao}/statement.csv`)).body).not.toContain('24.30');
    const payoutsBefore = await count(payouts);
    const paid = await scoped.post(
      '/coordinator/payouts',
      { householdId: String(zhao), amount: '24.30', method: 'cash', reference: '' },
      { csrfFrom: '/coordinator' },
    );
    expect(paid.statusCode).toBe(422);
    expect(await count(payouts)).toBe(payoutsBefore);
    expect((await coordinator.get(`/coordinator/households/${zhao}`)).body).toContain('<dd data-owed>¥24.30</dd>');
  });
});

describe('project scope', () => {
  it('shows a scoped coordinator only their projects; others are 404 and creating is not theirs', async () => {
    await createScopedCoordinator(ctx.db, 'chicks@xiangyi.test', ['xiaoji-kuaipao']);
    const chicks = await signIn(ctx.app, 'chicks@xiangyi.test', STAFF_PASSWORD);
    const own = await projectIdOf(ctx.db, 'xiaoji-kuaipao');
    const other = await projectIdOf(ctx.db, 'meiyaogou-chanye');

    const list = await chicks.get('/coordinator/projects');
    expect(list.statusCode).toBe(200);
    expect(list.body.match(/<tr data-project-id="(\d+)">/g)).toEqual([`<tr data-project-id="${own}">`]);
    expect(list.body).not.toContain('/coordinator/projects/new');
    expect((await chicks.get(`/coordinator/projects/${own}`)).statusCode).toBe(200);

    const rulesBefore = await count(projectSplitRules);
    const nameBefore = await rowOf(ctx.db, (tx) => tx.select({ n: projects.nameZh }).from(projects).where(eq(projects.id, other)));
    expect((await chicks.get(`/coordinator/projects/${other}`)).statusCode).toBe(404);
    expect((await chicks.post(`/coordinator/projects/${other}`, { ...chicksRun, slug: 'meiyaogou-chanye', nameZh: '改名' })).statusCode).toBe(404);
    expect((await chicks.post(`/coordinator/projects/${other}/split`, { householdBp: '10000', projectFundBp: '0', operationsBp: '0' })).statusCode).toBe(404);
    expect((await chicks.post(`/coordinator/projects/${other}/households`, { householdIds: [] })).statusCode).toBe(404);
    expect((await chicks.get('/coordinator/projects/999999')).statusCode).toBe(404);
    expect((await chicks.get('/coordinator/projects/new')).statusCode).toBe(403);
    expect((await chicks.post('/coordinator/projects', chicksRun)).statusCode).toBe(403);
    expect(await count(projectSplitRules)).toBe(rulesBefore);
    expect(await rowOf(ctx.db, (tx) => tx.select({ n: projects.nameZh }).from(projects).where(eq(projects.id, other)))).toEqual(nameBefore);
    expect(await countOf(ctx.db, projects, eq(projects.slug, 'xiaoji-kuaipao-2'))).toBe(0);

    // Households: only those of the coordinator's projects.
    const households = await chicks.get('/coordinator/households');
    expect(households.body).toContain('周建华');
    expect(households.body).not.toContain('王秀兰');
    expect((await chicks.get(`/coordinator/households/${await householdIdOf(ctx.db, '王秀兰')}`)).statusCode).toBe(404);
    expect((await chicks.get(`/coordinator/households/${await householdIdOf(ctx.db, '周建华')}`)).statusCode).toBe(200);
  });

  it('lets a scoped coordinator see a household that produced a line of their project even when it is not enrolled', async () => {
    await createScopedCoordinator(ctx.db, 'meiyaogou@xiangyi.test', ['meiyaogou-chanye']);
    const scoped = await signIn(ctx.app, 'meiyaogou@xiangyi.test', STAFF_PASSWORD);
    // 孙玉珍 is enrolled only in 巧手绣娘; she is not a member of any 煤窑沟 producer.
    const sun = await householdIdOf(ctx.db, '孙玉珍');
    expect((await scoped.get(`/coordinator/households/${sun}`)).statusCode).toBe(404);
    const wang = await householdIdOf(ctx.db, '王秀兰');
    await writeOf(ctx.db, (tx) => tx.delete(projectHouseholds).where(eq(projectHouseholds.householdId, wang)));
    // Not enrolled, and no line of the project sold yet: not this coordinator's household.
    expect((await scoped.get(`/coordinator/households/${wang}`)).statusCode).toBe(404);
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    expect((await scoped.get(`/coordinator/households/${wang}`)).statusCode).toBe(200);
  });

  it('answers 403 to secretaries and buyers and sends visitors to sign in', async () => {
    const secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    expect((await secretary.get('/coordinator/projects')).statusCode).toBe(403);
    expect((await secretary.get('/coordinator/households')).statusCode).toBe(403);
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    expect((await buyer.post('/coordinator/projects', chicksRun)).statusCode).toBe(403);
    expect(await countOf(ctx.db, projects, eq(projects.slug, 'xiaoji-kuaipao-2'))).toBe(0);
    const visitor = await anonymous(ctx.app).get('/coordinator/households');
    expect(visitor.statusCode).toBe(303);
    expect(visitor.headers.location).toBe('/login?next=%2Fcoordinator%2Fhouseholds');
  });
});
