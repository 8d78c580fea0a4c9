import type { Statement } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { optimizeDatabase, type Database_ } from '../../src/db/client.js';
import { anonymous, signIn } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { householdIdOf } from '../helpers/staff.js';
import { freshDatabase, testConfig } from '../helpers/test-app.js';

/**
 * Every query the shop runs while people use it reaches the tables that grow with the business
 * (orders, their lines, payments, the ledger, sessions, carts, the audit log) through an index:
 * EXPLAIN QUERY PLAN of each statement, with the parameters it really ran with, shows no full scan
 * of them. The queries are recorded from a day's use of the shop — browsing, search, cart, checkout,
 * payment, the coordinator's statements and reconciliation — so a new query is checked without
 * being listed here.
 */

/** Tables whose size grows with orders and time. */
const GROWING = [
  'orders',
  'order_lines',
  'payments',
  'refunds',
  'ledger_entries',
  'ledger_transactions',
  'sessions',
  'carts',
  'cart_items',
  'audit_log',
  'payouts',
  'stock_adjustments',
];

/** Full scans that are the point of the query, with why. */
const MEANT_TO_SCAN: { sql: RegExp; table: string; why: string }[] = [
  {
    // written out or built by drizzle (quoted names, the limit a parameter)
    sql: /from "?ledger_transactions"? order by ("?ledger_transactions"?\.)?"?id"? desc limit (1|\?)$/i,
    table: 'ledger_transactions',
    why: 'the head of the hash chain: the scan in id order stops at the first row',
  },
];

interface Recorded {
  sql: string;
  args: unknown[];
}

let db: Database_;
let app: App;
let dispose: () => void;
const recorded = new Map<string, Recorded>();
let recording = true;

/** Records each statement's SQL with the first parameters it ran with. */
function recordQueries(target: Database_): void {
  const sqlite = target.sqlite;
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((sql: string) => {
    const stmt = prepare(sql) as Statement<unknown[]>;
    for (const method of ['all', 'get', 'iterate', 'run'] as const) {
      const original = stmt[method].bind(stmt) as (...args: unknown[]) => unknown;
      (stmt as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        if (recording && !recorded.has(sql)) recorded.set(sql, { sql, args });
        return original(...args);
      };
    }
    return stmt;
  }) as typeof sqlite.prepare;
}

beforeAll(async () => {
  const fresh = freshDatabase();
  db = fresh.db;
  dispose = fresh.dispose;
  recordQueries(db);
  app = await buildApp(testConfig({}, fresh.path), { db, logger: false });

  // A day of the shop.
  const visitor = anonymous(app);
  for (const url of [
    '/',
    '/products',
    '/products?q=蜂蜜',
    '/products?q=茶',
    '/products?category=tea&sort=price_asc&page=1',
    '/products/meiyaogou-honey',
    '/villages/gulou',
    '/projects/shen-he-xiezuo',
    '/impact',
    '/api/v1/products',
    '/api/v1/products/tuyao-tea',
    '/wishes',
    '/outlets',
  ]) {
    expect((await visitor.get(url)).statusCode, url).toBe(200);
  }
  const paid = await placePaidOrder({ app, db }, [
    { slug: 'meiyaogou-honey', quantity: 2 },
    { slug: 'tuyao-tea', quantity: 1 },
  ]);
  const buyer = await signIn(app, 'buyer@xiangyi.test');
  await buyer.post(
    '/cart/items',
    { productId: String(db.sqlite.prepare(`SELECT id FROM products WHERE slug = 'gulou-shiitake'`).pluck().get()), quantity: '1' },
    { csrfFrom: '/products/gulou-shiitake' },
  );
  for (const url of ['/cart', '/checkout', '/account/orders']) expect((await buyer.get(url)).statusCode, url).toBe(200);
  const coordinator = await signIn(app, 'coordinator@xiangyi.test');
  const wang = await householdIdOf(db, '王秀兰');
  const month = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
  for (const url of [
    '/coordinator',
    `/coordinator/orders/${paid.number}`,
    `/coordinator/households/${wang}`,
    `/coordinator/households/${wang}/statement`,
    `/coordinator/households/${wang}/statement?from=2020-01-01&to=2030-12-31&page=2`,
    `/coordinator/households/${wang}/statement.csv`,
    `/coordinator/reconciliation?period=${month}`,
  ]) {
    expect((await coordinator.get(url)).statusCode, url).toBe(200);
  }
  const secretary = await signIn(app, 'secretary.meiyaogou@xiangyi.test');
  for (const url of ['/secretary', '/secretary/orders', '/secretary/products']) expect((await secretary.get(url)).statusCode, url).toBe(200);
  recording = false;
});

afterAll(async () => {
  await app?.close();
  dispose?.();
});

/** Partial indexes (CREATE INDEX … WHERE): scanning one reads only the rows it holds, not the table. */
const partialIndexes = () =>
  new Set(db.sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'`).pluck().all() as string[]);

/** The growing tables a statement reads from start to end (not through an index), as planned without statistics. */
function fullScans(r: Recorded): string[] {
  const partial = partialIndexes();
  let plan: { detail: string }[];
  try {
    plan = db.sqlite.prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...r.args) as { detail: string }[];
  } catch {
    return [];
  }
  return plan
    .map((row) => /^SCAN (\w+)(?: AS \w+)?(.*)$/.exec(row.detail))
    .filter(
      (m): m is RegExpExecArray =>
        m !== null &&
        GROWING.includes(m[1]!) &&
        !/USING (COVERING )?INDEX .*\(/.test(m[2] ?? '') &&
        !partial.has(/USING (?:COVERING )?INDEX (\w+)$/.exec(m[2] ?? '')?.[1] ?? ''),
    )
    .map((m) => m[1]!);
}

describe('query plans', () => {
  it('records the statements of a day of the shop', () => {
    expect(recorded.size).toBeGreaterThan(80);
    const selects = [...recorded.values()].filter((r) => /^\s*SELECT/i.test(r.sql));
    expect(selects.some((r) => /ledger_entries/.test(r.sql))).toBe(true);
    expect(selects.some((r) => /FROM orders/.test(r.sql))).toBe(true);
  });

  // Runs before the planner has statistics (the next test gathers them): these are the plans a
  // fresh database gets, and on a tiny one statistics would rightly prefer scans.
  it('reads the growing tables through an index in every statement it ran', () => {
    const scans: string[] = [];
    for (const r of recorded.values()) {
      if (!/^\s*(SELECT|UPDATE|DELETE|WITH)/i.test(r.sql)) continue;
      for (const table of fullScans(r)) {
        if (MEANT_TO_SCAN.some((m) => m.table === table && m.sql.test(r.sql))) continue;
        scans.push(`${table}: ${r.sql.replace(/\s+/g, ' ').slice(0, 220)}`);
      }
    }
    expect(scans).toEqual([]);
  });

  it('sums a household’s statement from the covering indexes alone once the planner has its statistics (as at start-up)', () => {
    optimizeDatabase(db);
    const statementQueries = [...recorded.values()].filter((r) => /GROUP BY t\.kind/.test(r.sql) && /a\.household_id = \?/.test(r.sql));
    expect(statementQueries.length).toBeGreaterThan(0);
    for (const r of statementQueries) {
      const plan = (db.sqlite.prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...r.args) as { detail: string }[]).map((p) => p.detail).join(' | ');
      expect(plan).toContain('USING COVERING INDEX ledger_entries_account_amount_idx');
      expect(plan).toContain('USING COVERING INDEX ledger_transactions_posting_idx');
    }
  });

  it('numbers an order from its day’s counter row, not from the day’s orders', () => {
    const counter = [...recorded.values()].find((r) => /UPDATE "?order_day_counters"?/i.test(r.sql));
    expect(counter).toBeDefined();
    const plan = (db.sqlite.prepare(`EXPLAIN QUERY PLAN ${counter!.sql}`).all(...counter!.args) as { detail: string }[]).map((p) => p.detail).join(' | ');
    expect(plan).toMatch(/SEARCH order_day_counters USING INDEX sqlite_autoindex_order_day_counters_1 \(prefix=\?\)/);
  });
});
