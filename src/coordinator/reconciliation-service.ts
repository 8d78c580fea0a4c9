import type { CurrentUser } from '../accounts/session-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { periodOf } from '../time.js';
import type { Database_ } from '../db/client.js';
import { entriesOf } from '../ledger/ledger-queries.js';
import type { Query, Tx } from '../db/unit-of-work.js';
import {
  clearingByChannel,
  clearingMovements,
  insertNote,
  isLocked,
  lockPeriod,
  notesOf,
  otherClearingPostings,
  otherFeePostings,
  paidOrdersWithoutPayment,
  paymentMatches,
  paymentTotals,
  periodLocksList,
  refundMatches,
  transactionById,
  type NoteRow,
  type OtherClearingRow,
  type PaymentMatchRow,
  type RefundMatchRow,
} from './reconciliation-queries.js';

/**
 * Reconciliation of one accounting period: every payment received matched to its order and to its
 * ledger posting, every refund to its posting, and each clearing account's movement in the ledger
 * against what the payments, fees and refunds say it should be.
 *
 * Glossary: a *posting* is a ledger transaction; the *clearing account* of a channel (clearing:bank,
 * clearing:stripe) holds money received and not yet moved on; an *item* is one payment, refund,
 * order or posting; a *mismatch* is an item that does not agree with its counterpart. Each
 * mismatch says what it does to the clearing accounts (`effects`, expected − ledger); whatever the
 * listed mismatches do not explain is reported against the clearing account itself.
 *
 * Items belong to the ledger's period: a payment and its posting are in the period its posting
 * is in (a correction made after a month was closed lands in the next open one); a payment or
 * refund never posted belongs to the month it was confirmed or settled in.
 *
 * A coordinator *explains* a mismatch with a note (kept forever, audit-logged); a month can be
 * closed only when every mismatch of it is resolved (no longer found) or explained. A note belongs
 * to the mismatch's *key*: its kind and the record it is about (see mismatchKey), so it still
 * applies while that problem of that record stands, and no longer once the problem changes.
 */

export const MISMATCH_KINDS = [
  'payment_without_order',
  'payment_order_not_paid',
  'payment_duplicate',
  'payment_without_posting',
  'amount_mismatch',
  'channel_mismatch',
  'fee_not_posted',
  'fee_mismatch',
  'fee_unconverted',
  'posting_without_payment',
  'order_paid_without_payment',
  'refund_without_posting',
  'refund_amount_mismatch',
  'posting_without_refund',
  'fee_posting_without_payment',
  'clearing_off',
] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

export type ItemKind = 'payment' | 'posting' | 'order' | 'refund' | 'fee' | 'clearing';

export interface Mismatch {
  /** The most telling problem of the item. */
  kind: MismatchKind;
  /** Every problem found with the item, `kind` first. */
  problems: MismatchKind[];
  item: ItemKind;
  channel: string | null;
  orderNumber: string | null;
  orderStatus: string | null;
  paymentId: number | null;
  refundId: number | null;
  /** The posting the item is about (payment, refund or fee posting). */
  txId: number | null;
  txHash: string | null;
  stripePaymentIntentId: string | null;
  reference: string | null;
  /** Fen figures of the item, where they apply. */
  amounts: {
    paymentFen?: number;
    orderTotalFen?: number;
    clearingFen?: number;
    feeFen?: number;
    feePostedFen?: number;
    refundFen?: number;
    expectedFen?: number;
    ledgerFen?: number;
    differenceFen?: number;
  };
  /** A Stripe fee charged in another currency: as charged, and the rate it was converted at (null: not converted). */
  settlement: { currency: string; feeMinor: number; exchangeRate: string | null } | null;
  /** clearing_off: postings of the period on the account that belong to no payment, refund or fee. */
  strayTxIds: number[];
  /** What the item does to each clearing account in this period: expected − ledger, fen. */
  effects: Record<string, number>;
  /** Stable identity of the mismatch within its period (mismatchKey), for notes. */
  key: string;
  /** The coordinators' notes on it, oldest first; one is enough to explain it. */
  notes: NoteRow[];
}

export interface ChannelTotals {
  channel: string;
  payments: number;
  receivedFen: number;
  feesFen: number;
  refundsFen: number;
  /** Received − fees − refunds, as the payment and refund records say. */
  expectedMovementFen: number;
  /** The clearing account's movement in the period's postings. */
  ledgerMovementFen: number;
  /** Of expected − ledger, the part the listed mismatches account for. */
  explainedFen: number;
  unexplainedFen: number;
}

/** The period's Stripe fees charged in one other currency than CNY, posted in fen at each payment's exchange rate. */
export interface ForeignFees {
  currency: string;
  payments: number;
  /** The fees as Stripe charged them, in the currency's minor units. */
  chargedMinor: number;
  /** The same fees in fen, as posted (unconverted ones count 0). */
  feesFen: number;
}

export interface ReconciliationReport {
  period: string;
  locked: boolean;
  channels: ChannelTotals[];
  /** Stripe fees charged in other currencies, per currency (alphabetical). */
  foreignFees: ForeignFees[];
  payments: number;
  refunds: number;
  mismatches: Mismatch[];
  /** Mismatches with no note. */
  unexplained: number;
  /** Notes of the period on mismatches no longer found (resolved since), oldest first. */
  resolvedNotes: NoteRow[];
}

/** One payment (or payment posting) as it goes into the CSV. */
export interface PaymentLine {
  row: PaymentMatchRow;
  problems: MismatchKind[];
  /** The notes on its mismatch (none when it matches). */
  notes: NoteRow[];
}

/**
 * The stable identity of a mismatch within its period: its kind and the record it is about (a
 * payment, refund, posting or order; a clearing account with its unexplained difference, so a
 * note on one difference does not explain another).
 */
export function mismatchKey(m: Pick<Mismatch, 'kind' | 'paymentId' | 'refundId' | 'txId' | 'orderNumber' | 'channel' | 'amounts'>): string {
  const about =
    m.paymentId !== null
      ? `payment:${m.paymentId}`
      : m.refundId !== null
        ? `refund:${m.refundId}`
        : m.txId !== null
          ? `tx:${m.txId}`
          : m.orderNumber !== null
            ? `order:${m.orderNumber}`
            : `clearing:${m.channel ?? ''}:${m.amounts.differenceFen ?? 0}`;
  return `${m.kind}:${about}`;
}

/** The key of a payment row's mismatch as the report builds it (paymentMismatch). */
const paymentRowKey = (row: PaymentMatchRow, problems: MismatchKind[]) =>
  mismatchKey({
    kind: problems[0]!,
    paymentId: row.paymentId,
    refundId: null,
    txId: row.txId ?? row.feeTxId,
    orderNumber: row.orderNumber,
    channel: row.channel,
    amounts: {},
  });

const PERIOD_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;
const CST_OFFSET_MS = 8 * 3600_000;

/** [from, to) of a YYYY-MM period in China Standard Time; null when it is not one. */
export function periodBounds(period: string): { from: number; to: number } | null {
  const m = PERIOD_RE.exec(period);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (year < 2000 || year > 2999) return null;
  return { from: Date.UTC(year, month - 1, 1) - CST_OFFSET_MS, to: Date.UTC(year, month, 1) - CST_OFFSET_MS };
}

export function isPeriod(value: string): boolean {
  return periodBounds(value) !== null;
}

const add = (map: Record<string, number>, channel: string | null, fen: number) => {
  if (!channel || fen === 0) return;
  map[channel] = (map[channel] ?? 0) + fen;
};
const minus = (a: Record<string, number>, b: Record<string, number>) => {
  const out: Record<string, number> = {};
  for (const c of new Set([...Object.keys(a), ...Object.keys(b)])) add(out, c, (a[c] ?? 0) - (b[c] ?? 0));
  return out;
};

/** The clearing entries of postings per channel (fetched for mismatching items only). */
export type Breakdown = Map<number, Record<string, number>>;

/** What a payment row should put on its clearing account in this period, and whether its postings count here. */
export interface PaymentClassification {
  problems: MismatchKind[];
  expected: Record<string, number>;
  /** The row's order-payment posting is its own (not the posting a duplicate payment shares). */
  countsPosting: boolean;
  /** The row's fee belongs to this period (posted in it, or never posted). */
  feeHere: boolean;
}

/**
 * The problems of one payment row and what it should put on the clearing accounts. Pure:
 * `seenOrders` remembers orders already paid by an earlier row (a second payment is a duplicate).
 * The row carries the postings' entries on the payment channel's own clearing account; entries on
 * another channel show up as a difference here and are resolved from the breakdown afterwards.
 */
export function classifyPayment(row: PaymentMatchRow, period: string, seenOrders: Set<number>): PaymentClassification {
  const problems: MismatchKind[] = [];
  const expected: Record<string, number> = {};
  if (row.paymentId === null) {
    // An order-payment posting whose order has no succeeded payment row.
    return { problems: ['posting_without_payment'], expected, countsPosting: true, feeHere: false };
  }
  const duplicate = row.orderId !== null && seenOrders.has(row.orderId);
  if (row.orderId !== null) seenOrders.add(row.orderId);
  const amount = row.amountFen ?? 0;
  const fee = row.feeFen ?? 0;
  const countsPosting = row.txId !== null && !duplicate;
  if (row.orderId === null) problems.push('payment_without_order');
  else if (row.orderPaidAt === null) problems.push('payment_order_not_paid');
  if (duplicate) problems.push('payment_duplicate');
  if (row.txId === null && row.orderId !== null && row.orderPaidAt !== null) problems.push('payment_without_posting');
  if ((row.orderTotalFen !== null && amount !== row.orderTotalFen) || (countsPosting && (row.txClearingFen ?? 0) !== amount)) problems.push('amount_mismatch');
  if (fee > 0 && row.feeTxId === null) problems.push('fee_not_posted');
  if (row.feeTxId !== null && ((row.feePostedFen ?? 0) !== fee || (row.feeClearingFen ?? 0) !== -(row.feePostedFen ?? 0))) problems.push('fee_mismatch');
  // Charged in another currency with no exchange rate to post it by: the clearing account is off by an unknown fee.
  if (row.settlementCurrency !== null && row.settlementExchangeRate === null) problems.push('fee_unconverted');
  // A fee posted in another month counts there (see otherFeePostings); an unposted one counts here.
  const feeHere = row.feeTxId === null || row.feeTxPeriod === period;
  add(expected, row.channel, amount - (feeHere ? fee : 0));
  return { problems, expected, countsPosting, feeHere };
}

/** What a payment row's postings put on the clearing accounts in this period. */
export function paymentLedger(row: PaymentMatchRow, c: Pick<PaymentClassification, 'countsPosting' | 'feeHere'>, breakdown: Breakdown): Record<string, number> {
  const ledger: Record<string, number> = {};
  const posting = (txId: number | null, ownFen: number | null) => {
    if (txId === null) return;
    const known = breakdown.get(txId);
    if (known) for (const [ch, fen] of Object.entries(known)) add(ledger, ch, fen);
    else add(ledger, row.channel, ownFen ?? 0);
  };
  if (c.countsPosting) posting(row.txId, row.txClearingFen);
  if (row.paymentId !== null && c.feeHere) posting(row.feeTxId, row.feeClearingFen);
  return ledger;
}

/** The problems of one refund row and what it should take off the clearing accounts. */
export function classifyRefund(row: RefundMatchRow): { problems: MismatchKind[]; expected: Record<string, number>; succeeded: boolean } {
  const problems: MismatchKind[] = [];
  const expected: Record<string, number> = {};
  const succeeded = row.refundId !== null && row.refundStatus === 'succeeded';
  if (row.txId === null) problems.push('refund_without_posting');
  else if (!succeeded) problems.push('posting_without_refund');
  if (succeeded) add(expected, row.channel, -(row.amountFen ?? 0));
  if (succeeded && row.txId !== null) {
    if (-(row.txClearingFen ?? 0) !== row.amountFen) problems.push('refund_amount_mismatch');
    if ((row.txClearingOwnFen ?? 0) !== (row.txClearingFen ?? 0) || row.channel === null) problems.push('channel_mismatch');
  }
  return { problems, expected, succeeded };
}

/** A mismatch with nothing filled in but its problems. */
function blank(problems: MismatchKind[], item: ItemKind): Mismatch {
  return {
    kind: problems[0]!,
    problems,
    item,
    channel: null,
    orderNumber: null,
    orderStatus: null,
    paymentId: null,
    refundId: null,
    txId: null,
    txHash: null,
    stripePaymentIntentId: null,
    reference: null,
    amounts: {},
    settlement: null,
    strayTxIds: [],
    effects: {},
    key: '',
    notes: [],
  };
}

/** The longest note a coordinator may write on a mismatch, characters. */
export const MAX_NOTE_LENGTH = 1000;

export function createReconciliationService(db: Database_, deps: { clock: Clock; audit: AuditService }) {
  const { clock, audit } = deps;

  /** The whole shop's money is reconciled by a coordinator for all projects. */
  function assertReconciler(actor: CurrentUser, code: string) {
    if (actor.role !== 'coordinator' || !actor.allProjects) throw new AppError('forbidden', code);
  }

  function bounds(period: string) {
    const b = periodBounds(period);
    if (!b) throw new AppError('bad_request', 'invalid_period', undefined, { params: { period } });
    return b;
  }

  function paymentMismatch(row: PaymentMatchRow, c: PaymentClassification, breakdown: Breakdown): Mismatch {
    // Entries on another channel than the payment's: the posting went to the wrong clearing account.
    const elsewhere = [row.txId, row.feeTxId].some((id) => id !== null && Object.keys(breakdown.get(id) ?? {}).some((ch) => ch !== row.channel));
    const problems = elsewhere && !c.problems.includes('channel_mismatch') ? [...c.problems, 'channel_mismatch' as const] : c.problems;
    const clearingFen = row.txId !== null ? Object.values(breakdown.get(row.txId) ?? { own: row.txClearingFen ?? 0 }).reduce((a, b) => a + b, 0) : undefined;
    return {
      ...blank(problems, row.paymentId === null ? 'posting' : 'payment'),
      channel: row.channel,
      orderNumber: row.orderNumber,
      orderStatus: row.orderStatus,
      paymentId: row.paymentId,
      txId: row.txId ?? row.feeTxId,
      txHash: row.txHash,
      stripePaymentIntentId: row.stripePaymentIntentId,
      reference: row.reference,
      settlement:
        row.settlementCurrency !== null && row.settlementFeeMinor !== null
          ? { currency: row.settlementCurrency, feeMinor: row.settlementFeeMinor, exchangeRate: row.settlementExchangeRate }
          : null,
      amounts: {
        ...(row.amountFen !== null ? { paymentFen: row.amountFen } : {}),
        ...(row.orderTotalFen !== null ? { orderTotalFen: row.orderTotalFen } : {}),
        ...(clearingFen !== undefined ? { clearingFen } : {}),
        ...(row.feeFen ? { feeFen: row.feeFen } : {}),
        ...(row.feeTxId !== null ? { feePostedFen: row.feePostedFen ?? 0 } : {}),
      },
      effects: minus(c.expected, paymentLedger(row, c, breakdown)),
    };
  }

  /**
   * The report of a period, read in the caller's unit. `onPayment` sees every payment row with its
   * problems as it goes past (the CSV is written from it), so a month is read once.
   */
  function* reportIn(tx: Tx, period: string, onPayment?: (line: PaymentLine) => void): Query<ReconciliationReport> {
    const { from, to } = bounds(period);
    const notes = new Map<string, NoteRow[]>();
    for (const n of yield* notesOf(tx, period)) notes.set(n.mismatchKey, [...(notes.get(n.mismatchKey) ?? []), n]);
    const expected: Record<string, number> = {};
    const totals = new Map<string, { payments: number; receivedFen: number; feesFen: number; refundsFen: number }>();
    const totalsOf = (c: string) => totals.get(c) ?? totals.set(c, { payments: 0, receivedFen: 0, feesFen: 0, refundsFen: 0 }).get(c)!;
    const foreign = new Map<string, ForeignFees>();
    /** Counts fees charged in another currency (none for CNY) towards that currency's line. */
    const addForeign = (currency: string | null, payments: number, chargedMinor: number, feesFen: number) => {
      if (currency === null) return;
      const f = foreign.get(currency) ?? foreign.set(currency, { currency, payments: 0, chargedMinor: 0, feesFen: 0 }).get(currency)!;
      f.payments += payments;
      f.chargedMinor += chargedMinor;
      f.feesFen += feesFen;
    };
    const expect = (e: Record<string, number>) => {
      for (const [c, fen] of Object.entries(e)) add(expected, c, fen);
    };

    // 1. Payments and order-payment postings. For the page, SQL sums the month per channel and hands
    // over only the rows that may mismatch; for the CSV, every row streams past once.
    const flaggedPayments: { row: PaymentMatchRow; c: PaymentClassification }[] = [];
    const seen = new Set<number>();
    for (const row of yield* paymentMatches(tx, period, from, to, { suspectOnly: !onPayment })) {
      const c = classifyPayment(row, period, seen);
      if (onPayment) {
        expect(c.expected);
        if (row.paymentId !== null) {
          const t = totalsOf(row.channel!);
          t.payments++;
          t.receivedFen += row.amountFen ?? 0;
          if (c.feeHere) t.feesFen += row.feeFen ?? 0;
          addForeign(row.settlementCurrency, 1, c.feeHere ? (row.settlementFeeMinor ?? 0) : 0, c.feeHere ? (row.feeFen ?? 0) : 0);
        }
        onPayment({ row, problems: c.problems, notes: c.problems.length ? (notes.get(paymentRowKey(row, c.problems)) ?? []) : [] });
      }
      if (c.problems.length) flaggedPayments.push({ row, c });
    }
    if (!onPayment) {
      for (const s of yield* paymentTotals(tx, period, from, to)) {
        const t = totalsOf(s.channel);
        t.payments += s.payments;
        t.receivedFen += s.receivedFen;
        t.feesFen += s.feesFen;
        add(expected, s.channel, s.receivedFen - s.feesFen);
        addForeign(s.settlementCurrency, s.payments, s.chargedMinor, s.feesFen);
      }
    }
    const payments = [...totals.values()].reduce((n, t) => n + t.payments, 0);

    // 2. Refunds and refund postings; fee postings no payment of the period accounts for.
    const refundRows = yield* refundMatches(tx, period, from, to);
    const refunds = refundRows.map((row) => ({ row, ...classifyRefund(row) }));
    for (const r of refunds) {
      expect(r.expected);
      if (r.succeeded && r.row.channel) totalsOf(r.row.channel).refundsFen += r.row.amountFen ?? 0;
    }
    const fees = (yield* otherFeePostings(tx, period, from, to)).map((fee) => {
      const exp: Record<string, number> = {};
      if (fee.paymentChannel !== null) {
        add(exp, fee.paymentChannel, -(fee.paymentFeeFen ?? 0));
        totalsOf(fee.paymentChannel).feesFen += fee.paymentFeeFen ?? 0;
        addForeign(fee.paymentSettlementCurrency, 0, fee.paymentSettlementFeeMinor ?? 0, fee.paymentFeeFen ?? 0);
      }
      expect(exp);
      return { fee, expected: exp };
    });

    // 3. Per-channel entries of the postings of mismatching items (a short list), in one query.
    const ids = new Set<number>();
    for (const { row } of flaggedPayments) for (const id of [row.txId, row.feeTxId]) if (id !== null) ids.add(id);
    for (const r of refunds) if (r.problems.length && r.row.txId !== null) ids.add(r.row.txId);
    for (const f of fees) ids.add(f.fee.txId);
    const breakdown: Breakdown = new Map();
    for (const e of yield* clearingByChannel(tx, [...ids])) {
      const entry = breakdown.get(e.txId) ?? {};
      // (a clearing account always names its channel)
      add(entry, e.channel ?? '', e.amountFen);
      breakdown.set(e.txId, entry);
    }

    // 4. The mismatches, each with what it does to the clearing accounts (expected − ledger).
    const mismatches: Mismatch[] = flaggedPayments.map(({ row, c }) => paymentMismatch(row, c, breakdown));
    for (const r of refunds) {
      if (!r.problems.length) continue;
      mismatches.push({
        ...blank(r.problems, 'refund'),
        channel: r.row.channel,
        orderNumber: r.row.orderNumber,
        refundId: r.row.refundId,
        txId: r.row.txId,
        txHash: r.row.txHash,
        reference: r.row.stripeRefundId,
        amounts: {
          ...(r.row.amountFen !== null ? { refundFen: r.row.amountFen } : {}),
          ...(r.row.txId !== null ? { clearingFen: r.row.txClearingFen ?? 0 } : {}),
        },
        effects: minus(r.expected, r.row.txId !== null ? (breakdown.get(r.row.txId) ?? {}) : {}),
      });
    }
    for (const { fee, expected: exp } of fees) {
      const ledger = breakdown.get(fee.txId) ?? {};
      const problems: MismatchKind[] = [];
      if (fee.paymentChannel === null) problems.push('fee_posting_without_payment');
      else {
        if (fee.paymentFeeFen !== fee.feePostedFen || fee.clearingFen !== -fee.feePostedFen) problems.push('fee_mismatch');
        if (Object.keys(ledger).some((ch) => ch !== fee.paymentChannel)) problems.push('channel_mismatch');
      }
      if (!problems.length) continue;
      mismatches.push({
        ...blank(problems, 'fee'),
        channel: fee.paymentChannel,
        orderNumber: fee.orderNumber,
        txId: fee.txId,
        txHash: fee.txHash,
        reference: fee.txKey.startsWith('stripe-fee:') ? fee.txKey.slice('stripe-fee:'.length) : null,
        amounts: { ...(fee.paymentFeeFen !== null ? { feeFen: fee.paymentFeeFen } : {}), feePostedFen: fee.feePostedFen, clearingFen: fee.clearingFen },
        effects: minus(exp, ledger),
      });
    }
    // Orders marked paid with nothing behind them (nothing reached a clearing account).
    for (const o of yield* paidOrdersWithoutPayment(tx, from, to)) {
      mismatches.push({
        ...blank(['order_paid_without_payment'], 'order'),
        orderNumber: o.orderNumber,
        orderStatus: o.orderStatus,
        amounts: { orderTotalFen: o.orderTotalFen },
      });
    }

    // 5. The clearing accounts: the ledger's movement against the records', net of what is explained above.
    const explained: Record<string, number> = {};
    for (const m of mismatches) for (const [c, fen] of Object.entries(m.effects)) add(explained, c, fen);
    const movements = yield* clearingMovements(tx, period);
    const channels = [...new Set(['bank', 'stripe', ...movements.map((m) => m.channel), ...Object.keys(expected), ...totals.keys()])];
    const channelTotals: ChannelTotals[] = channels.map((channel) => {
      const ledgerMovementFen = movements.find((m) => m.channel === channel)?.movementFen ?? 0;
      const expectedMovementFen = expected[channel] ?? 0;
      const explainedFen = explained[channel] ?? 0;
      return {
        channel,
        ...totalsOf(channel),
        expectedMovementFen,
        ledgerMovementFen,
        explainedFen,
        unexplainedFen: expectedMovementFen - ledgerMovementFen - explainedFen,
      };
    });
    const offChannels = channelTotals.filter((c) => c.unexplainedFen !== 0);
    if (offChannels.length) {
      const strays = yield* otherClearingPostings(tx, period);
      for (const c of offChannels) mismatches.push(clearingMismatch(c, strays));
    }
    const foreignFees = [...foreign.values()].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
    // 6. The coordinators' notes: each mismatch's own, and those on mismatches since resolved.
    for (const m of mismatches) {
      m.key = mismatchKey(m);
      m.notes = notes.get(m.key) ?? [];
    }
    const listed = new Set(mismatches.map((m) => m.key));
    const resolvedNotes = [...notes.entries()]
      .filter(([key]) => !listed.has(key))
      .flatMap(([, n]) => n)
      .sort((a, b) => a.id - b.id);
    const unexplained = mismatches.filter((m) => m.notes.length === 0).length;
    return {
      period,
      locked: yield* isLocked(tx, period),
      channels: channelTotals,
      foreignFees,
      payments,
      refunds: refundRows.length,
      mismatches,
      unexplained,
      resolvedNotes,
    };
  }

  function clearingMismatch(c: ChannelTotals, strays: OtherClearingRow[]): Mismatch {
    return {
      ...blank(['clearing_off'], 'clearing'),
      channel: c.channel,
      amounts: { expectedFen: c.expectedMovementFen - c.explainedFen, ledgerFen: c.ledgerMovementFen, differenceFen: c.unexplainedFen },
      strayTxIds: [...new Set(strays.filter((s) => s.channel === c.channel).map((s) => s.txId))],
    };
  }

  return {
    /** The report of a period (see reportIn), read from one snapshot. */
    report: (period: string, onPayment?: (line: PaymentLine) => void) => db.uow.read((tx) => reportIn(tx, period, onPayment)),
    bounds,

    /** The current accounting period (CST). */
    currentPeriod: () => periodOf(clock()),

    closedPeriods: () => db.uow.read((tx) => periodLocksList(tx)),

    /**
     * Closes a month: nothing more posts into it (the ledger posts later corrections into the next
     * open month). Only a coordinator for all projects may; a month not yet begun cannot be closed,
     * nor one with a mismatch that is neither resolved nor explained by a note. The check and the
     * lock are one write transaction, so nothing can post into the month between them (at a month
     * of 170,000 payments that holds other writers back for about a second, once a month).
     */
    async closePeriod(actor: CurrentUser, period: string, address: string | null): Promise<void> {
      assertReconciler(actor, 'period_close_forbidden');
      bounds(period);
      if (period > periodOf(clock())) throw new AppError('conflict', 'period_in_future', undefined, { params: { period } });
      await db.uow.write(function* (tx) {
        if (yield* isLocked(tx, period)) throw new AppError('conflict', 'period_already_closed', undefined, { params: { period } });
        const { mismatches, unexplained } = yield* reportIn(tx, period);
        if (unexplained > 0) throw new AppError('conflict', 'period_unexplained_mismatches', undefined, { params: { period, count: unexplained } });
        if (!(yield* lockPeriod(tx, period, actor.id, clock()))) throw new AppError('conflict', 'period_already_closed', undefined, { params: { period } });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'period.close',
          entityType: 'period',
          entityId: period,
          after: { period, explainedMismatches: mismatches.length },
          address,
        });
      });
    },

    /**
     * A coordinator explains a mismatch of the period with a note. Notes are only ever added (the
     * table refuses changes), each audit-logged; the mismatch must be one the period's report lists
     * now (a resolved or unknown one is a conflict). Notes may be added to a closed month too.
     */
    async addNote(actor: CurrentUser, period: string, key: string, note: string, address: string | null): Promise<NoteRow> {
      assertReconciler(actor, 'reconciliation_forbidden');
      bounds(period);
      const text = note.trim();
      if (text.length === 0 || text.length > MAX_NOTE_LENGTH)
        throw new AppError('validation', 'recon_note_invalid', undefined, { fields: { note: 'recon_note_invalid' } });
      // Read outside the write transaction: a mismatch resolved a moment later keeps a note on its history, which is harmless.
      const { mismatches } = await db.uow.read((tx) => reportIn(tx, period));
      if (!mismatches.some((m) => m.key === key))
        throw new AppError('conflict', 'recon_note_unknown_mismatch', undefined, { fields: { note: 'recon_note_unknown_mismatch' } });
      return db.uow.write(function* (tx) {
        const now = clock();
        const id = yield* insertNote(tx, { period, mismatchKey: key, note: text, userId: actor.id, now });
        yield* audit.add(tx, {
          userId: actor.id,
          action: 'reconciliation.note',
          entityType: 'period',
          entityId: period,
          after: { mismatch: key, note: text },
          address,
        });
        return { id, mismatchKey: key, note: text, createdAt: now, author: actor.displayName };
      });
    },

    /** One posting with its entries, for the links of the report. */
    transaction: (id: number) =>
      db.uow.read(function* (tx) {
        const posting = yield* transactionById(tx, id);
        if (!posting) throw new AppError('not_found', 'transaction_not_found');
        const entries = (yield* entriesOf(tx, id)).map((e) => ({ accountCode: e.accountCode, amountFen: e.amountFen, orderLineId: e.orderLineId }));
        return { ...posting, entries };
      }),
  };
}

export type ReconciliationService = ReturnType<typeof createReconciliationService>;
