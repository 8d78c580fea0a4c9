import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse as Response } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { rowOf, rowsOf, writeOf } from '../helpers/db-query.js';
import { type FilePart, jpegPhoto, multipartBody } from '../helpers/multipart.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Consent as records: the first secretary records what a household of their villages agreed to
 * show (name, story, photos), how and when, or its withdrawal; public pages follow the latest
 * record at once, cached pages included, and receipts keep their figures. Runs on both engines
 * (vitest.pg.config.ts).
 */

let ctx: TestContext;
let secretary: TestBrowser;
/** 盘大姐 of 明梅村 (the gulou secretary's village): one of the 4 households of 土瑶茶. */
let pan: number;
/** 王阿姨 of 煤窑沟村: another secretary's village. */
let wang: number;
let receiptUrl: string;

const STORY = '盘大姐是瑶茶厂的';
const householdNamed = async (displayName: string) =>
  (await rowOf<{ id: number }>(ctx.db, sql`SELECT id FROM households WHERE display_name = ${displayName}`))!.id;
const consentCount = async (householdId: number) =>
  (await rowOf<{ n: number }>(ctx.db, sql`SELECT count(*) AS n FROM household_consents WHERE household_id = ${householdId}`))!.n;
/** The latest consent record of a household, flags as true/false on both engines. */
const latestRecord = async (householdId: number) => {
  const row = await rowOf<Record<string, unknown>>(
    ctx.db,
    sql`SELECT name_public AS name, story_public AS story, photo_public AS photo, withdrawn, form_media_id AS media FROM household_consents WHERE household_id = ${householdId} ORDER BY id DESC LIMIT 1`,
  );
  return {
    name: Boolean(row!.name),
    story: Boolean(row!.story),
    photo: Boolean(row!.photo),
    withdrawn: Boolean(row!.withdrawn),
    media: row!.media as number | null,
  };
};

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&amp;/g, '&');
/** The sentences of a "where the money goes" list (product page and receipt). */
const benefitOf = (html: string) => [...(/<ul data-benefit>([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map((m) => decode(m[1]!));
/** The public figures of a page (data-figure), by name. */
const figuresOf = (html: string) => Object.fromEntries([...html.matchAll(/data-figure="([^"]+)"[^>]*>([^<]*)</g)].map((m) => [m[1]!, m[2]!.trim()]));
const fieldError = (response: Response, field: string) => new RegExp(`<p class="field-error" id="e-${field}">([^<]*)</p>`).exec(response.body)?.[1];

const publicPages = async () => {
  const visitor = anonymous(ctx.app);
  return {
    product: await visitor.get('/products/tuyao-tea'),
    impact: await visitor.get('/impact'),
    receipt: await visitor.get(receiptUrl),
  };
};

/** Posts a consent form as its page does (multipart, the CSRF token of `csrfFrom` first), keeping the answer's cookies (its flash). */
async function postForm(browser: TestBrowser, url: string, fields: Record<string, string>, file?: FilePart, csrfFrom = url): Promise<Response> {
  const { payload, contentType } = multipartBody({ _csrf: await browser.csrfToken(csrfFrom), ...fields }, file);
  return browser.send({ method: 'POST', url, headers: { 'content-type': contentType }, payload });
}

const verbal = (overrides: Record<string, string> = {}) => ({ method: 'verbal', witnessName: '村委会覃主任', givenOn: '2026-12-01', ...overrides });

beforeAll(async () => {
  ctx = await createTestApp();
  secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
  pan = await householdNamed('盘大姐');
  wang = await householdNamed('王阿姨');
  const order = await placePaidOrder(ctx, [{ slug: 'tuyao-tea', quantity: 1 }]);
  receiptUrl = `/receipts/${(await rowOf<{ code: string }>(ctx.db, sql`SELECT receipt_code AS code FROM orders WHERE id = ${order.orderId}`))!.code}`;
});
afterAll(async () => {
  await ctx?.close();
});

describe('consent records', () => {
  it('carry each household’s earlier yes/no over as its first record, listed on the household’s page', async () => {
    expect(await consentCount(pan)).toBe(1);
    expect(await latestRecord(pan)).toEqual({ name: true, story: true, photo: false, withdrawn: false, media: null });
    const page = await secretary.get(`/secretary/households/${pan}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<p data-consent-now>现在公开：公开称呼、公开故事（与称呼一起展示）</p>');
    expect(page.body).toMatch(/<tr data-consent="agreed">\s*<th scope="row">\d{4}-\d\d-\d\d<\/th>/);
  });

  it('re-render with field messages that keep what was typed, in Chinese and in English, and record nothing', async () => {
    const before = await consentCount(pan);
    const url = `/secretary/households/${pan}/consent`;
    const noWitness = await postForm(
      secretary,
      url,
      { namePublic: 'on', photoPublic: 'on', method: 'verbal', witnessName: '', givenOn: '2026-11-30' },
      undefined,
      url,
    );
    expect(noWitness.statusCode).toBe(422);
    expect(fieldError(noWitness, 'witnessName')).toBe('口头同意或撤回时请填写见证人姓名。');
    expect(noWitness.body).toMatch(/id="f-namePublic" name="namePublic" type="checkbox" value="on" checked/);
    expect(noWitness.body).toMatch(/id="f-photoPublic" name="photoPublic" type="checkbox" value="on" checked/);
    expect(noWitness.body).not.toMatch(/id="f-storyPublic" name="storyPublic" type="checkbox" value="on" checked/);
    expect(noWitness.body).toMatch(/id="f-method-verbal" name="method" value="verbal" checked/);
    expect(noWitness.body).toContain('value="2026-11-30"');

    const noScan = await postForm(secretary, url, { namePublic: 'on', method: 'paper_form', givenOn: '2026-11-30' }, undefined, url);
    expect(noScan.statusCode).toBe(422);
    expect(fieldError(noScan, 'scan')).toBe('签署纸质表格时请上传扫描件或照片。');

    const storyWithoutName = await postForm(secretary, url, { storyPublic: 'on', ...verbal() }, undefined, url);
    expect(storyWithoutName.statusCode).toBe(422);
    expect(fieldError(storyWithoutName, 'storyPublic')).toBe('故事和公开称呼一起展示：同意公开故事时也请勾选公开称呼。');

    await secretary.get(`${url}?lang=en`);
    const future = await postForm(secretary, url, { namePublic: 'on', ...verbal({ givenOn: '2999-01-01' }) }, undefined, url);
    expect(future.statusCode).toBe(422);
    expect(fieldError(future, 'givenOn')).toBe('The date cannot be later than today.');
    expect(future.body).toContain('value="村委会覃主任"');
    await secretary.get(`${url}?lang=zh-CN`);
    expect(await consentCount(pan)).toBe(before);
  });

  it('refuse a secretary of another village with 403, and a post without its CSRF token, recording nothing', async () => {
    const before = await consentCount(wang);
    const url = `/secretary/households/${wang}/consent`;
    expect((await secretary.get(url)).statusCode).toBe(403);
    const own = `/secretary/households/${pan}/consent`;
    const refused = await postForm(secretary, url, { namePublic: 'on', ...verbal() }, undefined, own);
    expect(refused.statusCode).toBe(403);
    expect((await postForm(secretary, `${url}/withdraw`, verbal(), undefined, own)).statusCode).toBe(403);
    expect(await consentCount(wang)).toBe(before);

    const meiyaogou = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    const theirs = `/secretary/households/${wang}/consent`;
    expect((await postForm(meiyaogou, `/secretary/households/${pan}/consent/withdraw`, verbal(), undefined, theirs)).statusCode).toBe(403);

    const withoutToken = await ctx.app.inject({
      method: 'POST',
      url: `${own}/withdraw`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'method=verbal&witnessName=x&givenOn=2026-12-01',
      cookies: { ...secretary.cookies },
    });
    expect(withoutToken.statusCode).toBe(403);
    expect(await consentCount(pan)).toBe(1);
  });

  it('with the name only, show the name where the money goes but not the story', async () => {
    const url = `/secretary/households/${pan}/consent`;
    const recorded = await postForm(secretary, url, { namePublic: 'on', ...verbal() }, undefined, url);
    expect(recorded.statusCode).toBe(303);
    expect(recorded.headers.location).toBe(`/secretary/households/${pan}#consent`);
    const { product } = await publicPages();
    expect(benefitOf(product.body).join()).toContain('盘大姐');
    expect(product.body).not.toContain(STORY);
    expect(product.body).not.toMatch(/data-household-story>\s*<h3>盘大姐<\/h3>/);
  });

  it('with a signed paper form, keep its scan for the secretary only and show the story again', async () => {
    const url = `/secretary/households/${pan}/consent`;
    const recorded = await postForm(
      secretary,
      url,
      { namePublic: 'on', storyPublic: 'on', method: 'paper_form', givenOn: '2026-12-02' },
      await jpegPhoto('scan'),
      url,
    );
    expect(recorded.statusCode).toBe(303);
    const page = await secretary.get(`/secretary/households/${pan}`);
    const scan = /href="(\/secretary\/households\/\d+\/consent\/\d+\/scan)"/.exec(page.body)?.[1];
    expect(scan).toBeDefined();
    const file = await secretary.get(scan!);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/webp');
    const latest = await latestRecord(pan);
    expect(latest).toMatchObject({ name: true, story: true, photo: false, withdrawn: false });
    expect((await anonymous(ctx.app).get(`/media/${latest.media}`)).statusCode).toBe(404);
    expect((await anonymous(ctx.app).get('/products/tuyao-tea')).body).toContain(STORY);
  });

  it('once withdrawn, take the name and story off the product page, /impact and the receipt at once, cached pages included, keeping every figure', async () => {
    const before = await publicPages();
    // The page cache holds the product page now: a second visit is served from it.
    expect((await anonymous(ctx.app).get('/products/tuyao-tea')).headers['x-page-cache']).toBe('hit');
    for (const page of Object.values(before)) {
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('盘大姐');
    }
    expect(before.product.body).toContain(STORY);

    const url = `/secretary/households/${pan}/consent/withdraw`;
    const form = await secretary.get(url);
    expect(form.body).toContain('撤回后，这户的称呼、故事和照片会立即从所有公开页面和受益回执上消失');
    const withdrawn = await postForm(secretary, url, verbal({ witnessName: '村委会凤委员' }), undefined, url);
    expect(withdrawn.statusCode).toBe(303);

    const after = await publicPages();
    expect(after.product.headers['x-page-cache']).not.toBe('hit');
    for (const [name, page] of Object.entries(after)) {
      expect(page.statusCode, name).toBe(200);
      expect(page.body, name).not.toContain('盘大姐');
      expect(page.body, name).not.toContain(STORY);
    }
    // The amounts stay: only the names in the sentences changed.
    const amounts = (html: string) => benefitOf(html).filter((s) => /^¥/.test(s));
    expect(amounts(after.product.body)).toEqual(amounts(before.product.body));
    expect(amounts(after.receipt.body)).toEqual(amounts(before.receipt.body));
    expect(amounts(after.receipt.body)[0]).toMatch(/^¥476\.00 归 明梅村 的 4 户农户/);
    expect(figuresOf(after.impact.body)).toEqual(figuresOf(before.impact.body));

    const page = await secretary.get(`/secretary/households/${pan}`);
    expect(page.body).toContain('已记录撤回，公开页面不再展示这户。');
    expect(page.body).toContain('<p data-consent-now>现在不公开任何内容。</p>');
    expect(page.body).toMatch(/<tr data-consent="withdrawn">[\s\S]*?口头撤回，有见证人<br>见证人：村委会凤委员/);
    expect([...page.body.matchAll(/<tr data-consent="/g)]).toHaveLength(4);
  });

  it('leave entries in words in the audit log, and the records unchangeable', async () => {
    const actions = await rowsOf<{ action: string }>(
      ctx.db,
      sql`SELECT action FROM audit_log WHERE entity_type = 'household' AND entity_id = ${String(pan)} AND action LIKE 'household.consent%' ORDER BY id`,
    );
    expect(actions.map((a) => a.action)).toEqual(['household.consent_record', 'household.consent_record', 'household.consent_withdraw']);
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const audit = await coordinator.get('/admin/audit');
    expect(audit.body).toContain('记录了农户撤回全部公开同意');
    expect(audit.body).toContain('记录了农户的公开同意');
    // Drizzle wraps the engine's refusal; its cause is the trigger's message, on either engine.
    const refusal = (write: Promise<unknown>) =>
      write.then(
        () => 'written',
        (e: { cause?: Error; message: string }) => e.cause?.message ?? e.message,
      );
    expect(await refusal(writeOf(ctx.db, sql`UPDATE household_consents SET witness_name = 'x' WHERE household_id = ${pan}`))).toMatch(/append-only/);
    expect(await refusal(writeOf(ctx.db, sql`DELETE FROM household_consents WHERE household_id = ${pan}`))).toMatch(/append-only/);
  });
});
