import { eq } from 'drizzle-orm';
import { users } from '../accounts/schema.js';
import { one, type Query, run, type Tx } from '../db/unit-of-work.js';
import { organizationMembers, organizationQuotas, organizations } from '../institutions/schema.js';
import { outletStock, outlets, userOutlets } from '../outlets/schema.js';
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
export function* seedOutletsAndOrganizations(tx: Tx, ids: SeedIds, now: number): Query<void> {
  function* userId(email: string): Query<number | undefined> {
    return (yield* one(tx.select({ id: users.id }).from(users).where(eq(users.email, email))))?.id;
  }
  const outletIds = new Map<string, number>();
  for (const o of OUTLETS) {
    const outlet = yield* one(
      tx
        .insert(outlets)
        .values({ slug: o.slug, name: o.name, nameEn: o.nameEn, address: o.address, openingHours: o.openingHours, createdAt: now })
        .returning({ id: outlets.id }),
    );
    if (!outlet) throw new Error(`outlet seed: ${o.slug} was not inserted`);
    outletIds.set(o.slug, outlet.id);
    for (const [slug, quantity] of o.shelf) {
      const productId = ids.products.get(slug);
      if (productId === undefined) throw new Error(`outlet seed: unknown product ${slug}`);
      yield* run(tx.insert(outletStock).values({ outletId: outlet.id, productId, quantity }));
    }
  }
  const staff = yield* userId('outlet@xiangyi.test');
  const futian = outletIds.get('shenzhen-futian');
  if (staff !== undefined && futian !== undefined) yield* run(tx.insert(userOutlets).values({ userId: staff, outletId: futian }).onConflictDoNothing());

  const org = ORGANIZATION;
  const organization = yield* one(
    tx
      .insert(organizations)
      .values({ name: org.name, creditCode: org.creditCode, invoiceTitle: org.invoiceTitle, taxNumber: org.taxNumber, createdAt: now })
      .returning({ id: organizations.id }),
  );
  if (!organization) throw new Error('organisation seed: not inserted');
  const year = cstYearOf(now);
  yield* run(
    tx.insert(organizationQuotas).values([
      { organizationId: organization.id, year, quotaFen: org.quotaFen },
      { organizationId: organization.id, year: year - 1, quotaFen: org.lastYearQuotaFen },
    ]),
  );
  const member = yield* userId('org@xiangyi.test');
  if (member !== undefined) yield* run(tx.insert(organizationMembers).values({ organizationId: organization.id, userId: member }).onConflictDoNothing());
}
