import { mobilePhoneField, yuanField } from '../forms.js';
import { z } from 'zod';
import { startOfDay } from '../time.js';
import { isCreditCode, isTaxNumber } from './credit-code.js';

/** Error messages are message keys; src/forms.ts translates them per field. */
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const text = (max: number) => z.string({ error: 'validation.required' }).trim().min(1, 'validation.required').max(max, 'validation.too_long');
const optionalText = (max: number) => z.preprocess(blank, z.string().trim().max(max, 'validation.too_long').optional()).transform((v) => v ?? null);
/** Codes are written in capitals; people type them with spaces or in lower case. */
const code = z.string({ error: 'validation.required' }).transform((v) => v.replace(/\s+/g, '').toUpperCase());

export const idParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});

/** POST /account/organization: a buyer registers their organisation. */
export const organizationFormSchema = z.object({
  name: text(100),
  creditCode: code.pipe(z.string().min(1, 'validation.required').refine(isCreditCode, 'errors.credit_code_invalid')),
  invoiceTitle: text(100),
  taxNumber: code.pipe(z.string().min(1, 'validation.required').refine(isTaxNumber, 'errors.tax_number_invalid')),
});
export type OrganizationForm = z.infer<typeof organizationFormSchema>;

/** POST /products/:slug/quote */
export const quoteRequestSchema = z.object({
  quantity: z
    .string({ error: 'validation.quantity' })
    .trim()
    .regex(/^[0-9]{1,6}$/, 'validation.quantity')
    .transform(Number)
    .pipe(z.number().min(1, 'validation.quantity')),
  note: optionalText(500),
});
export type QuoteRequestForm = z.infer<typeof quoteRequestSchema>;

/** POST /secretary/quotes/:id/answer: a unit price in yuan and the last day the offer stands. */
export const quoteAnswerSchema = z.object({
  unitPrice: yuanField('validation.price', { minFen: 1 }),
  validUntil: z
    .string({ error: 'validation.required' })
    .trim()
    .min(1, 'validation.required')
    .refine((v) => startOfDay(v) !== null, 'errors.quote_valid_until_invalid'),
});
export type QuoteAnswerForm = z.infer<typeof quoteAnswerSchema>;

/** POST /account/organization/quotes/:id/accept: where the goods go, and the 发票 details. */
export const quoteAcceptSchema = z.object({
  name: text(40),
  phone: mobilePhoneField,
  province: text(20),
  city: text(20),
  district: text(20),
  address: text(120),
  note: optionalText(200),
  invoiceTitle: text(100),
  taxNumber: code.pipe(z.string().min(1, 'validation.required').refine(isTaxNumber, 'errors.tax_number_invalid')),
  invoiceEmail: z
    .preprocess(
      blank,
      z
        .string()
        .trim()
        .max(254, 'validation.email')
        .pipe(z.email({ error: 'validation.email' }))
        .optional(),
    )
    .transform((v) => v ?? null),
  /** Ticked when the buyer goes ahead although the order takes the organisation over its yearly quota. */
  quotaAcknowledged: z
    .literal('on')
    .optional()
    .transform((v) => v === 'on'),
});
export type QuoteAcceptForm = z.infer<typeof quoteAcceptSchema>;

/** GET /coordinator/invoices(.csv)?period=YYYY-MM */
export const invoicesQuerySchema = z.object({
  period: z.preprocess(
    blank,
    z
      .string()
      .regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM')
      .optional(),
  ),
  lang: z.preprocess(blank, z.string().max(16).optional()),
});

/** POST /coordinator/organizations/:id/quota: a year and the quota in yuan. */
export const quotaFormSchema = z.object({
  year: z
    .string({ error: 'validation.required' })
    .trim()
    .regex(/^20[0-9]{2}$/, 'errors.quota_year_invalid')
    .transform(Number)
    .pipe(z.number().min(2000, 'errors.quota_year_invalid').max(2100, 'errors.quota_year_invalid')),
  amount: yuanField('validation.price'),
});

/** POST /coordinator/organizations/:id/members */
export const memberFormSchema = z.object({
  email: z
    .string({ error: 'validation.required' })
    .trim()
    .min(1, 'validation.required')
    .max(254, 'validation.email')
    .pipe(z.email({ error: 'validation.email' })),
});

/** GET|POST /coordinator/invoices/:number: the order whose invoice request it is. */
export const orderNumberParams = z.object({ number: z.string().min(1).max(40) });

/** POST /coordinator/invoices/:number (multipart, with the invoice file): the issued invoice. */
export const issuedInvoiceSchema = z.object({
  invoiceNumber: z
    .string({ error: 'validation.required' })
    .trim()
    .min(1, 'validation.required')
    .max(40, 'validation.too_long')
    .regex(/^[0-9A-Za-z-]+$/, 'errors.invoice_number_invalid'),
  invoiceDate: z
    .string({ error: 'validation.required' })
    .trim()
    .min(1, 'validation.required')
    .refine((v) => startOfDay(v) !== null, 'errors.invoice_date_invalid')
    .transform((v) => startOfDay(v)!),
});
export type IssuedInvoiceForm = z.infer<typeof issuedInvoiceSchema>;
