import type { Locale } from '../i18n/i18n.js';
import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import type { MediaService } from '../media/media-service.js';
import type { Media } from '../media/media-queries.js';
import type { Order } from '../orders/index.js';
import type { CartOwner } from '../orders/cart-service.js';
import { HOLD_LIMITS, visitorKey } from '../orders/holds.js';
import type { OrdersService, PlacedOrder } from '../orders/orders-service.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import {
  claimWish,
  insertWish,
  markDelivered,
  projectExists,
  unpaidClaimsOf,
  wishById,
  wishesInProjects,
  wishesWithStatus,
  wishOfOrder,
  type WishStatus,
  type WishView,
} from './wishes-queries.js';
import type { ClaimForm, WishForm } from './wishes-schemas.js';

/** What the public may see of a wish: never a cancelled one. */
const PUBLIC_STATUSES: readonly WishStatus[] = ['open', 'claimed', 'paid', 'delivered'];

/**
 * Micro-wishes (微心愿): a social worker (a coordinator, within their projects) posts a child's
 * wish; one donor claims it, which places a donation order for the wish's amount; once the order
 * is paid the money is in the project's fund (posted by the orders domain) and the social worker
 * buys the item and confirms delivery with a photo. An unpaid claim that ends opens the wish again.
 */
/** What wishes report as they happen (the donor's thanks): a step of the unit of work that makes the change. */
export interface WishEvents {
  /** The social worker handed the item over; `order` is the donation that paid for it. */
  delivered(tx: Tx, wish: WishView, order: Order): Query<void>;
}

export function createWishesService(
  db: Database_,
  deps: { clock: Clock; audit: AuditService; media: MediaService; orders: OrdersService; events?: WishEvents },
) {
  const { clock, audit, media, orders } = deps;

  const inScope = (actor: CurrentUser, projectId: number) => actor.role === 'coordinator' && (actor.allProjects || actor.projectIds.includes(projectId));

  /** A wish as the public may see it; cancelled or unknown ones are "not found". */
  function* publicWish(tx: Tx, id: number): Query<WishView> {
    const wish = yield* wishById(tx, id);
    if (!wish || !PUBLIC_STATUSES.includes(wish.status)) throw new AppError('not_found', 'wish_not_found');
    return wish;
  }

  /** A wish as a coordinator may see it: only in their projects; others are "not found". */
  function* wishFor(tx: Tx, actor: CurrentUser, id: number): Query<WishView> {
    const wish = yield* wishById(tx, id);
    if (!wish || !inScope(actor, wish.projectId)) throw new AppError('not_found', 'wish_not_found');
    return wish;
  }

  /** The donor may see the delivery photo with the order's link, or signed in as its buyer. */
  async function isDonor(wish: WishView, access: { token?: string; user?: CurrentUser | null }): Promise<boolean> {
    if (!wish.orderNumber) return false;
    try {
      const number = wish.orderNumber;
      const { token, user } = access;
      if (token) await db.uow.read((tx) => orders.parts.orderWithToken(tx, number, token));
      else if (user) await db.uow.read((tx) => orders.parts.orderOfBuyer(tx, number, user.id));
      else return false;
      return true;
    } catch (error) {
      if (error instanceof AppError && error.type === 'not_found') return false;
      throw error;
    }
  }

  return {
    publicWish: (id: number) => db.uow.read((tx) => publicWish(tx, id)),
    wishFor: (actor: CurrentUser, id: number) => db.uow.read((tx) => wishFor(tx, actor, id)),
    /** Open wishes for the board, newest first. */
    openWishes: () => db.uow.read((tx) => wishesWithStatus(tx, ['open'], 200)),
    /** Recently fulfilled wishes (claimed, paid or delivered), for the board's "already claimed" list. */
    fulfilledWishes: () => db.uow.read((tx) => wishesWithStatus(tx, ['claimed', 'paid', 'delivered'], 24)),
    wishesFor: (actor: CurrentUser) => db.uow.read((tx) => wishesInProjects(tx, actor.allProjects ? 'all' : actor.projectIds, 500)),
    wishOfOrder: (orderId: number) =>
      db.uow.read(function* (tx) {
        return (yield* wishOfOrder(tx, orderId)) ?? null;
      }),

    /** Posts a wish. The photo (re-encoded, metadata dropped) is kept only with consent. */
    async post(actor: CurrentUser, form: WishForm, photo: Buffer | null, address: string | null): Promise<number> {
      if (!inScope(actor, form.projectId) || !(await db.uow.read((tx) => projectExists(tx, form.projectId)))) {
        throw new AppError('validation', 'project_not_found', undefined, { fields: { projectId: 'project_not_found' } });
      }
      if (photo && !form.photoConsent)
        throw new AppError('validation', 'wish_photo_without_consent', undefined, { fields: { photo: 'wish_photo_without_consent' } });
      let encoded = null;
      if (photo) {
        try {
          encoded = await media.encodeEvidence(photo);
        } catch (error) {
          if (error instanceof AppError && error.type === 'validation')
            throw new AppError('validation', error.code, undefined, { fields: { photo: error.code } });
          throw error;
        }
      }
      return db.uow.write(function* (tx) {
        const photoMediaId = encoded ? yield* media.addEvidence(tx, encoded) : null;
        const id = yield* insertWish(tx, {
          projectId: form.projectId,
          childName: form.childName,
          childAge: form.childAge,
          item: form.item,
          itemEn: form.itemEn,
          amountFen: form.amount,
          story: form.story,
          storyEn: form.storyEn,
          photoMediaId,
          photoConsent: form.photoConsent,
          postedByUserId: actor.id,
          createdAt: clock(),
        });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'wish.post',
          entityType: 'wish',
          entityId: id,
          after: { projectId: form.projectId, item: form.item, amountFen: form.amount, photo: photoMediaId !== null },
          address,
        });
        return id;
      });
    },

    /**
     * One claim per wish. In ONE immediate transaction: the donation order is placed and the wish
     * moves open → claimed only if it is still open (a conditional update); a second claimer finds
     * it claimed, and their order is rolled back with it. A visitor, a phone number and an address
     * may each hold only a few unpaid claims at once (HOLD_LIMITS.wishClaims), and an unpaid
     * bank-transfer claim is released after a short time (WISH_CLAIM_HOLD_HOURS).
     */
    claim: (
      id: number,
      /** With the language the donor used the shop in (their messages about the claim are written in it). */
      form: ClaimForm & { locale?: Locale },
      visitor: CartOwner,
      buyerUserId: number | null,
      address: string | null,
    ): Promise<{ placed: PlacedOrder; wish: WishView }> =>
      db.uow.write(function* (tx) {
        const wish = yield* publicWish(tx, id);
        if (wish.status !== 'open') throw new AppError('conflict', 'wish_taken', undefined, { params: { name: wish.childName } });
        const held = yield* unpaidClaimsOf(tx, { visitor: visitorKey(visitor), phone: form.phone, address }, clock());
        const limits = HOLD_LIMITS.wishClaims;
        if (held.visitor >= limits.visitor || held.phone >= limits.phone || held.address >= limits.address) {
          throw new AppError('conflict', 'wish_claim_limit');
        }
        const placed = yield* orders.parts.placeDonation(
          tx,
          visitor,
          buyerUserId,
          { name: form.name, phone: form.phone, paymentMethod: form.paymentMethod, locale: form.locale },
          wish.amountFen,
          address,
        );
        if (!(yield* claimWish(tx, id, placed.order.id))) throw new AppError('conflict', 'wish_taken', undefined, { params: { name: wish.childName } });
        yield* audit.add(tx, {
          userId: buyerUserId,
          action: 'wish.claim',
          entityType: 'wish',
          entityId: id,
          before: { status: 'open' },
          after: { status: 'claimed', order: placed.order.number },
          address,
        });
        return { placed, wish: (yield* wishById(tx, id))! };
      }),

    /** Undoes a claim whose online payment could not be set up: the order is cancelled and the wish reopens. */
    abandonClaim(order: Order): Promise<boolean> {
      return orders.cancelUnpaid(order, 'payment setup failed');
    },

    /** The social worker bought and handed over the item: paid → delivered, with a photo. */
    async deliver(actor: CurrentUser, id: number, photo: Buffer, note: string | null, address: string | null): Promise<void> {
      const wish = await db.uow.read((tx) => wishFor(tx, actor, id));
      if (wish.status !== 'paid') throw new AppError('conflict', 'wish_not_deliverable', undefined, { params: { status: wish.status } });
      let encoded;
      try {
        encoded = await media.encodeEvidence(photo);
      } catch (error) {
        if (error instanceof AppError && error.type === 'validation')
          throw new AppError('validation', error.code, undefined, { fields: { photo: error.code } });
        throw error;
      }
      await db.uow.write(function* (tx) {
        yield* wishFor(tx, actor, id); // still ours after the await
        const mediaId = yield* media.addEvidence(tx, encoded);
        if (!(yield* markDelivered(tx, id, mediaId, note, clock())))
          throw new AppError('conflict', 'wish_not_deliverable', undefined, { params: { status: (yield* wishById(tx, id))!.status } });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'wish.deliver',
          entityType: 'wish',
          entityId: id,
          before: { status: 'paid' },
          after: { status: 'delivered', note },
          address,
        });
        const delivered = (yield* wishById(tx, id))!;
        if (deps.events && delivered.orderId !== null) yield* deps.events.delivered(tx, delivered, yield* orders.parts.orderById(tx, delivered.orderId));
      });
    },

    /** The child's photo: only with consent, only while the wish is public. */
    async photo(id: number): Promise<Media> {
      const wish = await db.uow.read((tx) => publicWish(tx, id));
      const row = wish.photoConsent && wish.photoMediaId ? await media.get(wish.photoMediaId) : null;
      if (!row) throw new AppError('not_found', 'not_found');
      return row;
    },

    /** The delivery photo: public with consent; otherwise for the donor and the wish's coordinators. */
    async deliveryPhoto(id: number, access: { token?: string; user?: CurrentUser | null }): Promise<Media> {
      const wish = await db.uow.read((tx) => wishById(tx, id));
      if (wish?.status !== 'delivered' || !wish.deliveryPhotoMediaId) throw new AppError('not_found', 'not_found');
      const allowed = wish.photoConsent || (access.user ? inScope(access.user, wish.projectId) : false) || (await isDonor(wish, access));
      const row = allowed ? await media.get(wish.deliveryPhotoMediaId) : null;
      if (!row) throw new AppError('not_found', 'not_found');
      return row;
    },
  };
}

export type WishesService = ReturnType<typeof createWishesService>;
