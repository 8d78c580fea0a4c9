import type { AccountsService } from '../accounts/accounts-service.js';
import type { CurrentUser } from '../accounts/session-service.js';
import { addressesOf, deleteAddressesOf } from '../addresses/index.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import type { LedgerService } from '../ledger/ledger-service.js';
import { payoutsOfHousehold } from '../ledger/payouts-queries.js';
import { eraseMessagesTo, messagesTo } from '../notifications/personal-data.js';
import { chineseMobile } from '../notifications/sms-provider.js';
import { eraseRefundReasons } from '../payments/payments-queries.js';
import { buyerOrders, eraseBuyerFromOrders, ordersHoldingContact } from '../orders/index.js';
import { consentHistory } from '../villages/consent-queries.js';
import { eraseHouseholdFields, householdById, producersOfHousehold, villagesByIds } from '../villages/villages-queries.js';
import { wishOfOrder } from '../wishes/index.js';

/**
 * Personal-data requests under China's Personal Information Protection Law (个人信息保护法):
 * a signed-in buyer downloads what the shop holds about them or has it erased; a household's
 * requests are made through its village's first secretary. Erasing keeps every figure (orders'
 * lines and totals, payouts, the ledger): only the fields that name or reach a person go. The
 * ledger's hash chain holds no personal data (its free-text memos are salted commitments, see
 * ledger-service.ts), so erasing never breaks it and `npm run ledger:check` passes after.
 *
 * Each domain erases its own tables; this module composes their steps in one unit of work.
 */

/** Summary fields of audit entries about a buyer's account that name them. */
const USER_AUDIT_FIELDS = ['email', 'displayName'] as const;
/** Summary fields of audit entries about an order that staff typed and that may name its buyer. */
const ORDER_AUDIT_FIELDS = ['reason', 'note'] as const;
/** Summary fields of audit entries about a payout that copy words typed about the household (its payouts row keeps them, see README). */
const PAYOUT_AUDIT_FIELDS = ['reference', 'note'] as const;
/** Summary fields of audit entries about a household that name it. */
const HOUSEHOLD_AUDIT_FIELDS = ['displayName', 'realName'] as const;

/** Whom the outbox may have written to about a person: their e-mail address and each phone number as typed and as a text message's +86 number. */
function recipientsOf(email: string, phones: readonly string[]): string[] {
  const texts = phones.map(chineseMobile).filter((p): p is string => p !== null);
  return [...new Set([email, ...phones, ...texts])];
}

export function createPrivacyService(
  db: Database_,
  deps: {
    clock: Clock;
    audit: AuditService;
    accounts: Pick<AccountsService, 'ownData' | 'eraseIn' | 'passwordMatches'>;
    ledger: Pick<LedgerService, 'eraseMemoTextsIn'>;
  },
) {
  const { clock, audit, accounts, ledger } = deps;

  function* buyerDataIn(tx: Tx, userId: number) {
    const account = yield* accounts.ownData(tx, userId);
    if (!account) throw new AppError('not_found', 'not_found');
    const addresses = (yield* addressesOf(tx, userId)).map((a) => ({
      recipientName: a.recipientName,
      phone: a.phone,
      province: a.province,
      city: a.city,
      district: a.district,
      street: a.street,
      isDefault: a.isDefault === 1,
    }));
    const orders = yield* buyerOrders(tx, userId);
    const phones = [...new Set(orders.map((o) => o.phone).filter((p) => p !== ''))];
    const messages = yield* messagesTo(tx, recipientsOf(account.email, phones));
    const wishes = [];
    for (const o of orders) {
      const wish = yield* wishOfOrder(tx, o.id);
      if (wish)
        wishes.push({
          orderNumber: o.number,
          item: wish.item,
          itemEn: wish.itemEn,
          childName: wish.childName,
          amountFen: wish.amountFen,
          status: wish.status,
          projectZh: wish.projectZh,
          projectEn: wish.projectEn,
        });
    }
    return {
      account: { email: account.email, displayName: account.displayName, role: account.role, createdAt: account.createdAt },
      addresses,
      orders: orders.map(({ id: _id, ...o }) => o),
      messages,
      wishes,
    };
  }

  /** The household, if the actor is a first secretary of its village; 404 when there is none, 403 for another village's. */
  function* ownHousehold(tx: Tx, actor: CurrentUser, householdId: number) {
    const household = yield* householdById(tx, householdId);
    if (!household) throw new AppError('not_found', 'household_not_found');
    if (actor.role !== 'first_secretary' || !actor.villageIds.includes(household.villageId)) throw new AppError('forbidden', 'privacy_not_your_household');
    return household;
  }

  function* householdDataIn(tx: Tx, actor: CurrentUser, householdId: number) {
    const h = yield* ownHousehold(tx, actor, householdId);
    const [village] = yield* villagesByIds(tx, [h.villageId]);
    const producers = yield* producersOfHousehold(tx, h.id);
    const payouts = (yield* payoutsOfHousehold(tx, h.id)).map((p) => ({
      amountFen: p.amountFen,
      method: p.method,
      reference: p.reference,
      paidOn: p.paidOn,
      reversesPayoutId: p.reversesPayoutId,
      note: p.note,
    }));
    return {
      household: {
        id: h.id,
        village: village ? { nameZh: village.nameZh, nameEn: village.nameEn } : null,
        realName: h.realName,
        displayName: h.displayName,
        consent: yield* consentHistory(tx, h.id),
        publicStoryZh: h.publicStoryZh,
        publicStoryEn: h.publicStoryEn,
        phone: h.phone,
        idCardLast4: h.idCardLast4,
        povertyRegNo: h.povertyRegNo,
        members: h.members,
        bankAccountName: h.bankAccountName,
        bankAccountNo: h.bankAccountNo,
        bankName: h.bankName,
        createdAt: h.createdAt,
      },
      producers,
      payouts,
    };
  }

  async function checkPassword(actor: CurrentUser, password: string, address: string): Promise<void> {
    if (!(await accounts.passwordMatches(actor.id, password, address))) {
      throw new AppError('validation', 'wrong_current_password', undefined, { fields: { password: 'wrong_current_password' } });
    }
  }

  return {
    /** Everything the shop holds about a signed-in buyer: account, addresses, orders with lines and parcels, messages to them, wishes they gave to. */
    buyerData: (userId: number) => db.uow.read((tx) => buyerDataIn(tx, userId)),

    /** Orders that hold back a buyer's deletion (unpaid, or paid with a parcel still to send). */
    ordersHoldingDeletion: (userId: number) => db.uow.read((tx) => ordersHoldingContact(tx, userId)),

    /**
     * Erases a buyer's personal data after they typed their password again. Refused (409) while an
     * order is unpaid or still has a parcel to send: its address is needed to deliver it (cancel the
     * unpaid order, or wait until it is shipped or refunded). Staff accounts are not erased this way.
     */
    async eraseBuyer(actor: CurrentUser, password: string, address: string): Promise<{ orders: number; messages: number }> {
      if (actor.role !== 'buyer') throw new AppError('forbidden', 'privacy_staff_account');
      await checkPassword(actor, password, address);
      return db.uow.write(function* (tx): Query<{ orders: number; messages: number }> {
        const holding = yield* ordersHoldingContact(tx, actor.id);
        if (holding.length) {
          throw new AppError('conflict', 'privacy_open_orders', undefined, { params: { orders: holding.map((o) => o.number).join(', ') } });
        }
        const account = yield* accounts.ownData(tx, actor.id);
        if (!account) throw new AppError('not_found', 'not_found');
        const now = clock();
        const numbers = (yield* buyerOrders(tx, actor.id)).map((o) => ({ id: o.id, number: o.number }));
        const { orderIds, phones } = yield* eraseBuyerFromOrders(tx, actor.id, now);
        // Words staff typed about the buyer's orders: refund reasons, the ledger's memo words, the audit's notes.
        yield* ledger.eraseMemoTextsIn(tx, { orderIds });
        yield* eraseRefundReasons(tx, orderIds);
        for (const o of numbers) {
          yield* audit.redactIn(tx, 'order', o.number, ORDER_AUDIT_FIELDS);
          yield* audit.redactIn(tx, 'order', o.id, ORDER_AUDIT_FIELDS);
        }
        const messages = yield* eraseMessagesTo(tx, recipientsOf(account.email, phones), actor.id);
        yield* deleteAddressesOf(tx, actor.id);
        yield* audit.redactIn(tx, 'user', actor.id, USER_AUDIT_FIELDS);
        yield* audit.forgetAddressesOf(tx, actor.id);
        yield* accounts.eraseIn(tx, actor.id);
        // The request itself is recorded, naming nobody: the account is an id whose fields are gone.
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'privacy.buyer_erase',
          entityType: 'user',
          entityId: actor.id,
          after: { orders: orderIds.length, messages },
        });
        return { orders: orderIds.length, messages };
      });
    },

    /** A household's data for its secretary to hand over (audit-logged); only a first secretary of its village. */
    householdData: (actor: CurrentUser, householdId: number, address: string | null) =>
      db.uow.write(function* (tx) {
        const data = yield* householdDataIn(tx, actor, householdId);
        yield* audit.add(tx, { userId: actor.id, action: 'household.data_export', entityType: 'household', entityId: householdId, address });
        return data;
      }),

    /** The household as its erasure page shows it (no audit entry: nothing is handed over). */
    householdForErasure: (actor: CurrentUser, householdId: number) => db.uow.read((tx) => ownHousehold(tx, actor, householdId)),

    /**
     * Erases a household's personal fields on its behalf, after the secretary typed their password
     * again: name, ID and phone, bank details, stories; payouts, producers' weights and the ledger keep
     * their figures, and the ledger memo words of its payouts are erased. Audit-logged.
     */
    async eraseHousehold(actor: CurrentUser, householdId: number, password: string, address: string | null): Promise<void> {
      await db.uow.read((tx) => ownHousehold(tx, actor, householdId));
      await checkPassword(actor, password, address ?? '');
      await db.uow.write(function* (tx) {
        const household = yield* ownHousehold(tx, actor, householdId);
        const payoutIds = (yield* payoutsOfHousehold(tx, household.id)).map((p) => p.id);
        yield* eraseHouseholdFields(tx, household.id, clock(), { userId: actor.id, name: actor.displayName });
        const memos = yield* ledger.eraseMemoTextsIn(tx, { payoutIds });
        yield* audit.redactIn(tx, 'household', household.id, HOUSEHOLD_AUDIT_FIELDS);
        for (const id of payoutIds) yield* audit.redactIn(tx, 'payout', id, PAYOUT_AUDIT_FIELDS);
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'household.erase',
          entityType: 'household',
          entityId: household.id,
          after: { villageId: household.villageId, payouts: payoutIds.length, ledgerMemos: memos },
          address,
        });
      });
    },
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
export type BuyerData = Awaited<ReturnType<PrivacyService['buyerData']>>;
export type HouseholdData = Awaited<ReturnType<PrivacyService['householdData']>>;
