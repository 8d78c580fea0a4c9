import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import type { MediaService } from '../media/media-service.js';
import { assertVillage, villageScopeOf } from '../villages/access.js';
import type { VillagesService } from '../villages/villages-service.js';
import { createCatalogQueries, createProductAdminQueries, type ManagedProductRow, type ProductWrite } from './catalog-queries.js';
import type { ProductForm } from './catalog-schemas.js';

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

const auditView = (p: Pick<ManagedProductRow, 'titleZh' | 'priceFen' | 'published' | 'projectId' | 'producerId' | 'minOrderQty'>) => ({
  titleZh: p.titleZh,
  priceFen: p.priceFen,
  published: Boolean(p.published),
  projectId: p.projectId,
  producerId: p.producerId,
  minOrderQty: p.minOrderQty,
});

/**
 * The first secretary's product management: create, edit, publish, stock adjustments and photos.
 * A product belongs to the village of its producer; every call checks it against the actor's scope.
 */
export function createProductManagement(db: Database_, deps: { clock: Clock; audit: AuditService; media: MediaService; villages: VillagesService }) {
  const queries = createProductAdminQueries(db);
  const catalog = createCatalogQueries(db);
  const { clock, audit, media } = deps;

  function product(actor: CurrentUser, id: number): ManagedProductRow {
    const row = queries.productById(id);
    assertVillage(actor, row?.villageId, 'product_not_found');
    return row!;
  }

  /** The producer must be one the actor manages; the project must exist. */
  function checkReferences(actor: CurrentUser, form: ProductForm): void {
    let villageId: number | undefined;
    try {
      villageId = db.uow.now((tx) => deps.villages.readProducer(tx, actor, form.producerId)).villageId;
    } catch {
      throw new AppError('validation', 'producer_not_found', undefined, { fields: { producerId: 'producer_not_found' } });
    }
    assertVillage(actor, villageId);
    if (!queries.projectExists(form.projectId)) {
      throw new AppError('validation', 'project_not_found', undefined, { fields: { projectId: 'project_not_found' } });
    }
  }

  function chooseSlug(form: ProductForm, exceptId: number): string {
    if (form.slug) {
      if (queries.slugTaken(form.slug, exceptId)) throw new AppError('conflict', 'slug_taken', undefined, { fields: { slug: 'slug_taken' } });
      return form.slug;
    }
    const base = slugify(form.titleEn ?? '') || 'product';
    for (let n = 1; n < 1000; n++) {
      const candidate = n === 1 && base !== 'product' ? base : `${base}-${n}`;
      if (!queries.slugTaken(candidate, exceptId)) return candidate;
    }
    throw new AppError('conflict', 'slug_taken', undefined, { fields: { slug: 'slug_taken' } });
  }

  const toWrite = (form: ProductForm, slug: string): ProductWrite => ({ ...form, slug });

  return {
    products: (actor: CurrentUser) => queries.productsIn(villageScopeOf(actor)),
    lowStock: (actor: CurrentUser) => queries.lowStockIn(villageScopeOf(actor)),
    product,

    productDetail(actor: CurrentUser, id: number) {
      const row = product(actor, id);
      return {
        product: row,
        tiers: catalog.tiersOf(id),
        photos: catalog.photosOf(id),
        adjustments: queries.stockAdjustmentsOf(id),
      };
    },

    create(actor: CurrentUser, form: ProductForm, address: string | null): number {
      checkReferences(actor, form);
      return queries.transaction(() => {
        const slug = chooseSlug(form, 0);
        const now = clock();
        const id = queries.insertProduct(toWrite(form, slug), form.stock, now);
        queries.replaceTiers(id, form.tiers);
        if (form.stock > 0) queries.insertStockAdjustment(id, form.stock, INITIAL_STOCK_REASON, actor.id, now);
        audit.record({
          userId: actor.id,
          action: 'product.create',
          entityType: 'product',
          entityId: id,
          after: { ...auditView({ ...form, published: form.published ? 1 : 0 }), stock: form.stock, tiers: form.tiers },
          address,
        });
        return id;
      });
    },

    update(actor: CurrentUser, id: number, form: ProductForm, address: string | null): void {
      const before = product(actor, id);
      checkReferences(actor, form);
      queries.transaction(() => {
        const slug = form.slug ? chooseSlug(form, id) : before.slug;
        const beforeTiers = catalog.tiersOf(id);
        queries.updateProduct(id, toWrite(form, slug), clock());
        queries.replaceTiers(id, form.tiers);
        audit.record({
          userId: actor.id,
          action: 'product.update',
          entityType: 'product',
          entityId: id,
          before: { ...auditView(before), tiers: beforeTiers },
          after: { ...auditView({ ...form, published: form.published ? 1 : 0 }), tiers: form.tiers },
          address,
        });
      });
    },

    setPublished(actor: CurrentUser, id: number, published: boolean, address: string | null): void {
      const before = product(actor, id);
      queries.transaction(() => {
        queries.setPublished(id, published, clock());
        audit.record({
          userId: actor.id,
          action: published ? 'product.publish' : 'product.unpublish',
          entityType: 'product',
          entityId: id,
          before: { published: Boolean(before.published) },
          after: { published },
          address,
        });
      });
    },

    adjustStock(actor: CurrentUser, id: number, delta: number, reason: string, address: string | null): void {
      const before = product(actor, id);
      queries.transaction(() => {
        const now = clock();
        if (!queries.adjustStock(id, delta, now)) {
          throw new AppError('validation', 'stock_below_zero', undefined, { fields: { delta: 'stock_below_zero' } });
        }
        queries.insertStockAdjustment(id, delta, reason, actor.id, now);
        audit.record({
          userId: actor.id,
          action: 'product.stock_adjust',
          entityType: 'product',
          entityId: id,
          before: { stock: before.stock },
          after: { stock: before.stock + delta, delta, reason },
          address,
        });
      });
    },

    /** Re-encodes the upload (outside the transaction), then stores it and links it to the product. */
    async addPhoto(actor: CurrentUser, id: number, upload: Buffer, address: string | null): Promise<void> {
      const row = product(actor, id);
      const encoded = await media.encodeProductPhoto(upload);
      queries.transaction(() => {
        product(actor, id); // still there and still ours after the await
        const stored = media.saveProductPhoto(encoded);
        const now = clock();
        const photoId = queries.insertPhoto(id, stored.listMediaId, stored.detailMediaId, row.titleZh, now);
        queries.touch(id, now);
        audit.record({ userId: actor.id, action: 'product.photo_add', entityType: 'product', entityId: id, after: { photoId }, address });
      });
    },

    removePhoto(actor: CurrentUser, id: number, photoId: number, address: string | null): void {
      product(actor, id);
      queries.transaction(() => {
        if (!queries.deletePhoto(id, photoId)) throw new AppError('not_found', 'photo_not_found');
        queries.touch(id, clock());
        audit.record({ userId: actor.id, action: 'product.photo_remove', entityType: 'product', entityId: id, before: { photoId }, address });
      });
    },
  };
}

export type ProductManagement = ReturnType<typeof createProductManagement>;
