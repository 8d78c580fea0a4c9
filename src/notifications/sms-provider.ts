import type { OutboxRow } from './outbox.js';

/**
 * Sends one text message; rejects when the provider did not accept it. An error with
 * `permanent: true` means trying again would be refused the same way (a malformed number, a
 * rejected key): the worker fails the message at once instead of retrying it.
 */
export interface SmsProvider {
  send(message: OutboxRow): Promise<void>;
}

export class SmsRefused extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'SmsRefused';
  }
}

export const isPermanentSmsError = (error: unknown): boolean => error instanceof SmsRefused && error.permanent;

/**
 * A mainland China mobile number in E.164 (+86 and 11 digits starting 1[3-9]), from what a buyer
 * typed (spaces, dashes, a leading +86 or 0086 allowed); null for anything else (a landline, a
 * number abroad), which gets no text message.
 */
export function chineseMobile(phone: string): string | null {
  const digits = phone.replace(/[\s()-]/g, '').replace(/^(\+86|0086)/, '');
  return /^1[3-9]\d{9}$/.test(digits) ? `+86${digits}` : null;
}

/**
 * The HTTP SMS provider (README "Text messages" documents the shape): one JSON POST per message
 * to SMS_API_URL with the key as a bearer token,
 *
 *   { "to": "+8613800138000", "sign": "乡益", "text": "…", "reference": "outbox-42" }
 *
 * and the outbox id as the Idempotency-Key header, so a provider that honours it sends a message
 * retried after a lost answer once. A 2xx answer is acceptance; 408, 429 and 5xx (and no answer)
 * are tried again with the outbox's backoff; any other 4xx is permanent.
 */
export function httpSmsProvider(options: { url: string; apiKey: string; signName: string; timeoutMs?: number }): SmsProvider {
  return {
    async send(message) {
      const reference = `outbox-${message.id}`;
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${options.apiKey}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'idempotency-key': reference,
          },
          body: JSON.stringify({ to: message.recipient, sign: options.signName, text: message.textBody, reference }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        throw new SmsRefused(`SMS provider unreachable: ${error instanceof Error ? error.message : String(error)}`, false);
      }
      const body = (await response.text().catch(() => '')).slice(0, 300);
      if (response.ok) return;
      const retry = response.status === 408 || response.status === 429 || response.status >= 500;
      throw new SmsRefused(`SMS provider answered ${response.status}: ${body}`, !retry);
    },
  };
}
