/**
 * Calendar arithmetic in China Standard Time (UTC+8, no daylight saving), the time zone of every
 * village, buyer receipt and accounting period in the shop.
 */
const CST_OFFSET_MS = 8 * 3600_000;

/** YYYY-MM of an instant in China Standard Time (the accounting period). */
export function periodOf(ms: number): string {
  return new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 7);
}

/** First instant of the CST month containing `ms`, and of the month after it. */
export function monthBounds(ms: number): { from: number; to: number } {
  const d = new Date(ms + CST_OFFSET_MS);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - CST_OFFSET_MS;
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - CST_OFFSET_MS;
  return { from, to };
}

/** Midnight CST at the start of an ISO date (YYYY-MM-DD); null when the date is not real. */
export function startOfDay(isoDate: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate)) return null;
  const ms = Date.parse(`${isoDate}T00:00:00+08:00`);
  if (Number.isNaN(ms) || new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 10) !== isoDate) return null;
  return ms;
}

/** YYYY-MM-DD HH:mm in CST. */
export function formatDateTime(ms: number): string {
  return new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** YYYY-MM-DD in CST. */
export function formatDate(ms: number): string {
  return new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * A chosen period of whole CST days, `from` and `to` inclusive (YYYY-MM-DD), by default the month
 * of `now`; null when a date is not real or the period runs backwards. `toMs` is exclusive.
 */
export function dayPeriod(
  query: { from?: string | undefined; to?: string | undefined },
  now: number,
): { from: string; to: string; fromMs: number; toMs: number } | null {
  const month = monthBounds(now);
  const from = query.from?.trim() || formatDate(month.from);
  const to = query.to?.trim() || formatDate(month.to - 1);
  const fromMs = startOfDay(from);
  const toStart = startOfDay(to);
  if (fromMs === null || toStart === null || toStart < fromMs) return null;
  return { from, to, fromMs, toMs: toStart + 24 * 3600_000 };
}

/** The calendar year (CST) of an instant. */
export function yearOf(ms: number): number {
  return new Date(ms + CST_OFFSET_MS).getUTCFullYear();
}
