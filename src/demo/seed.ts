import { hashDemoPasswords, seedDemoAccounts } from './demo-accounts.js';
import { priceTiers, productPhotos, products } from '../catalog/schema.js';
import { seedWishesAndLots } from './wishes-lots-seed.js';
import { seedOutletsAndOrganizations } from './outlets-orgs-seed.js';
import { createMediaService, type EncodedProductPhoto, type MediaService } from '../media/media-service.js';
import { projectHouseholds, projects, projectSplitRules } from '../projects/schema.js';
import { householdConsents, households, producerMembers, producers, regions, villages } from '../villages/schema.js';
import type { Database_ } from '../db/client.js';
import { one, type Query, run, serialize, type Tx } from '../db/unit-of-work.js';
import { DEMO_BANKS, demoBankAccountNo, HOUSEHOLDS, PRODUCERS, PRODUCTS, PROJECTS, REGIONS, VILLAGES } from './seed-data.js';
import { encodeSeedPhotos } from './seed-images.js';
import { formatDate } from '../time.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Database ids of what has been seeded so far, by slug (villages, projects, products) or key. */
export interface SeedIds {
  villages: Map<string, number>;
  projects: Map<string, number>;
  households: Map<string, number>;
  producers: Map<string, number>;
  products: Map<string, number>;
}

/**
 * An extra step of the seed's unit of work, run after the catalogue, e.g. demo accounts scoped to
 * the seeded villages and projects.
 */
export type SeedStep = (tx: Tx, ids: SeedIds, now: number) => Query<void>;

export interface SeedOptions {
  log?: (msg: string) => void;
  /** Epoch ms the demo dates are relative to; defaults to the current time. */
  now?: number;
  /** Hook point for further demo data (accounts, orders …), run in the same transaction. */
  extraSteps?: readonly SeedStep[];
}

/** The calendar year of an instant in China Standard Time. */
const cstYearOf = (ms: number) => Number(formatDate(ms).slice(0, 4));

/** Midnight at the start of an ISO date, China Standard Time, in epoch ms. */
function startOfDayCst(isoDate: string): number {
  return Date.parse(`${isoDate}T00:00:00+08:00`);
}

/** The row an insert … returning answered (it always answers one). */
function* inserted<R>(query: Parameters<typeof one<R>>[0]): Query<R> {
  const row = yield* one<R>(query);
  if (row === undefined) throw new Error('seed: an insert returned no row');
  return row;
}

function required(map: Map<string, number>, key: string, what: string): number {
  const id = map.get(key);
  if (id === undefined) throw new Error(`seed data refers to unknown ${what} "${key}"`);
  return id;
}

export function* seedRegionsAndVillages(tx: Tx, now: number): Query<Map<string, number>> {
  const regionIds = new Map<string, number>();
  for (const r of REGIONS) {
    const row = yield* inserted(
      tx
        .insert(regions)
        .values({
          province: r.province,
          city: r.city,
          county: r.county,
          township: r.township,
          cityEn: r.cityEn,
          countyEn: r.countyEn,
          townshipEn: r.townshipEn,
        })
        .returning({ id: regions.id }),
    );
    regionIds.set(r.key, row.id);
  }
  const villageIds = new Map<string, number>();
  for (const [i, v] of VILLAGES.entries()) {
    const row = yield* inserted(
      tx
        .insert(villages)
        .values({
          regionId: required(regionIds, v.regionKey, 'region'),
          slug: v.slug,
          nameZh: v.nameZh,
          nameEn: v.nameEn,
          storyZh: v.storyZh,
          storyEn: v.storyEn,
          shippingFeeFen: v.shippingFeeFen,
          freeShippingOverFen: v.freeShippingOverFen,
          createdAt: now - (240 - i) * DAY_MS,
        })
        .returning({ id: villages.id }),
    );
    villageIds.set(v.slug, row.id);
  }
  return villageIds;
}

/** Projects and their first split rule, effective from the project's start date. */
export function* seedProjects(tx: Tx, now: number): Query<Map<string, number>> {
  const projectIds = new Map<string, number>();
  for (const p of PROJECTS) {
    const startsAt = startOfDayCst(p.startsOn);
    const createdAt = Math.min(startsAt, now);
    const row = yield* inserted(
      tx
        .insert(projects)
        .values({
          slug: p.slug,
          nameZh: p.nameZh,
          nameEn: p.nameEn,
          fundingSource: p.fundingSource,
          fundingSourceEn: p.fundingSourceEn ?? null,
          startsOn: p.startsOn,
          endsOn: `${cstYearOf(now) + p.endsYearsAfterSeed}-12-31`,
          targetFen: p.targetFen,
          storyZh: p.storyZh,
          storyEn: p.storyEn,
          createdAt,
          updatedAt: createdAt,
        })
        .returning({ id: projects.id }),
    );
    yield* run(tx.insert(projectSplitRules).values({ projectId: row.id, ...p.split, effectiveFrom: createdAt, createdAt }));
    projectIds.set(p.slug, row.id);
  }
  return projectIds;
}

/** Households (enrolled in their projects), then producers with their member households. */
export function* seedHouseholdsAndProducers(
  tx: Tx,
  ids: Pick<SeedIds, 'villages' | 'projects'>,
  now: number,
): Query<{ households: Map<string, number>; producers: Map<string, number> }> {
  const householdIds = new Map<string, number>();
  for (const [i, h] of HOUSEHOLDS.entries()) {
    const createdAt = now - (200 - i) * DAY_MS;
    const row = yield* inserted(
      tx
        .insert(households)
        .values({
          villageId: required(ids.villages, h.villageSlug, 'village'),
          realName: h.realName,
          displayName: h.displayName,
          publicStoryZh: h.publicStoryZh,
          publicStoryEn: h.publicStoryEn,
          phone: h.phone,
          idCardLast4: h.idCardLast4,
          povertyRegNo: h.povertyRegNo,
          members: h.members,
          bankAccountNo: demoBankAccountNo(i, HOUSEHOLDS.length),
          bankName: demoBankAccountNo(i, HOUSEHOLDS.length) === null ? null : (DEMO_BANKS[h.villageSlug] ?? null),
          createdAt,
          updatedAt: createdAt,
        })
        .returning({ id: households.id }),
    );
    householdIds.set(h.key, row.id);
    if (h.consentPublic) {
      // Agreed aloud at the village committee when the household was registered, before a witness.
      yield* run(
        tx.insert(householdConsents).values({
          householdId: row.id,
          namePublic: true,
          storyPublic: true,
          photoPublic: false,
          method: 'verbal',
          witnessName: '村委会文书',
          givenOn: formatDate(createdAt),
          recordedAt: createdAt,
        }),
      );
    }
    for (const projectSlug of h.projectSlugs) {
      yield* run(
        tx.insert(projectHouseholds).values({ projectId: required(ids.projects, projectSlug, 'project'), householdId: row.id, enrolledAt: createdAt }),
      );
    }
  }

  const producerIds = new Map<string, number>();
  for (const [i, p] of PRODUCERS.entries()) {
    const createdAt = now - (190 - i) * DAY_MS;
    const row = yield* inserted(
      tx
        .insert(producers)
        .values({
          villageId: required(ids.villages, p.villageSlug, 'village'),
          kind: p.kind,
          nameZh: p.nameZh,
          nameEn: p.nameEn,
          storyZh: p.storyZh,
          storyEn: p.storyEn,
          createdAt,
          updatedAt: createdAt,
        })
        .returning({ id: producers.id }),
    );
    producerIds.set(p.key, row.id);
    for (const m of p.members) {
      yield* run(tx.insert(producerMembers).values({ producerId: row.id, householdId: required(householdIds, m.householdKey, 'household'), weight: m.weight }));
    }
  }
  return { households: householdIds, producers: producerIds };
}

/** Products with their bulk price tiers. The FTS triggers index them as they are inserted. */
export function* seedProducts(tx: Tx, ids: Pick<SeedIds, 'producers' | 'projects'>, now: number): Query<Map<string, number>> {
  const productIds = new Map<string, number>();
  for (const [i, p] of PRODUCTS.entries()) {
    // A few hours' offset per product keeps listing times distinct even on the same day.
    const createdAt = now - p.listedDaysAgo * DAY_MS - (i + 1) * 37 * 60 * 1000;
    const row = yield* inserted(
      tx
        .insert(products)
        .values({
          slug: p.slug,
          producerId: required(ids.producers, p.producerKey, 'producer'),
          projectId: required(ids.projects, p.projectSlug, 'project'),
          category: p.category,
          unit: p.unit,
          titleZh: p.titleZh,
          titleEn: p.titleEn,
          descriptionZh: p.descriptionZh,
          descriptionEn: p.descriptionEn,
          storyZh: p.storyZh,
          storyEn: p.storyEn,
          priceFen: p.priceFen,
          stock: p.stock,
          minOrderQty: p.minOrderQty,
          maxRetailQty: p.maxRetailQty,
          lowStockThreshold: p.lowStockThreshold,
          published: p.published,
          featured: p.featured,
          soldCount: p.soldCount,
          createdAt,
          updatedAt: createdAt,
        })
        .returning({ id: products.id }),
    );
    productIds.set(p.slug, row.id);
    for (const tier of p.tiers) {
      yield* run(tx.insert(priceTiers).values({ productId: row.id, minQty: tier.minQty, priceFen: tier.priceFen }));
    }
  }
  return productIds;
}

/** Stores each product's already-encoded photo and links it as the product's first photo. */
export function* seedPhotos(
  tx: Tx,
  media: Pick<MediaService, 'addProductPhoto'>,
  productIds: Map<string, number>,
  photos: Map<string, EncodedProductPhoto>,
): Query<number> {
  let count = 0;
  for (const p of PRODUCTS) {
    const photo = photos.get(p.slug);
    if (!photo) continue;
    const { listMediaId, detailMediaId } = yield* media.addProductPhoto(tx, photo);
    yield* run(
      tx.insert(productPhotos).values({
        productId: required(productIds, p.slug, 'product'),
        position: 0,
        listMediaId,
        detailMediaId,
        altZh: p.titleZh,
        altEn: p.titleEn,
      }),
    );
    count += 1;
  }
  return count;
}

function* hasVillages(tx: Tx): Query<boolean> {
  return (yield* one(tx.select({ id: villages.id }).from(villages).limit(1))) !== undefined;
}

/**
 * Loads the demo villages, projects, households, producers and products into an empty database.
 * Does nothing when any village exists. Photos are rendered and re-encoded first (sharp is async);
 * everything else, media rows included, is written in one unit of work, on either engine.
 */
export async function seedDemoData(db: Database_, opts: SeedOptions = {}): Promise<{ seeded: false } | { seeded: true; ids: SeedIds }> {
  const log = opts.log ?? (() => {});
  if (await db.uow.read(hasVillages)) {
    log('demo data: villages already present, nothing seeded');
    return { seeded: false };
  }
  const now = opts.now ?? Date.now();
  const media = createMediaService(db);
  const photos = await encodeSeedPhotos(media, PRODUCTS);
  const passwordHashes = await hashDemoPasswords();

  const result = await db.uow.write(function* (tx): Query<{ seeded: boolean; photoCount: number; ids?: SeedIds }> {
    // Another process may have seeded while the photos were rendering; on PostgreSQL two servers
    // starting together take turns here (the second then finds the villages).
    yield* serialize('demo-seed');
    if (yield* hasVillages(tx)) return { seeded: false, photoCount: 0 };
    const villageIds = yield* seedRegionsAndVillages(tx, now);
    const projectIds = yield* seedProjects(tx, now);
    const people = yield* seedHouseholdsAndProducers(tx, { villages: villageIds, projects: projectIds }, now);
    const productIds = yield* seedProducts(tx, { producers: people.producers, projects: projectIds }, now);
    const photoCount = yield* seedPhotos(tx, media, productIds, photos);
    const ids: SeedIds = {
      villages: villageIds,
      projects: projectIds,
      households: people.households,
      producers: people.producers,
      products: productIds,
    };
    yield* seedDemoAccounts(tx, villageIds, projectIds, passwordHashes, now);
    yield* seedWishesAndLots(tx, ids, now); // micro-wishes and harvest lots
    yield* seedOutletsAndOrganizations(tx, ids, now); // charity supermarkets, outlet staff scope, a trade union with its quota
    for (const step of opts.extraSteps ?? []) yield* step(tx, ids, now);
    return { seeded: true, photoCount, ids };
  });
  if (!result.seeded || !result.ids) {
    log('demo data: seeded concurrently by another process, nothing seeded');
    return { seeded: false };
  }
  const { ids } = result;
  log(
    `demo data: ${ids.villages.size} villages, ${ids.projects.size} projects, ${ids.households.size} households, ` +
      `${ids.producers.size} producers, ${ids.products.size} products, ${result.photoCount} photos`,
  );
  return { seeded: true, ids };
}
