import { openDatabase } from '../src/db/client.js';
const db = openDatabase('/tmp/bench2/bench.db');
const variants: Record<string, string> = {
  t: `SELECT t.id, t.hash, t.period FROM ledger_transactions t WHERE t.period = '2026-11' AND t.kind = 'order_payment'`,
  tp: `SELECT t.id, t.hash, t.period, p.id, p.channel, p.amount_fen, p.fee_fen, p.reference, p.stripe_charge_id, p.confirmed_at FROM ledger_transactions t LEFT JOIN payments p ON p.order_id = t.order_id AND p.status = 'succeeded' WHERE t.period = '2026-11' AND t.kind = 'order_payment'`,
  tpo: `SELECT t.id, t.hash, t.period, p.id, p.channel, p.amount_fen, p.fee_fen, p.reference, p.stripe_charge_id, p.confirmed_at, o.number, o.status, o.total_fen, o.paid_at FROM ledger_transactions t LEFT JOIN payments p ON p.order_id = t.order_id AND p.status = 'succeeded' LEFT JOIN orders o ON o.id = t.order_id WHERE t.period = '2026-11' AND t.kind = 'order_payment'`,
  tpof: `SELECT t.id, t.hash, t.period, p.id, p.channel, p.amount_fen, p.fee_fen, p.reference, p.stripe_charge_id, p.confirmed_at, o.number, o.status, o.total_fen, o.paid_at, ft.id, ft.period FROM ledger_transactions t LEFT JOIN payments p ON p.order_id = t.order_id AND p.status = 'succeeded' LEFT JOIN orders o ON o.id = t.order_id LEFT JOIN ledger_transactions ft ON ft.idempotency_key = 'stripe-fee:' || p.stripe_charge_id WHERE t.period = '2026-11' AND t.kind = 'order_payment'`,
  tsum: `SELECT t.id, (SELECT coalesce(sum(e.amount_fen), 0) FROM ledger_entries e WHERE e.account_id = 1 AND e.transaction_id = t.id) FROM ledger_transactions t WHERE t.period = '2026-11' AND t.kind = 'order_payment'`,
  count: `SELECT count(*) FROM ledger_transactions t WHERE t.period = '2026-11' AND t.kind = 'order_payment'`,
};
for (const [name, sql] of Object.entries(variants)) {
  const st = db.sqlite.prepare(sql);
  for (let i = 0; i < 2; i++) {
    const c = process.cpuUsage(); let n = 0;
    if (name === 'count') { st.get(); } else for (const _ of st.iterate()) n++;
    const u = process.cpuUsage(c);
    console.log(name, n, ((u.user + u.system) / 1000).toFixed(0));
  }
}
const st = db.sqlite.prepare(variants.tpof!).raw(true);
const c = process.cpuUsage(); let n = 0; for (const _ of st.iterate()) n++; const u = process.cpuUsage(c); console.log('raw tpof', n, ((u.user + u.system) / 1000).toFixed(0));
