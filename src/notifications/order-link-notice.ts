import { translate, type MessageKey, type MessageParams } from '../i18n/i18n.js';
import type { OrderLinkMessenger } from '../orders/index.js';
import { formatDateTime } from '../time.js';
import { renderMail, renderSms } from './mail-render.js';
import type { Outbox } from './outbox.js';
import { chineseMobile } from './sms-provider.js';

/**
 * The fresh link of "find my order", through the outbox: an e-mail to the account that placed the
 * order, or, for an order placed without an account (no e-mail address), a text message to its
 * phone number (kind "sms:order_link": the SMS provider sends it, or without one it stays in the
 * outbox, readable at /admin/outbox; the e-mail worker never takes it).
 */
export function outboxOrderLinks(outbox: Outbox): OrderLinkMessenger {
  return {
    *send(tx, m) {
      const t = (key: MessageKey, params?: MessageParams) => translate(m.locale, key, params);
      const at = formatDateTime(m.expiresAt);
      if (m.channel === 'email') {
        yield* outbox.add(
          tx,
          renderMail({
            kind: 'order_link',
            to: m.to,
            locale: m.locale,
            subject: t('mail.lookup.subject', { number: m.number }),
            greeting: t('mail.greeting', { name: m.contactName }),
            paragraphs: [t('mail.lookup.body', { number: m.number, at })],
            facts: [{ label: t('mail.order.number'), value: m.number }],
            action: { label: t('mail.order.view'), url: m.link },
            after: [t('mail.lookup.ignore')],
          }),
        );
        return;
      }
      // To the number in E.164, as every text message is kept (checkout takes only mobile numbers).
      const to = chineseMobile(m.to);
      if (!to) return;
      // The registered signature (【乡益】) is the provider's to add (SMS_SIGN_NAME): the text carries none.
      yield* outbox.add(
        tx,
        renderSms({
          kind: 'order_link',
          to,
          locale: m.locale,
          subject: t('mail.lookup.subject', { number: m.number }),
          text: t('sms.lookup.body', { number: m.number, link: m.link, at }),
        }),
      );
    },
  };
}
