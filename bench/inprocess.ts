// In-process timings against the scale database (no HTTP): a household statement page over the
// whole ledger, and a month's reconciliation.
import { createAuditService } from '../src/audit/audit-service.js';
import { createReconciliationService } from '../src/coordinator/reconciliation-service.js';
import { openDatabase, type Database_ } from '../src/db/client.js';
import { STATEMENT_PAGE_LINES } from '../src/ledger/household-statements.js';
import { createLedgerReports } from '../src/ledger/ledger-reports.js';
import { monthBounds } from '../src/time.js';

export interface Timing {
  median_ms: number;
  runs_ms: number[];
}

export interface StatementTiming {
  householdId: number;
  /** Lines over the household's whole history. */
  lines: number;
  /** The statement page as the coordinator's console builds it (totals, brought-forward balance, one page of lines): whole history, first and last page. */
  firstPage: Timing;
  lastPage: Timing;
  /** The current accounting month, first page. */
  month: Timing & { lines: number };
  /** Every line of the whole history at once, as the CSV and PDF exports read them. */
  allLines: Timing;
}

export type ReconciliationTiming =
  | { status: 'n/a'; note: string }
  | { status: 'error'; note: string }
  | ({ status: 'ok'; call: string; period: string; payments: number | null; mismatches: number | null } & Timing);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (ms: number) => Math.round(ms * 100) / 100;

/** Runs `fn` once to warm up, then `runs` times; the median of the timed runs. */
export async function timeIt<T>(fn: () => T | Promise<T>, runs: number): Promise<Timing & { last: T }> {
  let last = await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    last = await fn();
    times.push(performance.now() - started);
  }
  return { median_ms: round(median(times)), runs_ms: times.map(round), last };
}

export async function timeStatement(db: Database_, householdId: number, now: number): Promise<StatementTiming> {
  const reports = createLedgerReports(db);
  const statement = (from: number, to: number, page?: number) =>
    reports.statement('all', householdId, from, to, page === undefined ? undefined : { number: page, size: STATEMENT_PAGE_LINES });
  const end = now + 24 * 3600_000;
  const firstPage = await timeIt(() => statement(0, end, 1), 5);
  const lastPage = await timeIt(() => statement(0, end, Number.MAX_SAFE_INTEGER), 5);
  const { from, to } = monthBounds(now);
  const month = await timeIt(() => statement(from, to, 1), 5);
  const allLines = await timeIt(() => statement(0, end), 3);
  const strip = (t: Timing) => ({ median_ms: t.median_ms, runs_ms: t.runs_ms });
  return {
    householdId,
    lines: firstPage.last.page?.lineCount ?? 0,
    firstPage: strip(firstPage),
    lastPage: strip(lastPage),
    month: { ...strip(month), lines: month.last.page?.lineCount ?? 0 },
    allLines: strip(allLines),
  };
}

/**
 * A month's reconciliation as the coordinator's page builds it: createReconciliationService(db,
 * { clock, audit }), then .report(period) — the wiring of src/app.ts. Only the report is ever
 * called (the service also has mutating methods such as closePeriod).
 */
export async function timeReconciliation(db: Database_, period: string, now: number): Promise<ReconciliationTiming> {
  try {
    const clock = () => now;
    const service = createReconciliationService(db, { clock, audit: createAuditService(db, clock) });
    const run = () => service.report(period);
    const started = performance.now();
    const first = await run();
    const firstMs = performance.now() - started;
    // A slow first run is reported as it is rather than repeated.
    const timing = firstMs > 5000 ? { median_ms: round(firstMs), runs_ms: [round(firstMs)] } : await timeIt(run, 3);
    return {
      status: 'ok',
      call: `createReconciliationService(db, { clock, audit }).report('${period}')`,
      period,
      median_ms: timing.median_ms,
      runs_ms: timing.runs_ms,
      payments: first.payments,
      mismatches: first.mismatches.length,
    };
  } catch (error) {
    return { status: 'error', note: `reconciliation failed: ${(error as Error).message}` };
  }
}

/** Opens the database with the application's pragmas and runs both timings. */
export async function runInProcess(
  path: string,
  householdId: number,
  period: string,
  now: number,
): Promise<{ statement: StatementTiming; reconciliation: ReconciliationTiming }> {
  const db = openDatabase(path);
  try {
    const statement = await timeStatement(db, householdId, now);
    const reconciliation = await timeReconciliation(db, period, now);
    return { statement, reconciliation };
  } finally {
    db.close();
  }
}
