import type { Config } from '../config.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { pickText, quantityText, translatorFor, type Locale, type Translator } from '../i18n/i18n.js';
import { formatFen } from '../money.js';
import type { OrderEvents } from '../orders/order-events.js';
import { carrierName, trackingUrlOf, type Order, type OrderRequest } from '../orders/index.js';
import { formatDateTime } from '../time.js';
import type { MailPreferences } from './mail-preferences.js';
import { renderMail, renderSms, type MailContent } from './mail-render.js';
import { chineseMobile } from './sms-provider.js';
import type { Outbox } from './outbox.js';

interface Person {
  id: number;
  email: string;
  displayName: string;
}

/**
 * Where a parcel can be followed: the carrier's own public tracking page for the number
 * (src/orders/carriers.ts); null for a carrier not in the table, whose number is given as plain text.
 */
export const trackingLink = (carrier: string, trackingNumber: string): string | null => trackingUrlOf(carrier, trackingNumber);

export interface OrderNoticeDeps {
  outbox: Outbox;
  preferences: MailPreferences;
  /** Steps of the caller's unit of work (the accounts service's). */
  people: { mailRecipient(tx: Tx, userId: number): Query<Person | undefined>; secretariesOfVillage(tx: Tx, villageId: number): Query<Person[]> };
  /** A step of the caller's unit of work (the villages service's). */
  villageNames: (tx: Tx) => Query<{ id: number; nameZh: string; nameEn: string | null }[]>;
  config: Pick<Config, 'publicUrl' | 'bank'>;
}

/** A request as one line: its kind and reason, and the amount asked when there is one. */
function requestSummary(t: Translator, request: OrderRequest): string {
  const what = `${t(`request.kind.${request.kind}`)} · ${t(`request.reason.${request.reason}`)}`;
  return request.amountFen === null ? what : `${what} · ${formatFen(request.amountFen)}`;
}

/**
 * The e-mails about orders: to the buyer (an order placed while signed in; guests give no e-mail
 * address at checkout and get none), in the language of their last sign-in; text messages to a
 * guest's mobile number, in the language they ordered in; and to the first
 * secretaries of each village with a paid parcel to ship (a notice they may turn off).
 */
export function createOrderNotices(deps: OrderNoticeDeps): OrderEvents {
  const { outbox, preferences, config } = deps;
  const orderUrl = (o: Order) => `${config.publicUrl}/orders/${encodeURIComponent(o.number)}`;
  function* villageName(tx: Tx, id: number, locale: Locale): Query<string> {
    const v = (yield* deps.villageNames(tx)).find((x) => x.id === id);
    return v ? pickText(locale, v.nameZh, v.nameEn) : String(id);
  }

  /** Writes one message to the buyer of a signed-in order; `build` gets the buyer's translator. */
  function* toBuyer(
    tx: Tx,
    o: Order,
    event: string,
    build: (t: Translator, locale: Locale, buyer: Person) => Omit<MailContent, 'kind' | 'to' | 'locale' | 'dedupeKey'>,
    /** What makes this message one of its kind for the order (default: the amount refunded so far). */
    occasion: string = String(o.refundedFen),
  ): Query<void> {
    if (o.buyerUserId === null) return;
    const buyer = yield* deps.people.mailRecipient(tx, o.buyerUserId);
    if (!buyer) return;
    const locale = yield* preferences.localeOf(tx, buyer.id);
    const t = translatorFor(locale);
    yield* outbox.add(
      tx,
      renderMail({ kind: `order_${event}`, to: buyer.email, locale, dedupeKey: `order_${event}:${o.id}:${occasion}`, ...build(t, locale, buyer) }),
    );
  }

  const greeting = (t: Translator, o: Order) => t('mail.greeting', { name: o.contactName });

  /**
   * A text message to the buyer of an order placed without an account (no e-mail address), at a
   * Chinese mobile number, in the language they ordered in (kept on the order).
   */
  function* toGuestPhone(tx: Tx, o: Order, kind: string, dedupeKey: string, build: (t: Translator) => { subject: string; text: string }): Query<void> {
    if (o.buyerUserId !== null) return;
    const to = chineseMobile(o.phone);
    if (!to) return;
    const locale = o.locale;
    const t = translatorFor(locale);
    yield* outbox.add(tx, renderSms({ kind, to, locale, dedupeKey, ...build(t) }));
  }

  return {
    *placed(tx, o, lines, accessToken) {
      if (o.paymentMethod === 'offline' && o.totalFen > 0) {
        yield* toGuestPhone(tx, o, 'order_placed', `sms:order_placed:${o.id}`, (t) => ({
          subject: t('mail.placed.subject', { number: o.number }),
          text: t('sms.placed.bank', {
            number: o.number,
            amount: formatFen(o.totalFen),
            accountName: config.bank.accountName,
            bankName: config.bank.bankName,
            accountNumber: config.bank.accountNumber,
            at: formatDateTime(o.expiresAt),
            link: `${orderUrl(o)}?token=${encodeURIComponent(accessToken)}`,
          }),
        }));
      }
      yield* toBuyer(tx, o, 'placed', (t, locale) => {
        const offline = o.paymentMethod === 'offline';
        return {
          subject: t('mail.placed.subject', { number: o.number }),
          greeting: greeting(t, o),
          // A micro-wish donation buys no product: no lines, and nothing to trace to a producer.
          paragraphs: [
            t(lines.length === 0 ? 'mail.placed.bodyDonation' : 'mail.placed.body', { number: o.number }),
            offline ? t('mail.placed.bankIntro', { number: o.number }) : t('mail.placed.online'),
          ],
          lines: lines.map((l) => ({
            title: pickText(locale, l.titleZh, l.titleEn),
            quantity: quantityText(locale, l.quantity, l.unit),
            amount: formatFen(l.lineTotalFen),
          })),
          facts: [
            { label: t('mail.order.number'), value: o.number },
            { label: t('mail.order.total'), value: formatFen(o.totalFen) },
            ...(offline
              ? [
                  { label: t('mail.placed.bankAccountName'), value: config.bank.accountName },
                  { label: t('mail.placed.bankName'), value: config.bank.bankName },
                  { label: t('mail.placed.bankAccountNumber'), value: config.bank.accountNumber },
                  { label: t('mail.placed.bankReference'), value: o.number },
                ]
              : []),
          ],
          action: { label: t('mail.order.view'), url: `${orderUrl(o)}?token=${encodeURIComponent(accessToken)}` },
          after: offline ? [t('mail.placed.expires', { at: formatDateTime(o.expiresAt) })] : [],
        };
      });
    },

    *paid(tx, o, parcelVillageIds) {
      yield* toBuyer(tx, o, 'paid', (t) => ({
        subject: t('mail.paid.subject', { number: o.number }),
        greeting: greeting(t, o),
        // A micro-wish donation or a counter sale has no parcel to ship.
        paragraphs: [t(parcelVillageIds.length > 0 ? 'mail.paid.body' : 'mail.paid.bodyNoParcel', { number: o.number, amount: formatFen(o.totalFen) })],
        facts: [
          { label: t('mail.order.number'), value: o.number },
          { label: t('mail.order.paidTotal'), value: formatFen(o.totalFen) },
        ],
        action: { label: t('mail.order.view'), url: orderUrl(o) },
      }));
      for (const villageId of new Set(parcelVillageIds)) {
        for (const secretary of yield* deps.people.secretariesOfVillage(tx, villageId)) {
          if (yield* preferences.noticesOffIn(tx, secretary.id)) continue;
          const locale = yield* preferences.localeOf(tx, secretary.id);
          const t = translatorFor(locale);
          const village = yield* villageName(tx, villageId, locale);
          yield* outbox.add(
            tx,
            renderMail({
              kind: 'parcel_to_ship',
              to: secretary.email,
              locale,
              dedupeKey: `parcel_to_ship:${o.id}:${villageId}:${secretary.id}`,
              subject: t('mail.toShip.subject', { number: o.number, village }),
              greeting: t('mail.greeting', { name: secretary.displayName }),
              paragraphs: [t('mail.toShip.body', { number: o.number, village })],
              facts: [{ label: t('mail.order.number'), value: o.number }],
              action: { label: t('mail.toShip.open'), url: `${config.publicUrl}/secretary/orders` },
              unsubscribe: preferences.linksFor(secretary.id),
            }),
          );
        }
      }
    },

    *shipped(tx, o, villageId, carrier, trackingNumber) {
      const link = trackingLink(carrier, trackingNumber);
      yield* toGuestPhone(tx, o, 'order_shipped', `sms:order_shipped:${o.id}:${villageId}`, (t) => ({
        subject: t('mail.shipped.subject', { number: o.number }),
        text: link
          ? t('sms.shipped', { number: o.number, carrier: carrierName(carrier, o.locale === 'en' ? 'en' : 'zh-CN'), tracking: trackingNumber, link })
          : t('sms.shippedNoLink', { number: o.number, carrier, tracking: trackingNumber }),
      }));
      if (o.buyerUserId === null) return;
      const buyer = yield* deps.people.mailRecipient(tx, o.buyerUserId);
      if (!buyer) return;
      const locale = yield* preferences.localeOf(tx, buyer.id);
      const t = translatorFor(locale);
      const village = yield* villageName(tx, villageId, locale);
      yield* outbox.add(
        tx,
        renderMail({
          kind: 'order_shipped',
          to: buyer.email,
          locale,
          dedupeKey: `order_shipped:${o.id}:${villageId}`,
          subject: t('mail.shipped.subject', { number: o.number }),
          greeting: greeting(t, o),
          paragraphs: [t('mail.shipped.body', { number: o.number, village })],
          facts: [
            { label: t('mail.order.number'), value: o.number },
            { label: t('mail.shipped.carrier'), value: carrierName(carrier, locale) },
            { label: t('mail.shipped.tracking'), value: trackingNumber },
          ],
          // A carrier not in the table has no tracking page to link: the buyer's order page instead.
          action: link ? { label: t('mail.shipped.track'), url: link } : { label: t('mail.order.view'), url: orderUrl(o) },
          after: [link ? `${t('mail.order.view')}: ${orderUrl(o)}` : t('mail.shipped.askCarrier'), t('mail.shipped.confirmHint')],
        }),
      );
    },

    *refunded(tx, o, amountFen, reason) {
      // `o` is the order before this refund: its refunded amount so far plus this one.
      const refunded = o.refundedFen + amountFen;
      yield* toBuyer(tx, { ...o, refundedFen: refunded }, 'refunded', (t) => ({
        subject: t('mail.refunded.subject', { number: o.number, amount: formatFen(amountFen) }),
        greeting: greeting(t, o),
        paragraphs: [t('mail.refunded.body', { number: o.number, amount: formatFen(amountFen), refunded: formatFen(refunded), total: formatFen(o.totalFen) })],
        facts: [{ label: t('mail.order.number'), value: o.number }, ...(reason ? [{ label: t('mail.refunded.reason'), value: reason }] : [])],
        action: { label: t('mail.order.view'), url: orderUrl(o) },
      }));
    },

    *cancelled(tx, o, reason) {
      const expired = reason === 'expired';
      yield* toBuyer(tx, o, 'cancelled', (t) => ({
        subject: t(expired ? 'mail.expired.subject' : 'mail.cancelled.subject', { number: o.number }),
        greeting: greeting(t, o),
        paragraphs: [t(expired ? 'mail.expired.body' : 'mail.cancelled.body', { number: o.number })],
        facts: [{ label: t('mail.order.number'), value: o.number }],
        action: { label: t('mail.order.view'), url: orderUrl(o) },
      }));
    },

    *delivered(tx, o) {
      yield* toBuyer(tx, o, 'delivered', (t) => ({
        subject: t('mail.delivered.subject', { number: o.number }),
        greeting: greeting(t, o),
        paragraphs: [t('mail.delivered.body', { number: o.number })],
        facts: [{ label: t('mail.order.number'), value: o.number }],
        action: { label: t('mail.delivered.receipt'), url: orderUrl(o) },
      }));
    },

    *requestAnswered(tx, o, request) {
      const accepted = request.status === 'accepted';
      yield* toBuyer(
        tx,
        o,
        accepted ? 'request_accepted' : 'request_declined',
        (t) => ({
          subject: t(accepted ? 'mail.request.acceptedSubject' : 'mail.request.declinedSubject', { number: o.number }),
          greeting: greeting(t, o),
          paragraphs: [
            t(accepted ? (request.kind === 'refund' ? 'mail.request.acceptedRefund' : 'mail.request.acceptedProblem') : 'mail.request.declined', {
              number: o.number,
            }),
          ],
          facts: [
            { label: t('mail.order.number'), value: o.number },
            { label: t('mail.request.asked'), value: requestSummary(t, request) },
            ...(request.reply ? [{ label: t('mail.request.reply'), value: request.reply }] : []),
          ],
          action: { label: t('mail.order.view'), url: orderUrl(o) },
        }),
        `request:${request.id}`,
      );
    },

    *stockLow(tx, product) {
      for (const secretary of yield* deps.people.secretariesOfVillage(tx, product.villageId)) {
        if (yield* preferences.noticesOffIn(tx, secretary.id)) continue;
        const locale = yield* preferences.localeOf(tx, secretary.id);
        const t = translatorFor(locale);
        const title = pickText(locale, product.titleZh, product.titleEn);
        const left = quantityText(locale, product.stock, product.unit);
        yield* outbox.add(
          tx,
          renderMail({
            kind: 'low_stock',
            to: secretary.email,
            locale,
            subject: t('mail.lowStock.subject', { title, left }),
            greeting: t('mail.greeting', { name: secretary.displayName }),
            paragraphs: [t('mail.lowStock.body', { title, left, threshold: quantityText(locale, product.threshold, product.unit) })],
            facts: [
              { label: t('mail.lowStock.product'), value: title },
              { label: t('mail.lowStock.left'), value: left },
            ],
            action: { label: t('mail.lowStock.open'), url: `${config.publicUrl}/secretary/products/${product.id}` },
            unsubscribe: preferences.linksFor(secretary.id),
          }),
        );
      }
    },
  };
}
