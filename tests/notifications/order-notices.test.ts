import { describe, expect, it } from 'vitest';
import type { MailPreferences } from '../../src/notifications/mail-preferences.js';
import { createOrderNotices } from '../../src/notifications/order-notices.js';
import type { Outbox, OutgoingMail } from '../../src/notifications/outbox.js';
import type { OrderRow } from '../../src/orders/orders-queries.js';
import { testConfig } from '../helpers/test-app.js';

/** The order messages as written, without a database: who gets what for a paid order with and without parcels. */
function notices() {
  const sent: OutgoingMail[] = [];
  const events = createOrderNotices({
    outbox: { enqueue: (mail: OutgoingMail) => void sent.push(mail) } as unknown as Outbox,
    preferences: {
      localeOf: () => 'en',
      noticesOff: () => false,
      linksFor: () => ({ preferencesUrl: 'https://p', oneClickUrl: 'https://u' }),
    } as unknown as MailPreferences,
    people: {
      mailRecipient: (id) => ({ id, email: 'buyer@example.test', displayName: 'Lin' }),
      secretariesOfVillage: (villageId) => [{ id: 100 + villageId, email: `sec${villageId}@example.test`, displayName: 'Sec' }],
    },
    villageNames: () => [{ id: 1, nameZh: '古楼村', nameEn: 'Gulou' }],
    config: testConfig(),
  });
  return { sent, events };
}

const order = { id: 7, number: 'XY-20261205-0007', buyerUserId: 3, contactName: 'Lin', totalFen: 12_345, refundedFen: 0 } as OrderRow;

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
