import type { OrderPageSection } from '../orders/index.js';
import { presentOrderLots } from './lots-routes.js';
import type { LotsService } from './lots-service.js';

/** The order page's lots section (partial order-lots): the harvest lots each line was served from. */
export function orderLotsSection(lots: Pick<LotsService, 'lotsOfOrder'>): OrderPageSection {
  return {
    name: 'orderLots',
    async load({ order }, { locale, t }) {
      const shown = presentOrderLots(locale, t, await lots.lotsOfOrder(order.id));
      return shown.length ? shown : null;
    },
  };
}
