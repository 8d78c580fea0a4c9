import type { AccountMail } from '../accounts/account-mail.js';
import { translate, type MessageKey, type MessageParams } from '../i18n/i18n.js';
import { formatDateTime } from '../time.js';
import { renderMail } from './mail-render.js';
import type { Outbox } from './outbox.js';

/**
 * Account e-mails (registration links, "you already have an account", password resets) through
 * the outbox: `send` is a step of the unit of work that records the request, so the message is
 * written with it.
 */
export function outboxAccountMail(outbox: Outbox): AccountMail {
  return {
    *send(tx, message) {
      const t = (key: MessageKey, params?: MessageParams) => translate(message.locale, key, params);
      const base = { to: message.to, locale: message.locale };
      switch (message.kind) {
        case 'confirm_registration':
          yield* outbox.add(
            tx,
            renderMail({
              ...base,
              kind: message.kind,
              subject: t('mail.registration.subject'),
              greeting: t('mail.greeting', { name: message.displayName }),
              paragraphs: [t('mail.registration.body', { at: formatDateTime(message.expiresAt) })],
              action: { label: t('mail.registration.action'), url: message.link },
              after: [t('mail.registration.ignore')],
            }),
          );
          return;
        case 'account_exists':
          yield* outbox.add(
            tx,
            renderMail({
              ...base,
              kind: message.kind,
              subject: t('mail.accountExists.subject'),
              paragraphs: [t('mail.accountExists.body')],
              action: { label: t('mail.accountExists.action'), url: message.signInLink },
            }),
          );
          return;
        case 'password_reset':
          yield* outbox.add(
            tx,
            renderMail({
              ...base,
              kind: message.kind,
              subject: t('mail.reset.subject'),
              greeting: t('mail.greeting', { name: message.displayName }),
              paragraphs: [...(message.byAdmin ? [t('mail.reset.byAdmin')] : []), t('mail.reset.body', { at: formatDateTime(message.expiresAt) })],
              action: { label: t('mail.reset.action'), url: message.link },
              after: [t('mail.reset.ignore')],
            }),
          );
          return;
      }
    },
  };
}

/** Sends to each of several mailboxes (the outbox, and a test's memory mailbox). */
export function bothAccountMail(...mails: AccountMail[]): AccountMail {
  return {
    *send(tx, message) {
      for (const m of mails) yield* m.send(tx, message);
    },
  };
}
