import type { Locale } from '../i18n/i18n.js';

/**
 * The e-mails registration sends: the seam where the transactional outbox (DESIGN.md, "Beyond one
 * machine") will plug in. `send` is called inside the transaction that records the registration
 * request, so an outbox can write the message with it. Until the outbox exists the message is
 * only written to the server log (loggedAccountMail), link included, so registration can be
 * finished by whoever reads that log; tests read what was sent from a memory mailbox.
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
    };

export interface AccountMail {
  send(message: AccountMessage): void;
}

export function loggedAccountMail(log: { info(details: Record<string, unknown>, message: string): void }): AccountMail {
  return {
    send(message) {
      log.info({ mail: message }, 'account e-mail (not delivered: the outbox does not exist yet)');
    },
  };
}
