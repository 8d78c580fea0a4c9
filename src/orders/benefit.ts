import type { Locale, Translator } from '../i18n/i18n.js';
import { pickText } from '../i18n/i18n.js';
import type { EntryRow } from '../ledger/ledger-queries.js';
import { formatFen } from '../money.js';
import type { OrderLineRow } from './orders-queries.js';

/** No group of fewer households than this is named, nor has its money figures published (coordinator/disclosure.ts). */
export const MIN_NAMED_GROUP = 3;

export interface BenefitInput {
  lines: readonly OrderLineRow[];
  /** Entries of every posting of the order (payment and refunds). */
  entries: readonly Pick<EntryRow, 'accountCode' | 'amountFen' | 'orderLineId'>[];
  households: readonly { id: number; villageId: number; displayName: string | null }[];
  villages: readonly { id: number; nameZh: string; nameEn: string | null }[];
  projects: readonly { id: number; nameZh: string; nameEn: string | null }[];
}

/**
 * "Where the money went", net of refunds, from the ledger: per village and project, the amount
 * credited to households and how many; consented display names only for groups of 3 or more;
 * then project funds, operations and shipping.
 */
export function benefitSummary(input: BenefitInput, locale: Locale, t: Translator): string[] {
  const lineById = new Map(input.lines.map((l) => [l.id, l]));
  const villageName = (id: number) => {
    const v = input.villages.find((x) => x.id === id);
    return v ? pickText(locale, v.nameZh, v.nameEn) : '';
  };
  const projectName = (id: number) => {
    const p = input.projects.find((x) => x.id === id);
    return p ? pickText(locale, p.nameZh, p.nameEn) : '';
  };
  const groups = new Map<string, { villageId: number; projectId: number; perHousehold: Map<number, number> }>();
  const funds = new Map<number, number>();
  let operations = 0;
  let shipping = 0;
  for (const e of input.entries) {
    const credit = -e.amountFen;
    const [kind, id] = e.accountCode.split(':');
    if (kind === 'household') {
      const line = e.orderLineId ? lineById.get(e.orderLineId) : undefined;
      if (!line) continue;
      const key = `${line.villageId}:${line.projectId}`;
      const group = groups.get(key) ?? { villageId: line.villageId, projectId: line.projectId, perHousehold: new Map() };
      group.perHousehold.set(Number(id), (group.perHousehold.get(Number(id)) ?? 0) + credit);
      groups.set(key, group);
    } else if (kind === 'project') funds.set(Number(id), (funds.get(Number(id)) ?? 0) + credit);
    else if (kind === 'operations') operations += credit;
    else if (kind === 'shipping') shipping += credit;
  }
  const out: string[] = [];
  for (const g of groups.values()) {
    const amounts = [...g.perHousehold.entries()].filter(([, amount]) => amount > 0);
    const total = amounts.reduce((a, [, amount]) => a + amount, 0);
    if (total <= 0) continue;
    out.push(t('order.toHouseholds', { amount: formatFen(total), count: amounts.length, village: villageName(g.villageId), project: projectName(g.projectId) }));
    if (amounts.length >= MIN_NAMED_GROUP) {
      const names = amounts
        .map(([id]) => input.households.find((h) => h.id === id)?.displayName)
        .filter((n): n is string => Boolean(n));
      if (names.length) out.push(t('order.namedHouseholds', { names: names.join('、') }));
    }
  }
  for (const [projectId, amount] of funds) if (amount > 0) out.push(t('order.toFund', { amount: formatFen(amount), project: projectName(projectId) }));
  if (operations > 0) out.push(t('order.toOperations', { amount: formatFen(operations) }));
  if (shipping > 0) out.push(t('order.toShipping', { amount: formatFen(shipping) }));
  return out;
}
