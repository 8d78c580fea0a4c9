import { describe, expect, it } from 'vitest';
import { currencyExponent, foreignMinorToFen, formatMinorUnits } from '../../src/money.js';
import { feeOfBalanceTransaction } from '../../src/payments/stripe-webhooks.js';

/**
 * A Stripe fee charged in the currency the charity's account settles in (HKD, USD …) is posted
 * in fen: the fee divided by the balance transaction's exchange_rate (CNY → that currency), read as
 * the exact decimal Stripe wrote and rounded once to the nearest fen, a half fen away from zero.
 */

/** The same quotient worked out by hand in exact decimal arithmetic: minor × 100 × 10^d ÷ (10^exp × rate × 10^d). */
function byHand(minor: number, exponent: number, rate: string): number {
  const [whole, frac = ''] = rate.split('.');
  const scaledRate = BigInt(whole! + frac);
  const numerator = BigInt(minor) * 100n * 10n ** BigInt(frac.length);
  const denominator = 10n ** BigInt(exponent) * scaledRate;
  const quotient = numerator / denominator;
  const twiceRemainder = 2n * (numerator % denominator);
  return Number(twiceRemainder >= denominator ? quotient + 1n : quotient);
}

describe('a fee charged in another currency, in fen', () => {
  it('divides by the exchange rate and rounds to the nearest fen', () => {
    // HKD 10.45 at 1.0875 HKD per yuan is ¥9.6091… → ¥9.61.
    expect(foreignMinorToFen(1045, 'hkd', '1.0875')).toBe(961);
    // USD 0.33 at 0.1392 USD per yuan is ¥2.3707… → ¥2.37.
    expect(foreignMinorToFen(33, 'usd', '0.1392')).toBe(237);
    // JPY has no minor unit: ¥100 JPY at 21.05 yen per yuan is ¥4.7505… → ¥4.75.
    expect(foreignMinorToFen(100, 'jpy', '21.05')).toBe(475);
    // KWD has three decimals: 1.000 KWD at 0.0431 per yuan is ¥23.2018… → ¥23.20.
    expect(foreignMinorToFen(1000, 'kwd', '0.0431')).toBe(2320);
    expect(foreignMinorToFen(0, 'hkd', '1.0875')).toBe(0);
  });

  it('rounds a half fen up, and reads the rate as the decimal it is written as', () => {
    // HKD 0.03 at 2 per yuan is exactly ¥0.015: half a fen, rounded up.
    expect(foreignMinorToFen(3, 'hkd', '2')).toBe(2);
    expect(foreignMinorToFen(1, 'hkd', '2')).toBe(1);
    expect(foreignMinorToFen(-3, 'hkd', '2')).toBe(-2);
    // 0.1 + 0.2 is not 0.3 in binary; the rate 0.3 is: USD 0.03 at 0.3 is exactly ¥0.10.
    expect(foreignMinorToFen(3, 'usd', '0.3')).toBe(10);
    expect(foreignMinorToFen(3, 'usd', String(0.3))).toBe(10);
    // Exponent notation, as JavaScript prints very small or large numbers.
    expect(foreignMinorToFen(5, 'usd', '2.5e-1')).toBe(20);
    expect(foreignMinorToFen(500, 'hkd', '1e+2')).toBe(5);
  });

  it('agrees with exact decimal arithmetic for many fees and rates', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
    for (let i = 0; i < 2_000; i++) {
      const minor = next() % 1_000_000;
      const rate = `${next() % 30}.${String(next() % 1_000_000).padStart(6, '0')}`;
      if (/^0\.0+$/.test(rate)) continue;
      for (const currency of ['hkd', 'jpy', 'bhd'])
        expect(foreignMinorToFen(minor, currency, rate), `${minor} ${currency} @ ${rate}`).toBe(byHand(minor, currencyExponent(currency), rate));
    }
  });

  it('refuses a rate that is not a positive decimal', () => {
    for (const rate of ['0', '0.0', '-1.2', 'abc', '', 'NaN', 'Infinity', '1.2.3', '1e400']) expect(foreignMinorToFen(100, 'hkd', rate), rate).toBeNull();
  });

  it('writes the fee as charged with its currency', () => {
    expect(formatMinorUnits(1045, 'hkd')).toBe('HKD 10.45');
    expect(formatMinorUnits(5, 'usd')).toBe('USD 0.05');
    expect(formatMinorUnits(100, 'jpy')).toBe('JPY 100');
    expect(formatMinorUnits(1234, 'kwd')).toBe('KWD 1.234');
  });
});

describe('the fee of a balance transaction', () => {
  it('is the fee itself in CNY, and converted with what was charged kept otherwise', () => {
    expect(feeOfBalanceTransaction({ currency: 'cny', fee: 412, exchange_rate: null })).toEqual({ feeFen: 412, settlement: null });
    expect(feeOfBalanceTransaction({ currency: 'hkd', fee: 1045, exchange_rate: 1.0875 })).toEqual({
      feeFen: 961,
      settlement: { currency: 'hkd', feeMinor: 1045, exchangeRate: '1.0875' },
    });
    expect(feeOfBalanceTransaction({ currency: 'USD', fee: 33, exchange_rate: 0.1392 })).toEqual({
      feeFen: 237,
      settlement: { currency: 'usd', feeMinor: 33, exchangeRate: '0.1392' },
    });
  });

  it('posts nothing and keeps what was charged when Stripe gives no exchange rate', () => {
    expect(feeOfBalanceTransaction({ currency: 'hkd', fee: 1045, exchange_rate: null })).toEqual({
      feeFen: 0,
      settlement: { currency: 'hkd', feeMinor: 1045, exchangeRate: null },
    });
  });
});
