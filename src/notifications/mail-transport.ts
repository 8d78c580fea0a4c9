import type { Transporter } from 'nodemailer';
import type { OutboxRow } from './outbox.js';

/** Hands one message to the mail system; rejects when it was not accepted. */
export interface MailTransport {
  send(message: OutboxRow): Promise<void>;
  close(): void;
}

/** An error the SMTP server gave for good (5xx): trying again would be refused the same way. */
export function isPermanentSmtpError(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * E-mail over SMTP (SMTP_URL, e.g. smtp://user:pass@mail.example.org:587 or smtps://…:465) with
 * nodemailer. Each message carries a Message-ID made from its outbox id, so a message delivered
 * twice (the at-least-once edge, README "Messages") is recognisable as one by mail systems.
 * nodemailer is loaded with the first message, not at start-up: it is a large module graph that a
 * shop without SMTP, or one that has sent nothing yet, does not need.
 */
export function smtpTransport(options: { url: string; from: string; messageIdDomain: string }): MailTransport {
  let transporter: Promise<Transporter> | null = null;
  let opened: Transporter | null = null;
  const open = () =>
    (transporter ??= import('nodemailer').then(({ default: nodemailer }) => {
      opened = nodemailer.createTransport(options.url);
      return opened;
    }));
  return {
    async send(message) {
      await (await open()).sendMail({
        from: options.from,
        to: message.recipient,
        subject: message.subject,
        text: message.textBody,
        html: message.htmlBody,
        headers: JSON.parse(message.headers) as Record<string, string>,
        messageId: `<outbox-${message.id}-${message.createdAt}@${options.messageIdDomain}>`,
      });
    },
    close: () => opened?.close(),
  };
}
