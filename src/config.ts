import { z } from 'zod';

/** The development session secret. Start-up refuses it when NODE_ENV=production. */
export const DEV_SESSION_SECRET = 'xiangyi-dev-session-secret-change-me-0123456789';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The shortest and longest backup interval: a minute, a week (a timer holds at most ~24.8 days). */
const MIN_BACKUP_EVERY_MS = 60_000;
const MAX_BACKUP_EVERY_MS = 7 * 86_400_000;

/** "30m", "6h", "1d" → milliseconds. */
const duration = z
  .string()
  .trim()
  .regex(/^[1-9][0-9]{0,4}[mhd]$/, 'must be a whole number of minutes, hours or days, such as 30m, 6h or 1d')
  .transform((v) => Number(v.slice(0, -1)) * UNIT_MS[v.slice(-1) as keyof typeof UNIT_MS])
  .pipe(z.number().min(MIN_BACKUP_EVERY_MS, 'must be at least 1m').max(MAX_BACKUP_EVERY_MS, 'must be at most 7d'));
const blankAsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
/** A whole number from the environment, within bounds. */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^[0-9]{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
      z
        .string()
        .regex(/^[0-9]{1,5}$/, 'must be a port number from 0 to 65535')
        .default('3000')
        .transform(Number)
        .pipe(z.number().int().min(0).max(65535, 'must be a port number from 0 to 65535')),
    ),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATABASE_PATH: z.string().min(1).default('./data/xiangyi.db'),
    /** postgres://user:password@host:5432/name: the shop runs on PostgreSQL, and DATABASE_PATH is ignored. */
    DATABASE_URL: z.preprocess(
      blankAsUnset,
      z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// (or postgresql://) URL; SQLite is chosen with DATABASE_PATH' }).optional(),
    ),
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_SESSION_SECRET),
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    /** Comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed; empty = none. */
    TRUST_PROXY: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[0-9a-fA-F.:]+(\/[0-9]{1,3})?$/, 'must be a comma-separated list of IP addresses or CIDR ranges'))),
    SEED_DEMO_DATA: z.enum(['auto', 'catalogue', 'never']).default('auto'),
    ORDER_EXPIRY_STRIPE_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
    ORDER_EXPIRY_OFFLINE_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(72),
    /** A bank-transfer order placed without signing in holds its stock this long (the cheapest hold to make). */
    ORDER_EXPIRY_OFFLINE_ANONYMOUS_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(24),
    /** An unpaid bank-transfer claim of a micro-wish is released after this long. */
    WISH_CLAIM_HOLD_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(12),
    /** A shipped order whose receipt the buyer has not confirmed is confirmed automatically this many days after its last parcel left (Taobao's 10). */
    RECEIPT_AUTO_CONFIRM_DAYS: z.coerce.number().int().min(1).max(90).default(10),
    /** A payout above this many yuan (whole yuan) waits for a second coordinator's approval before it posts. */
    PAYOUT_APPROVAL_THRESHOLD_YUAN: z.coerce.number().int().min(0).max(100_000_000).default(1000),
    BANK_ACCOUNT_NAME: z.string().min(1).max(100).default('乡益公益服务中心'),
    BANK_NAME: z.string().min(1).max(100).default('中国农业银行深圳福田支行'),
    BANK_ACCOUNT_NUMBER: z.string().min(1).max(40).default('6228 4800 1234 5678 901'),
    /** Bearer token for GET /metrics; unset: no metrics endpoint. */
    METRICS_TOKEN: z.preprocess(
      blankAsUnset,
      z
        .string()
        .min(16, 'must be at least 16 characters')
        .max(200)
        .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
        .optional(),
    ),
    /** smtp://user:pass@host:587 or smtps://…:465; unset: e-mail stays in the outbox (/admin/outbox). */
    SMTP_URL: z.preprocess(blankAsUnset, z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional()),
    /** The From of every e-mail, e.g. "乡益 Xiangyi <noreply@example.org>"; default noreply@ the PUBLIC_URL's host. */
    MAIL_FROM: z.preprocess(
      blankAsUnset,
      z
        .string()
        .max(200)
        .regex(/^[^\r\n]*@[^\r\n]*$/, 'must be an e-mail address, optionally with a name: Name <address>')
        .optional(),
    ),
    /** true: admins and coordinators must turn on TOTP two-factor sign-in (they are sent to enrolment until they do). */
    TWO_FACTOR_REQUIRED: z.preprocess(blankAsUnset, z.enum(['true', 'false'], { error: 'must be true or false' }).default('false')),
    /** The SMS provider's send endpoint (README "Text messages"); unset: text messages stay in the outbox. */
    SMS_API_URL: z.preprocess(blankAsUnset, z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional()),
    /** The provider's API key, sent as a bearer token. */
    SMS_API_KEY: z.preprocess(
      blankAsUnset,
      z
        .string()
        .min(8)
        .max(500)
        .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
        .optional(),
    ),
    /** The registered signature (签名) the provider puts before each text, e.g. 乡益. */
    SMS_SIGN_NAME: z.preprocess(blankAsUnset, z.string().min(2).max(12).optional()),
    BACKUP_DIR: z.preprocess(blankAsUnset, z.string().min(1).optional()),
    BACKUP_EVERY: z.preprocess(blankAsUnset, duration.optional()),
    BACKUP_KEEP: z.preprocess(
      blankAsUnset,
      z
        .string()
        .regex(/^[0-9]{1,4}$/, 'must be a whole number')
        .default('7')
        .transform(Number)
        .pipe(z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000')),
    ),
    CDN_MAX_AGE: z.preprocess(blankAsUnset, wholeNumber(0, 86_400).optional()),
    CDN_STALE_WHILE_REVALIDATE: z.preprocess(blankAsUnset, wholeNumber(0, 86_400).default(0)),
    PAGE_CACHE_MAX_MB: z.preprocess(blankAsUnset, wholeNumber(1, 4096).default(32)),
    PAGE_CACHE_MAX_ENTRIES: z.preprocess(blankAsUnset, wholeNumber(1, 1_000_000).default(5000)),
    PAGE_CACHE_COMPRESSION_QUEUE: z.preprocess(blankAsUnset, wholeNumber(0, 10_000).default(64)),
    PAGE_CACHE_BEST_MS_PER_S: z.preprocess(blankAsUnset, wholeNumber(0, 1000).default(50)),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.SESSION_SECRET === DEV_SESSION_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['SESSION_SECRET'],
        message: 'the development default is refused when NODE_ENV=production; set a random secret',
      });
    }
    const sms = [env.SMS_API_URL, env.SMS_API_KEY, env.SMS_SIGN_NAME];
    if (sms.some(Boolean) && !sms.every(Boolean)) {
      ctx.addIssue({
        code: 'custom',
        path: [!env.SMS_API_URL ? 'SMS_API_URL' : !env.SMS_API_KEY ? 'SMS_API_KEY' : 'SMS_SIGN_NAME'],
        message: 'SMS_API_URL, SMS_API_KEY and SMS_SIGN_NAME must be set together',
      });
    }
    if (Boolean(env.BACKUP_DIR) !== Boolean(env.BACKUP_EVERY)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.BACKUP_DIR ? 'BACKUP_EVERY' : 'BACKUP_DIR'],
        message: 'BACKUP_DIR and BACKUP_EVERY must be set together',
      });
    }
    if (env.BACKUP_DIR && env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['BACKUP_DIR'],
        message: 'scheduled backups copy the SQLite file; with DATABASE_URL, back PostgreSQL up with its own tools (pg_dump, replicas)',
      });
    }
    if (env.BACKUP_DIR && !env.DATABASE_URL && env.DATABASE_PATH === ':memory:') {
      ctx.addIssue({ code: 'custom', path: ['BACKUP_DIR'], message: 'an in-memory database (DATABASE_PATH=:memory:) cannot be backed up' });
    }
    if (Boolean(env.STRIPE_SECRET_KEY) !== Boolean(env.STRIPE_WEBHOOK_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.STRIPE_SECRET_KEY ? 'STRIPE_WEBHOOK_SECRET' : 'STRIPE_SECRET_KEY'],
        message: 'STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set together',
      });
    }
  });

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  readonly databasePath: string;
  /**
   * The engine: PostgreSQL at `url` when DATABASE_URL is set (it wins over DATABASE_PATH, which the
   * Docker image sets), else the SQLite file at databasePath.
   */
  readonly database: { readonly engine: 'sqlite'; readonly path: string } | { readonly engine: 'postgresql'; readonly url: string };
  readonly publicUrl: string;
  /** False when PUBLIC_URL was not set and publicUrl is the localhost default (see publicUrlWarning). */
  readonly publicUrlSet: boolean;
  /** True when PUBLIC_URL is https: cookies are then marked Secure. */
  readonly secureCookies: boolean;
  readonly sessionSecret: string;
  readonly stripe: { readonly secretKey: string; readonly webhookSecret: string } | null;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Proxies trusted for X-Forwarded-For; false when none (the connecting address is the client). */
  readonly trustProxy: string[] | false;
  /** Demo data is loaded into an empty database unless this is false (never in production). */
  readonly seedDemoData: boolean;
  /** With the demo catalogue, a few months of orders, payouts and closed months (SEED_DEMO_DATA=auto; not with =catalogue). */
  readonly seedDemoHistory: boolean;
  /**
   * How long an unpaid order holds its stock, ms: paid online, by bank transfer when signed in, by
   * bank transfer without signing in; and how long an unpaid bank-transfer wish claim holds the wish.
   */
  readonly orderExpiry: { readonly stripeMs: number; readonly offlineMs: number; readonly offlineAnonymousMs: number; readonly wishClaimMs: number };
  /** A payout above this (fen) waits for a second coordinator's approval; every reversal does. */
  readonly payoutApprovalThresholdFen: number;
  /** How long after its last parcel left a shipped order is confirmed received without the buyer, ms. */
  readonly receiptAutoConfirmMs: number;
  /** Where buyers send bank transfers (offline payment). */
  readonly bank: { readonly accountName: string; readonly bankName: string; readonly accountNumber: string };
  /** The bearer token that opens GET /metrics; null: the endpoint does not exist. */
  readonly metricsToken: string | null;
  /** Where e-mail leaves (null: it stays in the outbox) and who it is from. */
  readonly mail: { readonly smtpUrl: string | null; readonly from: string };
  /** Whether admins and coordinators must use two-factor sign-in (TWO_FACTOR_REQUIRED). */
  readonly twoFactorRequired: boolean;
  /** Text messages to Chinese mobile numbers through the HTTP provider, or null (off: they stay in the outbox). */
  readonly sms: { readonly url: string; readonly apiKey: string; readonly signName: string } | null;
  /** Verified online backups made by the server itself, or null when not configured. */
  readonly backups: { readonly dir: string; readonly everyMs: number; readonly keep: number } | null;
  /**
   * The rendered-page cache's bounds (bytes held, pages, compressions waiting), and how long a CDN may
   * keep an anonymous catalogue page (s-maxage, stale-while-revalidate, seconds), or null: no CDN.
   */
  readonly pageCache: {
    readonly maxBytes: number;
    readonly maxEntries: number;
    readonly maxQueued: number;
    readonly bestMsPerSecond: number;
    readonly cdn: { readonly maxAge: number; readonly staleWhileRevalidate: number } | null;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once. The only reader of process.env in the application. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`));
  }
  const e = result.data;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databasePath: e.DATABASE_PATH,
    database: Object.freeze(e.DATABASE_URL ? { engine: 'postgresql' as const, url: e.DATABASE_URL } : { engine: 'sqlite' as const, path: e.DATABASE_PATH }),
    publicUrl,
    publicUrlSet: e.PUBLIC_URL !== undefined,
    secureCookies: publicUrl.startsWith('https://'),
    sessionSecret: e.SESSION_SECRET,
    stripe: e.STRIPE_SECRET_KEY && e.STRIPE_WEBHOOK_SECRET ? Object.freeze({ secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET }) : null,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY.length ? e.TRUST_PROXY : false,
    seedDemoData: e.NODE_ENV !== 'production' && e.SEED_DEMO_DATA !== 'never',
    seedDemoHistory: e.NODE_ENV !== 'production' && e.SEED_DEMO_DATA === 'auto',
    orderExpiry: Object.freeze({
      stripeMs: e.ORDER_EXPIRY_STRIPE_MINUTES * 60_000,
      offlineMs: e.ORDER_EXPIRY_OFFLINE_HOURS * 3_600_000,
      offlineAnonymousMs: e.ORDER_EXPIRY_OFFLINE_ANONYMOUS_HOURS * 3_600_000,
      wishClaimMs: e.WISH_CLAIM_HOLD_HOURS * 3_600_000,
    }),
    payoutApprovalThresholdFen: e.PAYOUT_APPROVAL_THRESHOLD_YUAN * 100,
    receiptAutoConfirmMs: e.RECEIPT_AUTO_CONFIRM_DAYS * 86_400_000,
    bank: Object.freeze({ accountName: e.BANK_ACCOUNT_NAME, bankName: e.BANK_NAME, accountNumber: e.BANK_ACCOUNT_NUMBER }),
    metricsToken: e.METRICS_TOKEN ?? null,
    mail: Object.freeze({ smtpUrl: e.SMTP_URL ?? null, from: e.MAIL_FROM ?? `"乡益 Xiangyi" <noreply@${new URL(publicUrl).hostname}>` }),
    twoFactorRequired: e.TWO_FACTOR_REQUIRED === 'true',
    sms: e.SMS_API_URL && e.SMS_API_KEY && e.SMS_SIGN_NAME ? Object.freeze({ url: e.SMS_API_URL, apiKey: e.SMS_API_KEY, signName: e.SMS_SIGN_NAME }) : null,
    backups: e.BACKUP_DIR && e.BACKUP_EVERY ? Object.freeze({ dir: e.BACKUP_DIR, everyMs: e.BACKUP_EVERY, keep: e.BACKUP_KEEP }) : null,
    pageCache: Object.freeze({
      maxBytes: e.PAGE_CACHE_MAX_MB * 1024 * 1024,
      maxEntries: e.PAGE_CACHE_MAX_ENTRIES,
      maxQueued: e.PAGE_CACHE_COMPRESSION_QUEUE,
      bestMsPerSecond: e.PAGE_CACHE_BEST_MS_PER_S,
      cdn: e.CDN_MAX_AGE === undefined ? null : Object.freeze({ maxAge: e.CDN_MAX_AGE, staleWhileRevalidate: e.CDN_STALE_WHILE_REVALIDATE }),
    }),
  });
}

/**
 * What to tell the operator at start-up when PUBLIC_URL is not set: receipt links and their QR
 * codes then point at localhost, which a buyer's phone cannot open. Null when it is set.
 */
export function publicUrlWarning(config: Pick<Config, 'publicUrl' | 'publicUrlSet' | 'port'>): string | null {
  if (config.publicUrlSet) return null;
  return (
    `PUBLIC_URL is not set, so receipt links, QR codes and e-mails point at ${config.publicUrl}, which no other device can open. ` +
    `Set PUBLIC_URL to the address buyers use, e.g. PUBLIC_URL=https://shop.example.org (or http://<this machine's LAN address>:${config.port} to try it from a phone on the same network).`
  );
}
