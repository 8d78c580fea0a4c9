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
  const text = input
    .trim()
    .replace(/^[¥￥]\s*/, '')
    .replace(/,(?=\d{3}(\D|$))/g, '');
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

/** Currencies whose minor unit is not the hundredth (as Stripe counts them); every other has two decimals. */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Digits after the decimal point of a currency's minor unit: 'hkd' → 2, 'jpy' → 0, 'kwd' → 3. */
export function currencyExponent(currency: string): number {
  const c = currency.toLowerCase();
  return ZERO_DECIMAL.has(c) ? 0 : THREE_DECIMAL.has(c) ? 3 : 2;
}

/** 1045, 'hkd' → "10.45"; 100, 'jpy' → "100": an amount in another currency's minor units, as a decimal. */
export function minorUnitsToDecimal(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new TypeError(`minor units must be a safe integer, got ${minor}`);
  const exp = currencyExponent(currency);
  const abs = String(Math.abs(minor)).padStart(exp + 1, '0');
  const text = exp === 0 ? abs : `${abs.slice(0, -exp)}.${abs.slice(-exp)}`;
  return `${minor < 0 ? '-' : ''}${text}`;
}

/** 1045, 'hkd' → "HKD 10.45". */
export function formatMinorUnits(minor: number, currency: string): string {
  return `${currency.toUpperCase()} ${minorUnitsToDecimal(minor, currency)}`;
}

const RATE_RE = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d{1,2}))?$/i;

/** A positive decimal written as text ("1.087234", "2.5e-7") as an exact fraction; null if it is not one. */
function exactFraction(text: string): { num: bigint; den: bigint } | null {
  const m = RATE_RE.exec(text.trim());
  if (!m) return null;
  const decimals = m[2] ?? '';
  const exp = Number(m[3] ?? 0) - decimals.length;
  const digits = BigInt(m[1]! + decimals);
  if (digits === 0n) return null;
  return exp >= 0 ? { num: digits * 10n ** BigInt(exp), den: 1n } : { num: digits, den: 10n ** BigInt(-exp) };
}

/**
 * An amount Stripe charged in another currency, in fen: `minor` units of `currency` divided by
 * `rate`, Stripe's balance-transaction exchange_rate from CNY to that currency (1 CNY = rate units
 * of it, so CNY = amount ÷ rate). Exact: the rate is taken as the decimal Stripe wrote (its
 * shortest text, never binary floating point) and the quotient is rounded once, to the nearest fen,
 * a half fen away from zero (四舍五入). Null when the rate is not a positive decimal.
 */
export function foreignMinorToFen(minor: number, currency: string, rate: string): number | null {
  if (!Number.isSafeInteger(minor)) throw new TypeError(`minor units must be a safe integer, got ${minor}`);
  const r = exactFraction(rate);
  if (!r) return null;
  // fen = minor / 10^exp / (num / den) × 100
  const numerator = BigInt(Math.abs(minor)) * 100n * r.den;
  const denominator = 10n ** BigInt(currencyExponent(currency)) * r.num;
  const fen = Number((2n * numerator + denominator) / (2n * denominator));
  return minor < 0 ? -fen : fen;
}
