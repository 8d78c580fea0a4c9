import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import type { EncodedProductPhoto, MediaService } from '../media/media-service.js';
import { assertVillage, villageScopeOf } from '../villages/access.js';
import type { VillagesService } from '../villages/villages-service.js';
import { photosOf, tiersOf } from './catalog-queries.js';
import type { ProductForm } from './catalog-schemas.js';
import {
  adjustStock,
  deletePhoto,
  insertPhoto,
  photoCount,
  photoOrder,
  setPhotoAlt,
  setPhotoPosition,
  insertProduct,
  insertStockAdjustment,
  lowStockIn,
  managedProduct,
  productsIn,
  projectExists,
  replaceTiers,
  setPublished,
  slugTaken,
  stockAdjustmentsOf,
  touchProduct,
  updateProduct,
  type ManagedProduct,
  type ProductWrite,
} from './product-management-queries.js';

/** Photos a product may have; the shop shows them all on its page, the first (main) one on cards. */
export const MAX_PHOTOS = 12;
/** Where a photo can be moved among its product's photos: to the front (the main photo), one earlier or one later. */
export const PHOTO_MOVES = ['main', 'earlier', 'later'] as const;
export type PhotoMove = (typeof PHOTO_MOVES)[number];

/** The stored reason of a new product's first stock; pages show it in the reader's language (sec.stock.initial). */
export const INITIAL_STOCK_REASON = 'initial stock';

/** "Tiger-head shoes (pair)" → "tiger-head-shoes-pair"; empty when nothing ASCII is left. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
}

const auditView = (p: Pick<ManagedProduct, 'titleZh' | 'priceFen' | 'published' | 'projectId' | 'producerId' | 'minOrderQty'>) => ({
  titleZh: p.titleZh,
  priceFen: p.priceFen,
  published: Boolean(p.published),
  projectId: p.projectId,
  producerId: p.producerId,
  minOrderQty: p.minOrderQty,
});

/** The product's own columns a form writes (its stock and tiers are written apart). */
const toWrite = (form: ProductForm, slug: string): ProductWrite => ({
  slug,
  producerId: form.producerId,
  projectId: form.projectId,
  category: form.category,
  unit: form.unit,
  titleZh: form.titleZh,
  titleEn: form.titleEn,
  descriptionZh: form.descriptionZh,
  descriptionEn: form.descriptionEn,
  storyZh: form.storyZh,
  storyEn: form.storyEn,
  priceFen: form.priceFen,
  minOrderQty: form.minOrderQty,
  maxRetailQty: form.maxRetailQty,
  lowStockThreshold: form.lowStockThreshold,
  published: form.published,
  featured: form.featured,
});

/**
 * The first secretary's product management: create, edit, publish, stock adjustments and photos.
 * A product belongs to the village of its producer; every call checks it against the actor's scope.
 * Other domains that change a product's stock in their own transaction (lots, outlets) compose
 * `readProduct` and `writeStockAdjustment` into their unit of work.
 */
export function createProductManagement(db: Database_, deps: { clock: Clock; audit: AuditService; media: MediaService; villages: VillagesService }) {
  const { clock, audit, media } = deps;

  /** A product the actor manages; else not found. */
  function* readProduct(tx: Tx, actor: CurrentUser, id: number): Query<ManagedProduct> {
    const row = yield* managedProduct(tx, id);
    assertVillage(actor, row?.villageId, 'product_not_found');
    return row!;
  }

  /** The producer must be one the actor manages; the project must exist. */
  function* checkReferences(tx: Tx, actor: CurrentUser, form: ProductForm): Query<void> {
    let villageId: number | undefined;
    try {
      villageId = (yield* deps.villages.readProducer(tx, actor, form.producerId)).villageId;
    } catch {
      throw new AppError('validation', 'producer_not_found', undefined, { fields: { producerId: 'producer_not_found' } });
    }
    assertVillage(actor, villageId);
    if (!(yield* projectExists(tx, form.projectId))) {
      throw new AppError('validation', 'project_not_found', undefined, { fields: { projectId: 'project_not_found' } });
    }
  }

  function* chooseSlug(tx: Tx, form: ProductForm, exceptId: number): Query<string> {
    if (form.slug) {
      if (yield* slugTaken(tx, form.slug, exceptId)) throw new AppError('conflict', 'slug_taken', undefined, { fields: { slug: 'slug_taken' } });
      return form.slug;
    }
    const base = slugify(form.titleEn ?? '') || 'product';
    for (let n = 1; n < 1000; n++) {
      const candidate = n === 1 && base !== 'product' ? base : `${base}-${n}`;
      if (!(yield* slugTaken(tx, candidate, exceptId))) return candidate;
    }
    throw new AppError('conflict', 'slug_taken', undefined, { fields: { slug: 'slug_taken' } });
  }

  /** Adds `delta` units (negative: removes them) with the reason in the product's stock history; never below zero. */
  function* writeStockAdjustment(tx: Tx, actor: CurrentUser, id: number, delta: number, reason: string, address: string | null): Query<void> {
    const before = yield* readProduct(tx, actor, id);
    const now = clock();
    if (!(yield* adjustStock(tx, id, delta, now))) {
      throw new AppError('validation', 'stock_below_zero', undefined, { fields: { delta: 'stock_below_zero' } });
    }
    yield* insertStockAdjustment(tx, id, delta, reason, actor.id, now);
    yield* audit.add(tx, {
      userId: actor.id,
      action: 'product.stock_adjust',
      entityType: 'product',
      entityId: id,
      before: { stock: before.stock },
      after: { stock: before.stock + delta, delta, reason },
      address,
    });
  }

  /**
   * A product is published with a photo, or when the secretary confirmed it goes out without one:
   * a card without a photo sells poorly, and an empty one looks broken. Only the change from draft
   * to published is checked, so a product published before keeps being edited as it is.
   */
  function* checkPublishable(tx: Tx, id: number | null, wasPublished: boolean, publishing: boolean, withoutPhoto: boolean): Query<void> {
    if (!publishing || wasPublished || withoutPhoto) return;
    if (id !== null && (yield* photoCount(tx, id)) > 0) return;
    throw new AppError('validation', 'publish_without_photo', undefined, { fields: { publishWithoutPhoto: 'publish_without_photo' } });
  }

  /**
   * Re-encodes several uploads (outside the transaction, one at a time: sharp is heavy), then
   * stores them after the product's other photos, all or none. A product without photos gets
   * its main photo this way: the first uploaded.
   */
  async function addPhotos(actor: CurrentUser, id: number, uploads: readonly Buffer[], address: string | null): Promise<void> {
    const row = await db.uow.read((tx) => readProduct(tx, actor, id));
    const tooMany = () => new AppError('validation', 'too_many_photos', undefined, { params: { max: MAX_PHOTOS } });
    if ((await db.uow.read((tx) => photoCount(tx, id))) + uploads.length > MAX_PHOTOS) throw tooMany();
    const encoded: EncodedProductPhoto[] = [];
    for (const upload of uploads) encoded.push(await media.encodeProductPhoto(upload));
    await db.uow.write(function* (tx) {
      yield* readProduct(tx, actor, id); // still there and still ours after the await
      if ((yield* photoCount(tx, id)) + encoded.length > MAX_PHOTOS) throw tooMany();
      const now = clock();
      const photoIds: number[] = [];
      for (const photo of encoded) {
        const stored = yield* media.addProductPhoto(tx, photo);
        photoIds.push(yield* insertPhoto(tx, id, stored.listMediaId, stored.detailMediaId, row.titleZh, now));
      }
      yield* touchProduct(tx, id, now);
      for (const photoId of photoIds) {
        yield* audit.add(tx, { userId: actor.id, action: 'product.photo_add', entityType: 'product', entityId: id, after: { photoId }, address });
      }
    });
  }

  return {
    readProduct,
    writeStockAdjustment,

    products: (actor: CurrentUser) => db.uow.read((tx) => productsIn(tx, villageScopeOf(actor))),
    lowStock: (actor: CurrentUser) => db.uow.read((tx) => lowStockIn(tx, villageScopeOf(actor))),
    product: (actor: CurrentUser, id: number) => db.uow.read((tx) => readProduct(tx, actor, id)),

    productDetail: (actor: CurrentUser, id: number) =>
      db.uow.read(function* (tx) {
        const product = yield* readProduct(tx, actor, id);
        return {
          product,
          tiers: yield* tiersOf(tx, id),
          photos: yield* photosOf(tx, id),
          adjustments: yield* stockAdjustmentsOf(tx, id),
        };
      }),

    create: (actor: CurrentUser, form: ProductForm, address: string | null): Promise<number> =>
      db.uow.write(function* (tx) {
        yield* checkReferences(tx, actor, form);
        yield* checkPublishable(tx, null, false, form.published, form.publishWithoutPhoto);
        const slug = yield* chooseSlug(tx, form, 0);
        const now = clock();
        const id = yield* insertProduct(tx, toWrite(form, slug), form.stock, now);
        yield* replaceTiers(tx, id, form.tiers);
        if (form.stock > 0) yield* insertStockAdjustment(tx, id, form.stock, INITIAL_STOCK_REASON, actor.id, now);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'product.create',
          entityType: 'product',
          entityId: id,
          after: { ...auditView(form), stock: form.stock, tiers: form.tiers },
          address,
        });
        return id;
      }),

    update: (actor: CurrentUser, id: number, form: ProductForm, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        const before = yield* readProduct(tx, actor, id);
        yield* checkReferences(tx, actor, form);
        yield* checkPublishable(tx, id, Boolean(before.published), form.published, form.publishWithoutPhoto);
        const slug = form.slug ? yield* chooseSlug(tx, form, id) : before.slug;
        const beforeTiers = yield* tiersOf(tx, id);
        yield* updateProduct(tx, id, toWrite(form, slug), clock());
        yield* replaceTiers(tx, id, form.tiers);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'product.update',
          entityType: 'product',
          entityId: id,
          before: { ...auditView(before), tiers: beforeTiers },
          after: { ...auditView(form), tiers: form.tiers },
          address,
        });
      }),

    /** Publishes or withdraws a product; publishing one without a photo needs `withoutPhoto` (the secretary's confirmation). */
    setPublished: (actor: CurrentUser, id: number, published: boolean, address: string | null, withoutPhoto = false): Promise<void> =>
      db.uow.write(function* (tx) {
        const before = yield* readProduct(tx, actor, id);
        yield* checkPublishable(tx, id, Boolean(before.published), published, withoutPhoto);
        yield* setPublished(tx, id, published, clock());
        yield* audit.add(tx, {
          userId: actor.id,
          action: published ? 'product.publish' : 'product.unpublish',
          entityType: 'product',
          entityId: id,
          before: { published: Boolean(before.published) },
          after: { published },
          address,
        });
      }),

    adjustStock: (actor: CurrentUser, id: number, delta: number, reason: string, address: string | null): Promise<void> =>
      db.uow.write((tx) => writeStockAdjustment(tx, actor, id, delta, reason, address)),

    /** Re-encodes the upload (outside the transaction), then stores it and links it to the product. */
    addPhoto(actor: CurrentUser, id: number, upload: Buffer, address: string | null): Promise<void> {
      return addPhotos(actor, id, [upload], address);
    },
    addPhotos,

    /** Moves a photo to the front (it becomes the main photo cards show), one earlier or one later; positions stay 0…n-1. */
    movePhoto: (actor: CurrentUser, id: number, photoId: number, move: PhotoMove, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        yield* readProduct(tx, actor, id);
        const photos = yield* photoOrder(tx, id);
        const from = photos.findIndex((p) => p.id === photoId);
        if (from < 0) throw new AppError('not_found', 'photo_not_found');
        const to = move === 'main' ? 0 : move === 'earlier' ? Math.max(0, from - 1) : Math.min(photos.length - 1, from + 1);
        const order = photos.map((p) => p.id);
        order.splice(from, 1);
        order.splice(to, 0, photoId);
        for (const [position, pid] of order.entries()) {
          if (photos.find((p) => p.id === pid)!.position !== position) yield* setPhotoPosition(tx, id, pid, position);
        }
        if (from === to) return;
        yield* touchProduct(tx, id, clock());
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'product.photo_move',
          entityType: 'product',
          entityId: id,
          before: { order: photos.map((p) => p.id) },
          after: { order },
          address,
        });
      }),

    /** The words a screen reader says for a photo (and shown when it cannot load), in Chinese and, optionally, English. */
    describePhoto: (actor: CurrentUser, id: number, photoId: number, altZh: string, altEn: string | null, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        yield* readProduct(tx, actor, id);
        if (!(yield* setPhotoAlt(tx, id, photoId, altZh, altEn))) throw new AppError('not_found', 'photo_not_found');
        yield* audit.add(tx, { userId: actor.id, action: 'product.photo_describe', entityType: 'product', entityId: id, after: { photoId }, address });
      }),

    removePhoto: (actor: CurrentUser, id: number, photoId: number, address: string | null): Promise<void> =>
      db.uow.write(function* (tx) {
        yield* readProduct(tx, actor, id);
        if (!(yield* deletePhoto(tx, id, photoId))) throw new AppError('not_found', 'photo_not_found');
        yield* touchProduct(tx, id, clock());
        yield* audit.add(tx, { userId: actor.id, action: 'product.photo_remove', entityType: 'product', entityId: id, before: { photoId }, address });
      }),
  };
}

export type ProductManagement = ReturnType<typeof createProductManagement>;
