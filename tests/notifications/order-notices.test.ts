import { describe, expect, it } from 'vitest';
import type { Query, Tx } from '../../src/db/unit-of-work.js';
import type { MailPreferences } from '../../src/notifications/mail-preferences.js';
import { createOrderNotices } from '../../src/notifications/order-notices.js';
import type { Outbox, OutgoingMail } from '../../src/notifications/outbox.js';
import type { Order } from '../../src/orders/index.js';
import { testConfig } from '../helpers/test-app.js';

/** A step that asks the database nothing and answers `value`. */
// biome-ignore lint/correctness/useYield: the fakes have no query to hand to the engine
function* answer<T>(value: T): Query<T> {
  return value;
}

/** Runs steps that ask the database nothing to their end. */
function runWithoutDatabase(steps: Query<void>): void {
  const next = steps.next();
  if (!next.done) throw new Error('a step asked the database');
}

/** The order messages as written, without a database: who gets what for a paid order with and without parcels. */
function notices() {
  const sent: OutgoingMail[] = [];
  const steps = createOrderNotices({
    outbox: { add: (_tx: Tx, mail: OutgoingMail) => answer(void sent.push(mail)) } as unknown as Outbox,
    preferences: {
      localeOf: () => answer('en'),
      noticesOffIn: () => answer(false),
      linksFor: () => ({ preferencesUrl: 'https://p', oneClickUrl: 'https://u' }),
    } as unknown as MailPreferences,
    people: {
      mailRecipient: (_tx, id) => answer({ id, email: 'buyer@example.test', displayName: 'Lin' }),
      secretariesOfVillage: (_tx, villageId) => answer([{ id: 100 + villageId, email: `sec${villageId}@example.test`, displayName: 'Sec' }]),
    },
    villageNames: () => answer([{ id: 1, nameZh: '古楼村', nameEn: 'Gulou' }]),
    config: testConfig(),
  });
  const tx = {} as Tx;
  const events = { paid: (o: Order, villageIds: number[]) => runWithoutDatabase(steps.paid(tx, o, villageIds)) };
  return { sent, events };
}

const order = { id: 7, number: 'XY-20261205-0007', buyerUserId: 3, contactName: 'Lin', totalFen: 12_345, refundedFen: 0 } as Order;

describe('order messages', () => {
  it('tell the buyer a parcel will ship, and each village secretary once', () => {
    const { sent, events } = notices();
    events.paid(order, [1, 1]);
    expect(sent.map((m) => m.to)).toEqual(['buyer@example.test', 'sec1@example.test']);
    expect(sent[0]!.text).toContain('will ship it soon');
    expect(sent[0]!.text).toContain('¥123.45');
    expect(sent[1]!.transactional).toBe(false);
    expect(sent[1]!.subject).toContain('Gulou');
  });

  it('thank the buyer of an order with nothing to ship (a micro-wish donation) without promising a parcel', () => {
    const { sent, events } = notices();
    events.paid(order, []);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('Thank you!');
    expect(sent[0]!.text).not.toContain('ship');
  });
});
