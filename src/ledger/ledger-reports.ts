import { type SQL, sql } from 'drizzle-orm';
import type { Database_ } from '../db/client.js';
import { all, one, type Query, type Tx } from '../db/unit-of-work.js';
import { settle, type BucketTotals, type SettledHousehold } from './attribution.js';
import { buildHouseholdStatement } from './household-statements.js';

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
function postingsOf(projects: ProjectFilter): SQL {
  if (projects === 'all') return sql``;
  const list = projects.length
    ? sql.join(
        projects.map((p) => sql`${Number(p)}`),
        sql`, `,
      )
    : sql`NULL`;
  // A household entry belongs to the project of its order line, or (a payout's part) to the one it carries.
  return sql` AND coalesce(e.project_id, (SELECT sl.project_id FROM order_lines sl WHERE sl.id = e.order_line_id)) IN (${list})`;
}

/*
 * The reports are sums over joins and row values that drizzle's builder cannot say; their SQL
 * stays written out (the statement page's speed rests on its exact shape and the covering indexes),
 * with every value a parameter.
 */
const balanceSql = sql`
    SELECT a.household_id AS "householdId",
      coalesce(-sum(CASE WHEN t.kind = 'order_payment' THEN e.amount_fen END), 0) AS "earnedFen",
      coalesce(sum(CASE WHEN t.kind = 'refund' THEN e.amount_fen END), 0) AS "refundedFen",
      coalesce(sum(CASE WHEN t.kind IN ('payout', 'payout_reversal') THEN e.amount_fen END), 0) AS "paidOutFen",
      coalesce(-sum(e.amount_fen), 0) AS "owedFen"
    FROM ledger_accounts a
    JOIN ledger_entries e ON e.account_id = a.id
    JOIN ledger_transactions t ON t.id = e.transaction_id`;
/** A household's postings: its account's entries with their transactions. */
const householdPostings = sql`ledger_entries e
         JOIN ledger_accounts a ON a.id = e.account_id
         JOIN ledger_transactions t ON t.id = e.transaction_id`;
/** A statement line: the posting, its transaction, and the order (line) that earned it. */
const entryColumns = sql`t.id AS "transactionId", t.kind, t.posted_at AS "postedAt", t.period, coalesce(m.text, t.memo) AS memo, e.amount_fen AS "amountFen",
    o.number AS "orderNumber", e.order_line_id AS "orderLineId", ol.title_zh AS "lineTitleZh", ol.title_en AS "lineTitleEn", t.payout_id AS "payoutId", t.hash`;
// A memo that may name a person is read from its words beside the chain (empty once erased).
const entryJoins = sql`${householdPostings} LEFT JOIN ledger_memo_texts m ON m.transaction_id = t.id LEFT JOIN orders o ON o.id = t.order_id LEFT JOIN order_lines ol ON ol.id = e.order_line_id`;

/**
 * A household's balances and postings, as one coordinator may see them (ProjectFilter), as steps of
 * a unit of work: a coordinator scoped to some projects sees what those projects credited and paid,
 * never another project's money.
 */
export function householdReports(projects: ProjectFilter) {
  const where = postingsOf(projects);
  /** The household's postings in [from, to). */
  const inPeriod = (householdId: number, from: number, to: number) =>
    sql`a.household_id = ${householdId} AND t.posted_at >= ${from} AND t.posted_at < ${to}${where}`;

  return {
    *householdBalance(_tx: Tx, householdId: number, before?: number): Query<HouseholdBalance> {
      const row = yield* one<HouseholdBalance>(
        sql`${balanceSql} WHERE a.household_id = ${householdId} AND t.posted_at < ${before ?? Number.MAX_SAFE_INTEGER}${where} GROUP BY a.household_id`,
      );
      return row && row.householdId !== null ? row : { householdId, earnedFen: 0, refundedFen: 0, paidOutFen: 0, owedFen: 0 };
    },

    *householdBalances(_tx: Tx, householdIds: readonly number[] | 'all'): Query<HouseholdBalance[]> {
      const filter =
        householdIds === 'all'
          ? sql`a.household_id IS NOT NULL`
          : householdIds.length
            ? sql`a.household_id IN (${sql.join(
                householdIds.map((id) => sql`${Number(id)}`),
                sql`, `,
              )})`
            : sql`a.household_id IN (NULL)`;
      return yield* all<HouseholdBalance>(sql`${balanceSql} WHERE ${filter}${where} GROUP BY a.household_id`);
    },

    /**
     * The postings on a household's account in [from, to), oldest first, with the order line that
     * earned each; with `page`, `limit` of them from the line `start` (see householdPageStart).
     */
    *householdEntries(_tx: Tx, householdId: number, from: number, to: number, page?: { start: StatementKey; limit: number }): Query<HouseholdEntry[]> {
      if (!page)
        return yield* all<HouseholdEntry>(
          sql`SELECT ${entryColumns} FROM ${entryJoins} WHERE ${inPeriod(householdId, from, to)} ORDER BY e.transaction_id, e.id`,
        );
      return yield* all<HouseholdEntry>(
        sql`SELECT ${entryColumns} FROM ${entryJoins} WHERE ${inPeriod(householdId, from, to)} AND (e.transaction_id, e.id) >= (${page.start.transactionId}, ${page.start.entryId}) ORDER BY e.transaction_id, e.id LIMIT ${page.limit}`,
      );
    },

    /** A household's latest `limit` postings of one kind of transaction, newest first (the household page's recent lines). */
    *householdRecent(_tx: Tx, householdId: number, kind: string, limit: number): Query<HouseholdEntry[]> {
      return yield* all<HouseholdEntry>(
        sql`SELECT ${entryColumns} FROM ${entryJoins} WHERE a.household_id = ${householdId} AND t.kind = ${kind}${where} ORDER BY e.transaction_id DESC, e.id DESC LIMIT ${limit}`,
      );
    },

    /** A household's postings in [from, to) summed per kind of transaction (fen on its account: negative = credited). */
    *householdTotals(_tx: Tx, householdId: number, from: number, to: number): Query<{ kind: string; amountFen: number; entries: number }[]> {
      return yield* all<{ kind: string; amountFen: number; entries: number }>(
        sql`SELECT t.kind, sum(e.amount_fen) AS "amountFen", count(*) AS entries FROM ${householdPostings} WHERE ${inPeriod(householdId, from, to)} GROUP BY t.kind`,
      );
    },

    /**
     * Where a page of a household's statement for [from, to) starts: the key of its line number
     * `offset` (0-based, in statement order) and the sum of the lines before it (fen on the
     * account). Both come from the indexes alone; the page's rows are then read from the key.
     */
    *householdPageStart(_tx: Tx, householdId: number, from: number, to: number, offset: number): Query<{ start: StatementKey; sumBeforeFen: number } | null> {
      const start = yield* one<StatementKey>(
        sql`SELECT e.transaction_id AS "transactionId", e.id AS "entryId" FROM ${householdPostings} WHERE ${inPeriod(householdId, from, to)} ORDER BY e.transaction_id, e.id LIMIT 1 OFFSET ${offset}`,
      );
      if (!start) return null;
      const before = yield* one<{ sum: number }>(
        sql`SELECT coalesce(sum(e.amount_fen), 0) AS sum FROM ${householdPostings} WHERE ${inPeriod(householdId, from, to)} AND (e.transaction_id, e.id) < (${start.transactionId}, ${start.entryId})`,
      );
      return { start, sumBeforeFen: before?.sum ?? 0 };
    },
  };
}

export type HouseholdReports = ReturnType<typeof householdReports>;

/** Every project's money (a coordinator of all projects, the payouts' limits). */
const everyProject = householdReports('all');

/**
 * What a household must not be paid yet: for each order with refunds still pending (asked of
 * Stripe, not yet settled), the pending amount up to what the order still credits the household.
 * Paid out first, a refund settling later would leave the household paid more than it earned.
 * An upper bound (a refund is shared over the order's accounts when it is posted).
 */
export function* heldForRefundsFen(_tx: Tx, householdId: number): Query<number> {
  const row = yield* one<{ held: number }>(
    sql`SELECT coalesce(sum(CASE WHEN p.pending < c.credited THEN p.pending ELSE c.credited END), 0) AS held
       FROM (SELECT order_id, sum(amount_fen) AS pending FROM refunds WHERE status = 'pending' GROUP BY order_id) p
       JOIN (SELECT t.order_id, -sum(e.amount_fen) AS credited
             FROM ledger_transactions t
             JOIN ledger_entries e ON e.transaction_id = t.id
             JOIN ledger_accounts a ON a.id = e.account_id AND a.household_id = ${householdId}
             WHERE t.order_id IN (SELECT order_id FROM refunds WHERE status = 'pending') AND t.kind IN ('order_payment', 'refund')
             GROUP BY t.order_id) c ON c.order_id = p.order_id
       WHERE c.credited > 0`,
  );
  return row?.held ?? 0;
}

/**
 * A household's money per project and village (see attribution.ts): net credits from order lines
 * and the payouts attributed to each, and the payouts posted before attribution existed.
 */
function* householdBuckets(_tx: Tx, householdId: number): Query<{ buckets: BucketTotals[]; unattributedFen: number }> {
  const rows = yield* all<{ projectId: number | null; villageId: number | null; creditedFen: number; attributedFen: number }>(
    sql`SELECT coalesce(e.project_id, ol.project_id) AS "projectId", coalesce(e.village_id, ol.village_id) AS "villageId",
              coalesce(-sum(CASE WHEN e.order_line_id IS NOT NULL THEN e.amount_fen END), 0) AS "creditedFen",
              coalesce(sum(CASE WHEN e.order_line_id IS NULL THEN e.amount_fen END), 0) AS "attributedFen"
       FROM ledger_accounts a
       JOIN ledger_entries e ON e.account_id = a.id
       LEFT JOIN order_lines ol ON ol.id = e.order_line_id
       WHERE a.household_id = ${householdId}
       GROUP BY 1, 2`,
  );
  const buckets: BucketTotals[] = [];
  let unattributedFen = 0;
  for (const r of rows) {
    if (r.projectId === null || r.villageId === null) unattributedFen += r.attributedFen;
    else buckets.push({ projectId: r.projectId, villageId: r.villageId, creditedFen: r.creditedFen, attributedFen: r.attributedFen });
  }
  return { buckets, unattributedFen };
}

/** A household's money per project and village, settled as public figures count it (attribution.ts). */
export function* householdSettlement(tx: Tx, householdId: number): Query<SettledHousehold> {
  const { buckets, unattributedFen } = yield* householdBuckets(tx, householdId);
  return settle(buckets, unattributedFen);
}

/** What of `owedFen` (the household's balance) may be paid out now: held is heldForRefundsFen, up to what is owed. */
export function* payoutLimit(tx: Tx, householdId: number, owedFen: number): Query<{ heldFen: number; availableFen: number }> {
  const heldFen = Math.min(Math.max(owedFen, 0), yield* heldForRefundsFen(tx, householdId));
  return { heldFen, availableFen: Math.max(0, owedFen - heldFen) };
}

/** The household reports of a filter, each answered on a snapshot of its own. */
function readable(db: Database_, reports: HouseholdReports) {
  return {
    householdBalance: (householdId: number, before?: number) => db.uow.read((tx) => reports.householdBalance(tx, householdId, before)),
    householdBalances: (householdIds: readonly number[] | 'all') => db.uow.read((tx) => reports.householdBalances(tx, householdIds)),
    householdRecent: (householdId: number, kind: string, limit: number) => db.uow.read((tx) => reports.householdRecent(tx, householdId, kind, limit)),
  };
}

/**
 * Read-only reports over the ledger: household balances and histories, and the public figures
 * of projects, villages and the whole shop. Everything is summed from entries; nothing is stored.
 */
export function createLedgerReports(db: Database_) {
  return {
    ...readable(db, everyProject),

    /** A household's money per project and village, settled as public figures count it (attribution.ts). */
    householdSettlement: (householdId: number) => db.uow.read((tx) => householdSettlement(tx, householdId)),

    /** The same household reports, limited to what some projects credited and paid (a scoped coordinator's view). */
    forProjects: (projects: ProjectFilter) => readable(db, householdReports(projects)),

    /**
     * A household's statement for [fromMs, toMs) as `projects` shows it, all lines or one page
     * (see buildHouseholdStatement), read from one snapshot.
     */
    statement: (projects: ProjectFilter, householdId: number, fromMs: number, toMs: number, page?: { number: number; size: number }) =>
      db.uow.read((tx) => buildHouseholdStatement(tx, householdReports(projects), householdId, fromMs, toMs, page)),

    heldForRefundsFen: (householdId: number) => db.uow.read((tx) => heldForRefundsFen(tx, householdId)),
  };
}

export type LedgerReports = ReturnType<typeof createLedgerReports>;
