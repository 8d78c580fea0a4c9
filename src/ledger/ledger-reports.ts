import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';
import { settle, type BucketTotals, type SettledHousehold } from './attribution.js';

/** Money figures of one household, all derived from ledger entries (fen, positive numbers). */
export interface HouseholdBalance {
  householdId: number;
  /** Credited from paid orders. */
  earnedFen: number;
  /** Taken back by refunds. */
  refundedFen: number;
  /** Paid out to the household, net of reversed payouts. */
  paidOutFen: number;
  /** Still owed: earned − refunded − paid out. */
  owedFen: number;
}

/** A line's place in statement order (its transaction, then the entry). */
export interface StatementKey {
  transactionId: number;
  entryId: number;
}

export interface HouseholdEntry {
  transactionId: number;
  kind: string;
  postedAt: number;
  period: string;
  memo: string;
  /** Signed fen on the household's account: negative = credited to the household. */
  amountFen: number;
  orderNumber: string | null;
  orderLineId: number | null;
  lineTitleZh: string | null;
  lineTitleEn: string | null;
  payoutId: number | null;
  hash: string;
}

/** Whose money a report shows: every project's, or only what some projects credited and paid out. */
export type ProjectFilter = 'all' | readonly number[];

/**
 * Which postings of a household a report reads. For some projects only: the entries that came from
 * their order lines (earnings, refunds), and the parts of payouts (and reversals) attributed to
 * those projects (ledger/attribution.ts); nothing else, and no payout posted before attribution.
 */
function postingsOf(projects: ProjectFilter): { amount: string; where: string } {
  if (projects === 'all') return { amount: 'e.amount_fen', where: '' };
  const list = projects.length ? projects.map(Number).join(',') : 'NULL';
  // A household entry belongs to the project of its order line, or (a payout's part) to the one it carries.
  return {
    amount: 'e.amount_fen',
    where: ` AND coalesce(e.project_id, (SELECT sl.project_id FROM order_lines sl WHERE sl.id = e.order_line_id)) IN (${list})`,
  };
}

/**
 * A household's balances and postings, as one coordinator may see them (ProjectFilter): a coordinator
 * scoped to some projects sees what those projects credited and paid, never another project's money.
 */
function createHouseholdReports(q: ReturnType<typeof statementCache>, projects: ProjectFilter) {
  const { amount, where } = postingsOf(projects);
  const balanceSql = `
    SELECT a.household_id AS householdId,
      coalesce(-sum(CASE WHEN t.kind = 'order_payment' THEN ${amount} END), 0) AS earnedFen,
      coalesce(sum(CASE WHEN t.kind = 'refund' THEN ${amount} END), 0) AS refundedFen,
      coalesce(sum(CASE WHEN t.kind IN ('payout', 'payout_reversal') THEN ${amount} END), 0) AS paidOutFen,
      coalesce(-sum(${amount}), 0) AS owedFen
    FROM ledger_accounts a
    JOIN ledger_entries e ON e.account_id = a.id
    JOIN ledger_transactions t ON t.id = e.transaction_id`;
  /** A household's postings: its account's entries with their transactions, in a period (household id, from, to). */
  const householdPostings = `ledger_entries e
         JOIN ledger_accounts a ON a.id = e.account_id
         JOIN ledger_transactions t ON t.id = e.transaction_id`;
  const inPeriod = `a.household_id = ? AND t.posted_at >= ? AND t.posted_at < ?${where}`;
  /** A statement line: the posting, its transaction, and the order (line) that earned it. */
  const entryColumns = `t.id AS transactionId, t.kind, t.posted_at AS postedAt, t.period, t.memo, ${amount} AS amountFen,
    o.number AS orderNumber, e.order_line_id AS orderLineId, ol.title_zh AS lineTitleZh, ol.title_en AS lineTitleEn, t.payout_id AS payoutId, t.hash`;
  const entryJoins = `${householdPostings} LEFT JOIN orders o ON o.id = t.order_id LEFT JOIN order_lines ol ON ol.id = e.order_line_id`;

  return {
    householdBalance(householdId: number, before?: number): HouseholdBalance {
      const row = q(`${balanceSql} WHERE a.household_id = ? AND t.posted_at < ?${where}`).get(householdId, before ?? Number.MAX_SAFE_INTEGER) as
        | HouseholdBalance
        | undefined;
      return row && row.householdId !== null ? row : { householdId, earnedFen: 0, refundedFen: 0, paidOutFen: 0, owedFen: 0 };
    },

    householdBalances(householdIds: readonly number[] | 'all'): HouseholdBalance[] {
      const filter =
        householdIds === 'all' ? 'a.household_id IS NOT NULL' : `a.household_id IN (${householdIds.length ? householdIds.map(Number).join(',') : 'NULL'})`;
      return q(`${balanceSql} WHERE ${filter}${where} GROUP BY a.household_id`).all() as HouseholdBalance[];
    },

    /**
     * The postings on a household's account in [from, to), oldest first, with the order line that
     * earned each; with `page`, `limit` of them from the line `start` (see householdPageStart).
     */
    householdEntries(householdId: number, from: number, to: number, page?: { start: StatementKey; limit: number }): HouseholdEntry[] {
      if (!page)
        return q(`SELECT ${entryColumns} FROM ${entryJoins} WHERE ${inPeriod} ORDER BY e.transaction_id, e.id`).all(householdId, from, to) as HouseholdEntry[];
      return q(
        `SELECT ${entryColumns} FROM ${entryJoins} WHERE ${inPeriod} AND (e.transaction_id, e.id) >= (?, ?) ORDER BY e.transaction_id, e.id LIMIT ?`,
      ).all(householdId, from, to, page.start.transactionId, page.start.entryId, page.limit) as HouseholdEntry[];
    },

    /** A household's latest `limit` postings of one kind of transaction, newest first (the household page's recent lines). */
    householdRecent(householdId: number, kind: string, limit: number): HouseholdEntry[] {
      return q(
        `SELECT ${entryColumns} FROM ${entryJoins} WHERE a.household_id = ? AND t.kind = ?${where} ORDER BY e.transaction_id DESC, e.id DESC LIMIT ?`,
      ).all(householdId, kind, limit) as HouseholdEntry[];
    },

    /** A household's postings in [from, to) summed per kind of transaction (fen on its account: negative = credited). */
    householdTotals(householdId: number, from: number, to: number): { kind: string; amountFen: number; entries: number }[] {
      return q(`SELECT t.kind, sum(${amount}) AS amountFen, count(*) AS entries FROM ${householdPostings} WHERE ${inPeriod} GROUP BY t.kind`).all(
        householdId,
        from,
        to,
      ) as {
        kind: string;
        amountFen: number;
        entries: number;
      }[];
    },

    /**
     * Where a page of a household's statement for [from, to) starts: the key of its line number
     * `offset` (0-based, in statement order) and the sum of the lines before it (fen on the
     * account). Both come from the indexes alone; the page's rows are then read from the key.
     */
    householdPageStart(householdId: number, from: number, to: number, offset: number): { start: StatementKey; sumBeforeFen: number } | null {
      const start = q(
        `SELECT e.transaction_id AS transactionId, e.id AS entryId FROM ${householdPostings} WHERE ${inPeriod} ORDER BY e.transaction_id, e.id LIMIT 1 OFFSET ?`,
      ).get(householdId, from, to, offset) as StatementKey | undefined;
      if (!start) return null;
      const sumBeforeFen = q(`SELECT coalesce(sum(${amount}), 0) FROM ${householdPostings} WHERE ${inPeriod} AND (e.transaction_id, e.id) < (?, ?)`)
        .pluck()
        .get(householdId, from, to, start.transactionId, start.entryId) as number;
      return { start, sumBeforeFen };
    },
  };
}

export type HouseholdReports = ReturnType<typeof createHouseholdReports>;

/**
 * Read-only reports over the ledger: household balances and histories, and the public figures
 * of projects, villages and the whole shop. Everything is summed from entries; nothing is stored.
 */
export function createLedgerReports(db: Database_) {
  const q = statementCache(db.sqlite);
  /**
   * What a household must not be paid yet: for each order with refunds still pending (asked of
   * Stripe, not yet settled), the pending amount up to what the order still credits the household.
   * Paid out first, a refund settling later would leave the household paid more than it earned.
   * An upper bound (a refund is shared over the order's accounts when it is posted).
   */
  function heldForRefundsFen(householdId: number): number {
    return q(
      `SELECT coalesce(sum(min(p.pending, c.credited)), 0)
       FROM (SELECT order_id, sum(amount_fen) AS pending FROM refunds WHERE status = 'pending' GROUP BY order_id) p
       JOIN (SELECT t.order_id, -sum(e.amount_fen) AS credited
             FROM ledger_transactions t
             JOIN ledger_entries e ON e.transaction_id = t.id
             JOIN ledger_accounts a ON a.id = e.account_id AND a.household_id = ?
             WHERE t.order_id IN (SELECT order_id FROM refunds WHERE status = 'pending') AND t.kind IN ('order_payment', 'refund')
             GROUP BY t.order_id) c ON c.order_id = p.order_id
       WHERE c.credited > 0`,
    )
      .pluck()
      .get(householdId) as number;
  }

  /**
   * A household's money per project and village (see attribution.ts): net credits from order lines
   * and the payouts attributed to each, and the payouts posted before attribution existed.
   */
  function householdBuckets(householdId: number): { buckets: BucketTotals[]; unattributedFen: number } {
    const rows = q(
      `SELECT coalesce(e.project_id, ol.project_id) AS projectId, coalesce(e.village_id, ol.village_id) AS villageId,
              coalesce(-sum(CASE WHEN e.order_line_id IS NOT NULL THEN e.amount_fen END), 0) AS creditedFen,
              coalesce(sum(CASE WHEN e.order_line_id IS NULL THEN e.amount_fen END), 0) AS attributedFen
       FROM ledger_accounts a
       JOIN ledger_entries e ON e.account_id = a.id
       LEFT JOIN order_lines ol ON ol.id = e.order_line_id
       WHERE a.household_id = ?
       GROUP BY 1, 2`,
    ).all(householdId) as { projectId: number | null; villageId: number | null; creditedFen: number; attributedFen: number }[];
    const buckets: BucketTotals[] = [];
    let unattributedFen = 0;
    for (const r of rows) {
      if (r.projectId === null || r.villageId === null) unattributedFen += r.attributedFen;
      else buckets.push({ projectId: r.projectId, villageId: r.villageId, creditedFen: r.creditedFen, attributedFen: r.attributedFen });
    }
    return { buckets, unattributedFen };
  }

  return {
    ...createHouseholdReports(q, 'all'),

    /** A household's money per project and village, settled as public figures count it (attribution.ts). */
    householdSettlement(householdId: number): SettledHousehold {
      const { buckets, unattributedFen } = householdBuckets(householdId);
      return settle(buckets, unattributedFen);
    },

    /** The same household reports, limited to what some projects credited and paid (a scoped coordinator's view). */
    forProjects: (projects: ProjectFilter): HouseholdReports => createHouseholdReports(q, projects),

    heldForRefundsFen,

    /** What of `owedFen` (the household's balance) may be paid out now: held is heldForRefundsFen, up to what is owed. */
    payoutLimit(householdId: number, owedFen: number): { heldFen: number; availableFen: number } {
      const heldFen = Math.min(Math.max(owedFen, 0), heldForRefundsFen(householdId));
      return { heldFen, availableFen: Math.max(0, owedFen - heldFen) };
    },
  };
}

export type LedgerReports = ReturnType<typeof createLedgerReports>;
