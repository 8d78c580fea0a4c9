import { openDatabase } from '../src/db/client.js';
import { createReconciliationQueries } from '../src/coordinator/reconciliation-queries.js';
import { createReconciliationService } from '../src/coordinator/reconciliation-service.js';
const db = openDatabase('/tmp/bench2/bench.db');
const svc = createReconciliationService(createReconciliationQueries(db), { clock: () => Date.now(), audit: { record() {} } as any });
const q = createReconciliationQueries(db) as any;
const from = Date.parse('2026-11-01T00:00:00+08:00'), to = Date.parse('2026-12-01T00:00:00+08:00');
for (const [name, fn] of Object.entries({
  report: () => svc.report('2026-11'),
  refunds: () => q.refundMatches('2026-11', from, to),
  fees: () => q.otherFeePostings('2026-11', from, to),
  orders: () => q.paidOrdersWithoutPayment(from, to),
  movements: () => q.clearingMovements('2026-11'),
})) {
  for (let i = 0; i < 2; i++) {
    const c = process.cpuUsage(); const t = performance.now();
    const r = fn();
    const u = process.cpuUsage(c);
    console.log(name, 'wall', (performance.now() - t).toFixed(0), 'cpu', ((u.user + u.system) / 1000).toFixed(0), Array.isArray(r) ? r.length : (r as any).mismatches?.length);
  }
}
