import { createHash, randomBytes } from 'node:crypto';
import type { AuditService } from '../audit/audit-service.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { DEFAULT_LOCALE, type Locale } from '../i18n/i18n.js';
import { allocateLots } from '../lots/index.js';
import type { SellableProduct } from './cart-queries.js';
import {
  bumpDayCounter,
  insertLine,
  insertOrder as insertOrderRow,
  insertShipment,
  orderById,
  ordersOnDay,
  startDayCounter,
  type Order,
} from './orders-queries.js';
import type { PaymentMethod } from './schema.js';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const RECEIPT_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

function receiptCode(): string {
  const bytes = randomBytes(10);
  return [...bytes].map((b) => RECEIPT_ALPHABET[b % RECEIPT_ALPHABET.length]).join('');
}

/**
 * How long a Stripe order holds its stock: at least as long as its Checkout Session can be paid
 * (Stripe keeps a session open for 30 minutes at the least), so no one pays for a released order.
 */
export const stripeHoldMs = (configuredMs: number) => Math.max(configuredMs, 32 * 60_000);

/** XY-YYYYMMDD- in China Standard Time. */
function numberPrefix(now: number): string {
  return `XY-${new Date(now + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '')}-`;
}

/** One priced line as the order snapshots it (title, unit and price as they are now). */
export interface NewOrderLine {
  product: SellableProduct;
  unitPriceFen: number;
  quantity: number;
  lineTotalFen: number;
}

/** Who receives an order, where, and how they pay. */
export interface CheckoutContact {
  name: string;
  phone: string;
  province: string;
  city: string;
  district: string;
  address: string;
  note: string | null;
  paymentMethod: PaymentMethod;
  /** The language the buyer used the shop in: a guest's messages about the order are written in it (default zh-CN). */
  locale?: Locale;
}

/** Everything an order is made of, whichever way it was placed (cart, quote, donation, counter sale). */
export interface NewOrder {
  buyerUserId: number | null;
  contact: CheckoutContact;
  delivery: 'ship' | 'pickup';
  lines: NewOrderLine[];
  /** Whether the lines' units come from the shop's stock, so from its harvest lots (not from an outlet's shelf). */
  fromLots: boolean;
  /** The parcels the villages send, with the fee each charges the buyer (fen). */
  parcels: { villageId: number; feeFen: number }[];
  subtotalFen: number;
  shippingFen: number;
  /** Which hold the unpaid order is, for its expiry: the cheapest holds expire soonest. */
  hold: 'signed_in' | 'anonymous' | 'wish_claim';
  /** Who placed it in the shop (null for staff: accepted quotes, counter sales; their holds are not counted). */
  placedBy: { visitor: string; address: string | null } | null;
  /** What the audit record says besides the total and payment method. */
  auditNote: Record<string, unknown>;
}

export interface PlacedOrder {
  order: Order;
  /** The secret for the buyer's confirmation link; only its hash is stored. */
  accessToken: string;
}

/**
 * The one path that writes a new order: its number, secret token and receipt code, the order row,
 * its lines (taking shop units from harvest lots first-in-first-out), its parcels and the audit
 * record. Callers check and price first and compose this into their unit of work, so whatever
 * they checked still holds when it is written, and a throw after it leaves nothing behind.
 */
export function createOrderPlacing(deps: {
  audit: AuditService;
  expiry: { stripeMs: number; offlineMs: number; offlineAnonymousMs: number; wishClaimMs: number };
}) {
  /**
   * When an unpaid order releases what it holds: a Stripe order when its Checkout Session can no
   * longer be paid; a bank-transfer order later, and sooner when placed without signing in (the
   * cheapest hold to make) or when it claims a micro-wish (one of a kind).
   */
  function expiresAt(method: PaymentMethod, now: number, hold: NewOrder['hold']): number {
    if (method === 'stripe') return now + stripeHoldMs(deps.expiry.stripeMs);
    return now + (hold === 'wish_claim' ? deps.expiry.wishClaimMs : hold === 'anonymous' ? deps.expiry.offlineAnonymousMs : deps.expiry.offlineMs);
  }

  /** The next human order number of the day (CST); a step of the order's unit of work. */
  function* nextOrderNumber(tx: Tx, now: number): Query<string> {
    const prefix = numberPrefix(now);
    let next = yield* bumpDayCounter(tx, prefix);
    if (next === undefined) {
      // The day's first order (or the first since the counters came): count what the day has once.
      next = (yield* ordersOnDay(tx, prefix)) + 1;
      yield* startDayCounter(tx, prefix, next);
    }
    return `${prefix}${String(next).padStart(4, '0')}`;
  }

  /** Writes the order: a step of the caller's write unit of work. */
  function* insertOrder(tx: Tx, input: NewOrder, now: number, address: string | null): Query<PlacedOrder> {
    const accessToken = randomBytes(24).toString('base64url');
    const number = yield* nextOrderNumber(tx, now);
    const { contact } = input;
    const totalFen = input.subtotalFen + input.shippingFen;
    const orderId = yield* insertOrderRow(tx, {
      number,
      accessTokenHash: sha256(accessToken),
      receiptCode: receiptCode(),
      buyerUserId: input.buyerUserId,
      contactName: contact.name,
      phone: contact.phone,
      province: contact.province,
      city: contact.city,
      district: contact.district,
      address: contact.address,
      note: contact.note,
      locale: contact.locale ?? DEFAULT_LOCALE,
      paymentMethod: contact.paymentMethod,
      deliveryMethod: input.delivery,
      subtotalFen: input.subtotalFen,
      shippingFen: input.shippingFen,
      totalFen,
      expiresAt: expiresAt(contact.paymentMethod, now, input.hold),
      placedByVisitor: input.placedBy?.visitor ?? null,
      placedFromAddress: input.placedBy?.address ?? null,
      createdAt: now,
    });
    for (const line of input.lines) {
      const lineId = yield* insertLine(tx, {
        orderId,
        productId: line.product.id,
        villageId: line.product.villageId,
        producerId: line.product.producerId,
        projectId: line.product.projectId,
        titleZh: line.product.titleZh,
        titleEn: line.product.titleEn,
        unit: line.product.unit,
        unitPriceFen: line.unitPriceFen,
        quantity: line.quantity,
        lineTotalFen: line.lineTotalFen,
      });
      // Units beyond the product's lots are stock without a lot.
      if (input.fromLots) yield* allocateLots(tx, lineId, line.product.id, line.quantity);
    }
    for (const parcel of input.parcels) yield* insertShipment(tx, orderId, parcel.villageId, parcel.feeFen);
    yield* deps.audit.add(tx, {
      userId: input.buyerUserId,
      action: 'order.place',
      entityType: 'order',
      entityId: number,
      after: { totalFen, method: contact.paymentMethod, ...input.auditNote },
      address,
    });
    return { order: (yield* orderById(tx, orderId))!, accessToken };
  }

  return { insertOrder };
}

export type OrderPlacing = ReturnType<typeof createOrderPlacing>;
