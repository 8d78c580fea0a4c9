import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { products } from '../catalog/schema.js';
import { epochMs, nowMs } from '../db/columns.js';
import { projects } from '../projects/schema.js';
import { producers, villages } from '../villages/schema.js';

/** A cart belongs to a session (anonymous) or, once signed in, to a user; they merge at login. */
export const carts = sqliteTable(
  'carts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionIdHash: text('session_id_hash'),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    updatedAt: epochMs('updated_at').notNull().default(nowMs),
  },
  (t) => [uniqueIndex('carts_session_uq').on(t.sessionIdHash), uniqueIndex('carts_user_uq').on(t.userId)],
);

export const cartItems = sqliteTable(
  'cart_items',
  {
    cartId: integer('cart_id')
      .notNull()
      .references(() => carts.id, { onDelete: 'cascade' }),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    /** Units. */
    quantity: integer('quantity').notNull(),
    addedAt: epochMs('added_at').notNull().default(nowMs),
  },
  (t) => [primaryKey({ columns: [t.cartId, t.productId] }), check('cart_items_qty_ck', sql`${t.quantity} > 0`)],
);

export const ORDER_STATUSES = ['pending_payment', 'paid', 'shipped', 'completed', 'cancelled', 'refunded', 'partially_refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const PAYMENT_METHODS = ['offline', 'stripe'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const DELIVERY_METHODS = ['ship', 'pickup'] as const;

/**
 * The last order number given out on each day (CST), so the next one is a single-row update
 * instead of counting the day's orders (a busy day has tens of thousands).
 */
export const orderDayCounters = sqliteTable('order_day_counters', {
  /** The number prefix of the day, e.g. "XY-20261125-". */
  prefix: text('prefix').primaryKey(),
  lastNumber: integer('last_number').notNull(),
});

export const orders = sqliteTable(
  'orders',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Human order number, e.g. XY-20261125-0042. */
    number: text('number').notNull(),
    /** SHA-256 of the secret token in the buyer's confirmation link. */
    accessTokenHash: text('access_token_hash').notNull(),
    /** Public code of the benefit receipt (/receipts/:code). */
    receiptCode: text('receipt_code').notNull(),
    buyerUserId: integer('buyer_user_id').references(() => users.id),
    contactName: text('contact_name').notNull(),
    phone: text('phone').notNull(),
    province: text('province').notNull(),
    city: text('city').notNull(),
    district: text('district').notNull(),
    address: text('address').notNull(),
    note: text('note'),
    /**
     * The language the buyer used the shop in when ordering ('zh-CN' | 'en'): what is sent about the
     * order to a guest (no account, so no language of their own) is written in it.
     */
    // A text column without a CHECK: SQLite adds it in place (a check would rebuild the table and drop its triggers).
    locale: text('locale', { enum: ['zh-CN', 'en'] })
      .notNull()
      .default('zh-CN'),
    status: text('status', { enum: ORDER_STATUSES }).notNull().default('pending_payment'),
    paymentMethod: text('payment_method', { enum: PAYMENT_METHODS }).notNull(),
    deliveryMethod: text('delivery_method', { enum: DELIVERY_METHODS }).notNull().default('ship'),
    /** Sum of line totals, fen. */
    subtotalFen: integer('subtotal_fen').notNull(),
    /** Sum of per-village shipping fees, fen. */
    shippingFen: integer('shipping_fen').notNull(),
    totalFen: integer('total_fen').notNull(),
    refundedFen: integer('refunded_fen').notNull().default(0),
    /** An unpaid order is cancelled and its stock released after this moment. */
    expiresAt: epochMs('expires_at').notNull(),
    /**
     * Who placed it from the shop, for the limits on what unpaid orders may hold (src/orders/holds.ts):
     * "user:<id>" for a signed-in buyer, "session:<SHA-256 of the session id>" for a visitor; null for
     * orders placed by staff (accepted quotes, counter sales).
     */
    placedByVisitor: text('placed_by_visitor'),
    /** The client address it was placed from (TRUST_PROXY decides which); null as above. */
    placedFromAddress: text('placed_from_address'),
    paidAt: epochMs('paid_at'),
    cancelledAt: epochMs('cancelled_at'),
    completedAt: epochMs('completed_at'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    updatedAt: epochMs('updated_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('orders_number_uq').on(t.number),
    uniqueIndex('orders_receipt_uq').on(t.receiptCode),
    index('orders_buyer_idx').on(t.buyerUserId, t.createdAt),
    index('orders_status_expiry_idx').on(t.status, t.expiresAt),
    index('orders_created_idx').on(t.createdAt),
    // Reconciliation finds the orders marked paid in a month without reading the whole history.
    index('orders_paid_idx').on(t.paidAt),
    // What unpaid orders hold, per phone, visitor and address, is read at every checkout: only unpaid orders are indexed.
    index('orders_pending_phone_idx').on(t.phone).where(sql`${t.status} = 'pending_payment'`),
    index('orders_pending_visitor_idx').on(t.placedByVisitor).where(sql`${t.status} = 'pending_payment'`),
    index('orders_pending_address_idx').on(t.placedFromAddress).where(sql`${t.status} = 'pending_payment'`),
    check('orders_status_ck', sql`${t.status} IN ('pending_payment','paid','shipped','completed','cancelled','refunded','partially_refunded')`),
    check('orders_method_ck', sql`${t.paymentMethod} IN ('offline','stripe')`),
    check('orders_delivery_ck', sql`${t.deliveryMethod} IN ('ship','pickup')`),
    check('orders_amounts_ck', sql`${t.subtotalFen} >= 0 AND ${t.shippingFen} >= 0 AND ${t.totalFen} = ${t.subtotalFen} + ${t.shippingFen}`),
    check('orders_refunded_ck', sql`${t.refundedFen} >= 0 AND ${t.refundedFen} <= ${t.totalFen}`),
  ],
);

/** One product in an order, with everything snapshotted at the time of ordering. */
export const orderLines = sqliteTable(
  'order_lines',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    villageId: integer('village_id')
      .notNull()
      .references(() => villages.id),
    producerId: integer('producer_id')
      .notNull()
      .references(() => producers.id),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    titleZh: text('title_zh').notNull(),
    titleEn: text('title_en'),
    unit: text('unit').notNull(),
    /** Price per unit after bulk tiers, fen. */
    unitPriceFen: integer('unit_price_fen').notNull(),
    quantity: integer('quantity').notNull(),
    lineTotalFen: integer('line_total_fen').notNull(),
    refundedFen: integer('refunded_fen').notNull().default(0),
  },
  (t) => [
    index('order_lines_order_idx').on(t.orderId),
    index('order_lines_product_idx').on(t.productId),
    index('order_lines_village_idx').on(t.villageId, t.orderId),
    check('order_lines_qty_ck', sql`${t.quantity} > 0`),
    check('order_lines_price_ck', sql`${t.unitPriceFen} >= 0 AND ${t.lineTotalFen} = ${t.unitPriceFen} * ${t.quantity}`),
    check('order_lines_refunded_ck', sql`${t.refundedFen} >= 0 AND ${t.refundedFen} <= ${t.lineTotalFen}`),
  ],
);

export const SHIPMENT_STATUSES = ['pending', 'shipped', 'delivered'] as const;

/** Each village ships its own lines of an order. */
export const shipments = sqliteTable(
  'shipments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    villageId: integer('village_id')
      .notNull()
      .references(() => villages.id),
    /** Shipping fee charged for this village's parcel, fen. */
    shippingFeeFen: integer('shipping_fee_fen').notNull().default(0),
    status: text('status', { enum: SHIPMENT_STATUSES }).notNull().default('pending'),
    carrier: text('carrier'),
    trackingNumber: text('tracking_number'),
    shippedAt: epochMs('shipped_at'),
    shippedByUserId: integer('shipped_by_user_id').references(() => users.id),
    /** When the buyer confirmed receipt (确认收货), or the order was confirmed automatically. */
    deliveredAt: epochMs('delivered_at'),
  },
  (t) => [
    uniqueIndex('shipments_order_village_uq').on(t.orderId, t.villageId),
    index('shipments_village_status_idx').on(t.villageId, t.status),
    check('shipments_fee_ck', sql`${t.shippingFeeFen} >= 0`),
    check('shipments_status_ck', sql`${t.status} IN ('pending','shipped','delivered')`),
  ],
);

/**
 * "Find my order": each request for a fresh link (src/orders/order-lookup.ts). A row is written
 * whether or not the order number and contact matched (the throttle counts them); a match also
 * has its order and the SHA-256 of the link's secret, which opens the order page until it expires.
 */
export const orderLookups = sqliteTable(
  'order_lookups',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** SHA-256 of the phone number or e-mail address typed (normalised): throttled per contact without keeping it. */
    contactHash: text('contact_hash').notNull(),
    /** The client address it came from (TRUST_PROXY decides which). */
    clientAddress: text('client_address').notNull(),
    /** The order the number and contact matched; null when they did not. */
    orderId: integer('order_id').references(() => orders.id),
    /** SHA-256 of the secret in the link sent; null when nothing was sent. */
    tokenHash: text('token_hash'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    /** The link works until then. */
    expiresAt: epochMs('expires_at').notNull(),
  },
  (t) => [
    index('order_lookups_contact_idx').on(t.contactHash, t.createdAt),
    index('order_lookups_client_idx').on(t.clientAddress, t.createdAt),
    uniqueIndex('order_lookups_token_uq').on(t.tokenHash).where(sql`${t.tokenHash} IS NOT NULL`),
  ],
);

export const ORDER_REQUEST_KINDS = ['refund', 'problem'] as const;
export const ORDER_REQUEST_REASONS = ['not_received', 'damaged', 'wrong_item', 'missing_item', 'quality', 'changed_mind', 'other'] as const;
export const ORDER_REQUEST_STATUSES = ['open', 'accepted', 'declined'] as const;

/**
 * A buyer's after-sale request (申请退款 / 问题反馈) about a paid order: seen only by the buyer and the
 * coordinators in scope of the order, who accept it (and then refund through the usual refund) or
 * decline it with a reply. At most one is open per order (the partial unique index).
 */
export const orderRequests = sqliteTable(
  'order_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    kind: text('kind', { enum: ORDER_REQUEST_KINDS }).notNull(),
    reason: text('reason', { enum: ORDER_REQUEST_REASONS }).notNull(),
    /** What the buyer wrote. */
    note: text('note').notNull(),
    /** The refund the buyer asks for, fen; null when they name no amount. */
    amountFen: integer('amount_fen'),
    status: text('status', { enum: ORDER_REQUEST_STATUSES }).notNull().default('open'),
    /** The signed-in buyer who asked; null for a guest who came by the order's private link. */
    openedByUserId: integer('opened_by_user_id').references(() => users.id),
    createdAt: epochMs('created_at').notNull().default(nowMs),
    /** The coordinator's answer, shown to the buyer. */
    reply: text('reply'),
    answeredByUserId: integer('answered_by_user_id').references(() => users.id),
    answeredAt: epochMs('answered_at'),
  },
  (t) => [
    index('order_requests_order_idx').on(t.orderId, t.createdAt),
    index('order_requests_status_idx').on(t.status, t.createdAt),
    uniqueIndex('order_requests_one_open_uq').on(t.orderId).where(sql`${t.status} = 'open'`),
    check('order_requests_kind_ck', sql`${t.kind} IN ('refund','problem')`),
    check('order_requests_status_ck', sql`${t.status} IN ('open','accepted','declined')`),
    check('order_requests_amount_ck', sql`${t.amountFen} IS NULL OR ${t.amountFen} > 0`),
  ],
);
