import type { Config } from '../config.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { pickText, quantityText, translatorFor } from '../i18n/i18n.js';
import type { LotEvents } from '../lots/index.js';
import type { Order } from '../orders/index.js';
import type { WishEvents } from '../wishes/index.js';
import type { MailPreferences } from './mail-preferences.js';
import { renderMail } from './mail-render.js';
import type { Outbox } from './outbox.js';

interface Person {
  id: number;
  email: string;
  displayName: string;
}

export interface BuyerNoticeDeps {
  outbox: Outbox;
  preferences: MailPreferences;
  /** A step of the caller's unit of work (the accounts service's). */
  people: { mailRecipient(tx: Tx, userId: number): Query<Person | undefined> };
  config: Pick<Config, 'publicUrl'>;
}

/**
 * The recall notice: each buyer whose order holds units of a recalled lot is told, in the
 * recall's own commit, what to do with them by the stage the order is at (do not pay, they will
 * not be sent, stop using them). A safety notice: transactional, whatever the buyer's settings.
 * Orders placed without an account have no e-mail address; the coordinator's recall page lists
 * their phone numbers and a text to send.
 */
export function createRecallNotices(deps: BuyerNoticeDeps): LotEvents {
  const { outbox, preferences, config } = deps;
  return {
    *recalled(tx, lot, orders) {
      for (const o of orders) {
        if (o.buyerUserId === null) continue;
        const buyer = yield* deps.people.mailRecipient(tx, o.buyerUserId);
        if (!buyer) continue;
        const locale = yield* preferences.localeOf(tx, buyer.id);
        const t = translatorFor(locale);
        const product = pickText(locale, o.productZh, o.productEn);
        const quantity = quantityText(locale, o.units, o.unit);
        yield* outbox.add(
          tx,
          renderMail({
            kind: 'recall_notice',
            to: buyer.email,
            locale,
            dedupeKey: `recall_notice:${lot.code}:${o.orderId}`,
            subject: t('mail.recall.subject', { number: o.number, product }),
            greeting: t('mail.greeting', { name: o.contactName }),
            paragraphs: [t('mail.recall.intro', { number: o.number, quantity, product, lot: lot.code, reason: lot.reason }), t(`mail.recall.${o.stage}`)],
            facts: [
              { label: t('mail.order.number'), value: o.number },
              { label: t('mail.recall.lot'), value: lot.code },
            ],
            action: { label: t('mail.order.view'), url: `${config.publicUrl}/orders/${encodeURIComponent(o.number)}` },
            after: [t('mail.recall.sorry')],
          }),
        );
      }
    },
  };
}

/**
 * The donor's thanks when the social worker hands a micro-wish over, with the worker's delivery
 * note, in the delivery's commit. Only a donor who claimed signed in has an address to write to.
 */
export function createWishNotices(deps: BuyerNoticeDeps): WishEvents {
  const { outbox, preferences, config } = deps;
  return {
    *delivered(tx, wish, order: Order) {
      if (order.buyerUserId === null) return;
      const donor = yield* deps.people.mailRecipient(tx, order.buyerUserId);
      if (!donor) return;
      const locale = yield* preferences.localeOf(tx, donor.id);
      const t = translatorFor(locale);
      const item = pickText(locale, wish.item, wish.itemEn);
      const note = wish.deliveryNote?.trim();
      yield* outbox.add(
        tx,
        renderMail({
          kind: 'wish_fulfilled',
          to: donor.email,
          locale,
          dedupeKey: `wish_fulfilled:${wish.id}`,
          subject: t('mail.wish.subject', { item, child: wish.childName }),
          greeting: t('mail.greeting', { name: order.contactName }),
          paragraphs: [t('mail.wish.body', { item, child: wish.childName, number: order.number }), ...(note ? [t('mail.wish.note', { note })] : [])],
          facts: [{ label: t('mail.order.number'), value: order.number }],
          action: { label: t('mail.wish.open'), url: `${config.publicUrl}/wishes/${wish.id}` },
        }),
      );
    },
  };
}
