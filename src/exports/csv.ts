/**
 * CSV for spreadsheet programs (Excel, WPS): UTF-8 with a BOM so the Chinese reads, CRLF lines, and
 * every text cell a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
 * return) made inert with a leading apostrophe. A plain number, negative ones included, stays a number.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole CSV document: the header row, then the rows. */
export function csvDocument(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return `\uFEFF${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
