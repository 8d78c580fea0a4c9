import { en, zhCN, type MessageKey } from './catalogue.js';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';
export type { MessageKey };

const catalogues: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Maps ?lang= values people type (en, zh, zh-cn …) to a supported locale, or null. */
export function parseLocale(value: unknown): Locale | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  if (v === 'en' || v.startsWith('en-')) return 'en';
  if (v === 'zh' || v === 'zh-cn' || v === 'zh-hans') return 'zh-CN';
  return null;
}

/** The most entries of an Accept-Language header looked at: browsers send a handful. */
const MAX_LANGUAGE_RANGES = 16;

/**
 * The visitor's browser language (RFC 9110 Accept-Language) among the supported ones: the range with
 * the highest weight that is English or Chinese (any zh-* reads simplified Chinese rather than English),
 * earlier ranges winning ties; null when it names neither, so the default applies.
 */
export function negotiateLocale(header: string | undefined): Locale | null {
  if (!header) return null;
  let best: Locale | null = null;
  let bestWeight = 0;
  for (const range of header.split(',', MAX_LANGUAGE_RANGES)) {
    const [tag = '', ...params] = range.split(';');
    const lang = tag.trim().toLowerCase();
    const locale = lang === 'en' || lang.startsWith('en-') ? 'en' : lang === 'zh' || lang.startsWith('zh-') ? 'zh-CN' : null;
    if (locale === null) continue;
    const q = params.map((p) => /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
    const weight = q === undefined ? 1 : Number(q);
    if (weight > bestWeight) {
      best = locale;
      bestWeight = weight;
    }
  }
  return best;
}

export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(zhCN, key);
}

export type MessageParams = Record<string, string | number | null | undefined>;

/** Translates a key, filling {name} placeholders. An unknown key is a programming error. */
export function translate(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  const template = catalogues[locale][key];
  if (template === undefined) throw new Error(`Missing message ${key}`);
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined || value === null ? whole : String(value);
  });
}

/** A translator bound to one locale, handed to services that build user-facing text. */
export type Translator = (key: MessageKey, params?: MessageParams) => string;
export const translatorFor =
  (locale: Locale): Translator =>
  (key, params) =>
    translate(locale, key, params);

/** Picks the zh or en variant of a stored bilingual text (English falls back to Chinese). */
export function pickText(locale: Locale, zh: string, enText: string | null | undefined): string {
  return locale === 'en' && enText ? enText : zh;
}

/**
 * Error parameters that are codes (a unit, an order status) in the user's words, so a message
 * never says "3 jar" or "(cancelled)" in Chinese.
 */
export function localiseParams(t: Translator, params: MessageParams | undefined): MessageParams {
  const out: MessageParams = { ...params };
  const unit = out.unit;
  if (typeof unit === 'string' && hasMessage(`unit.${unit}`)) out.unit = t(`unit.${unit}` as MessageKey);
  const status = out.status;
  if (typeof status === 'string' && hasMessage(`order.status.${status}`)) out.status = t(`order.status.${status}` as MessageKey);
  return out;
}

/** The sentence for an error code (errors.<code>), with its parameters in the user's words. */
export function errorText(t: Translator, code: string, params?: MessageParams): string {
  const key = `errors.${code}`;
  return hasMessage(key) ? t(key as MessageKey, localiseParams(t, params)) : t('errors.bad_request');
}
