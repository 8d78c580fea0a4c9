import type { OrderPageSection } from '../orders/index.js';
import { formatDateTime } from '../time.js';
import { presentWish } from './wishes-routes.js';
import type { WishesService } from './wishes-service.js';

/**
 * The order page's wish section (partial order-wish): the wish a donation order paid for and, once
 * delivered, its photo and note. The photo's address carries the viewer's token, the same access
 * the order page itself required.
 */
export function orderWishSection(wishes: Pick<WishesService, 'wishOfOrder'>): OrderPageSection {
  return {
    name: 'orderWish',
    async load({ order }, viewer) {
      const wish = await wishes.wishOfOrder(order.id);
      if (!wish) return null;
      const delivered = wish.status === 'delivered';
      const { token } = viewer;
      return {
        ...presentWish(viewer, wish),
        delivered,
        deliveredAt: delivered && wish.deliveredAt ? formatDateTime(wish.deliveredAt) : null,
        deliveryNote: delivered ? wish.deliveryNote : null,
        deliveryPhotoUrl:
          delivered && wish.deliveryPhotoMediaId ? `/wishes/${wish.id}/delivery-photo${token ? `?token=${encodeURIComponent(token)}` : ''}` : null,
      };
    },
  };
}
