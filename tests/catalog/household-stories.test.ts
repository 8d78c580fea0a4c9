import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { withdrawConsentWhere } from '../helpers/consent.js';

/** A household's own story on the product pages of what it makes — only when it agreed. */

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const run = (sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).run(...params);

describe('the product page', () => {
  it('tells the consented story of the household that made it, under its display name, in the visitor’s language', async () => {
    const zh = (await anonymous(ctx.app).get('/products/tiger-head-shoes')).body;
    expect(zh).toContain('<div class="household-story" data-household-story>\n      <h3>刘大姐</h3>');
    expect(zh).toContain('刘大姐小时候因病落下腿疾');
    const en = (await anonymous(ctx.app).get('/products/tiger-head-shoes?lang=en')).body;
    expect(en).toContain('embroidered tiger-head shoes for thirty years');
  });

  it('never tells the story of a household that did not agree, or that has withdrawn its consent', async () => {
    // 郭丽娜 did not agree to be shown; give her a story all the same, and take 刘大姐's consent away.
    run(`UPDATE households SET public_story_zh = '郭家的秘密故事' WHERE real_name = '郭丽娜'`);
    withdrawConsentWhere(ctx.db, `real_name = '刘春梅'`);
    const html = (await anonymous(ctx.app).get('/products/embroidered-insoles')).body;
    expect(html).not.toContain('郭家的秘密故事');
    expect(html).not.toContain('刘大姐小时候');
    const shown = [...html.matchAll(/<div class="household-story" data-household-story>\s*<h3>([^<]*)<\/h3>/g)].map((m) => m[1]);
    expect(shown).toEqual(['孙奶奶']);
  });
});
