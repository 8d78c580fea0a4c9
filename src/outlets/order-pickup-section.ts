import { pickText, type Locale } from '../i18n/i18n.js';
import type { OrderPageSection, PickupOutletChoice } from '../orders/index.js';
import { formatDateTime } from '../time.js';
import type { OutletsService } from './outlets-service.js';

/**
 * The order page's pickup section (partial order-pickup): where to pick the order up and its code.
 * The code is shown only to whoever holds the order's token (the confirmation link).
 */
export function orderPickupSection(outlets: Pick<OutletsService, 'pickupOf'>): OrderPageSection {
  return {
    name: 'orderPickup',
    async load({ order }, { locale, token }) {
      const pickup = await outlets.pickupOf(order, token);
      if (!pickup) return null;
      return {
        outlet: pickText(locale, pickup.outlet.name, pickup.outlet.nameEn),
        address: pickup.outlet.address,
        openingHours: pickup.outlet.openingHours,
        code: pickup.code,
        collectedAt: pickup.pickedUpAt === null ? null : formatDateTime(pickup.pickedUpAt),
      };
    },
  };
}

/** The outlets the checkout offers for picking the order up, in the buyer's language. */
export function pickupOutletChoices(outlets: Pick<OutletsService, 'outlets'>) {
  return async (locale: Locale): Promise<PickupOutletChoice[]> =>
    (await outlets.outlets()).map((o) => ({ id: String(o.id), name: pickText(locale, o.name, o.nameEn), address: o.address, openingHours: o.openingHours }));
}
