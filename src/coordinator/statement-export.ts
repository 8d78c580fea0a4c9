import { existsSync, readFileSync } from 'node:fs';
import { AppError } from '../errors.js';
import { pickText, type Locale, type MessageKey, type Translator } from '../i18n/i18n.js';
import type { HouseholdStatement, StatementLine } from '../ledger/household-statements.js';
import { fenToYuanInput, formatFen } from '../money.js';
import { formatDate, formatDateTime } from '../time.js';

/**
 * A household statement as people read it (HTML page, CSV for Excel, PDF to print): the same rows
 * and words in all three, in the coordinator's language.
 */
export interface PresentedStatement {
  household: { id: number; realName: string; village: string };
  from: string;
  to: string;
  generatedAt: string;
  opening: string;
  earnings: string;
  refunds: string;
  payouts: string;
  other: string | null;
  closing: string;
  /** What the household owes back at the end of the period, when it does. */
  clawback: string | null;
  openingFen: number;
  closingFen: number;
  /** When the lines are one page of the period's: where the page stands and its links. */
  page: {
    number: number;
    pages: number;
    show: boolean;
    first: number;
    last: number;
    lineCount: number;
    isFirst: boolean;
    isLast: boolean;
    broughtForward: string;
    carriedForward: string;
    prevUrl: string | null;
    nextUrl: string | null;
  } | null;
  rows: {
    date: string;
    type: string;
    typeLabel: string;
    orderNumber: string;
    product: string;
    description: string;
    amountFen: number;
    balanceFen: number;
    amount: string;
    balance: string;
  }[];
}

function describe(line: StatementLine, t: Translator): string {
  switch (line.type) {
    case 'earning':
      return t('statement.desc.earning');
    case 'refund':
      return t('statement.desc.refund');
    case 'payout': {
      const p = line.payout;
      if (!p) return line.memo;
      const method = t(`payout.method.${p.method}` as MessageKey);
      return p.reference
        ? t('statement.desc.payoutRef', { method, paidOn: p.paidOn, reference: p.reference })
        : t('statement.desc.payout', { method, paidOn: p.paidOn });
    }
    case 'payout_reversal':
      return line.payout ? t('statement.desc.reversal', { id: line.payout.reversesPayoutId ?? '', note: line.payout.note ?? '' }) : line.memo;
    default:
      return line.memo;
  }
}

export function presentStatement(
  statement: HouseholdStatement,
  household: { id: number; realName: string; village: string },
  period: { from: string; to: string },
  now: number,
  locale: Locale,
  t: Translator,
  pageUrl: (page: number) => string = () => '',
): PresentedStatement {
  const p = statement.page;
  return {
    household,
    from: period.from,
    to: period.to,
    generatedAt: formatDateTime(now),
    opening: formatFen(statement.openingFen),
    earnings: formatFen(statement.earningsFen),
    refunds: formatFen(statement.refundsFen),
    payouts: formatFen(statement.payoutsFen),
    other: statement.otherFen !== 0 ? formatFen(statement.otherFen) : null,
    closing: formatFen(statement.closingFen),
    // A closing balance below zero: the household was paid ahead of a refund (ledger/attribution.ts).
    clawback: statement.closingFen < 0 ? formatFen(-statement.closingFen) : null,
    openingFen: statement.openingFen,
    closingFen: statement.closingFen,
    page: p
      ? {
          number: p.number,
          pages: p.pages,
          show: p.pages > 1,
          first: p.lineCount === 0 ? 0 : p.offset + 1,
          last: p.offset + statement.lines.length,
          lineCount: p.lineCount,
          isFirst: p.number === 1,
          isLast: p.number === p.pages,
          broughtForward: formatFen(p.broughtForwardFen),
          carriedForward: formatFen(p.carriedForwardFen),
          prevUrl: p.number > 1 ? pageUrl(p.number - 1) : null,
          nextUrl: p.number < p.pages ? pageUrl(p.number + 1) : null,
        }
      : null,
    rows: statement.lines.map((line) => ({
      date: formatDate(line.postedAt),
      type: line.type,
      typeLabel: t(`statement.type.${line.type}` as MessageKey),
      orderNumber: line.orderNumber ?? '',
      product: line.productZh ? pickText(locale, line.productZh, line.productEn) : '',
      description: describe(line, t),
      amountFen: line.amountFen,
      balanceFen: line.balanceFen,
      amount: formatFen(line.amountFen),
      balance: formatFen(line.balanceFen),
    })),
  };
}

// ---------- CSV ----------

/** Quotes a CSV field; text that a spreadsheet would run as a formula is defused with a leading '. */
function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The statement as CSV: UTF-8 with a byte-order mark (so Excel reads the Chinese), CRLF lines,
 * amounts in yuan with two decimals. The first row is the opening balance, the last the closing
 * (before it, what the household owes back, when it does).
 */
export function statementCsv(s: PresentedStatement, t: Translator): string {
  const header = [
    'statement.col.date',
    'statement.col.type',
    'statement.col.order',
    'statement.col.product',
    'statement.col.description',
    'statement.col.amount',
    'statement.col.balance',
  ] as const;
  const rows: string[] = [header.map((k) => csvText(t(k))).join(',')];
  const row = (cells: { text: string[]; amount: string; balance: string }) => rows.push([...cells.text.map(csvText), cells.amount, cells.balance].join(','));
  row({
    text: [s.from, t('statement.type.opening'), '', '', t('statement.period', { from: s.from, to: s.to })],
    amount: '',
    balance: fenToYuanInput(s.openingFen),
  });
  for (const r of s.rows) {
    row({ text: [r.date, r.typeLabel, r.orderNumber, r.product, r.description], amount: fenToYuanInput(r.amountFen), balance: fenToYuanInput(r.balanceFen) });
  }
  if (s.clawback) row({ text: [s.to, t('statement.clawback'), '', '', t('statement.clawbackHint', { amount: s.clawback })], amount: '', balance: '' });
  row({ text: [s.to, t('statement.type.closing'), '', '', ''], amount: '', balance: fenToYuanInput(s.closingFen) });
  return `\uFEFF${rows.join('\r\n')}\r\n`;
}

// ---------- PDF ----------

export interface CjkFont {
  path: string;
  /** The font's PostScript name inside a collection (.ttc). */
  family: string;
}

/** Debian's Noto CJK (fonts-noto-cjk), else WenQuanYi (fonts-wqy-microhei / fonts-wqy-zenhei). */
export const CJK_FONT_CANDIDATES: readonly CjkFont[] = [
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', family: 'WenQuanYiZenHei' },
];

const fontCache = new Map<string, Buffer>();

/** The first installed CJK font, read once; a 503 with a clear message when there is none. */
export function loadCjkFont(candidates: readonly CjkFont[] = CJK_FONT_CANDIDATES): { data: Buffer; family: string } {
  for (const font of candidates) {
    const cached = fontCache.get(font.path);
    if (cached) return { data: cached, family: font.family };
    if (!existsSync(font.path)) continue;
    const data = readFileSync(font.path);
    fontCache.set(font.path, data);
    return { data, family: font.family };
  }
  throw new AppError('unavailable', 'statement_font_missing');
}

/**
 * A pdfkit document writing with the CJK font, and the PDF's bytes once it is ended. pdfkit is
 * loaded on the first PDF, not at start-up.
 */
export async function cjkPdf(
  options: PDFKit.PDFDocumentOptions,
  font: { data: Buffer; family: string },
): Promise<{ doc: PDFKit.PDFDocument; done: Promise<Buffer> }> {
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument(options);
  doc.registerFont('cjk', font.data, font.family);
  doc.font('cjk');
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, done };
}

/**
 * The statement as an A4 PDF with an embedded (subset) CJK font, for printing and signing. `anchor`
 * is the ledger's head when it was made (count and hash), so a printed statement is also a
 * checkpoint of the chain that can be checked later.
 */
export async function statementPdf(
  s: PresentedStatement,
  t: Translator,
  font: { data: Buffer; family: string },
  anchor: string | null = null,
): Promise<Buffer> {
  const { doc, done } = await cjkPdf(
    {
      size: 'A4',
      margin: 48,
      bufferPages: true,
      info: { Title: `${t('statement.title')} ${s.household.realName} ${s.from}–${s.to}`, Author: t('site.name') },
    },
    font,
  );

  const left = doc.page.margins.left;
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  const bottom = () => doc.page.height - doc.page.margins.bottom;

  doc.fontSize(16).text(`${t('site.name')} · ${t('statement.title')}`, { align: 'center' });
  doc.moveDown(0.5);
  doc.fontSize(10);
  doc.text(t('statement.household', { name: s.household.realName }));
  doc.text(t('statement.village', { village: s.household.village }));
  doc.text(t('statement.period', { from: s.from, to: s.to }));
  doc.text(t('statement.generated', { when: s.generatedAt }));
  doc.moveDown(0.5);

  // Summary.
  const summary: [string, string][] = [
    [t('statement.opening'), s.opening],
    [t('statement.earnings'), s.earnings],
    [t('statement.refunds'), s.refunds],
    [t('statement.payouts'), s.payouts],
    ...(s.other ? ([[t('statement.other'), s.other]] as [string, string][]) : []),
    [t('statement.closing'), s.closing],
    ...(s.clawback ? ([[t('statement.clawback'), s.clawback]] as [string, string][]) : []),
  ];
  for (const [label, value] of summary) {
    const y = doc.y;
    doc.text(label, left, y, { width: 200 });
    doc.text(value, left + 200, y, { width: 120, align: 'right' });
  }
  doc
    .fontSize(8)
    .fillColor('#444')
    .text(t('statement.formula'), left, doc.y + 4, { width });
  if (s.clawback) doc.text(t('statement.clawbackHint', { amount: s.clawback }), left, doc.y + 2, { width });
  doc.fillColor('#000').moveDown(0.8);

  // Lines.
  const columns = [
    { key: 'date', label: t('statement.col.date'), width: 62, align: 'left' },
    { key: 'typeLabel', label: t('statement.col.type'), width: 52, align: 'left' },
    { key: 'orderNumber', label: t('statement.col.order'), width: 92, align: 'left' },
    { key: 'detail', label: `${t('statement.col.product')} / ${t('statement.col.description')}`, width: width - 62 - 52 - 92 - 70 - 70, align: 'left' },
    { key: 'amount', label: t('statement.col.amount'), width: 70, align: 'right' },
    { key: 'balance', label: t('statement.col.balance'), width: 70, align: 'right' },
  ] as const;
  doc.fontSize(8.5);
  const drawRow = (cells: Record<(typeof columns)[number]['key'], string>, header = false) => {
    const height = Math.max(...columns.map((c) => doc.heightOfString(cells[c.key] || ' ', { width: c.width - 4 }))) + 4;
    if (doc.y + height > bottom()) {
      doc.addPage();
      doc.font('cjk').fontSize(8.5);
    }
    const y = doc.y;
    let x = left;
    for (const c of columns) {
      doc.fillColor(header ? '#333' : '#000').text(cells[c.key] || '', x + 2, y + 2, { width: c.width - 4, align: c.align });
      x += c.width;
    }
    doc
      .moveTo(left, y + height)
      .lineTo(left + width, y + height)
      .lineWidth(header ? 0.8 : 0.3)
      .strokeColor('#888')
      .stroke();
    doc.x = left;
    doc.y = y + height;
  };
  drawRow(
    {
      date: t('statement.col.date'),
      typeLabel: t('statement.col.type'),
      orderNumber: t('statement.col.order'),
      detail: columns[3].label,
      amount: t('statement.col.amount'),
      balance: t('statement.col.balance'),
    },
    true,
  );
  drawRow({ date: s.from, typeLabel: t('statement.type.opening'), orderNumber: '', detail: '', amount: '', balance: fenToYuanInput(s.openingFen) });
  for (const r of s.rows) {
    drawRow({
      date: r.date,
      typeLabel: r.typeLabel,
      orderNumber: r.orderNumber,
      detail: r.product ? `${r.product} · ${r.description}` : r.description,
      amount: fenToYuanInput(r.amountFen),
      balance: fenToYuanInput(r.balanceFen),
    });
  }
  drawRow({ date: s.to, typeLabel: t('statement.type.closing'), orderNumber: '', detail: '', amount: '', balance: fenToYuanInput(s.closingFen) });

  doc.moveDown(1).fontSize(8).fillColor('#444').text(t('statement.private'), left, doc.y, { width });
  if (anchor) doc.moveDown(0.5).text(anchor, left, doc.y, { width });

  // Each page says whose statement it is and its number, so loose printed pages stay together.
  const pages = doc.bufferedPageRange();
  for (let i = pages.start; i < pages.start + pages.count; i++) {
    doc.switchToPage(i);
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing in the margin must not start a new page
    doc
      .fontSize(8)
      .fillColor('#444')
      .text(`${s.household.realName} · ${s.from}–${s.to} · ${t('statement.page', { page: i + 1 })}`, left, doc.page.height - 32, {
        width,
        align: 'center',
        lineBreak: false,
      });
    doc.page.margins.bottom = margin;
  }
  doc.end();
  return done;
}
