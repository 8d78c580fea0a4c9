import { z } from 'zod';
import { fenSchema, figuresSchema, yuanSchema } from '../api/api-schemas.js';

/** What the JSON API answers about public proof: impact figures and benefit receipts. */

const ref = z.object({ slug: z.string(), name: z.string() });

const namedHouseholdsSchema = z
  .object({
    named: z.array(z.string().describe('The display name the household agreed to show')).describe('Never with amounts: consent covers a name, not income'),
    unnamed: z.number().int().describe('Households in the group not named (no consent)'),
  })
  .nullable()
  .describe('null when fewer than 3 households were credited: a small group is never named');

const scopeSchema = ref.extend({ url: z.string(), figures: figuresSchema, households: namedHouseholdsSchema });

export const impactSchema = z.object({ shop: figuresSchema, projects: z.array(scopeSchema), villages: z.array(scopeSchema) });

const instant = z.string().describe('An ISO 8601 time (UTC)');

export const receiptSchema = z.object({
  code: z.string(),
  url: z.string().describe("The receipt's page (a path)"),
  status: z.string().describe('The order status: pending_payment, paid, shipped, completed, cancelled, refunded, partially_refunded'),
  paid: z.boolean(),
  placedAt: instant,
  paidAt: instant.nullable(),
  totalFen: fenSchema,
  total: yuanSchema,
  refundedFen: fenSchema,
  lines: z.array(z.object({ title: z.string(), quantity: z.number().int(), unit: z.string(), lineTotalFen: fenSchema, lineTotal: yuanSchema })),
  benefit: z
    .object({
      households: z.array(
        z.object({
          village: ref,
          project: ref,
          amountFen: fenSchema.describe('Credited to these households, net of refunds'),
          amount: yuanSchema,
          count: z.number().int(),
          names: z.array(z.string()).nullable().describe('Consented display names; null when the group has fewer than 3 households'),
        }),
      ),
      projectFunds: z.array(z.object({ project: ref, amountFen: fenSchema, amount: yuanSchema })),
      operationsFen: fenSchema,
      shippingFen: fenSchema,
    })
    .nullable()
    .describe('Where the money went, from the ledger; null until the order is paid'),
  payouts: z.array(z.object({ village: ref, project: ref, households: z.number().int(), state: z.enum(['paid', 'partly', 'not_yet']) })),
  posting: z
    .object({ id: z.number().int(), hash: z.string(), prevHash: z.string(), postedAt: instant, period: z.string() })
    .nullable()
    .describe('The ledger transaction that credited the households, and its place in the hash chain'),
});
