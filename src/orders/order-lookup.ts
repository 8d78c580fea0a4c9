import { randomBytes } from 'node:crypto';
import { and, count, eq, gt, lt } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { one, run, type Query, type Tx } from '../db/unit-of-work.js';
import type { Locale } from '../i18n/i18n.js';
import { sha256 } from './order-placing.js';
import { orderByNumber, type Order } from './orders-queries.js';
import { orderLookups } from './schema.js';

/** "Find my order": how long a link works, and how many requests one contact and one client address may make. */
export const ORDER_LOOKUP = {
  linkMs: 7 * 24 * 3600_000,
  windowMs: 3600_000,
  maxPerContact: 3,
  maxPerClient: 10,
} as const;

/** What a guest typed: an order number and the phone number or e-mail address it was placed with. */
export interface LookupRequest {
  number: string;
  contact: { kind: 'phone'; phone: string } | { kind: 'email'; email: string };
}

/** The fresh link to an order, to the order's own contact: e-mail when it has one, else a text message. */
export type OrderLinkMessage = {
  locale: Locale;
  number: string;
  link: string;
  expiresAt: number;
  contactName: string;
} & ({ channel: 'email'; to: string } | { channel: 'sms'; to: string });

export interface OrderLinkMessenger {
  /** A step of the unit of work that records the request: the outbox writes the message with it. */
  send(tx: Tx, message: OrderLinkMessage): Query<void>;
}

/**
 * A guest who lost the link to an order asks for a fresh one with the order number and the phone
 * number (or the account's e-mail address) it was placed with. The answer is the same, after the
 * same work, whether or not they match, whether or not the contact has orders, and past the
 * throttle; only a match sends anything, and only to the order's own contact (never to what was
 * typed). The link's secret is kept as its SHA-256 and opens the order page for a week.
 */
export function createOrderLookup(
  db: Database_,
  deps: {
    clock: Clock;
    messenger: OrderLinkMessenger;
    /** The e-mail address of the account that placed an order (a step of the unit of work). */
    buyerEmail: (tx: Tx, userId: number) => Query<string | undefined>;
    link: (number: string, token: string) => string;
  },
) {
  const { clock } = deps;

  function* matches(tx: Tx, order: Order, contact: LookupRequest['contact']): Query<boolean> {
    if (contact.kind === 'phone') return order.phone === contact.phone;
    if (order.buyerUserId === null) return false;
    return (yield* deps.buyerEmail(tx, order.buyerUserId)) === contact.email;
  }

  return {
    request(form: LookupRequest, clientAddress: string, locale: Locale): Promise<void> {
      const contactHash = sha256(form.contact.kind === 'phone' ? `phone:${form.contact.phone}` : `email:${form.contact.email}`);
      return db.uow.write(function* (tx) {
        const now = clock();
        const since = now - ORDER_LOOKUP.windowMs;
        const byContact =
          (yield* one(
            tx
              .select({ n: count() })
              .from(orderLookups)
              .where(and(eq(orderLookups.contactHash, contactHash), gt(orderLookups.createdAt, since))),
          ))?.n ?? 0;
        const byClient =
          (yield* one(
            tx
              .select({ n: count() })
              .from(orderLookups)
              .where(and(eq(orderLookups.clientAddress, clientAddress), gt(orderLookups.createdAt, since))),
          ))?.n ?? 0;
        if (byContact >= ORDER_LOOKUP.maxPerContact || byClient >= ORDER_LOOKUP.maxPerClient) return;

        const order = yield* orderByNumber(tx, form.number);
        if (!order || !(yield* matches(tx, order, form.contact))) {
          yield* run(tx.insert(orderLookups).values({ contactHash, clientAddress, orderId: null, tokenHash: null, createdAt: now, expiresAt: now }));
          return;
        }
        const token = randomBytes(24).toString('base64url');
        const expiresAt = now + ORDER_LOOKUP.linkMs;
        yield* run(tx.insert(orderLookups).values({ contactHash, clientAddress, orderId: order.id, tokenHash: sha256(token), createdAt: now, expiresAt }));
        const email = order.buyerUserId === null ? undefined : yield* deps.buyerEmail(tx, order.buyerUserId);
        const base = { locale, number: order.number, link: deps.link(order.number, token), expiresAt, contactName: order.contactName };
        yield* deps.messenger.send(tx, email ? { ...base, channel: 'email', to: email } : { ...base, channel: 'sms', to: order.phone });
      });
    },

    /** Housekeeping: forgets requests whose links have expired (and the unmatched ones after a day). */
    prune: (): Promise<void> =>
      db.uow.write(function* (tx) {
        yield* run(tx.delete(orderLookups).where(lt(orderLookups.expiresAt, clock() - 24 * 3600_000)));
      }),
  };
}

/** Whether a lookup link's secret opens this order now (a step of the order page's unit of work). */
export function* lookupLinkOpens(tx: Tx, orderId: number, token: string, now: number): Query<boolean> {
  const row = yield* one(
    tx
      .select({ orderId: orderLookups.orderId, expiresAt: orderLookups.expiresAt })
      .from(orderLookups)
      .where(eq(orderLookups.tokenHash, sha256(token))),
  );
  return row !== undefined && row.orderId === orderId && row.expiresAt > now;
}

export type OrderLookup = ReturnType<typeof createOrderLookup>;
