import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** Console tables on a 360 px phone: lists become cards, every other table scrolls inside a region a keyboard can reach. */

const VIEWS = join(import.meta.dirname, '..', '..', 'views');
const templates = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? templates(join(dir, e.name)) : e.name.endsWith('.hbs') ? [join(dir, e.name)] : [],
  );

describe('scrolling table wrappers', () => {
  it('are focusable named regions in every template (a keyboard user can scroll them; axe: scrollable-region-focusable)', () => {
    const unreachable: string[] = [];
    for (const file of templates(VIEWS)) {
      for (const tag of readFileSync(file, 'utf8').match(/<div class="table-scroll"[^>]*>/g) ?? []) {
        const ok = tag.includes('role="region"') && tag.includes('tabindex="0"') && /aria-label(ledby)?="[^"]+"/.test(tag);
        if (!ok) unreachable.push(`${relative(VIEWS, file)}: ${tag}`);
      }
    }
    expect(unreachable).toEqual([]);
  });
});

describe('forms', () => {
  it('never put a CSRF token in an address (it would end up in logs and browser history)', () => {
    const inUrl = templates(VIEWS).filter((file) => /(action|href)="[^"]*_csrf=/.test(readFileSync(file, 'utf8')));
    expect(inUrl.map((file) => relative(VIEWS, file))).toEqual([]);
  });
});

describe('console lists on a phone', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it("draw the secretary's household register as cards whose cells name their column, in both languages", async () => {
    const secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    const zh = (await secretary.get('/secretary/households')).body;
    expect(zh).toContain('<table class="card-table">');
    expect(zh).toContain('<td data-label="所在村">');
    const en = (await secretary.get('/secretary/households?lang=en')).body;
    expect(en).toMatch(/<td data-label="Mobile phone">1\d{10}<\/td>/);
  });

  it("draw the coordinator's household balances as cards, each amount labelled", async () => {
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const page = (await coordinator.get('/coordinator/households')).body;
    expect(page).toContain('<table class="card-table">');
    expect(page).toMatch(/<td class="num" data-label="[^"]+" data-owed>/);
  });
});
