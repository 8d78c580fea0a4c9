import { describe, expect, it } from 'vitest';
import { delayAfter, LOGIN_THROTTLE, type ThrottleRule } from '../../src/accounts/sign-in-throttle.js';

/**
 * The figures README states under "Sign-in throttling", worked out from the rules: an attacker who
 * guesses each time the throttles let them, for four days. (The HTTP tests in login-throttling.test.ts
 * show the rules at work; this keeps the stated figures true when a rule changes.)
 */
const DAY = 24 * 3600_000;

function guessesPerDay(rules: readonly ThrottleRule[], days: number): number[] {
  const failures: number[] = [];
  const perDay = new Array<number>(days).fill(0);
  let now = 0;
  while (now < days * DAY) {
    const recent = failures.filter((at) => at > now - LOGIN_THROTTLE.windowMs);
    const last = recent.at(-1);
    const wait = last === undefined ? 0 : Math.max(...rules.map((rule) => last + delayAfter(recent.length, rule) - now));
    if (wait > 0) {
      now += wait;
      continue;
    }
    failures.push(now);
    perDay[Math.floor(now / DAY)]! += 1;
    now += 1;
  }
  return perDay;
}

describe('what the sign-in throttle lets an attacker guess', () => {
  it('gives at most 48 guesses per account on the first day and about 26 a day after, however many addresses guess', () => {
    expect(guessesPerDay([LOGIN_THROTTLE.account], 4)).toEqual([48, 26, 25, 25]);
  });

  it('gives one address 33 guesses per account on the first day and 24 a day after', () => {
    expect(guessesPerDay([LOGIN_THROTTLE.pair, LOGIN_THROTTLE.account, LOGIN_THROTTLE.address], 4)).toEqual([33, 24, 24, 24]);
  });

  it('gives one address 78 guesses over all accounts on the first day and about 56 a day after', () => {
    expect(guessesPerDay([LOGIN_THROTTLE.address], 4)).toEqual([78, 56, 55, 56]);
  });

  it('never asks anyone to wait more than an hour', () => {
    for (const rule of [LOGIN_THROTTLE.pair, LOGIN_THROTTLE.account, LOGIN_THROTTLE.address]) {
      expect(Math.max(...Array.from({ length: 200 }, (_, n) => delayAfter(n, rule)))).toBe(3600_000);
    }
  });
});
