import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_SESSION_SECRET, loadConfig, publicUrlWarning } from '../src/config.js';
import { formatFen, parseYuanToFen, splitLargestRemainder } from '../src/money.js';

/** Runs loadConfig and returns the ConfigError it throws (failing the test if it does not). */
function configError(env: Record<string, string | undefined>): ConfigError {
  let thrown: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `loadConfig(${JSON.stringify(env)}) should refuse this environment`).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

const GOOD_SECRET = 'a-long-random-production-secret-0123456789abcdef';

describe('loadConfig', () => {
  it('starts a development shop on port 3000 with demo data when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      host: '0.0.0.0',
      databasePath: './data/xiangyi.db',
      publicUrl: 'http://localhost:3000',
      secureCookies: false,
      sessionSecret: DEV_SESSION_SECRET,
      stripe: null,
      logLevel: 'info',
      seedDemoData: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('warns at start-up, saying what to set, when PUBLIC_URL is not set (receipt links and QR codes would say localhost)', () => {
    const warning = publicUrlWarning(loadConfig({ PORT: '8080' }));
    expect(warning).toContain('PUBLIC_URL is not set');
    expect(warning).toContain('http://localhost:8080');
    expect(warning).toContain('PUBLIC_URL=https://');
    expect(warning).toContain(':8080');
    expect(publicUrlWarning(loadConfig({ PUBLIC_URL: 'https://shop.example.org' }))).toBeNull();
  });

  it('reads only the environment it is given, not process.env', () => {
    expect(loadConfig({ PORT: '4321' }).port).toBe(4321);
    expect(loadConfig({ PORT: '4321' }).publicUrl).toBe('http://localhost:4321');
  });

  it.each(['abc', '70000', '-1', '80.5'])('refuses PORT=%s with a message that names PORT', (port) => {
    const error = configError({ PORT: port });
    expect(error.message).toContain('PORT');
    expect(error.problems.some((p) => p.startsWith('PORT'))).toBe(true);
  });

  it('does not turn an empty PORT into port 0 (a random port): it is refused or means the default', () => {
    let port: number | undefined;
    try {
      port = loadConfig({ PORT: '' }).port;
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('PORT');
      return;
    }
    expect(port).toBe(3000);
  });

  it('refuses the development session secret in production, naming SESSION_SECRET', () => {
    const error = configError({ NODE_ENV: 'production' });
    expect(error.message).toContain('SESSION_SECRET');
    expect(configError({ NODE_ENV: 'production', SESSION_SECRET: DEV_SESSION_SECRET }).message).toContain('SESSION_SECRET');
  });

  it('refuses a session secret shorter than 32 characters', () => {
    expect(configError({ SESSION_SECRET: 'short' }).message).toContain('SESSION_SECRET');
  });

  it('runs production with a real secret, and then never seeds demo data', () => {
    const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: GOOD_SECRET });
    expect(config.env).toBe('production');
    expect(config.sessionSecret).toBe(GOOD_SECRET);
    expect(config.seedDemoData).toBe(false);
    expect(loadConfig({ SEED_DEMO_DATA: 'never' }).seedDemoData).toBe(false);
  });

  it('seeds the demo catalogue with its months of history by default, the catalogue alone when asked', () => {
    expect(loadConfig({})).toMatchObject({ seedDemoData: true, seedDemoHistory: true });
    expect(loadConfig({ SEED_DEMO_DATA: 'catalogue' })).toMatchObject({ seedDemoData: true, seedDemoHistory: false });
    expect(loadConfig({ SEED_DEMO_DATA: 'never' })).toMatchObject({ seedDemoData: false, seedDemoHistory: false });
    expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: GOOD_SECRET })).toMatchObject({ seedDemoData: false, seedDemoHistory: false });
    expect(configError({ SEED_DEMO_DATA: 'always' }).message).toContain('SEED_DEMO_DATA');
  });

  it('refuses half a Stripe set-up: one STRIPE_ variable without the other', () => {
    expect(configError({ STRIPE_SECRET_KEY: 'sk_test_123' }).message).toContain('STRIPE_WEBHOOK_SECRET');
    expect(configError({ STRIPE_WEBHOOK_SECRET: 'whsec_123' }).message).toContain('STRIPE_SECRET_KEY');
  });

  it('turns Stripe on when both keys are set', () => {
    const config = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_WEBHOOK_SECRET: 'whsec_123' });
    expect(config.stripe).toEqual({ secretKey: 'sk_test_123', webhookSecret: 'whsec_123' });
  });

  it('marks cookies Secure when the public URL is https, and drops its trailing slash', () => {
    const https = loadConfig({ PUBLIC_URL: 'https://xiangyi.example.org/' });
    expect(https.secureCookies).toBe(true);
    expect(https.publicUrl).toBe('https://xiangyi.example.org');
    expect(loadConfig({ PUBLIC_URL: 'http://shop.local:8080' }).secureCookies).toBe(false);
  });

  it('refuses a public URL that is not http(s), and an unknown NODE_ENV or LOG_LEVEL', () => {
    expect(configError({ PUBLIC_URL: 'ftp://xiangyi.example.org' }).message).toContain('PUBLIC_URL');
    expect(configError({ PUBLIC_URL: 'not a url' }).message).toContain('PUBLIC_URL');
    expect(configError({ NODE_ENV: 'staging' }).message).toContain('NODE_ENV');
    expect(configError({ LOG_LEVEL: 'loud' }).message).toContain('LOG_LEVEL');
  });

  it('lists every problem at once', () => {
    const error = configError({ PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain('PORT');
    expect(error.message).toContain('LOG_LEVEL');
  });

  it('runs on the SQLite file unless DATABASE_URL names a PostgreSQL server, which wins over DATABASE_PATH', () => {
    expect(loadConfig({}).database).toEqual({ engine: 'sqlite', path: './data/xiangyi.db' });
    expect(loadConfig({ DATABASE_PATH: '/data/shop.db', DATABASE_URL: '' }).database).toEqual({ engine: 'sqlite', path: '/data/shop.db' });
    const url = 'postgres://shop:secret@db.internal:5432/xiangyi';
    expect(loadConfig({ DATABASE_PATH: '/data/shop.db', DATABASE_URL: url }).database).toEqual({ engine: 'postgresql', url });
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/xiangyi' }).database.engine).toBe('postgresql');
  });

  it('refuses a DATABASE_URL that is not PostgreSQL, and scheduled file backups on PostgreSQL', () => {
    expect(configError({ DATABASE_URL: 'mysql://db/xiangyi' }).problems.some((p) => p.startsWith('DATABASE_URL') && p.includes('postgres://'))).toBe(true);
    expect(configError({ DATABASE_URL: 'postgres://db/x', BACKUP_DIR: '/b', BACKUP_EVERY: '6h' }).problems.some((p) => p.startsWith('BACKUP_DIR'))).toBe(true);
  });

  it('has no metrics endpoint and no scheduled backups unless they are configured', () => {
    expect(loadConfig({})).toMatchObject({ metricsToken: null, backups: null });
  });

  it('reads the metrics token and refuses one too short to be secret, naming METRICS_TOKEN', () => {
    expect(loadConfig({ METRICS_TOKEN: 'a-long-enough-token-0123' }).metricsToken).toBe('a-long-enough-token-0123');
    expect(configError({ METRICS_TOKEN: 'short' }).message).toContain('METRICS_TOKEN');
  });

  it.each([
    ['30m', 30 * 60_000],
    ['6h', 6 * 3_600_000],
    ['1d', 86_400_000],
  ])('schedules backups every BACKUP_EVERY=%s, keeping 7 unless BACKUP_KEEP says otherwise', (every, ms) => {
    expect(loadConfig({ BACKUP_DIR: '/var/backups/xiangyi', BACKUP_EVERY: every }).backups).toEqual({ dir: '/var/backups/xiangyi', everyMs: ms, keep: 7 });
    expect(loadConfig({ BACKUP_DIR: '/b', BACKUP_EVERY: every, BACKUP_KEEP: '30' }).backups?.keep).toBe(30);
  });

  it.each([
    [{ BACKUP_DIR: '/b' }, 'BACKUP_EVERY'],
    [{ BACKUP_EVERY: '6h' }, 'BACKUP_DIR'],
    [{ BACKUP_DIR: '/b', BACKUP_EVERY: '6 hours' }, 'BACKUP_EVERY'],
    [{ BACKUP_DIR: '/b', BACKUP_EVERY: '30s' }, 'BACKUP_EVERY'],
    [{ BACKUP_DIR: '/b', BACKUP_EVERY: '8d' }, 'BACKUP_EVERY'],
    [{ BACKUP_DIR: '/b', BACKUP_EVERY: '6h', BACKUP_KEEP: '0' }, 'BACKUP_KEEP'],
    [{ BACKUP_DIR: '/b', BACKUP_EVERY: '6h', DATABASE_PATH: ':memory:' }, 'BACKUP_DIR'],
  ])('refuses the backup settings %j, naming %s', (env, name) => {
    expect(configError(env).problems.some((p) => p.startsWith(name))).toBe(true);
  });
});

describe('formatFen', () => {
  it('writes yuan with a ¥ sign, thousands separators and two decimals', () => {
    expect(formatFen(123450)).toBe('¥1,234.50');
    expect(formatFen(56000)).toBe('¥560.00');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(100_000_000)).toBe('¥1,000,000.00');
  });

  it('writes zero as ¥0.00 and a negative amount with a leading minus', () => {
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(-123450)).toBe('-¥1,234.50');
    expect(formatFen(-1)).toBe('-¥0.01');
  });

  it('refuses fractions of a fen', () => {
    expect(() => formatFen(1.5)).toThrow(TypeError);
    expect(() => formatFen(Number.NaN)).toThrow(TypeError);
  });
});

describe('parseYuanToFen', () => {
  it.each([
    ['12', 1200],
    ['12.5', 1250],
    ['12.05', 1205],
    ['1,234.50', 123450],
    ['¥8', 800],
    ['￥8', 800],
    [' 0.01 ', 1],
    ['0', 0],
  ])('reads "%s" as %i fen', (input, expected) => {
    expect(parseYuanToFen(input)).toBe(expected);
  });

  it.each(['-1', '1.234', '1e3', '', '   ', 'abc', '12.', '.5', '1,23', '12 34', 'NaN', 'Infinity'])('refuses "%s"', (input) => {
    expect(parseYuanToFen(input)).toBeNull();
  });
});

describe('splitLargestRemainder', () => {
  it('splits 100 fen three ways as 34/33/33, the spare fen going to the earliest share', () => {
    expect(splitLargestRemainder(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(splitLargestRemainder(1, [1, 1])).toEqual([1, 0]);
  });

  it('follows a project split rule in basis points exactly when it divides evenly', () => {
    expect(splitLargestRemainder(10000, [9000, 700, 300])).toEqual([9000, 700, 300]);
    expect(splitLargestRemainder(56000, [8500, 1000, 500])).toEqual([47600, 5600, 2800]);
  });

  it('gives nothing to a zero weight', () => {
    expect(splitLargestRemainder(999, [0, 1, 0])).toEqual([0, 999, 0]);
  });

  it('always returns non-negative whole parts that sum to the total, each within one fen of its exact share', () => {
    for (let run = 0; run < 2000; run += 1) {
      const total = Math.floor(Math.random() * (run % 10 === 0 ? 1e12 : 100_000));
      const count = 1 + Math.floor(Math.random() * 7);
      const weights = Array.from({ length: count }, () => Math.floor(Math.random() * 10_001));
      if (!weights.some((w) => w > 0)) weights[0] = 1;
      const parts = splitLargestRemainder(total, weights);
      const sum = weights.reduce((a, b) => a + b, 0);
      const label = `total ${total}, weights ${weights.join('/')}: ${parts.join('/')}`;
      expect(parts, label).toHaveLength(count);
      expect(
        parts.reduce((a, b) => a + b, 0),
        label,
      ).toBe(total);
      parts.forEach((part, i) => {
        expect(Number.isSafeInteger(part), label).toBe(true);
        expect(part, label).toBeGreaterThanOrEqual(0);
        const exact = (BigInt(total) * BigInt(weights[i]!)) / BigInt(sum);
        expect(BigInt(part) - exact, label).toBeGreaterThanOrEqual(0n);
        expect(BigInt(part) - exact, label).toBeLessThanOrEqual(1n);
      });
    }
  });

  it('refuses a negative total, no weights, negative weights and all-zero weights', () => {
    expect(() => splitLargestRemainder(-1, [1])).toThrow(RangeError);
    expect(() => splitLargestRemainder(100, [])).toThrow(RangeError);
    expect(() => splitLargestRemainder(100, [1, -1])).toThrow(RangeError);
    expect(() => splitLargestRemainder(100, [0, 0])).toThrow(RangeError);
  });
});
