import { randomBytes } from 'node:crypto';
import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { ProductManagement } from '../catalog/product-management.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import type { MediaService } from '../media/media-service.js';
import type { Media } from '../media/media-queries.js';
import { MIN_NAMED_GROUP } from '../orders/benefit.js';
import { startOfDay } from '../time.js';
import { assertVillage } from '../villages/access.js';
import type { VillagesService } from '../villages/villages-service.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import {
  codeTaken,
  householdsOfLot,
  insertLot,
  insertLotHousehold,
  lotByCode,
  lotById,
  lotsOfOrder,
  lotsOfProduct,
  lotsOfReceipt,
  markRecalled,
  ordersOfLot,
  recallCases,
  type LineLot,
  type LotView,
} from './lots-queries.js';
import type { LotForm } from './lots-schemas.js';

/** An order holding units of a lot as it is recalled: what its buyer is told, by the stage it is at. */
export interface RecalledOrder {
  orderId: number;
  number: string;
  buyerUserId: number | null;
  contactName: string;
  productZh: string;
  productEn: string | null;
  unit: string;
  /** Units of the lot the order holds. */
  units: number;
  /** Not paid yet; paid with the units not sent; or the units already sent. */
  stage: 'unpaid' | 'unshipped' | 'shipped';
}

/** What lots report as it happens (the buyers' recall notices): a step of the recall's unit of work. */
export interface LotEvents {
  recalled(tx: Tx, lot: { code: string; reason: string }, orders: readonly RecalledOrder[]): Query<void>;
}

/** The orders of a lot being recalled, one per order, with the units each still holds. */
function* recalledOrders(tx: Tx, lotId: number): Query<RecalledOrder[]> {
  const byOrder = new Map<number, RecalledOrder>();
  for (const c of yield* recallCases(tx, lotId)) {
    if (c.held === 0 || c.lineRefundedFen >= c.lineTotalFen) continue;
    const stage = c.status === 'pending_payment' ? 'unpaid' : c.parcel === null || c.parcel === 'pending' ? 'unshipped' : 'shipped';
    const seen = byOrder.get(c.orderId);
    if (seen) {
      seen.units += c.held;
      if (stage === 'shipped') seen.stage = 'shipped';
      continue;
    }
    byOrder.set(c.orderId, {
      orderId: c.orderId,
      number: c.number,
      buyerUserId: c.buyerUserId,
      contactName: c.contactName,
      productZh: c.productZh,
      productEn: c.productEn,
      unit: c.unit,
      units: c.held,
      stage,
    });
  }
  return [...byOrder.values()];
}

const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** L + harvest date + 4 random characters, e.g. L20250601-K7QM: short enough to print on a jar. */
function makeCode(harvestedOn: string): string {
  const suffix = [...randomBytes(4)].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
  return `L${harvestedOn.replace(/-/g, '')}-${suffix}`;
}

/** The households of a lot as the public may see them: a count, and consented names only in groups of 3 or more. */
export interface PublicLotHouseholds {
  count: number;
  names: string[];
}

/**
 * Harvest lots (traceability). The first secretary of the product's village records a lot (date,
 * units, source households, certificate); its units join the product's stock with an adjustment.
 * Orders take units from lots first-in-first-out (in the orders transaction: allocateLots in lots-queries);
 * a recall stops a lot being sold and lists every order that holds units of it.
 */
export function createLotsService(
  db: Database_,
  deps: { clock: Clock; audit: AuditService; media: MediaService; products: ProductManagement; villages: VillagesService; events?: LotEvents },
) {
  const { clock, audit, media, products, villages } = deps;

  /** A lot of the actor's villages; any other is "not found". */
  function* lotFor(tx: Tx, actor: CurrentUser, id: number): Query<LotView> {
    const row = yield* lotById(tx, id);
    assertVillage(actor, row?.villageId, 'lot_not_found');
    return row!;
  }

  function* publicHouseholds(tx: Tx, lotId: number): Query<PublicLotHouseholds> {
    const rows = yield* householdsOfLot(tx, lotId);
    const names = rows.length >= MIN_NAMED_GROUP ? rows.map((h) => h.publicName).filter((n): n is string => Boolean(n)) : [];
    return { count: rows.length, names };
  }

  function* withHouseholds(tx: Tx, rows: LineLot[]) {
    const out: (LineLot & { households: PublicLotHouseholds })[] = [];
    for (const r of rows) out.push({ ...r, households: yield* publicHouseholds(tx, r.lotId) });
    return out;
  }

  /** Households a lot of this product can come from: the product's village (the secretary sees real names). */
  async function householdsForProduct(actor: CurrentUser, productId: number) {
    const product = await products.product(actor, productId);
    return (await villages.households(actor)).filter((h) => h.villageId === product.villageId);
  }

  return {
    lot: (actor: CurrentUser, id: number) => db.uow.read((tx) => lotFor(tx, actor, id)),
    lotsOfProduct: (actor: CurrentUser, productId: number) =>
      db.uow.read(function* (tx) {
        yield* products.readProduct(tx, actor, productId);
        const rows = yield* lotsOfProduct(tx, productId);
        const out = [];
        for (const l of rows) out.push({ ...l, households: yield* householdsOfLot(tx, l.id) });
        return out;
      }),
    householdsForProduct: (actor: CurrentUser, productId: number) => householdsForProduct(actor, productId),
    householdsOfLot: (actor: CurrentUser, id: number) =>
      db.uow.read(function* (tx) {
        return yield* householdsOfLot(tx, (yield* lotFor(tx, actor, id)).id);
      }),
    ordersOfLot: (actor: CurrentUser, id: number) =>
      db.uow.read(function* (tx) {
        return yield* ordersOfLot(tx, (yield* lotFor(tx, actor, id)).id);
      }),

    /**
     * Records a lot: validated and its certificate re-encoded first, then in ONE transaction the lot,
     * its households and the stock adjustment ("lot <code>") that puts its units on sale.
     */
    async create(actor: CurrentUser, productId: number, form: LotForm, certificate: Buffer | null, address: string | null): Promise<LotView> {
      const fields: Record<string, string> = {};
      if ((startOfDay(form.harvestedOn) ?? 0) > clock()) fields.harvestedOn = 'lot_date_in_future';
      const allowed = new Set((await householdsForProduct(actor, productId)).map((h) => h.id));
      if (form.householdIds.length === 0) fields.householdIds = 'lot_households_required';
      else if (form.householdIds.some((id) => !allowed.has(id))) fields.householdIds = 'lot_household_unknown';
      const requested = form.code;
      if (requested && (await db.uow.read((tx) => codeTaken(tx, requested)))) fields.code = 'lot_code_taken';
      if (Object.keys(fields).length) throw new AppError('validation', Object.values(fields)[0]!, undefined, { fields });
      let encoded = null;
      if (certificate) {
        try {
          encoded = await media.encodeEvidence(certificate);
        } catch (error) {
          if (error instanceof AppError && error.type === 'validation')
            throw new AppError('validation', error.code, undefined, { fields: { certificate: error.code } });
          throw error;
        }
      }
      return db.uow.write(function* (tx) {
        let code = form.code ?? makeCode(form.harvestedOn);
        if (yield* codeTaken(tx, code)) {
          if (form.code) throw new AppError('validation', 'lot_code_taken', undefined, { fields: { code: 'lot_code_taken' } });
          code = makeCode(form.harvestedOn);
        }
        const certificateMediaId = encoded ? yield* media.addEvidence(tx, encoded) : null;
        const id = yield* insertLot(tx, {
          productId,
          code,
          harvestedOn: form.harvestedOn,
          quantity: form.quantity,
          notes: form.notes,
          certificateMediaId,
          createdAt: clock(),
        });
        for (const householdId of new Set(form.householdIds)) yield* insertLotHousehold(tx, id, householdId);
        yield* products.writeStockAdjustment(tx, actor, productId, form.quantity, `lot ${code}`, address);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'lot.create',
          entityType: 'lot',
          entityId: code,
          after: { productId, harvestedOn: form.harvestedOn, quantity: form.quantity, households: form.householdIds, certificate: certificateMediaId !== null },
          address,
        });
        return (yield* lotById(tx, id))!;
      });
    },

    /**
     * Recalls a lot: it is never sold from again, and its unsold units leave the product's sellable
     * stock (an adjustment "recall lot <code>"). Returns the orders holding units of it.
     */
    recall: (actor: CurrentUser, id: number, reason: string, address: string | null) =>
      db.uow.write(function* (tx) {
        const before = yield* lotFor(tx, actor, id);
        if (!(yield* markRecalled(tx, id, reason, clock()))) throw new AppError('conflict', 'lot_already_recalled');
        const fresh = (yield* lotById(tx, id))!;
        const stock = (yield* products.readProduct(tx, actor, fresh.productId)).stock;
        const off = Math.min(stock, fresh.remaining);
        if (off > 0) yield* products.writeStockAdjustment(tx, actor, fresh.productId, -off, `recall lot ${fresh.code}`, address);
        const affected = yield* ordersOfLot(tx, id);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'lot.recall',
          entityType: 'lot',
          entityId: before.code,
          before: { recalled: false },
          after: { reason, stockRemoved: off, orders: affected.map((o) => o.number) },
          address,
        });
        // Each buyer holding units of the lot is told in the same commit as the recall.
        if (deps.events) yield* deps.events.recalled(tx, { code: fresh.code, reason }, yield* recalledOrders(tx, id));
        return affected;
      }),

    /** A lot as the public sees it (the /lots/:code page): no private household data. */
    publicLot: (code: string) =>
      db.uow.read(function* (tx) {
        const row = yield* lotByCode(tx, code.toUpperCase());
        if (!row) throw new AppError('not_found', 'lot_not_found');
        return { lot: row, households: yield* publicHouseholds(tx, row.id) };
      }),

    /** A lot's quality certificate: public proof, served with the lot page. */
    async certificate(code: string): Promise<Media> {
      const row = await db.uow.read((tx) => lotByCode(tx, code.toUpperCase()));
      const media_ = row?.certificateMediaId ? await media.get(row.certificateMediaId) : null;
      if (!media_) throw new AppError('not_found', 'not_found');
      return media_;
    },

    /** Lots each line of an order was served from, with their public households. */
    lotsOfOrder: (orderId: number) =>
      db.uow.read(function* (tx) {
        return yield* withHouseholds(tx, yield* lotsOfOrder(tx, orderId));
      }),
    lotsOfReceipt: (receiptCode: string) =>
      db.uow.read(function* (tx) {
        return yield* withHouseholds(tx, yield* lotsOfReceipt(tx, receiptCode));
      }),
  };
}

export type LotsService = ReturnType<typeof createLotsService>;
