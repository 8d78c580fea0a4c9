import { fenToYuanInput, parseYuanToFen } from '../money.js';

/**
 * The files of a 批量代发 (bank batch payment): the batch the charity uploads to its bank, and the
 * statement the bank returns. Both are CSV in UTF-8 with a byte-order mark (so spreadsheet programs
 * read the Chinese), CRLF lines. Banks' own templates differ in their headers; these are the columns
 * every one of them asks for, in the usual order.
 */

/** The batch reference of a payout, carried through the bank and back on its statement. */
export const batchReference = (payoutId: number) => `XYP${String(payoutId).padStart(8, '0')}`;

/** The payout a batch reference names, or null for any other text. */
export function payoutIdOfReference(reference: string): number | null {
  const m = /^XYP(\d{8,12})$/.exec(reference.trim().toUpperCase());
  if (!m) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * One CSV cell: quoted when needed, and text a spreadsheet would run as a formula (starting with
 * = + - @, a tab or a carriage return) made inert with a leading apostrophe. Household names and
 * references are typed by people; a batch file is opened in a spreadsheet before it goes to the bank.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export interface BatchLine {
  payoutId: number;
  payee: string;
  accountNo: string;
  bankName: string;
  amountFen: number;
  purpose: string;
}

/** The batch file: payee name, account, bank, amount in yuan with two decimals, purpose, reference. */
export function batchCsv(lines: readonly BatchLine[], header: readonly [string, string, string, string, string, string]): string {
  const rows = [header.map(csvCell).join(',')];
  for (const l of lines) {
    rows.push([l.payee, l.accountNo, l.bankName, fenToYuanInput(l.amountFen), l.purpose, batchReference(l.payoutId)].map(csvCell).join(','));
  }
  return `\uFEFF${rows.join('\r\n')}\r\n`;
}

/** Parses CSV text into rows of cells (RFC 4180: quoted cells, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => r.some((c) => c.trim() !== ''));
}

/** One line of the bank's returned statement. */
export interface StatementLine {
  /** 1-based line number in the file, for messages. */
  line: number;
  reference: string;
  /** The bank's word for the outcome, as written. */
  status: string;
  /** The bank's words for a transfer that went through. */
  succeeded: boolean;
  /** Fen, or null when the amount is not a yuan amount. */
  amountFen: number | null;
}

const SUCCEEDED = new Set(['成功', '交易成功', '已成功', '处理成功', 'success', 'succeeded', 'successful', 'paid', 'ok']);
const HEADER_WORDS = {
  reference: ['reference', 'ref', '参考号', '业务参考号', '流水号', '摘要'],
  status: ['status', '状态', '处理状态', '交易状态'],
  amount: ['amount', '金额', '金额（元）', '金额(元)'],
};

/**
 * The lines of a returned statement: columns reference, status, amount, found by their header (in
 * English or Chinese) or, without a header, in that order.
 */
export function parseStatement(text: string): StatementLine[] {
  const rows = parseCsv(text);
  if (rows.length === 0) return [];
  const head = rows[0]!.map((c) => c.trim().toLowerCase());
  const find = (words: string[]) => head.findIndex((c) => words.includes(c));
  const at = { reference: find(HEADER_WORDS.reference), status: find(HEADER_WORDS.status), amount: find(HEADER_WORDS.amount) };
  const hasHeader = at.reference >= 0 && at.status >= 0 && at.amount >= 0;
  const cols = hasHeader ? at : { reference: 0, status: 1, amount: 2 };
  return rows.slice(hasHeader ? 1 : 0).map((r, i) => {
    const status = (r[cols.status] ?? '').trim();
    // A cell the batch file defused keeps its apostrophe when the bank echoes it.
    const reference = (r[cols.reference] ?? '').trim().replace(/^'/, '');
    return {
      line: i + (hasHeader ? 2 : 1),
      reference,
      status,
      succeeded: SUCCEEDED.has(status.toLowerCase()),
      amountFen: parseYuanToFen((r[cols.amount] ?? '').trim()),
    };
  });
}
