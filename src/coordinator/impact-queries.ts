import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';

/**
 * The SQL behind the public figures. The ledger is append-only, so its sums can be kept and brought
 * up to date with the postings after the last one seen: every query here takes a range of posting
 * ids (after, upTo] and walks only the entries in it.
 */
export function createImpactQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    /** The id of the newest posting (0 for an empty ledger). */
    head: () => (q(`SELECT coalesce(max(id), 0) AS id FROM ledger_transactions`).get() as { id: number }).id,

    /**
     * Net amounts on household accounts that came from order lines (credits of payments, less
     * refunds), per project, village and household. Households appear even when the net is zero.
     */
    creditedSince: (after: number, upTo: number) =>
      q(
        `SELECT ol.project_id AS projectId, ol.village_id AS villageId, a.household_id AS householdId, -sum(e.amount_fen) AS fen
         FROM ledger_entries e
         JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'household_payable'
         JOIN order_lines ol ON ol.id = e.order_line_id
         WHERE e.transaction_id > ? AND e.transaction_id <= ?
         GROUP BY ol.project_id, ol.village_id, a.household_id`,
      ).all(after, upTo) as { projectId: number; villageId: number; householdId: number; fen: number }[],

    /** Sales per project and village: everything posted against order lines (payments less refunds). */
    salesSince: (after: number, upTo: number) =>
      q(
        `SELECT ol.project_id AS projectId, ol.village_id AS villageId, -sum(e.amount_fen) AS fen
         FROM ledger_entries e JOIN order_lines ol ON ol.id = e.order_line_id
         WHERE e.transaction_id > ? AND e.transaction_id <= ?
         GROUP BY ol.project_id, ol.village_id`,
      ).all(after, upTo) as { projectId: number; villageId: number; fen: number }[],

    /**
     * Payouts less reversals per household and the project and village each part is attributed to
     * (null for payouts posted before attribution existed): every household entry without an order line.
     */
    attributedSince: (after: number, upTo: number) =>
      q(
        `SELECT a.household_id AS householdId, e.project_id AS projectId, e.village_id AS villageId, sum(e.amount_fen) AS fen
         FROM ledger_entries e
         JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'household_payable'
         WHERE e.transaction_id > ? AND e.transaction_id <= ? AND e.order_line_id IS NULL
         GROUP BY a.household_id, e.project_id, e.village_id`,
      ).all(after, upTo) as { householdId: number; projectId: number | null; villageId: number | null; fen: number }[],
  };
}

export type ImpactQueries = ReturnType<typeof createImpactQueries>;
