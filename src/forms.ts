import { z } from 'zod';
import { parseYuanToFen } from './money.js';
import { hasMessage, type MessageKey, type Translator } from './i18n/i18n.js';

/**
 * Form handling shared by every console: zod schemas carry message keys (not text) as their
 * error messages; failures become field-level messages in the user's language, and the typed
 * values are kept so the form can be re-rendered as it was.
 */
export type FieldMessages = Record<string, string>;

export type FormResult<T> = { ok: true; data: T } | { ok: false; fields: FieldMessages };

export function parseForm<S extends z.ZodType>(schema: S, body: unknown, t: Translator): FormResult<z.infer<S>> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return { ok: true, data: result.data };
  const fields: FieldMessages = {};
  for (const issue of result.error.issues) {
    // An error on one item of a list (villageIds.0) belongs to the list's field.
    const field = String(issue.path[0] ?? '_form');
    if (fields[field]) continue;
    fields[field] = hasMessage(issue.message) ? t(issue.message as MessageKey) : t('validation.invalid');
  }
  return { ok: false, fields };
}

/** The raw values a person typed, as strings, for re-rendering a form (never passwords). */
export function typedValues(body: unknown, omit: readonly string[] = ['password', 'newPassword', 'currentPassword', '_csrf']): Record<string, string> {
  const values: Record<string, string> = {};
  if (!body || typeof body !== 'object') return values;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (omit.includes(key)) continue;
    if (typeof value === 'string') values[key] = value;
    else if (Array.isArray(value)) values[key] = value.filter((v) => typeof v === 'string').join(',');
  }
  return values;
}

/**
 * A yuan amount typed by a person ("56", "56.80", "¥1,234.50") as integer fen. `message` is the
 * message key shown when it is not an amount or falls outside [minFen, maxFen].
 */
export function yuanField(message: string, opts: { minFen?: number; maxFen?: number; requiredMessage?: string } = {}) {
  const { minFen = 0, maxFen = Number.MAX_SAFE_INTEGER, requiredMessage = 'validation.required' } = opts;
  return z
    .string({ error: requiredMessage })
    .trim()
    .min(1, requiredMessage)
    .transform((v, ctx) => {
      const fen = parseYuanToFen(v);
      if (fen === null || fen < minFen || fen > maxFen) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return fen;
    });
}

/** A mainland mobile number: spaces, hyphens and a +86 prefix are dropped; 11 digits starting with 1 remain. */
export const mobilePhoneField = z
  .string({ error: 'validation.required' })
  .trim()
  .transform((v) => v.replace(/[\s-]/g, '').replace(/^\+?86/, ''))
  .pipe(z.string().regex(/^1[0-9]{10}$/, 'validation.phone'));
