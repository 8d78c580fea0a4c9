import { en as adminEn, zh as adminZh } from '../admin/messages.js';
import { en as apiEn, zh as apiZh } from '../api/api-messages.js';
import { en as auditEn, zh as auditZh } from '../audit/messages.js';
import { en as institutionEn, zh as institutionZh } from '../institutions/institution-messages.js';
import { en as outletEn, zh as outletZh } from '../outlets/outlet-messages.js';
import { en as checkpointEn, zh as checkpointZh } from '../coordinator/checkpoint-messages.js';
import { en as recallEn, zh as recallZh } from '../lots/recall-messages.js';
import { en as wishLotEn, zh as wishLotZh } from '../wishes/wish-lot-messages.js';
import { en as coordinatorMoneyEn, zh as coordinatorMoneyZh } from '../coordinator/messages.js';
import { en as ordersEn, zh as ordersZh } from '../orders/messages.js';
import { en as proofEn, zh as proofZh } from '../coordinator/proof-messages.js';
import { en as projectsEn, zh as projectsZh } from '../projects/messages.js';
import { en as secretaryEn, zh as secretaryZh } from '../secretary/messages.js';
import { en as notificationsEn, zh as notificationsZh } from '../notifications/messages.js';
import { en as shippingEn, zh as shippingZh } from '../orders/shipping-messages.js';
import { en as addressEn, zh as addressZh } from '../addresses/messages.js';
import { en as lookupEn, zh as lookupZh } from '../orders/lookup-messages.js';
import { en as twoFactorEn, zh as twoFactorZh } from '../accounts/two-factor-messages.js';
import { en as bankAccountEn, zh as bankAccountZh } from '../villages/bank-account-messages.js';
import { en as bankBatchEn, zh as bankBatchZh } from '../coordinator/bank-batch-messages.js';
import { en as payoutRequestEn, zh as payoutRequestZh } from '../coordinator/payout-request-messages.js';
import { en as donationEn, zh as donationZh } from '../donations/messages.js';
import { en as exportEn, zh as exportZh } from '../exports/messages.js';
import { en as afterSaleEn, zh as afterSaleZh } from '../orders/after-sale-messages.js';
import { en as privacyEn, zh as privacyZh } from '../privacy/messages.js';
import { en as coreEn } from './en.js';
import { zhCN as coreZh } from './zh-CN.js';

/**
 * The one message catalogue, assembled from the core messages and each domain's own
 * messages.ts ({ zh, en }), so domains can add their sentences without touching each other.
 * A domain's `en` is typed against its `zh`, so a missing translation is a compile error.
 */
export const zhCN = {
  ...coreZh,
  ...secretaryZh,
  ...ordersZh,
  ...adminZh,
  ...coordinatorMoneyZh,
  ...proofZh,
  ...wishLotZh,
  ...institutionZh,
  ...outletZh,
  ...apiZh,
  ...checkpointZh,
  ...recallZh,
  ...projectsZh,
  ...notificationsZh,
  ...auditZh,
  ...shippingZh,
  ...addressZh,
  ...lookupZh,
  ...twoFactorZh,
  ...payoutRequestZh,
  ...bankBatchZh,
  ...bankAccountZh,
  ...donationZh,
  ...exportZh,
  ...afterSaleZh,
  ...privacyZh,
};

export const en: Record<keyof typeof zhCN, string> = {
  ...coreEn,
  ...secretaryEn,
  ...ordersEn,
  ...adminEn,
  ...coordinatorMoneyEn,
  ...proofEn,
  ...wishLotEn,
  ...institutionEn,
  ...outletEn,
  ...apiEn,
  ...checkpointEn,
  ...recallEn,
  ...projectsEn,
  ...notificationsEn,
  ...auditEn,
  ...shippingEn,
  ...addressEn,
  ...lookupEn,
  ...twoFactorEn,
  ...payoutRequestEn,
  ...bankBatchEn,
  ...bankAccountEn,
  ...donationEn,
  ...exportEn,
  ...afterSaleEn,
  ...privacyEn,
};

export type MessageKey = keyof typeof zhCN;
