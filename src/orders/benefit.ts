import type { Locale, Translator } from '../i18n/i18n.js';
import { pickText } from '../i18n/i18n.js';
import { accountCode, householdOfCode, parseAccountCode } from '../ledger/accounts.js';
import type { SplitRule } from '../ledger/allocation.js';
import { paymentEntries } from '../ledger/order-postings.js';
import type { EntryRow } from '../ledger/ledger-queries.js';
import { formatFen } from '../money.js';
import type { OrderPageSection } from './order-page.js';
import type { OrderLine } from './orders-queries.js';
import { shippingFeeFor, unitPriceFor } from './pricing.js';

/** No group of fewer households than this is named, nor has its money figures published (coordinator/disclosure.ts). */
export const MIN_NAMED_GROUP = 3;

export interface BenefitInput {
  lines: readonly Pick<OrderLine, 'id' | 'villageId' | 'projectId'>[];
  /** Entries of every posting of the order (payment and refunds). */
  entries: readonly Pick<EntryRow, 'accountCode' | 'amountFen' | 'orderLineId'>[];
  households: readonly { id: number; villageId: number; displayName: string | null }[];
  villages: readonly { id: number; nameZh: string; nameEn: string | null }[];
  projects: readonly { id: number; nameZh: string; nameEn: string | null }[];
}

/** "Where the money went", as data: what benefitSummary says in sentences. */
export interface BenefitBreakdown {
  /** Per village and project: credited to households (net, fen), how many, and the consented names (only in groups of 3 or more). */
  households: { villageId: number; projectId: number; amountFen: number; count: number; names: string[] | null }[];
  funds: { projectId: number; amountFen: number }[];
  operationsFen: number;
  shippingFen: number;
}

/**
 * "Where the money went", net of refunds, from the ledger: per village and project, the amount
 * credited to households and how many; consented display names only for groups of 3 or more;
 * then project funds, operations and shipping.
 */
export function benefitBreakdown(input: BenefitInput): BenefitBreakdown {
  const lineById = new Map(input.lines.map((l) => [l.id, l]));
  const groups = new Map<string, { villageId: number; projectId: number; perHousehold: Map<number, number> }>();
  const funds = new Map<number, number>();
  let operations = 0;
  let shipping = 0;
  for (const e of input.entries) {
    const credit = -e.amountFen;
    const account = parseAccountCode(e.accountCode);
    if (account.kind === 'household_payable') {
      const line = e.orderLineId ? lineById.get(e.orderLineId) : undefined;
      if (!line) continue;
      const key = `${line.villageId}:${line.projectId}`;
      const group = groups.get(key) ?? { villageId: line.villageId, projectId: line.projectId, perHousehold: new Map() };
      group.perHousehold.set(account.householdId, (group.perHousehold.get(account.householdId) ?? 0) + credit);
      groups.set(key, group);
    } else if (account.kind === 'project_fund') funds.set(account.projectId, (funds.get(account.projectId) ?? 0) + credit);
    else if (account.kind === 'operations') operations += credit;
    else if (account.kind === 'shipping') shipping += credit;
  }
  const households: BenefitBreakdown['households'] = [];
  for (const g of groups.values()) {
    const amounts = [...g.perHousehold.entries()].filter(([, amount]) => amount > 0);
    const total = amounts.reduce((a, [, amount]) => a + amount, 0);
    if (total <= 0) continue;
    const names =
      amounts.length >= MIN_NAMED_GROUP
        ? amounts.map(([id]) => input.households.find((h) => h.id === id)?.displayName).filter((n): n is string => Boolean(n))
        : null;
    households.push({ villageId: g.villageId, projectId: g.projectId, amountFen: total, count: amounts.length, names });
  }
  return {
    households,
    funds: [...funds].filter(([, amount]) => amount > 0).map(([projectId, amountFen]) => ({ projectId, amountFen })),
    operationsFen: Math.max(0, operations),
    shippingFen: Math.max(0, shipping),
  };
}

/** The breakdown in sentences, for the order page and the receipt page. */
export function benefitSummary(input: BenefitInput, locale: Locale, t: Translator): string[] {
  const villageName = (id: number) => {
    const v = input.villages.find((x) => x.id === id);
    return v ? pickText(locale, v.nameZh, v.nameEn) : '';
  };
  const projectName = (id: number) => {
    const p = input.projects.find((x) => x.id === id);
    return p ? pickText(locale, p.nameZh, p.nameEn) : '';
  };
  const b = benefitBreakdown(input);
  const out: string[] = [];
  for (const g of b.households) {
    out.push(t('order.toHouseholds', { amount: formatFen(g.amountFen), count: g.count, village: villageName(g.villageId), project: projectName(g.projectId) }));
    if (g.names?.length) out.push(t('order.namedHouseholds', { names: g.names.join(t('punct.list')) }));
  }
  for (const f of b.funds) out.push(t('order.toFund', { amount: formatFen(f.amountFen), project: projectName(f.projectId) }));
  if (b.operationsFen > 0) out.push(t('order.toOperations', { amount: formatFen(b.operationsFen) }));
  if (b.shippingFen > 0) out.push(t('order.toShipping', { amount: formatFen(b.shippingFen) }));
  return out;
}

/**
 * The order page's "where the money went": once the order is paid, the benefit summary of its
 * postings, with the households' public names, the villages and the projects.
 */
export function benefitSection(deps: {
  publicHouseholds: (ids: readonly number[]) => Promise<BenefitInput['households']>;
  villageNames: () => Promise<BenefitInput['villages']>;
  projects: () => Promise<BenefitInput['projects']>;
}): OrderPageSection {
  return {
    name: 'benefit',
    async load({ order, details }, { locale, t }) {
      if (order.paidAt === null) return [];
      const entries = details.postings.flatMap((p) => p.entries);
      const householdIds = new Set<number>();
      for (const e of entries) {
        const householdId = householdOfCode(e.accountCode);
        if (householdId !== null) householdIds.add(householdId);
      }
      return benefitSummary(
        {
          lines: details.lines,
          entries,
          households: await deps.publicHouseholds([...householdIds]),
          villages: await deps.villageNames(),
          projects: await deps.projects(),
        },
        locale,
        t,
      );
    },
  };
}

/** A product as its page offers it: what buying it alone would cost and credit. */
export interface PurchaseOffer {
  productId: number;
  villageId: number;
  projectId: number;
  producerId: number;
  priceFen: number;
  tiers: readonly { minQty: number; priceFen: number }[];
  /** The smallest order: the purchase shown. */
  quantity: number;
  village: { shippingFeeFen: number; freeShippingOverFen: number | null };
  /** The project's split rule today (none: everything to the households). */
  rule: SplitRule | null;
  /** The producer's households and their weights. */
  members: readonly { householdId: number; weight: number }[];
}

/** Where the money of one purchase would go, in the receipt's sentences, with what it costs. */
export interface PurchaseBenefit {
  quantity: number;
  lineTotalFen: number;
  shippingFen: number;
  totalFen: number;
  sentences: string[];
}

/**
 * The product page's "where the money goes": a purchase of the product alone, priced as the cart
 * prices it (tiers, the village's shipping), divided by the ledger's own payment entries (as a paid
 * order posts them) and told by benefitSummary, the receipt's sentences: households by count, and
 * by their consented names only under the receipt's group rule.
 */
export function purchaseBenefit(deps: {
  publicHouseholds: (ids: readonly number[]) => Promise<BenefitInput['households']>;
  villageNames: () => Promise<BenefitInput['villages']>;
  projects: () => Promise<BenefitInput['projects']>;
}) {
  return async (offer: PurchaseOffer, locale: Locale, t: Translator): Promise<PurchaseBenefit> => {
    const lineTotalFen = unitPriceFor(offer.priceFen, offer.tiers, offer.quantity) * offer.quantity;
    const shippingFen = shippingFeeFor(offer.village, lineTotalFen);
    // The would-be order line: one line, no id yet.
    const line = { id: 1, villageId: offer.villageId, projectId: offer.projectId, producerId: offer.producerId, lineTotalFen };
    const { entries } = paymentEntries({
      channel: 'bank',
      amountFen: lineTotalFen + shippingFen,
      lines: [line],
      subtotalFen: lineTotalFen,
      shippingFen,
      ruleOf: () => offer.rule ?? undefined,
      membersOf: () => [...offer.members],
    });
    const credits = entries.map((e) => ({ accountCode: accountCode(e.account), amountFen: e.amountFen, orderLineId: e.orderLineId ?? null }));
    const sentences = benefitSummary(
      {
        lines: [line],
        entries: credits,
        households: await deps.publicHouseholds(offer.members.map((m) => m.householdId)),
        villages: await deps.villageNames(),
        projects: await deps.projects(),
      },
      locale,
      t,
    );
    return { quantity: offer.quantity, lineTotalFen, shippingFen, totalFen: lineTotalFen + shippingFen, sentences };
  };
}
