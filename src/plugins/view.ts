import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import fastifyView from '@fastify/view';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import Handlebars from 'handlebars';
import { hasMessage, isLocale, pickText, translate, unitFor, type Locale, type MessageParams } from '../i18n/i18n.js';
import { formatFen } from '../money.js';
import { VIEWS_DIR } from '../paths.js';

type HelperOptions = Handlebars.HelperOptions;

function localeOf(options: HelperOptions): Locale {
  const locale: unknown = options.data?.root?.locale;
  return isLocale(locale) ? locale : 'zh-CN';
}

/** Every .hbs file under views/partials, registered by its path without extension (e.g. "product-card"). */
function partialsIn(dir: string): Record<string, string> {
  const partials: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.hbs')) {
        partials[relative(dir, full).replace(/\.hbs$/, '')] = relative(VIEWS_DIR, full);
      }
    }
  };
  walk(dir);
  return partials;
}

/** The helpers every template can use. All user-visible text goes through `t`. */
export function createHandlebars(): typeof Handlebars {
  const hbs = Handlebars.create();
  hbs.registerHelper('t', (key: unknown, options: HelperOptions) => {
    if (typeof key !== 'string' || !hasMessage(key)) throw new Error(`Unknown message key in template: ${String(key)}`);
    return translate(localeOf(options), key, options.hash as MessageParams);
  });
  /** Translates a key built from a prefix and a value: {{tk "category." product.category}}. */
  hbs.registerHelper('tk', (prefix: unknown, value: unknown, options: HelperOptions) => {
    const key = `${String(prefix)}${String(value)}`;
    if (!hasMessage(key)) throw new Error(`Unknown message key in template: ${key}`);
    return translate(localeOf(options), key, options.hash as MessageParams);
  });
  /** Picks the zh or en text: {{pickText titleZh titleEn}}. */
  hbs.registerHelper('pickText', (zh: unknown, enText: unknown, options: HelperOptions) =>
    pickText(localeOf(options), String(zh ?? ''), typeof enText === 'string' ? enText : null),
  );
  /** Punctuation in the page's language (punct.*): {{p "colon"}} is "：" in Chinese and ": " in English. */
  hbs.registerHelper('p', (name: unknown, options: HelperOptions) => {
    const key = `punct.${String(name)}`;
    if (!hasMessage(key)) throw new Error(`Unknown punctuation in template: ${key}`);
    return translate(localeOf(options), key);
  });
  /** A quantity with its unit word (already in the page's language), agreeing in English: {{qty quantity unit}} → "3 jars". */
  hbs.registerHelper(
    'qty',
    (quantity: unknown, unit: unknown, options: HelperOptions) => `${String(quantity ?? '')} ${unitFor(localeOf(options), quantity, String(unit ?? ''))}`,
  );
  hbs.registerHelper('money', (fen: unknown) => (typeof fen === 'number' ? formatFen(fen) : ''));
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('not', (a: unknown) => !a);
  hbs.registerHelper('gt', (a: unknown, b: unknown) => Number(a) > Number(b));
  hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hbs.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
  /** Multi-line plain text as paragraphs, escaped. */
  hbs.registerHelper('paragraphs', (value: unknown) => {
    const text = typeof value === 'string' ? value : '';
    const html = text
      .split(/\n{2,}|\r\n\r\n/)
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => `<p>${Handlebars.escapeExpression(p).replace(/\n/g, '<br>')}</p>`)
      .join('');
    return new Handlebars.SafeString(html);
  });
  return hbs;
}

export default fp(
  async function viewPlugin(app: FastifyInstance) {
    await app.register(fastifyView, {
      engine: { handlebars: createHandlebars() },
      root: VIEWS_DIR,
      layout: 'layouts/main.hbs',
      viewExt: 'hbs',
      // Templates are compiled once and cached; restart to pick up template edits.
      production: true,
      maxCache: 500,
      options: { partials: partialsIn(join(VIEWS_DIR, 'partials')) },
    });
  },
  { name: 'view' },
);
