import type { Database_ } from '../db/client.js';
import type { SeedIds } from './seed.js';
import { cstYearOf } from '../institutions/index.js';

/** Demo charity supermarkets and what is on their shelves (the seeded product stock is what is left online). */
const OUTLETS = [
  {
    slug: 'shenzhen-futian',
    name: '深圳福田慈善超市',
    nameEn: 'Shenzhen Futian Charity Supermarket',
    address: '广东省深圳市福田区福华三路 88 号社会组织服务中心一楼',
    openingHours: '周一至周日 9:00–21:00',
    shelf: [
      ['meiyaogou-yuba', 20],
      ['meiyaogou-honey', 10],
      ['gulou-shiitake', 15],
      ['tuyao-black-tea', 8],
      ['tiger-head-shoes', 4],
    ],
  },
  {
    slug: 'hezhou-babu',
    name: '贺州八步慈善超市',
    nameEn: 'Hezhou Babu Charity Supermarket',
    address: '广西贺州市八步区建设中路 36 号',
    openingHours: '周一至周六 8:30–20:30',
    shelf: [
      ['gulou-black-fungus', 12],
      ['chashan-camellia-oil', 6],
      ['tuyao-black-tea', 5],
    ],
  },
] as const;

/** A trade union buying poverty-area produce for its members' holiday gifts against a yearly quota. */
const ORGANIZATION = {
  name: '深圳市福田区总工会',
  creditCode: '81440304MC0A1B2C3J',
  invoiceTitle: '深圳市福田区总工会',
  taxNumber: '81440304MC0A1B2C3J',
  /** This year's quota, fen (¥200,000), and last year's (¥150,000). */
  quotaFen: 20_000_000,
  lastYearQuotaFen: 15_000_000,
};

/**
 * Seeds the outlets with shelf stock, the outlet staff account's scope, and the organisation with
 * its quotas and member account (inside the demo seed's transaction; the accounts exist already).
 */
export function seedOutletsAndOrganizations(db: Database_, ids: SeedIds, now: number): void {
  const userId = (email: string) => (db.sqlite.prepare(`SELECT id FROM users WHERE email = ?`).get(email) as { id: number } | undefined)?.id;
  const insertOutlet = db.sqlite.prepare(`INSERT INTO outlets (slug, name, name_en, address, opening_hours, created_at) VALUES (?, ?, ?, ?, ?, ?)`);
  const insertShelf = db.sqlite.prepare(`INSERT INTO outlet_stock (outlet_id, product_id, quantity) VALUES (?, ?, ?)`);
  const outletIds = new Map<string, number>();
  for (const o of OUTLETS) {
    const id = Number(insertOutlet.run(o.slug, o.name, o.nameEn, o.address, o.openingHours, now).lastInsertRowid);
    outletIds.set(o.slug, id);
    for (const [slug, quantity] of o.shelf) {
      const productId = ids.products.get(slug);
      if (productId === undefined) throw new Error(`outlet seed: unknown product ${slug}`);
      insertShelf.run(id, productId, quantity);
    }
  }
  const staff = userId('outlet@xiangyi.test');
  if (staff !== undefined)
    db.sqlite.prepare(`INSERT OR IGNORE INTO user_outlets (user_id, outlet_id) VALUES (?, ?)`).run(staff, outletIds.get('shenzhen-futian'));

  const org = ORGANIZATION;
  const orgId = Number(
    db.sqlite
      .prepare(`INSERT INTO organizations (name, credit_code, invoice_title, tax_number, created_at) VALUES (?, ?, ?, ?, ?)`)
      .run(org.name, org.creditCode, org.invoiceTitle, org.taxNumber, now).lastInsertRowid,
  );
  const year = cstYearOf(now);
  const insertQuota = db.sqlite.prepare(`INSERT INTO organization_quotas (organization_id, year, quota_fen) VALUES (?, ?, ?)`);
  insertQuota.run(orgId, year, org.quotaFen);
  insertQuota.run(orgId, year - 1, org.lastYearQuotaFen);
  const member = userId('org@xiangyi.test');
  if (member !== undefined) db.sqlite.prepare(`INSERT OR IGNORE INTO organization_members (organization_id, user_id) VALUES (?, ?)`).run(orgId, member);
}
