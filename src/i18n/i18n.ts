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

/**
 * Translates a key, filling {name} placeholders. An unknown key is a programming error.
 *
 * Counted nouns are ICU plural selections: `{count, plural, one {# household} other {# households}}`
 * (`#` is the number; `=0 {…}` matches exactly), chosen by the locale's plural rules. In English a `{unit}`
 * right after a number placeholder agrees with it: "{stock} {unit} left" says "1 jar left", "5 jars left".
 */
export function translate(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  const template = catalogues[locale][key];
  if (template === undefined) throw new Error(`Missing message ${key}`);
  return fill(locale, template, params);
}

const pluralRules: Record<Locale, Intl.PluralRules> = { 'zh-CN': new Intl.PluralRules('zh-CN'), en: new Intl.PluralRules('en') };
/** English unit words (the catalogue's unit.*) with their plurals; the ones not here do not change. */
const ENGLISH_UNIT_PLURALS: Record<string, string> = { piece: 'pieces', box: 'boxes', bottle: 'bottles', jar: 'jars', pair: 'pairs', bag: 'bags' };

/** A unit word (as shown, already in the locale's words) agreeing with a quantity: 1 jar, 3 jars; 斤 and kg stay. */
export function unitFor(locale: Locale, quantity: unknown, unit: string): string {
  const n = typeof quantity === 'number' ? quantity : Number(quantity);
  if (locale !== 'en' || !Number.isFinite(n) || pluralRules.en.select(n) === 'one') return unit;
  return ENGLISH_UNIT_PLURALS[unit] ?? unit;
}

/** A quantity of a unit code (unit.*) in the locale's words: "3 jars", "3 罐". */
export function quantityText(locale: Locale, quantity: number, unitCode: string): string {
  const key = `unit.${unitCode}`;
  return `${quantity} ${unitFor(locale, quantity, hasMessage(key) ? translate(locale, key) : unitCode)}`;
}

function fill(locale: Locale, template: string, params: MessageParams): string {
  const selected = template.includes(', plural,') ? selectPlurals(locale, template, params) : template;
  return selected.replace(/\{(\w+)\}/g, (whole, name: string, offset: number, text: string) => {
    const value = params[name];
    if (value === undefined || value === null) return whole;
    if (name !== 'unit') return String(value);
    const counted = /\{(\w+)\} $/.exec(text.slice(Math.max(0, offset - 40), offset));
    return counted ? unitFor(locale, params[counted[1]!], String(value)) : String(value);
  });
}

/** Replaces each `{name, plural, … }` by the option for params[name], with `#` as the number. */
function selectPlurals(locale: Locale, template: string, params: MessageParams): string {
  let out = '';
  let at = 0;
  const start = /\{(\w+), plural,/g;
  for (let m = start.exec(template); m !== null; m = start.exec(template)) {
    out += template.slice(at, m.index);
    const name = m[1]!;
    const options = new Map<string, string>();
    let i = start.lastIndex;
    for (;;) {
      while (template[i] === ' ') i++;
      if (template[i] === '}' || i >= template.length) break;
      const label = /^(=\d+|zero|one|two|few|many|other)\s*\{/.exec(template.slice(i));
      if (!label) throw new Error(`Bad plural in message: ${template}`);
      i += label[0].length;
      let depth = 1;
      const bodyStart = i;
      for (; i < template.length && depth > 0; i++) {
        if (template[i] === '{') depth++;
        else if (template[i] === '}') depth--;
      }
      options.set(label[1]!, template.slice(bodyStart, i - 1));
    }
    at = i + 1;
    start.lastIndex = at;
    const n = Number(params[name]);
    const body = options.get(`=${n}`) ?? options.get(pluralRules[locale].select(Number.isFinite(n) ? n : 0)) ?? options.get('other') ?? '';
    out += body.replace(/#/g, String(params[name] ?? ''));
  }
  return out + template.slice(at);
}

/** A translator bound to one locale, handed to services that build user-facing text. */
export type Translator = (key: MessageKey, params?: MessageParams) => string;
export const translatorFor =
  (locale: Locale): Translator =>
  (key, params) =>
    translate(locale, key, params);

/** Text with a note in brackets, in the translator's punctuation: "王大叔（王阿姨）", "Wang Dashu (Auntie Wang)". */
export function withAside(t: Translator, text: string, aside: string): string {
  return `${text}${t('punct.open')}${aside}${t('punct.close')}`;
}

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
