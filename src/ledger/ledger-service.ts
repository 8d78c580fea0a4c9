import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { AppError } from '../errors.js';
import { periodOf } from '../time.js';
import { type Query, serialize, type Tx } from '../db/unit-of-work.js';
import { allCheckpoints, hasCheckpointTable } from './checkpoint-queries.js';
import {
  accountByCode,
  balanceOf,
  entriesBetween,
  entriesOf,
  insertAccount,
  eraseMemoTexts,
  insertEntry,
  insertMemoText,
  insertTransaction,
  isPeriodLocked,
  lastTransaction,
  totalOfAllEntries,
  transactionByKey,
  transactionCount,
  transactionsBetween,
  transactionsOfOrder,
  transactionsWithoutEntries,
  unbalancedTransactions,
  type EntryRow,
  type TransactionRow,
} from './ledger-queries.js';
import { accountCode, type AccountRef } from './accounts.js';
import type { AccountKind } from './schema.js';

/** The hash before the first transaction. */
export const GENESIS_HASH = '0'.repeat(64);

export { accountCode, type AccountRef } from './accounts.js';

export interface PostingEntry {
  account: AccountRef;
  /** Signed fen: positive debit, negative credit. */
  amountFen: number;
  orderLineId?: number | null;
  /** A household posting without an order line: the project and village it belongs to (see attribution.ts). */
  attribution?: Attribution | null;
}

/** The project and village a part of a household's money belongs to. */
export interface Attribution {
  projectId: number;
  villageId: number;
}

export interface Posting {
  /** One business event, one key: posting the same key again changes nothing. */
  idempotencyKey: string;
  kind: string;
  entries: PostingEntry[];
  orderId?: number | null;
  payoutId?: number | null;
  splitRuleId?: number | null;
  memo?: string;
  /**
   * The memo may name a person (words a coordinator typed: a transfer reference, a refund's reason,
   * a payout's reference or note): the chain then covers a salted commitment to it and the words
   * are kept beside the chain, erasable on a personal-data request (ledger_memo_texts).
   */
  memoMayNamePeople?: boolean;
  createdByUserId?: number | null;
}

/** The prefix of a memo that is a commitment to words kept in ledger_memo_texts. */
export const MEMO_COMMITMENT_PREFIX = 'sha256:';

/** What the chain covers of memo words that may name a person: SHA-256 of the salt and the words. */
export function memoCommitment(salt: string, text: string): string {
  return MEMO_COMMITMENT_PREFIX + createHash('sha256').update(`${salt}\n${text}`).digest('hex');
}

/** The canonical text a transaction's hash covers: its own content and the previous hash. */
export function transactionDigest(
  t: Pick<TransactionRow, 'idempotencyKey' | 'kind' | 'orderId' | 'payoutId' | 'splitRuleId' | 'memo' | 'period' | 'postedAt' | 'prevHash'>,
  entries: readonly (Pick<EntryRow, 'accountCode' | 'amountFen' | 'orderLineId'> & Partial<Pick<EntryRow, 'projectId' | 'villageId'>>)[],
): string {
  const canonical = JSON.stringify([
    t.prevHash,
    t.idempotencyKey,
    t.kind,
    t.orderId,
    t.payoutId,
    t.splitRuleId,
    t.memo,
    t.period,
    t.postedAt,
    // An attribution is covered when there is one; entries without keep the digest they always had.
    entries.map((e) =>
      e.projectId == null ? [e.accountCode, e.amountFen, e.orderLineId] : [e.accountCode, e.amountFen, e.orderLineId, e.projectId, e.villageId],
    ),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The proceeds ledger: double-entry, append-only, integer fen, hash-chained.
 *
 * A posting is a step of the caller's unit of work: `yield* ledger.postIn(tx, posting)` inside
 * the unit that makes the business change, so the change and its posting commit together or not
 * at all. The chain stays one chain whatever the engine: the unique index on prev_hash lets only
 * one of two writers that read the same head append. `post` is the same posting for code not yet
 * written as units of work (it must run inside the caller's database transaction).
 */
/** The key postings serialise on (src/db/unit-of-work.ts serialize). */
const LEDGER_HEAD = 'ledger:head';

export function createLedgerService(db: Database_, deps: { clock: Clock }) {
  function* accountId(tx: Tx, ref: AccountRef): Query<number> {
    const code = accountCode(ref);
    const existing = yield* accountByCode(tx, code);
    if (existing) return existing.id;
    return yield* insertAccount(tx, {
      code,
      kind: ref.kind as AccountKind,
      householdId: ref.kind === 'household_payable' ? ref.householdId : null,
      projectId: ref.kind === 'project_fund' ? ref.projectId : null,
      channel: ref.kind === 'clearing' ? ref.channel : ref.kind === 'processor_fees' ? ref.processor : null,
      createdAt: deps.clock(),
    });
  }

  /** The first period at or after `period` that is not closed: corrections to a closed month land in the next. */
  function* openPeriodFrom(tx: Tx, period: string): Query<string> {
    let p = period;
    for (let i = 0; i < 1200 && (yield* isPeriodLocked(tx, p)); i++) {
      const [y, m] = p.split('-').map(Number) as [number, number];
      p = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    }
    return p;
  }

  /** Posts a balanced transaction once per idempotency key; returns it (the existing one on a replay). */
  function* postIn(tx: Tx, posting: Posting): Query<{ transaction: TransactionRow; created: boolean }> {
    // One posting at a time extends the chain: on an engine with several writers the next reads the head this one leaves.
    yield* serialize(LEDGER_HEAD);
    const existing = yield* transactionByKey(tx, posting.idempotencyKey);
    if (existing) return { transaction: existing, created: false };
    const entries = posting.entries.filter((e) => e.amountFen !== 0);
    if (entries.length < 2) throw new AppError('conflict', 'ledger_empty_posting');
    if (entries.some((e) => !Number.isSafeInteger(e.amountFen))) throw new Error('ledger amounts must be integer fen');
    const sum = entries.reduce((a, e) => a + e.amountFen, 0);
    if (sum !== 0) throw new Error(`unbalanced posting ${posting.idempotencyKey}: entries sum to ${sum}`);

    const postedAt = deps.clock();
    const prev = yield* lastTransaction(tx);
    if (entries.some((e) => e.attribution && (e.account.kind !== 'household_payable' || e.orderLineId != null))) {
      throw new Error('only a household posting without an order line carries an attribution');
    }
    const resolved: Omit<EntryRow, 'transactionId'>[] = [];
    for (const e of entries) {
      resolved.push({
        accountId: yield* accountId(tx, e.account),
        accountCode: accountCode(e.account),
        amountFen: e.amountFen,
        orderLineId: e.orderLineId ?? null,
        projectId: e.attribution?.projectId ?? null,
        villageId: e.attribution?.villageId ?? null,
      });
    }
    const memoText = posting.memo ?? '';
    // Words that may name a person stay out of the hashed content: the chain covers a commitment to them.
    const salt = posting.memoMayNamePeople && memoText ? randomBytes(16).toString('hex') : null;
    const row: Omit<TransactionRow, 'id'> = {
      idempotencyKey: posting.idempotencyKey,
      kind: posting.kind,
      orderId: posting.orderId ?? null,
      payoutId: posting.payoutId ?? null,
      splitRuleId: posting.splitRuleId ?? null,
      memo: salt ? memoCommitment(salt, memoText) : memoText,
      period: yield* openPeriodFrom(tx, periodOf(postedAt)),
      postedAt,
      createdByUserId: posting.createdByUserId ?? null,
      prevHash: prev?.hash ?? GENESIS_HASH,
      hash: '',
    };
    row.hash = transactionDigest(row, resolved);
    const id = yield* insertTransaction(tx, row);
    for (const e of resolved) yield* insertEntry(tx, id, e);
    if (salt) yield* insertMemoText(tx, id, salt, memoText);
    return { transaction: { ...row, id }, created: true };
  }

  /** An order's postings, oldest first, each with its entries. */
  function* transactionsOfOrderIn(tx: Tx, orderId: number): Query<(TransactionRow & { entries: EntryRow[] })[]> {
    const list = [];
    for (const t of yield* transactionsOfOrder(tx, orderId)) list.push({ ...t, entries: yield* entriesOf(tx, t.id) });
    return list;
  }

  return {
    accountCode,
    /** Transactions posted so far, for the operator's metrics. */
    transactionCount: () => db.uow.read((tx) => transactionCount(tx)),

    postIn,
    /**
     * Erases the memo words of the postings of these orders or payouts (a personal-data request), as
     * a step of the caller's unit of work. Memos written in clear before ledger_memo_texts existed are
     * part of the hashed content and stay. Returns how many were erased.
     */
    eraseMemoTextsIn: (tx: Tx, of: { orderIds?: readonly number[]; payoutIds?: readonly number[] }) => eraseMemoTexts(tx, of, deps.clock()),
    transactionsOfOrderIn,
    transactionByKeyIn: transactionByKey,
    entriesOfIn: entriesOf,

    /** A posting in a unit of work of its own (a change that posts composes `postIn` into its unit instead). */
    post: (posting: Posting): Promise<{ transaction: TransactionRow; created: boolean }> => db.uow.write((tx) => postIn(tx, posting)),
    transactionsOfOrder: (orderId: number) => db.uow.read((tx) => transactionsOfOrderIn(tx, orderId)),
    transactionByKey: (key: string) => db.uow.read((tx) => transactionByKey(tx, key)),

    entriesOf: (transactionId: number) => db.uow.read((tx) => entriesOf(tx, transactionId)),
    balance: (ref: AccountRef) => db.uow.read((tx) => balanceOf(tx, accountCode(ref))),
  };
}

export type LedgerService = ReturnType<typeof createLedgerService>;

export interface LedgerProblem {
  transactionId: number | null;
  problem: string;
}

/**
 * A published position of the chain: its head's hash and, when known, how many transactions the
 * chain had up to and including it. A stored checkpoint also knows its head's id.
 */
export interface ChainAnchor {
  /** How messages name it: "checkpoint #3 of 2026-12-01", "--head". */
  label: string;
  hash: string;
  count?: number;
  headTransactionId?: number;
}

/**
 * Walks a stretch of the chain in order, from the position `start` (the hash before it and the
 * transactions before it): each transaction must link to the one before and hash to its content.
 * `entries` are the stretch's entries ordered by transaction. Calls `visit` with each transaction's
 * position (1 = the first transaction of the ledger).
 */
export function verifyChain(
  transactions: Iterable<TransactionRow>,
  entries: Iterable<EntryRow>,
  start: { hash: string; count: number },
  visit?: (t: TransactionRow, position: number) => void,
): { count: number; lastHash: string; problems: LedgerProblem[] } {
  const problems: LedgerProblem[] = [];
  const iterator = entries[Symbol.iterator]();
  let pending = iterator.next();
  let prevHash = start.hash;
  let count = start.count;
  for (const t of transactions) {
    count++;
    const own: EntryRow[] = [];
    while (!pending.done && pending.value.transactionId < t.id) pending = iterator.next();
    while (!pending.done && pending.value.transactionId === t.id) {
      own.push(pending.value);
      pending = iterator.next();
    }
    if (t.prevHash !== prevHash) problems.push({ transactionId: t.id, problem: 'previous hash does not match the chain' });
    if (transactionDigest(t, own) !== t.hash) problems.push({ transactionId: t.id, problem: 'hash does not match its content (edited?)' });
    visit?.(t, count);
    prevHash = t.hash;
  }
  return { count, lastHash: prevHash, problems };
}

/** Transactions read at a time when a stretch of the chain is walked: the whole ledger never sits in memory. */
const CHAIN_BATCH = 5000;

/**
 * verifyChain over the transactions with ids in (afterId, throughId], read in batches in id order
 * with their entries.
 */
export function* verifyStretch(
  tx: Tx,
  afterId: number,
  throughId: number,
  start: { hash: string; count: number },
  visit?: (t: TransactionRow, position: number) => void,
): Query<{ count: number; lastHash: string; problems: LedgerProblem[] }> {
  const problems: LedgerProblem[] = [];
  let position = start;
  let from = afterId;
  for (;;) {
    const batch = yield* transactionsBetween(tx, from, throughId, CHAIN_BATCH);
    if (batch.length === 0) break;
    const last = batch[batch.length - 1]!.id;
    const walked = verifyChain(batch, yield* entriesBetween(tx, from, last), position, visit);
    problems.push(...walked.problems);
    position = { hash: walked.lastHash, count: walked.count };
    if (batch.length < CHAIN_BATCH) break;
    from = last;
  }
  return { count: position.count, lastHash: position.hash, problems };
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/**
 * Verifies every invariant of the ledger: each transaction balanced and non-empty, the whole
 * ledger summing to zero, the hash chain unbroken (an edited row names its transaction), and the
 * chain still holding every published checkpoint at its position: the database's own stored
 * checkpoints and any `anchors` given (a published head, a checkpoint list kept by a third party).
 * The chain alone proves only what comes before its head; a checkpoint missing from it means
 * transactions were removed from the end (or the ledger was replaced).
 */
export function* ledgerCheck(tx: Tx, anchors: readonly ChainAnchor[] = []): Query<{ transactions: number; problems: LedgerProblem[] }> {
  const problems: LedgerProblem[] = [];
  for (const u of yield* unbalancedTransactions(tx)) problems.push({ transactionId: u.id, problem: `entries sum to ${u.total}, not 0` });
  for (const t of yield* transactionsWithoutEntries(tx)) problems.push({ transactionId: t.id, problem: 'has no entries' });
  const total = yield* totalOfAllEntries(tx);
  if (total !== 0) problems.push({ transactionId: null, problem: `all entries sum to ${total}, not 0` });

  const stored: ChainAnchor[] = (yield* hasCheckpointTable(tx))
    ? (yield* allCheckpoints(tx)).map((c) => ({
        label: `stored checkpoint #${c.id} of ${c.publishedOn}`,
        hash: c.headHash,
        count: c.transactionCount,
        headTransactionId: c.headTransactionId,
      }))
    : [];
  const wanted = new Map<string, ChainAnchor[]>();
  for (const a of [...stored, ...anchors]) wanted.set(a.hash, [...(wanted.get(a.hash) ?? []), a]);
  const found = new Map<string, { position: number; id: number }>();

  const chain = yield* verifyStretch(tx, 0, Number.MAX_SAFE_INTEGER, { hash: GENESIS_HASH, count: 0 }, (t, position) => {
    if (wanted.has(t.hash)) found.set(t.hash, { position, id: t.id });
  });
  problems.push(...chain.problems);

  for (const [hash, list] of wanted) {
    const at = found.get(hash);
    for (const a of list) {
      const published = a.count !== undefined ? `${a.count} transactions, head ${short(hash)}` : `head ${short(hash)}`;
      if (!at) {
        problems.push({
          transactionId: null,
          problem: `${a.label} (${published}) is not in the chain, which now has ${chain.count} transactions: transactions published by it were removed from the ledger (or the ledger was replaced)`,
        });
      } else if (a.count !== undefined && a.count !== at.position) {
        problems.push({
          transactionId: at.id,
          problem: `${a.label} says its head is transaction number ${a.count} of the chain, but it is number ${at.position}: transactions before it were removed or added`,
        });
      } else if (a.headTransactionId !== undefined && a.headTransactionId !== at.id) {
        problems.push({
          transactionId: at.id,
          problem: `${a.label} says its head is transaction ${a.headTransactionId}, but that hash is transaction ${at.id}`,
        });
      }
    }
  }
  return { transactions: chain.count, problems };
}

/** The ledger check (ledgerCheck) on a snapshot of the database. */
export const checkLedger = (db: Database_, anchors: readonly ChainAnchor[] = []) => db.uow.read((tx) => ledgerCheck(tx, anchors));
