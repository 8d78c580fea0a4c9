import { translatorFor } from '../i18n/i18n.js';
import type { PickupEvents } from '../outlets/index.js';
import { renderSms } from './mail-render.js';
import type { Outbox } from './outbox.js';
import { chineseMobile } from './sms-provider.js';

/**
 * The pick-up code by text message, for an order placed without an account (no e-mail address; a
 * signed-in buyer's e-mail links to the order page that shows the code), written with the order.
 */
export function createPickupNotices(outbox: Outbox): PickupEvents {
  return {
    *pickupPlaced(tx, order, outlet, code) {
      if (order.buyerUserId !== null) return;
      const to = chineseMobile(order.phone);
      if (!to) return;
      // A guest has no language of their own: the one they ordered in.
      const locale = order.locale;
      const t = translatorFor(locale);
      yield* outbox.add(
        tx,
        renderSms({
          kind: 'pickup_code',
          to,
          locale,
          dedupeKey: `sms:pickup_code:${order.id}`,
          subject: t('sms.pickup.subject', { number: order.number }),
          text: t('sms.pickup', { number: order.number, code, outlet: outlet.name, address: outlet.address, hours: outlet.openingHours }),
        }),
      );
    },
  };
}
