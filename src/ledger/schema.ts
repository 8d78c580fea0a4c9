import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../accounts/schema.js';
import { epochMs, nowMs } from '../db/columns.js';
import { media } from '../media/schema.js';
import { orderLines, orders } from '../orders/schema.js';
import { projects, projectSplitRules } from '../projects/schema.js';
import { households } from '../villages/schema.js';

export const ACCOUNT_KINDS = ['clearing', 'household_payable', 'project_fund', 'operations', 'shipping', 'processor_fees', 'cash'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/**
 * Ledger accounts. Codes: clearing:<channel>, household:<id>, project:<id>, operations,
 * shipping, fees:<processor>, cash. Balances are always derived from entries.
 */
export const ledgerAccounts = sqliteTable(
  'ledger_accounts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    code: text('code').notNull(),
    kind: text('kind', { enum: ACCOUNT_KINDS }).notNull(),
    householdId: integer('household_id').references(() => households.id),
    projectId: integer('project_id').references(() => projects.id),
    /** Payment channel of a clearing account (bank, stripe, cash …). */
    channel: text('channel'),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('ledger_accounts_code_uq').on(t.code),
    uniqueIndex('ledger_accounts_household_uq').on(t.householdId),
    check('ledger_accounts_kind_ck', sql`${t.kind} IN ('clearing','household_payable','project_fund','operations','shipping','processor_fees','cash')`),
    check('ledger_accounts_household_ck', sql`(${t.kind} = 'household_payable') = (${t.householdId} IS NOT NULL)`),
    check('ledger_accounts_project_ck', sql`(${t.kind} = 'project_fund') = (${t.projectId} IS NOT NULL)`),
  ],
);

/**
 * One balanced posting. Append-only (triggers refuse UPDATE and DELETE). Each row is chained
 * to the previous by SHA-256 so an edited history is detectable.
 */
export const ledgerTransactions = sqliteTable(
  'ledger_transactions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Unique per business event (e.g. "order-paid:42", a Stripe event id); a replay posts nothing. */
    idempotencyKey: text('idempotency_key').notNull(),
    kind: text('kind').notNull(),
    orderId: integer('order_id').references(() => orders.id),
    payoutId: integer('payout_id'),
    /** The split rule in force when this was posted (frozen with the posting). */
    splitRuleId: integer('split_rule_id').references(() => projectSplitRules.id),
    memo: text('memo').notNull().default(''),
    /** Accounting period (YYYY-MM, Asia/Shanghai) the transaction belongs to. */
    period: text('period').notNull(),
    postedAt: epochMs('posted_at').notNull(),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    uniqueIndex('ledger_transactions_key_uq').on(t.idempotencyKey),
    uniqueIndex('ledger_transactions_hash_uq').on(t.hash),
    // One transaction follows each: two writers that read the same head cannot both append (the
    // chain cannot fork), whichever engine serves the unit of work; the loser retries or fails.
    uniqueIndex('ledger_transactions_prev_hash_uq').on(t.prevHash),
    index('ledger_transactions_order_idx').on(t.orderId),
    // An order's money is posted once, whichever channel it came in by (online, bank transfer, an
    // outlet's till); reconciliation finds an order's payment posting through this index.
    uniqueIndex('ledger_transactions_order_payment_uq').on(t.orderId).where(sql`${t.kind} = 'order_payment'`),
    index('ledger_transactions_period_idx').on(t.period),
    // Narrow copy of what a statement needs of each transaction, so summing a household's postings
    // reads this index instead of the wide rows (hashes, memo) one page per posting.
    index('ledger_transactions_posting_idx').on(t.id, t.postedAt, t.kind),
    check('ledger_transactions_period_ck', sql`${t.period} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'`),
  ],
);

/**
 * The words of a transaction's memo when they may name a person (a transfer reference, a refund's
 * reason, a payout's reference or note): the transaction's hashed memo holds only a commitment to
 * them ("sha256:" + SHA-256 of salt and text, see ledger-service.ts), so they can be erased on a
 * personal-data request while the hash chain stays whole. Not append-only, unlike the ledger.
 */
export const ledgerMemoTexts = sqliteTable('ledger_memo_texts', {
  transactionId: integer('transaction_id')
    .primaryKey()
    .references(() => ledgerTransactions.id),
  /** Random hex mixed into the commitment, so a short text cannot be guessed from it; emptied on erasure. */
  salt: text('salt').notNull(),
  text: text('text').notNull(),
  /** When the text was erased (a personal-data request); null while it is kept. */
  erasedAt: epochMs('erased_at'),
});

export const ledgerEntries = sqliteTable(
  'ledger_entries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    transactionId: integer('transaction_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    accountId: integer('account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    /** Signed fen: positive debits, negative credits. A transaction's entries sum to zero. */
    amountFen: integer('amount_fen').notNull(),
    /** The order line this part of the posting came from (drill-down of household earnings). */
    orderLineId: integer('order_line_id').references(() => orderLines.id),
    /**
     * The project and village a household posting without an order line belongs to (a payout's
     * part, see ledger/attribution.ts); postings with an order line take both from the line.
     * No foreign keys: SQLite adds referencing columns only by rebuilding this append-only table;
     * the ledger service writes only ids it has read.
     */
    projectId: integer('project_id'),
    villageId: integer('village_id'),
  },
  (t) => [
    index('ledger_entries_tx_idx').on(t.transactionId),
    // An account's entries in posting order with their amounts: balances and statements from the index alone.
    index('ledger_entries_account_amount_idx').on(t.accountId, t.transactionId, t.amountFen),
    index('ledger_entries_line_idx').on(t.orderLineId),
    check('ledger_entries_nonzero_ck', sql`${t.amountFen} <> 0`),
  ],
);

export const PAYOUT_METHODS = ['bank_transfer', 'wechat', 'cash'] as const;

/** Money paid to a household. Never edited; a mistake is reversed by a correcting payout row. */
export const payouts = sqliteTable(
  'payouts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    householdId: integer('household_id')
      .notNull()
      .references(() => households.id),
    /** Positive for a payout, negative for a reversal, fen. */
    amountFen: integer('amount_fen').notNull(),
    method: text('method', { enum: PAYOUT_METHODS }).notNull(),
    reference: text('reference').notNull().default(''),
    /** Date paid (YYYY-MM-DD). */
    paidOn: text('paid_on').notNull(),
    evidenceMediaId: integer('evidence_media_id').references(() => media.id),
    /** Set on a reversal row: the payout it reverses (each payout can be reversed once). */
    reversesPayoutId: integer('reverses_payout_id'),
    note: text('note'),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    createdAt: epochMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    index('payouts_household_idx').on(t.householdId),
    uniqueIndex('payouts_reverses_uq').on(t.reversesPayoutId),
    check('payouts_amount_ck', sql`${t.amountFen} <> 0 AND ((${t.reversesPayoutId} IS NULL) = (${t.amountFen} > 0))`),
    check('payouts_method_ck', sql`${t.method} IN ('bank_transfer','wechat','cash')`),
  ],
);

/** A closed accounting month: nothing more posts into it. */
export const periodLocks = sqliteTable('period_locks', {
  period: text('period').primaryKey(),
  lockedAt: epochMs('locked_at').notNull().default(nowMs),
  lockedByUserId: integer('locked_by_user_id').references(() => users.id),
});

export const CHECKPOINT_KINDS = ['daily', 'on_demand'] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];

/**
 * A published anchor of the hash chain: at a moment, the ledger held `transaction_count`
 * transactions ending in `head_hash`. The chain proves what came before a head; a checkpoint that
 * third parties have copied proves that nothing after it was removed. Append-only (triggers).
 */
export const ledgerCheckpoints = sqliteTable(
  'ledger_checkpoints',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** 'daily': written by the server's periodic work, once per day; 'on_demand': by a coordinator. */
    kind: text('kind', { enum: CHECKPOINT_KINDS }).notNull(),
    /** The day it was published (YYYY-MM-DD, China Standard Time). */
    publishedOn: text('published_on').notNull(),
    takenAt: epochMs('taken_at').notNull(),
    /** Transactions in the chain up to and including the head. */
    transactionCount: integer('transaction_count').notNull(),
    headTransactionId: integer('head_transaction_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    headHash: text('head_hash').notNull(),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
  },
  (t) => [
    // One daily checkpoint a day, however many servers run the periodic work.
    uniqueIndex('ledger_checkpoints_daily_uq').on(t.publishedOn).where(sql`${t.kind} = 'daily'`),
    check('ledger_checkpoints_kind_ck', sql`${t.kind} IN ('daily','on_demand')`),
    check('ledger_checkpoints_count_ck', sql`${t.transactionCount} > 0`),
    check('ledger_checkpoints_day_ck', sql`${t.publishedOn} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'`),
  ],
);

export const PAYOUT_REQUEST_KINDS = ['payout', 'reversal'] as const;
export type PayoutRequestKind = (typeof PAYOUT_REQUEST_KINDS)[number];
export const PAYOUT_REQUEST_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type PayoutRequestStatus = (typeof PAYOUT_REQUEST_STATUSES)[number];

/**
 * A payout above the approval threshold, or any reversal, asked by one coordinator and waiting for
 * a second to approve (which posts it: a payouts row and its ledger transaction) or reject (which
 * posts nothing). A pending payout request holds back its amount from what may be paid, so two
 * requests cannot together pay more than is owed. The decision is a conditional write on
 * status = 'pending': of two approvals racing, one posts and the other is refused.
 */
export const payoutRequests = sqliteTable(
  'payout_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: PAYOUT_REQUEST_KINDS }).notNull(),
    status: text('status', { enum: PAYOUT_REQUEST_STATUSES }).notNull().default('pending'),
    householdId: integer('household_id')
      .notNull()
      .references(() => households.id),
    /** Fen, positive: what the payout pays, or what the reversal gives back to the household's payable. */
    amountFen: integer('amount_fen').notNull(),
    method: text('method', { enum: PAYOUT_METHODS }).notNull(),
    reference: text('reference').notNull().default(''),
    /** Date paid (YYYY-MM-DD) of the payout asked for, or of the payout reversed. */
    paidOn: text('paid_on').notNull(),
    evidenceMediaId: integer('evidence_media_id').references(() => media.id),
    /** A reversal request: the payout it would reverse. */
    reversesPayoutId: integer('reverses_payout_id').references(() => payouts.id),
    /** A reversal's reason, as the requester gave it. */
    note: text('note'),
    /**
     * The projects whose money the requester may pay (project ids, comma-separated), or null for
     * every project: an approved payout is attributed as the requester would have paid it.
     */
    projectIds: text('project_ids'),
    requestedByUserId: integer('requested_by_user_id')
      .notNull()
      .references(() => users.id),
    requestedAt: epochMs('requested_at').notNull(),
    decidedByUserId: integer('decided_by_user_id').references(() => users.id),
    decidedAt: epochMs('decided_at'),
    /** Why it was rejected (required then), or a note on the approval. */
    decisionNote: text('decision_note'),
    /** The payouts row the approval posted (a reversal row for a reversal). */
    payoutId: integer('payout_id').references(() => payouts.id),
  },
  (t) => [
    index('payout_requests_status_idx').on(t.status, t.householdId),
    uniqueIndex('payout_requests_payout_uq').on(t.payoutId),
    // One reversal of a payout waits at a time.
    uniqueIndex('payout_requests_pending_reversal_uq').on(t.reversesPayoutId).where(sql`${t.status} = 'pending'`),
    check('payout_requests_kind_ck', sql`${t.kind} IN ('payout','reversal')`),
    check('payout_requests_status_ck', sql`${t.status} IN ('pending','approved','rejected')`),
    check('payout_requests_method_ck', sql`${t.method} IN ('bank_transfer','wechat','cash')`),
    check('payout_requests_amount_ck', sql`${t.amountFen} > 0`),
    check('payout_requests_reversal_ck', sql`(${t.kind} = 'reversal') = (${t.reversesPayoutId} IS NOT NULL)`),
    check('payout_requests_decided_ck', sql`(${t.status} = 'pending') = (${t.decidedByUserId} IS NULL)`),
    // Nobody approves or rejects their own request.
    check('payout_requests_second_person_ck', sql`${t.decidedByUserId} IS NULL OR ${t.decidedByUserId} <> ${t.requestedByUserId}`),
  ],
);

/** What the bank's returned statement says of a transfer: it went through, or it failed (the payout stays unpaid). */
export const BANK_OUTCOMES = ['paid', 'failed'] as const;
export type BankOutcome = (typeof BANK_OUTCOMES)[number];

/**
 * What the bank's returned statement of a 批量代发 batch said of a bank-transfer payout (matched by
 * the batch reference): paid, once at most; or failed, as often as a batch carrying it failed (the
 * payout stays unpaid and goes into a later batch). Append-only (triggers): a statement is history.
 */
export const payoutBankConfirmations = sqliteTable(
  'payout_bank_confirmations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    payoutId: integer('payout_id')
      .notNull()
      .references(() => payouts.id),
    /** What the bank's statement says of the transfer. */
    outcome: text('outcome', { enum: BANK_OUTCOMES }).notNull().default('paid'),
    /** The bank's own word for the outcome, as its statement wrote it (成功, 失败：户名不符, …). */
    bankStatus: text('bank_status').notNull().default(''),
    /** The payout's amount, fen, which the statement's line repeats. */
    amountFen: integer('amount_fen').notNull(),
    /** The returned statement's file name, as uploaded. */
    statementName: text('statement_name').notNull().default(''),
    confirmedByUserId: integer('confirmed_by_user_id')
      .notNull()
      .references(() => users.id),
    confirmedAt: epochMs('confirmed_at').notNull(),
  },
  (t) => [
    // Paid once at most; failed as often as the bank says so.
    uniqueIndex('payout_bank_confirmations_paid_uq').on(t.payoutId).where(sql`${t.outcome} = 'paid'`),
    index('payout_bank_confirmations_payout_idx').on(t.payoutId),
    check('payout_bank_confirmations_amount_ck', sql`${t.amountFen} > 0`),
  ],
);
