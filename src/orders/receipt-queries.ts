import type { Database_ } from '../db/client.js';
import { statementCache } from '../db/statements.js';

/** The SQL of benefit receipts: finding an order by its public receipt code. */
export function createReceiptQueries(db: Database_) {
  const q = statementCache(db.sqlite);
  return {
    orderIdByReceiptCode: (code: string) => (q(`SELECT id FROM orders WHERE receipt_code = ?`).get(code) as { id: number } | undefined)?.id,
  };
}

export type ReceiptQueries = ReturnType<typeof createReceiptQueries>;
