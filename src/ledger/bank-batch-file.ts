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

/** The batch file's header, in Chinese whatever the page's language: it is for a Chinese bank. */
export const BATCH_HEADER = ['收款人姓名', '收款账号', '开户行', '金额（元）', '用途', '业务参考号'] as const;

/** The purpose (用途) of a payout's line: the programme's words and its reference, which banks print on the payee's statement. */
export const batchPurpose = (payoutId: number) => `乡益农户收益 ${batchReference(payoutId)}`;

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

/** An account number as digits only (banks print them with spaces, a defused cell keeps its apostrophe); null when empty. */
export function accountDigits(cell: string | null | undefined): string | null {
  const digits = (cell ?? '').replace(/[\s'-]/g, '');
  return digits === '' ? null : digits;
}

/** One line of the bank's returned statement. */
export interface StatementLine {
  /** 1-based line number in the file, for messages. */
  line: number;
  reference: string;
  /** The bank's word for the outcome, as written. */
  status: string;
  /** What the bank's word means: the transfer went through, it failed, or a word this file does not know (null). */
  outcome: 'paid' | 'failed' | null;
  /** Fen, or null when the amount is not a yuan amount. */
  amountFen: number | null;
  /** The account the bank paid into (digits only), when the statement has that column. */
  accountNo: string | null;
}

const SUCCEEDED = new Set(['成功', '交易成功', '已成功', '处理成功', 'success', 'succeeded', 'successful', 'paid', 'ok']);
/** The bank's words for a failed transfer, alone or followed by the reason (失败：户名不符). */
const FAILED = /^(失败|交易失败|处理失败|支付失败|已退回|退票|退汇|failed|failure|rejected|returned)(\b|[：:，,（( ]|$)/;

/** What a bank's status word says: paid, failed, or null for anything else (处理中, pending, …), which is not yet an outcome. */
export function outcomeOf(status: string): 'paid' | 'failed' | null {
  const word = status.trim().toLowerCase();
  if (SUCCEEDED.has(word)) return 'paid';
  return FAILED.test(word) ? 'failed' : null;
}

const HEADER_WORDS = {
  reference: ['reference', 'ref', '参考号', '业务参考号', '流水号', '摘要'],
  status: ['status', '状态', '处理状态', '交易状态'],
  amount: ['amount', '金额', '金额（元）', '金额(元)'],
  account: ['account', 'account no', 'account number', '收款账号', '账号', '收款人账号', '卡号'],
};

/**
 * The lines of a returned statement: columns reference, status, amount and (optional) the account
 * paid into, found by their header (in English or Chinese) or, without a header, in that order.
 */
export function parseStatement(text: string): StatementLine[] {
  const rows = parseCsv(text);
  if (rows.length === 0) return [];
  const head = rows[0]!.map((c) => c.trim().toLowerCase());
  const find = (words: string[]) => head.findIndex((c) => words.includes(c));
  const at = { reference: find(HEADER_WORDS.reference), status: find(HEADER_WORDS.status), amount: find(HEADER_WORDS.amount) };
  const hasHeader = at.reference >= 0 && at.status >= 0 && at.amount >= 0;
  const cols = hasHeader ? { ...at, account: find(HEADER_WORDS.account) } : { reference: 0, status: 1, amount: 2, account: 3 };
  return rows.slice(hasHeader ? 1 : 0).map((r, i) => {
    const status = (r[cols.status] ?? '').trim();
    // A cell the batch file defused keeps its apostrophe when the bank echoes it.
    const reference = (r[cols.reference] ?? '').trim().replace(/^'/, '');
    return {
      line: i + (hasHeader ? 2 : 1),
      reference,
      status,
      outcome: outcomeOf(status),
      amountFen: parseYuanToFen((r[cols.amount] ?? '').trim()),
      accountNo: accountDigits(cols.account >= 0 ? r[cols.account] : undefined),
    };
  });
}
