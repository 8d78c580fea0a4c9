import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chinaDivisions } from '../../src/addresses/divisions.js';
import { MAX_ADDRESSES } from '../../src/addresses/address-book.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The buyer's address book: several addresses, one default, places from China's official
 * divisions, each address reachable only by its owner, every form with its CSRF token.
 */

const HOME = {
  recipientName: '林晓',
  phone: '138 0013 8000',
  province: '广东省',
  city: '深圳市',
  district: '福田区',
  street: '深南大道 1 号',
};
const OFFICE = { recipientName: '林晓', phone: '13900139000', province: '北京市', city: '北京市', district: '海淀区', street: '中关村大街 27 号' };

let ctx: TestContext;
let buyer: TestBrowser;
beforeEach(async () => {
  ctx = await createTestApp();
  buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
});
afterEach(async () => ctx.close());

const rows = (email: string) =>
  ctx.db.sqlite
    .prepare(
      `SELECT a.id, a.recipient_name AS recipientName, a.phone, a.province, a.city, a.district, a.street, a.is_default AS isDefault
         FROM buyer_addresses a JOIN users u ON u.id = a.user_id WHERE u.email = ? ORDER BY a.id`,
    )
    .all(email) as {
    id: number;
    recipientName: string;
    phone: string;
    province: string;
    city: string;
    district: string;
    street: string;
    isDefault: number | null;
  }[];

async function add(browser: TestBrowser, form: Record<string, string>) {
  return browser.post('/account/addresses', form, { csrfFrom: '/account/addresses/new' });
}

describe('the official divisions', () => {
  it('has every province, its cities and their districts, with municipalities and cities without districts evened out', () => {
    const d = chinaDivisions();
    expect(d.provinces().map((p) => p.name)).toEqual(expect.arrayContaining(['北京市', '河南省', '广东省', '广西壮族自治区', '香港特别行政区']));
    expect(d.cities('河南省').map((c) => c.name)).toContain('郑州市');
    expect(d.districts('河南省', '郑州市').map((x) => x.name)).toContain('登封市');
    expect(d.cities('北京市').map((c) => c.name)).toEqual(['北京市']);
    expect(d.districts('北京市', '北京市').map((x) => x.name)).toContain('海淀区');
    expect(d.districts('广东省', '东莞市').map((x) => x.name)).toEqual(['东莞市']);
    expect(d.cities('河南省').map((c) => c.name)).toContain('省直辖县级行政区划');
    expect(d.problem('广东省', '深圳市', '福田区')).toBeNull();
    expect(d.problem('广东省', '郑州市', '福田区')).toMatchObject({ field: 'city' });
    expect(d.problem('广东省', '深圳市', '海淀区')).toMatchObject({ field: 'district' });
    expect(d.problem('Guangdong', '深圳市', '福田区')).toMatchObject({ field: 'province' });
  });

  it('answers the names below a province or a city as JSON for the form’s script', async () => {
    const cities = await anonymous(ctx.app).get(`/divisions?province=${encodeURIComponent('河南省')}`);
    expect(cities.statusCode).toBe(200);
    expect(cities.json().names).toContain('郑州市');
    const districts = await anonymous(ctx.app).get(`/divisions?province=${encodeURIComponent('河南省')}&city=${encodeURIComponent('郑州市')}`);
    expect(districts.json().names).toContain('登封市');
    expect((await anonymous(ctx.app).get(`/divisions?province=nowhere`)).json().names).toEqual([]);
    expect((await anonymous(ctx.app).get(`/divisions`)).statusCode).toBe(400);
  });
});

describe('the address book', () => {
  it('adds addresses, makes the first the default, and moves the default when asked', async () => {
    const first = await add(buyer, HOME);
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/account/addresses');
    expect(rows('buyer@xiangyi.test')).toEqual([expect.objectContaining({ ...HOME, phone: '13800138000', isDefault: 1 })]);

    expect((await add(buyer, { ...OFFICE, isDefault: 'on' })).statusCode).toBe(303);
    const [home, office] = rows('buyer@xiangyi.test');
    expect(home!.isDefault).toBeNull();
    expect(office!.isDefault).toBe(1);

    const page = await buyer.get('/account/addresses?lang=en');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('深南大道 1 号');
    expect(page.body).toMatch(new RegExp(`data-address="${office!.id}" data-default`));

    expect((await buyer.post(`/account/addresses/${home!.id}/default`, {}, { csrfFrom: '/account/addresses' })).statusCode).toBe(303);
    expect(rows('buyer@xiangyi.test').map((r) => r.isDefault)).toEqual([1, null]);
  });

  it('edits an address, and deleting the default passes it to the newest left', async () => {
    await add(buyer, HOME);
    await add(buyer, OFFICE);
    const [home] = rows('buyer@xiangyi.test');
    const form = await buyer.get(`/account/addresses/${home!.id}/edit`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<option value="福田区" selected>');
    expect(form.body).toContain('name="_csrf"');

    const edited = await buyer.post(`/account/addresses/${home!.id}`, { ...HOME, street: '福华路 8 号' }, { csrfFrom: '/account/addresses' });
    expect(edited.statusCode).toBe(303);
    expect(rows('buyer@xiangyi.test')[0]!.street).toBe('福华路 8 号');

    expect((await buyer.post(`/account/addresses/${home!.id}/delete`, {}, { csrfFrom: '/account/addresses' })).statusCode).toBe(303);
    expect(rows('buyer@xiangyi.test')).toEqual([expect.objectContaining({ street: OFFICE.street, isDefault: 1 })]);
  });

  it('re-renders the form with a message on each bad field, and refuses places that are not where the form says', async () => {
    const empty = await add(buyer, { recipientName: '', phone: '123', province: '', city: '', district: '', street: '' });
    expect(empty.statusCode).toBe(422);
    for (const field of ['recipientName', 'phone', 'province', 'city', 'district', 'street']) expect(empty.body).toContain(`id="e-${field}"`);

    const wrongCity = await add(buyer, { ...HOME, city: '郑州市' });
    expect(wrongCity.statusCode).toBe(422);
    expect(wrongCity.body).toContain('id="e-city"');
    expect(wrongCity.body).not.toContain('id="e-province"');

    const invented = await add(buyer, { ...HOME, province: '<script>alert(1)</script>' });
    expect(invented.statusCode).toBe(422);
    expect(invented.body).not.toContain('<script>alert(1)</script>');
    expect(rows('buyer@xiangyi.test')).toHaveLength(0);

    const english = await buyer.post('/account/addresses?lang=en', { ...HOME, district: '海淀区' }, { csrfFrom: '/account/addresses/new?lang=en' });
    expect(english.statusCode).toBe(422);
    expect(english.body).toContain('Choose from the list, within the place chosen above.');
  });

  it('narrows the city and district lists on the server when the form is sent without script', async () => {
    const narrowed = await add(buyer, { province: '河南省', step: 'narrow' });
    expect(narrowed.statusCode).toBe(200);
    expect(narrowed.body).toContain('<option value="郑州市">');
    expect(narrowed.body).not.toContain('<option value="深圳市">');
    const districts = await add(buyer, { province: '河南省', city: '郑州市', step: 'narrow' });
    expect(districts.body).toContain('<option value="登封市">');
    expect(rows('buyer@xiangyi.test')).toHaveLength(0);
  });

  it(`keeps at most ${MAX_ADDRESSES} addresses`, async () => {
    for (let i = 0; i < MAX_ADDRESSES; i++) expect((await add(buyer, { ...HOME, street: `深南大道 ${i + 1} 号` })).statusCode).toBe(303);
    const full = await add(buyer, OFFICE);
    expect(full.statusCode).toBe(409);
    expect(rows('buyer@xiangyi.test')).toHaveLength(MAX_ADDRESSES);
  });
});

describe('who may touch an address', () => {
  it('never shows or changes another buyer’s address: 404 for every route', async () => {
    await add(buyer, HOME);
    const [mine] = rows('buyer@xiangyi.test');
    const other = await signIn(ctx.app, 'org@xiangyi.test');
    expect((await other.get(`/account/addresses/${mine!.id}/edit`)).statusCode).toBe(404);
    expect((await other.post(`/account/addresses/${mine!.id}`, { ...HOME, street: 'stolen' }, { csrfFrom: '/account/addresses' })).statusCode).toBe(404);
    expect((await other.post(`/account/addresses/${mine!.id}/default`, {}, { csrfFrom: '/account/addresses' })).statusCode).toBe(404);
    expect((await other.post(`/account/addresses/${mine!.id}/delete`, {}, { csrfFrom: '/account/addresses' })).statusCode).toBe(404);
    expect((await other.get('/account/addresses')).body).not.toContain(HOME.street);
    expect(rows('buyer@xiangyi.test')).toEqual([expect.objectContaining({ street: HOME.street, isDefault: 1 })]);
  });

  it('sends a visitor to sign in, refuses staff, and refuses a post without its CSRF token', async () => {
    const visitor = anonymous(ctx.app);
    const page = await visitor.get('/account/addresses');
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Faccount%2Faddresses');
    const secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    expect((await secretary.get('/account/addresses')).statusCode).toBe(403);

    const forged = await buyer.post('/account/addresses', HOME, { withoutCsrf: true });
    expect(forged.statusCode).toBe(403);
    await add(buyer, HOME);
    const [mine] = rows('buyer@xiangyi.test');
    expect((await buyer.post(`/account/addresses/${mine!.id}/delete`, {}, { withoutCsrf: true })).statusCode).toBe(403);
    expect(rows('buyer@xiangyi.test')).toHaveLength(1);
  });
});
