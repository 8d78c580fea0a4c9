import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { translate, type Locale, type MessageKey, type MessageParams } from '../i18n/i18n.js';
import { VIEWS_DIR } from '../paths.js';
import { SMS_KIND_PREFIX, type OutgoingMail } from './outbox.js';

/**
 * What an e-mail says, in the recipient's language, before it takes the shop's look: the HTML
 * (views/mail/message.hbs, inline styles for mail clients) and plain-text bodies
 * (views/mail/message.txt.hbs) are made from the same content.
 */
export interface MailContent {
  kind: string;
  to: string;
  locale: Locale;
  subject: string;
  greeting?: string;
  paragraphs: string[];
  lines?: { title: string; quantity: string; amount: string }[];
  facts?: { label: string; value: string }[];
  action?: { label: string; url: string };
  after?: string[];
  /** Set for mail the recipient may turn off: the link to the settings page and the unsubscribe URL. */
  unsubscribe?: { preferencesUrl: string; oneClickUrl: string };
  dedupeKey?: string;
}

// Compiled once, at start-up. The text template needs no HTML escaping.
const htmlTemplate = Handlebars.compile(readFileSync(join(VIEWS_DIR, 'mail', 'message.hbs'), 'utf8'), { strict: false });
const textTemplate = Handlebars.compile(readFileSync(join(VIEWS_DIR, 'mail', 'message.txt.hbs'), 'utf8'), { noEscape: true });

/** Renders the content into an outbox message (both bodies, and List-Unsubscribe for notices). */
export function renderMail(content: MailContent): OutgoingMail {
  const t = (key: MessageKey, params?: MessageParams) => translate(content.locale, key, params);
  const data = {
    locale: content.locale,
    siteName: t('site.name'),
    subject: content.subject,
    greeting: content.greeting,
    paragraphs: content.paragraphs,
    lines: content.lines ?? [],
    facts: content.facts ?? [],
    action: content.action ? { ...content.action, hint: t('mail.linkHint') } : null,
    after: content.after ?? [],
    footer: t('mail.footer'),
    notice: content.unsubscribe ? { preferencesUrl: content.unsubscribe.preferencesUrl, preferencesLabel: t('mail.preferences') } : null,
  };
  return {
    kind: content.kind,
    to: content.to,
    locale: content.locale,
    subject: content.subject,
    html: htmlTemplate(data),
    text: textTemplate(data).replace(/\n{3,}/g, '\n\n'),
    transactional: !content.unsubscribe,
    headers: content.unsubscribe ? { 'List-Unsubscribe': `<${content.unsubscribe.oneClickUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {},
    ...(content.dedupeKey ? { dedupeKey: content.dedupeKey } : {}),
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A text message as the outbox keeps it: kind "sms:<kind>", the mobile number (E.164) as the
 * recipient, the text as the body (the HTML body is the same text, for the admin's outbox page).
 * The provider puts the registered signature (SMS_SIGN_NAME) before it.
 */
export function renderSms(m: { kind: string; to: string; locale: Locale; subject: string; text: string; dedupeKey?: string }): OutgoingMail {
  return {
    kind: `${SMS_KIND_PREFIX}${m.kind}`,
    to: m.to,
    locale: m.locale,
    subject: m.subject,
    text: m.text,
    html: `<p>${escapeHtml(m.text)}</p>`,
    ...(m.dedupeKey ? { dedupeKey: m.dedupeKey } : {}),
  };
}
