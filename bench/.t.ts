import { openDatabase } from '../src/db/client.js';
import { createReconciliationQueries } from '../src/coordinator/reconciliation-queries.js';
const db = openDatabase('/tmp/bench2/bench.db');
const q = createReconciliationQueries(db);
for (let i = 0; i < 3; i++) {
  let t = performance.now(); let c = process.cpuUsage(); let n = 0;
  for (const r of q.paymentMatches('2026-11', Date.parse('2026-11-01T00:00:00+08:00'), Date.parse('2026-12-01T00:00:00+08:00'))) n++;
  const u = process.cpuUsage(c);
  console.log('payments', n, 'wall', (performance.now() - t).toFixed(0), 'cpu', ((u.user + u.system) / 1000).toFixed(0));
}
