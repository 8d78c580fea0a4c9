import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { epochMs, nowMs } from '../db/columns.js';
import { orders } from '../orders/schema.js';

export const PAYMENT_CHANNELS = ['bank', 'stripe', 'cash', 'wechat', 'alipay'] as const;
export type PaymentChannel = (typeof PAYMENT_CHANNELS)[number];

/** Money received (or expected) for an order through one channel. */
export const payments = sqliteTable(
  'payments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    channel: text('channel', { enum: PAYMENT_CHANNELS }).notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed', 'expired'] })
      .notNull()
      .default('pending'),
    /** Amount received, fen. */
    amountFen: integer('amount_fen').notNull(),
    /** Processor fee, fen (Stripe balance transaction; converted to fen when Stripe settled in another currency). */
    feeFen: integer('fee_fen').notNull().default(0),
    /**
     * When Stripe settled the payment in another currency than CNY: that currency (ISO 4217, lower
     * case as Stripe writes it, e.g. 'hkd'), the fee as Stripe charged it in its minor units, and
     * the balance transaction's exchange_rate (CNY → that currency) as the decimal text Stripe sent.
     * All null when the balance transaction was in CNY (or for bank and till payments).
     */
    settlementCurrency: text('settlement_currency'),
    settlementFeeMinor: integer('settlement_fee_minor'),
    settlementExchangeRate: text('settlement_exchange_rate'),
    /** Bank transfer reference typed by the coordinator. */
    reference: text('reference'),
    stripeCheckoutSessionId: text('stripe_checkout_session_id'),
    stripePaymentIntentId: text('stripe_payment_intent_id'),
    stripeChargeId: text('stripe_charge_id'),
    confirmedByUserId: integer('confirmed_by_user_id').references(() => users.id),
    confirmedAt: epochMs('confirmed_at'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    index('payments_order_idx').on(t.orderId),
    uniqueIndex('payments_stripe_session_uq').on(t.stripeCheckoutSessionId),
    index('payments_confirmed_idx').on(t.confirmedAt),
    check('payments_amount_ck', sql`${t.amountFen} >= 0 AND ${t.feeFen} >= 0`),
    check('payments_status_ck', sql`${t.status} IN ('pending','succeeded','failed','expired')`),
  ],
);

/** A refund of part or all of an order, through the channel it was paid by. */
export const refunds = sqliteTable(
  'refunds',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    paymentId: integer('payment_id').references(() => payments.id),
    /** Order line refunded, or null for a whole-order refund. */
    orderLineId: integer('order_line_id'),
    amountFen: integer('amount_fen').notNull(),
    reason: text('reason').notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed'] })
      .notNull()
      .default('pending'),
    stripeRefundId: text('stripe_refund_id'),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    settledAt: epochMs('settled_at'),
  },
  (t) => [
    index('refunds_order_idx').on(t.orderId),
    // Refunds still pending are few and read before every payout (ledger-reports heldForRefundsFen).
    index('refunds_pending_idx').on(t.orderId).where(sql`${t.status} = 'pending'`),
    uniqueIndex('refunds_stripe_uq').on(t.stripeRefundId),
    check('refunds_amount_ck', sql`${t.amountFen} > 0`),
    check('refunds_status_ck', sql`${t.status} IN ('pending','succeeded','failed')`),
  ],
);

/** Every Stripe webhook event processed, stored in the same transaction as its effects. */
export const stripeEvents = sqliteTable('stripe_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  /** Stripe's `created`, converted to ms. */
  stripeCreatedAt: epochMs('stripe_created_at').notNull(),
  processedAt: epochMs('processed_at').notNull().default(nowMs),
});
