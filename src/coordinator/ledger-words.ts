import { hasMessage, type MessageKey, type Translator } from '../i18n/i18n.js';
import { formatFen } from '../money.js';

/**
 * The ledger in words for the coordinator's pages. An account code (`household:1`,
 * `project:4`, `clearing:bank`) becomes the household's or project's name or what the account is;
 * an amount is shown as that party's change: what a household, a project fund, operations or
 * shipping is owed goes up (+) when an order is paid and down (−) on a refund or payout; a
 * clearing account receives money (+) or pays it out (−). The ledger itself keeps debits positive
 * and credits negative, so the parts that are owed money are shown with the sign turned.
 */

type Translate = Translator;

/** The message `prefix + code` when the catalogue has it, else the fallback (a code added later still shows). */
const inWords = (t: Translate, prefix: string, code: string, fallback: () => string) => {
  const key = `${prefix}${code}`;
  return hasMessage(key) ? t(key) : fallback();
};

export interface LedgerNames {
  /** The household's name as this staff member may see it (real name, consented display name), or null when unknown. */
  household(id: number): { realName: string; displayName: string | null } | null;
  /** The project's name in the page's language, or null when unknown. */
  project(id: number): string | null;
}

/** Owed-to accounts (liabilities and income): a credit, stored negative, is money they gained. */
const OWED_TO = new Set(['household', 'project', 'operations', 'shipping']);

/** A fen amount with its sign always written: +¥1.00, −¥1.00 (a real minus sign), ¥0.00. */
export function signedFen(fen: number): string {
  if (fen === 0) return formatFen(0);
  return `${fen > 0 ? '+' : '−'}${formatFen(Math.abs(fen))}`;
}

export function accountInWords(code: string, t: Translate, names: LedgerNames): string {
  const [kind = '', rest = ''] = code.split(/:(.*)/s);
  switch (kind) {
    case 'clearing':
      return inWords(t, 'money.account.clearing.', rest, () => t('money.account.clearing.other', { channel: rest }));
    case 'household': {
      const h = names.household(Number(rest));
      if (!h) return t('money.account.householdUnknown', { id: rest });
      return h.displayName
        ? t('money.account.householdNamed', { realName: h.realName, displayName: h.displayName })
        : t('money.account.household', { realName: h.realName });
    }
    case 'project': {
      const name = names.project(Number(rest));
      return name ? t('money.account.project', { name }) : t('money.account.projectUnknown', { id: rest });
    }
    case 'fees':
      return t('money.account.fees', { processor: rest === 'stripe' ? 'Stripe' : rest });
    case 'operations':
    case 'shipping':
    case 'cash':
      return t(`money.account.${kind}` as MessageKey);
    default:
      return code;
  }
}

/** The entry's amount as the change of that party (see the module comment). */
export function partyChangeFen(code: string, amountFen: number): number {
  const kind = code.split(':')[0] ?? '';
  return OWED_TO.has(kind) ? -amountFen : amountFen;
}

export const postingKindInWords = (kind: string, t: Translate) => inWords(t, 'money.posting.', kind, () => t('money.posting.other', { kind }));
export const channelInWords = (channel: string, t: Translate) => inWords(t, 'money.channel.', channel, () => channel);
export const paymentStatusInWords = (status: string, t: Translate) => inWords(t, 'money.paymentStatus.', status, () => status);
export const refundStatusInWords = (status: string, t: Translate) => inWords(t, 'money.refundStatus.', status, () => status);

/** The order page's postings: each with its kind in words and its entries by name, with each party's change. */
export function postingsInWords(
  postings: readonly { kind: string; period: string; hash: string; entries: readonly { accountCode: string; amountFen: number }[] }[],
  t: Translate,
  names: LedgerNames,
) {
  return postings.map((p) => ({
    kind: postingKindInWords(p.kind, t),
    period: p.period,
    hash: p.hash,
    entries: p.entries.map((e) => ({
      account: accountInWords(e.accountCode, t, names),
      code: e.accountCode,
      amount: signedFen(partyChangeFen(e.accountCode, e.amountFen)),
    })),
  }));
}
