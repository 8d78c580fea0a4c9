/**
 * Money is integer fen everywhere. These are the only functions that turn fen into text and
 * typed yuan into fen, and the one place proceeds are split. No floating point touches money.
 */

/** ¥1,234.50 (negative: -¥1,234.50). */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new TypeError(`fen must be a safe integer, got ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const cents = abs % 100;
  const yuan = (abs - cents) / 100;
  const grouped = String(yuan).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${grouped}.${String(cents).padStart(2, '0')}`;
}

/** 1234.5 → "1234.50": the value typed back into a form field. */
export function fenToYuanInput(fen: number): string {
  const cents = Math.abs(fen) % 100;
  const yuan = (Math.abs(fen) - cents) / 100;
  return `${fen < 0 ? '-' : ''}${yuan}.${String(cents).padStart(2, '0')}`;
}

const YUAN_RE = /^(\d{1,9})(?:\.(\d{1,2}))?$/;

/**
 * Parses a yuan amount typed by a person ("12", "12.5", "1,234.50", "¥8") into fen.
 * Returns null for anything else: negatives, more than two decimals, exponents, empty text.
 */
export function parseYuanToFen(input: string): number | null {
  const text = input.trim().replace(/^[¥￥]\s*/, '').replace(/,(?=\d{3}(\D|$))/g, '');
  const m = YUAN_RE.exec(text);
  if (!m) return null;
  const yuan = Number(m[1]);
  const cents = Number((m[2] ?? '0').padEnd(2, '0'));
  return yuan * 100 + cents;
}

/**
 * Splits `total` fen into parts proportional to `weights` with largest-remainder rounding:
 * parts are non-negative integers that always sum to exactly `total`.
 * Ties in remainders go to the earlier weight, so the result is deterministic.
 */
export function splitLargestRemainder(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`total must be a non-negative integer, got ${total}`);
  if (weights.length === 0) throw new RangeError('at least one weight is needed');
  if (weights.some((w) => !Number.isSafeInteger(w) || w < 0)) throw new RangeError('weights must be non-negative integers');
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) throw new RangeError('weights must not all be zero');
  // BigInt keeps total * weight exact even for large totals.
  const bigTotal = BigInt(total);
  const bigSum = BigInt(sum);
  const floors = weights.map((w) => (bigTotal * BigInt(w)) / bigSum);
  const remainders = weights.map((w, i) => ({ i, r: (bigTotal * BigInt(w)) % bigSum }));
  let left = total - floors.reduce((a, b) => a + Number(b), 0);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  const parts = floors.map(Number);
  for (const { i } of remainders) {
    if (left === 0) break;
    parts[i]! += 1;
    left -= 1;
  }
  return parts;
}
