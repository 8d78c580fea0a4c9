import { translate, type MessageKey, type MessageParams } from '../i18n/i18n.js';
import type { OrderLinkMessenger } from '../orders/index.js';
import { formatDateTime } from '../time.js';
import { renderMail } from './mail-render.js';
import { SMS_KIND_PREFIX, type Outbox } from './outbox.js';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The fresh link of "find my order", through the outbox: an e-mail to the account that placed the
 * order, or, for an order placed without an account (no e-mail address), a text message to its
 * phone number. There is no SMS provider yet: a text message stays in the outbox (kind
 * "sms:order_link", readable at /admin/outbox) and the e-mail worker never takes it.
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
      const text = t('sms.lookup.body', { number: m.number, link: m.link, at });
      yield* outbox.add(tx, {
        kind: `${SMS_KIND_PREFIX}order_link`,
        to: m.to,
        locale: m.locale,
        subject: t('mail.lookup.subject', { number: m.number }),
        text,
        html: `<p>${escapeHtml(text)}</p>`,
      });
    },
  };
}
