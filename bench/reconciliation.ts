/**
 * Reconciliation at scale: a month of 200,000 paid orders (three in four by bank transfer, one in
 * four through Stripe with its fee posted), a refund in fifty, and the month before just as busy.
 * Times the report and the CSV through the real routes. Target: each within ~2 s.
 *
 *   npx tsx bench/reconciliation.ts [orders=200000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../src/accounts/password.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrateDatabase, openDatabase } from '../src/db/client.js';
import { periodOf } from '../src/time.js';

const ORDERS = Number(process.argv[2] ?? 200_000);
const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'xiangyi-bench-'));
const path = join(dir, 'bench.db');
const db = openDatabase(path);
migrateDatabase(db);
const sqlite = db.sqlite;

const now = Date.now();
const period = periodOf(now);
const DAY = 86_400_000;

function fill(monthStart: number, count: number, firstId: number): void {
  const insertOrder = sqlite.prepare(
    `INSERT INTO orders (id, number, access_token_hash, receipt_code, contact_name, phone, province, city, district, address, status, payment_method,
       subtotal_fen, shipping_fen, total_fen, refunded_fen, expires_at, paid_at, created_at, updated_at)
     VALUES (?, ?, 'x', ?, '林晓', '13800138000', '广东省', '深圳市', '福田区', '深南大道 1 号', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertPayment = sqlite.prepare(
    `INSERT INTO payments (order_id, channel, status, amount_fen, fee_fen, reference, stripe_charge_id, confirmed_at, created_at) VALUES (?, ?, 'succeeded', ?, ?, ?, ?, ?, ?)`,
  );
  const insertRefund = sqlite.prepare(
    `INSERT INTO refunds (id, order_id, amount_fen, reason, status, created_at, settled_at) VALUES (?, ?, ?, 'bench', 'succeeded', ?, ?)`,
  );
  const insertTx = sqlite.prepare(
    `INSERT INTO ledger_transactions (id, idempotency_key, kind, order_id, memo, period, posted_at, prev_hash, hash) VALUES (?, ?, ?, ?, '', ?, ?, 'p', ?)`,
  );
  const insertEntry = sqlite.prepare(`INSERT INTO ledger_entries (transaction_id, account_id, amount_fen) VALUES (?, ?, ?)`);
  const account = (code: string, kind: string, channel: string | null) => {
    sqlite.prepare(`INSERT OR IGNORE INTO ledger_accounts (code, kind, channel, created_at) VALUES (?, ?, ?, ?)`).run(code, kind, channel, now);
    return (sqlite.prepare(`SELECT id FROM ledger_accounts WHERE code = ?`).get(code) as { id: number }).id;
  };
  const bank = account('clearing:bank', 'clearing', 'bank');
  const stripe = account('clearing:stripe', 'clearing', 'stripe');
  const fees = account('fees:stripe', 'processor_fees', 'stripe');
  const ops = account('operations', 'operations', null);
  const shipping = account('shipping', 'shipping', null);
  let txId = (sqlite.prepare(`SELECT coalesce(max(id), 0) AS n FROM ledger_transactions`).get() as { n: number }).n;
  let refundId = (sqlite.prepare(`SELECT coalesce(max(id), 0) AS n FROM refunds`).get() as { n: number }).n;
  const p = periodOf(monthStart);
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = firstId + i;
      const at = monthStart + Math.floor((i / count) * 27 * DAY);
      const online = i % 4 === 3;
      const subtotal = 3000 + (i % 50) * 100;
      const ship = i % 3 === 0 ? 800 : 0;
      const total = subtotal + ship;
      const refunded = i % 50 === 7 ? 1000 : 0;
      insertOrder.run(
        id,
        `XY-B-${id}`,
        `R${String(id).padStart(9, '0')}`,
        refunded ? 'partially_refunded' : 'paid',
        online ? 'stripe' : 'offline',
        subtotal,
        ship,
        total,
        refunded,
        at + 3 * DAY,
        at,
        at - 3600_000,
        at,
      );
      const fee = online ? Math.round(total * 0.034) + 180 : 0;
      insertPayment.run(id, online ? 'stripe' : 'bank', total, fee, online ? null : `BANK-${id}`, online ? `ch_${id}` : null, at, at);
      txId++;
      insertTx.run(txId, `order-paid:${id}`, 'order_payment', id, p, at, `h${txId}`);
      insertEntry.run(txId, online ? stripe : bank, total);
      insertEntry.run(txId, ops, -Math.floor(subtotal / 2));
      insertEntry.run(txId, ops, -(subtotal - Math.floor(subtotal / 2)));
      if (ship) insertEntry.run(txId, shipping, -ship);
      if (online) {
        txId++;
        insertTx.run(txId, `stripe-fee:ch_${id}`, 'processor_fee', id, p, at, `h${txId}`);
        insertEntry.run(txId, fees, fee);
        insertEntry.run(txId, stripe, -fee);
      }
      if (refunded) {
        refundId++;
        insertRefund.run(refundId, id, refunded, at + DAY, at + DAY);
        txId++;
        insertTx.run(txId, `refund:${refundId}`, 'refund', id, p, at + DAY, `h${txId}`);
        insertEntry.run(txId, ops, refunded);
        insertEntry.run(txId, online ? stripe : bank, -refunded);
      }
    }
  })();
}

const monthStart = Date.parse(`${period}-01T00:00:00+08:00`);
const previousStart = Date.parse(`${periodOf(monthStart - DAY)}-01T00:00:00+08:00`);
let t = performance.now();
fill(previousStart, ORDERS, 1);
fill(monthStart, ORDERS, ORDERS + 1);
sqlite.pragma('wal_checkpoint(TRUNCATE)');
sqlite.exec('ANALYZE');
console.log(`filled ${2 * ORDERS} orders in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const hash = await hashPassword('bench-password-123');
sqlite
  .prepare(
    `INSERT INTO users (email, password_hash, display_name, role, all_projects, created_at, updated_at, password_changed_at) VALUES (?, ?, '协调员', 'coordinator', 1, ?, ?, ?)`,
  )
  .run('bench@xiangyi.test', hash, now, now, now);

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_PATH: path, SEED_DEMO_DATA: 'never' });
const app = await buildApp(config, { db, logger: false });
const login = await app.inject({ method: 'GET', url: '/login' });
const csrf = /name="_csrf" value="([^"]*)"/
  .exec(login.body)![1]!
  .replace(/&#x3D;/g, '=')
  .replace(/&#x2F;/g, '/');
const cookies = Object.fromEntries(login.cookies.map((c) => [c.name, c.value]));
const signed = await app.inject({
  method: 'POST',
  url: '/login',
  cookies,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams({ email: 'bench@xiangyi.test', password: 'bench-password-123', _csrf: csrf }).toString(),
});
for (const c of signed.cookies) cookies[c.name] = c.value;

for (const url of [
  `/coordinator/reconciliation?period=${period}`,
  `/coordinator/reconciliation.csv?period=${period}`,
  `/coordinator/reconciliation?period=${period}`,
]) {
  t = performance.now();
  const cpu = process.cpuUsage();
  const res = await app.inject({ method: 'GET', url, cookies });
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const mismatches = /对不上的项目（(\d+)）/.exec(res.body)?.[1];
  console.log(
    `${url}: ${res.statusCode}, ${(res.rawPayload.length / 1e6).toFixed(1)} MB, ${ms.toFixed(0)} ms (CPU ${((used.user + used.system) / 1000).toFixed(0)} ms)${mismatches ? `, ${mismatches} mismatches` : ''}`,
  );
}
await app.close();
db.close();
if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
