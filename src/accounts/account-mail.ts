import type { Query, Tx } from '../db/unit-of-work.js';
import type { Locale } from '../i18n/i18n.js';

/**
 * The e-mails accounts send. `send` is a step of the unit of work that records the request, so
 * the transactional outbox (src/notifications/account-notices.ts) writes the message with it;
 * tests also read what was sent from a memory mailbox.
 */
export type AccountMessage =
  | {
      kind: 'confirm_registration';
      to: string;
      locale: Locale;
      displayName: string;
      /** Following it (and pressing the button there) creates the account. */
      link: string;
      expiresAt: number;
    }
  | {
      /** Someone asked to register an address that already has an account: its owner is told, nobody else. */
      kind: 'account_exists';
      to: string;
      locale: Locale;
      signInLink: string;
    }
  | {
      /** A "forgot password" link (asked for by the owner, or sent by an admin to a staff account). */
      kind: 'password_reset';
      to: string;
      locale: Locale;
      displayName: string;
      link: string;
      expiresAt: number;
      byAdmin: boolean;
    };

export interface AccountMail {
  send(tx: Tx, message: AccountMessage): Query<void>;
}
