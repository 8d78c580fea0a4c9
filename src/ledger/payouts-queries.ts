import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import type { PAYOUT_METHODS } from './schema.js';

export type PayoutMethod = (typeof PAYOUT_METHODS)[number];

export interface PayoutRow {
  id: number;
  householdId: number;
  /** Fen; positive for a payout, negative for a reversal. */
  amountFen: number;
  method: PayoutMethod;
  reference: string;
  /** YYYY-MM-DD. */
  paidOn: string;
  evidenceMediaId: number | null;
  reversesPayoutId: number | null;
  note: string | null;
  createdByUserId: number | null;
  createdByName: string | null;
  createdAt: number;
  /** The reversal row of this payout, if it was reversed. */
  reversedById: number | null;
}

export interface NewPayout {
  householdId: number;
  amountFen: number;
  method: PayoutMethod;
  reference: string;
  paidOn: string;
  evidenceMediaId: number | null;
  reversesPayoutId: number | null;
  note: string | null;
  createdByUserId: number;
  createdAt: number;
}

const PAYOUT_COLUMNS = `p.id, p.household_id AS householdId, p.amount_fen AS amountFen, p.method, p.reference, p.paid_on AS paidOn,
  p.evidence_media_id AS evidenceMediaId, p.reverses_payout_id AS reversesPayoutId, p.note, p.created_by_user_id AS createdByUserId,
  u.display_name AS createdByName, p.created_at AS createdAt, r.id AS reversedById`;
const PAYOUT_FROM = `payouts p LEFT JOIN users u ON u.id = p.created_by_user_id LEFT JOIN payouts r ON r.reverses_payout_id = p.id`;

/** All SQL on the payouts table (append-only: triggers refuse UPDATE and DELETE). */
export function createPayoutsQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    /** IMMEDIATE: the write lock is taken before the balance is read, so two payouts cannot both pass the check. */
    transaction: <T>(fn: () => T): T => db.sqlite.transaction(fn).immediate(),

    insert(p: NewPayout): number {
      return Number(
        q(
          `INSERT INTO payouts (household_id, amount_fen, method, reference, paid_on, evidence_media_id, reverses_payout_id, note, created_by_user_id, created_at)
           VALUES (?,?,?,?,?,?,?,?,?,?)`,
        ).run(p.householdId, p.amountFen, p.method, p.reference, p.paidOn, p.evidenceMediaId, p.reversesPayoutId, p.note, p.createdByUserId, p.createdAt)
          .lastInsertRowid,
      );
    },
    byId: (id: number) => q(`SELECT ${PAYOUT_COLUMNS} FROM ${PAYOUT_FROM} WHERE p.id = ?`).get(id) as PayoutRow | undefined,
    ofHousehold: (householdId: number) =>
      q(`SELECT ${PAYOUT_COLUMNS} FROM ${PAYOUT_FROM} WHERE p.household_id = ? ORDER BY p.id DESC`).all(householdId) as PayoutRow[],
  };
}

export type PayoutsQueries = ReturnType<typeof createPayoutsQueries>;
