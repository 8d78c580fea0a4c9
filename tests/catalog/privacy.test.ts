import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { namePublicSql } from '../helpers/consent.js';

/**
 * A household's real name, phone, ID-card digits and 建档立卡 number are for the village's first
 * secretaries and coordinators only. No public page or API answer may carry any of them.
 */

let ctx: TestContext;

interface PrivateValue {
  household: number;
  field: 'real_name' | 'phone' | 'id_card_last4' | 'poverty_reg_no';
  value: string;
}

interface Fetched {
  url: string;
  body: string;
}

let privateValues: PrivateValue[];
let pages: Fetched[];

/** Public text the shop is allowed to show: names and stories households agreed to, and all catalogue text. */
function publicText(): string {
  const rows = ctx.db.sqlite
    .prepare(
      `SELECT coalesce(display_name, '') || ' ' || coalesce(public_story_zh, '') || ' ' || coalesce(public_story_en, '') AS t
       FROM households WHERE ${namePublicSql('households')} = 1
       UNION ALL SELECT title_zh || ' ' || coalesce(title_en, '') || ' ' || description_zh || ' ' || coalesce(description_en, '') || ' ' || story_zh || ' ' || coalesce(story_en, '') FROM products
       UNION ALL SELECT name_zh || ' ' || coalesce(name_en, '') || ' ' || story_zh || ' ' || coalesce(story_en, '') FROM producers
       UNION ALL SELECT name_zh || ' ' || coalesce(name_en, '') || ' ' || story_zh || ' ' || coalesce(story_en, '') FROM villages
       UNION ALL SELECT name_zh || ' ' || coalesce(name_en, '') || ' ' || story_zh || ' ' || coalesce(story_en, '') FROM projects`,
    )
    .pluck()
    .all() as string[];
  return rows.join('\n');
}

function loadPrivateValues(): PrivateValue[] {
  const households = ctx.db.sqlite
    .prepare(
      `SELECT id, real_name AS realName, display_name AS displayName, ${namePublicSql('households')} AS consent, phone,
              id_card_last4 AS idCardLast4, poverty_reg_no AS povertyRegNo FROM households`,
    )
    .all() as {
    id: number;
    realName: string;
    displayName: string | null;
    consent: number;
    phone: string | null;
    idCardLast4: string | null;
    povertyRegNo: string | null;
  }[];
  const allowed = publicText();
  const values: PrivateValue[] = [];
  for (const h of households) {
    const add = (field: PrivateValue['field'], value: string | null) => {
      const v = value?.trim();
      // One character would match by chance; a value the household agreed to show is not private.
      if (!v || [...v].length < 2) return;
      if (field === 'real_name' && h.consent && h.displayName?.trim() === v) return;
      // Guard the check itself: a private value that is also ordinary public text would be a false alarm.
      expect(allowed.includes(v), `household ${h.id}'s ${field} "${v}" also occurs in public catalogue text`).toBe(false);
      values.push({ household: h.id, field, value: v });
    };
    add('real_name', h.realName);
    add('phone', h.phone);
    add('id_card_last4', h.idCardLast4);
    add('poverty_reg_no', h.povertyRegNo);
  }
  return values;
}

/**
 * The parts of a response that carry content: random per-request tokens (CSRF) are dropped,
 * because a 4-digit ID-card fragment can appear inside a random token by chance.
 */
function content(body: string): string {
  return body.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');
}

/** Digits-only values (ID-card last 4) must stand alone to count, not be part of a longer number or token. */
function occurs(body: string, value: string): boolean {
  if (/^[0-9Xx]{1,6}$/.test(value)) {
    return new RegExp(`(?<![0-9A-Za-z])${value}(?![0-9A-Za-z])`).test(body);
  }
  return body.includes(value);
}

async function fetchOk(url: string, cookies?: Record<string, string>): Promise<Fetched> {
  const res = await ctx.app.inject({ method: 'GET', url, cookies });
  expect(res.statusCode, url).toBe(200);
  return { url: cookies?.lang ? `${url} (lang=${cookies.lang})` : url, body: res.body };
}

async function allListingPages(base: string, cookies?: Record<string, string>): Promise<Fetched[]> {
  const api = (await ctx.app.inject({ method: 'GET', url: '/api/v1/products' })).json<{ pages: number }>();
  expect(api.pages).toBeGreaterThan(1);
  const out: Fetched[] = [];
  for (let page = 1; page <= api.pages; page += 1) out.push(await fetchOk(`${base}?page=${page}`, cookies));
  return out;
}

beforeAll(async () => {
  ctx = await createTestApp();
  privateValues = loadPrivateValues();
  const slugs = (table: string, where = '1') => ctx.db.sqlite.prepare(`SELECT slug FROM ${table} WHERE ${where} ORDER BY id`).pluck().all() as string[];
  const products = slugs('products', 'published = 1');
  pages = [];
  for (const lang of [undefined, 'en']) {
    const cookies = lang ? { lang } : undefined;
    pages.push(await fetchOk('/', cookies));
    pages.push(...(await allListingPages('/products', cookies)));
    for (const slug of products) pages.push(await fetchOk(`/products/${slug}`, cookies));
    for (const slug of slugs('villages')) pages.push(await fetchOk(`/villages/${slug}`, cookies));
    for (const slug of slugs('projects')) pages.push(await fetchOk(`/projects/${slug}`, cookies));
    pages.push(...(await allListingPages('/api/v1/products', cookies)));
    for (const slug of products) pages.push(await fetchOk(`/api/v1/products/${slug}`, cookies));
  }
});

afterAll(async () => {
  await ctx?.close();
});

describe("households' private details", () => {
  it('are known for every household, so the check below has something to look for', () => {
    const households = ctx.db.sqlite.prepare('SELECT count(*) FROM households').pluck().get() as number;
    expect(households).toBeGreaterThan(0);
    for (const field of ['real_name', 'phone', 'id_card_last4', 'poverty_reg_no'] as const) {
      expect(privateValues.filter((v) => v.field === field).length, field).toBe(households);
    }
  });

  it('would be caught if a page showed one (the check is not blind)', () => {
    const sample = privateValues.find((v) => v.field === 'id_card_last4')!;
    expect(occurs(`<dd>${sample.value}</dd>`, sample.value)).toBe(true);
    expect(occurs(`"idCard":"${sample.value}"`, sample.value)).toBe(true);
    const name = privateValues.find((v) => v.field === 'real_name')!;
    expect(occurs(`<p>${name.value}家的蜂场</p>`, name.value)).toBe(true);
  });

  it('never appear in the home page, the listing, or any product, village or project page (HTML)', () => {
    const html = pages.filter((p) => !p.url.startsWith('/api/'));
    expect(html.length).toBeGreaterThan(40);
    const leaks = html.flatMap((page) =>
      privateValues.filter((v) => occurs(content(page.body), v.value)).map((v) => `${page.url}: household ${v.household} ${v.field} "${v.value}"`),
    );
    expect(leaks).toEqual([]);
  });

  it('never appear in the JSON API, listing pages or product details', () => {
    const json = pages.filter((p) => p.url.startsWith('/api/'));
    expect(json.length).toBeGreaterThan(20);
    const leaks = json.flatMap((page) =>
      privateValues.filter((v) => occurs(page.body, v.value)).map((v) => `${page.url}: household ${v.household} ${v.field} "${v.value}"`),
    );
    expect(leaks).toEqual([]);
  });

  it('cannot be used to find products: searching for a real name, phone or 建档立卡 number finds nothing', async () => {
    for (const v of privateValues.filter((p) => p.field !== 'id_card_last4')) {
      const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/products?${new URLSearchParams({ q: v.value }).toString()}` });
      expect(res.statusCode).toBe(200);
      expect(res.json<{ total: number }>().total, `${v.field} "${v.value}"`).toBe(0);
    }
  });
});
