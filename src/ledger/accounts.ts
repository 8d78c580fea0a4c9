/**
 * Ledger account codes, both ways. An account is stored under a code (clearing:bank, household:12,
 * project:3, fees:stripe, operations, shipping, cash); everything that posts names an account by
 * what it is (an AccountRef), and everything that reads entries back turns the code into one here.
 */

/** An account by what it is; the code is derived (clearing:bank, household:12, project:3 …). */
export type AccountRef =
  | { kind: 'clearing'; channel: string }
  | { kind: 'household_payable'; householdId: number }
  | { kind: 'project_fund'; projectId: number }
  | { kind: 'operations' }
  | { kind: 'shipping' }
  | { kind: 'processor_fees'; processor: string }
  | { kind: 'cash' };

/** The stored code of an account. */
export function accountCode(ref: AccountRef): string {
  switch (ref.kind) {
    case 'clearing':
      return `clearing:${ref.channel}`;
    case 'household_payable':
      return `household:${ref.householdId}`;
    case 'project_fund':
      return `project:${ref.projectId}`;
    case 'processor_fees':
      return `fees:${ref.processor}`;
    default:
      return ref.kind;
  }
}

/** Turns a stored account code back into the account it names; an unknown code is a bug, not input. */
export function parseAccountCode(code: string): AccountRef {
  const colon = code.indexOf(':');
  const kind = colon < 0 ? code : code.slice(0, colon);
  const rest = colon < 0 ? '' : code.slice(colon + 1);
  switch (kind) {
    case 'household':
      return { kind: 'household_payable', householdId: Number(rest) };
    case 'project':
      return { kind: 'project_fund', projectId: Number(rest) };
    case 'clearing':
      return { kind: 'clearing', channel: rest };
    case 'fees':
      return { kind: 'processor_fees', processor: rest };
    case 'operations':
    case 'shipping':
    case 'cash':
      return { kind };
    default:
      throw new Error(`unknown ledger account ${code}`);
  }
}

/** The household whose payable the code is, or null for any other account. */
export function householdOfCode(code: string): number | null {
  const ref = parseAccountCode(code);
  return ref.kind === 'household_payable' ? ref.householdId : null;
}

/** The project whose fund the code is, or null for any other account. */
export function projectOfCode(code: string): number | null {
  const ref = parseAccountCode(code);
  return ref.kind === 'project_fund' ? ref.projectId : null;
}

/** Whether the code is a payment channel's clearing account (money in from the buyer). */
export const isClearingCode = (code: string): boolean => parseAccountCode(code).kind === 'clearing';
