import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgDatabase, type PgDatabase } from '../../src/db/pg-client.js';
import { all } from '../../src/db/unit-of-work.js';
import { createLedgerService, GENESIS_HASH, type Posting } from '../../src/ledger/ledger-service.js';
import { ledgerTransactions } from '../../src/ledger/schema.js';
import { ROOT_DIR } from '../../src/paths.js';
import { scratchDatabase } from './helpers.js';

/**
 * The ledger's posting unit (ledger-service postIn) on PostgreSQL, several at once on a pool: the
 * hash chain stays one chain (the head's successor is unique; the loser reruns on the new head),
 * and the same idempotency key posted concurrently posts once.
 */
describe('the ledger on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof scratchDatabase>>;
  let db: PgDatabase;

  beforeAll(async () => {
    database = await scratchDatabase();
    db = openPgDatabase(database.url, { maxConnections: 8 });
    await migrate(drizzle({ client: db.pool }), { migrationsFolder: join(ROOT_DIR, 'drizzle-pg') });
  });
  afterAll(async () => {
    await db.end();
    await database.drop();
  });

  const sale = (key: string, fen: number): Posting => ({
    idempotencyKey: key,
    kind: 'test_sale',
    entries: [
      { account: { kind: 'clearing', channel: 'bank' }, amountFen: fen },
      { account: { kind: 'operations' }, amountFen: -fen },
    ],
  });

  it('keeps one hash chain when postings race, and posts a key raced from two servers once', async () => {
    const ledger = createLedgerService(db, { clock: () => Date.now() });
    const keys = Array.from({ length: 8 }, (_, i) => `race-${i}`);
    const results = await Promise.all([
      ...keys.map((key, i) => db.uow.write((tx) => ledger.postIn(tx, sale(key, 100 + i)))),
      // The same event delivered twice at once (a webhook to two servers).
      db.uow.write((tx) => ledger.postIn(tx, sale('race-0', 100))),
    ]);
    expect(results.filter((r) => r.created)).toHaveLength(keys.length);
    const chain = await db.uow.read((tx) => all(tx.select().from(ledgerTransactions).orderBy(asc(ledgerTransactions.id))));
    expect(chain.map((t) => t.idempotencyKey).sort()).toEqual([...keys].sort());
    let prev = GENESIS_HASH;
    for (const t of chain) {
      expect(t.prevHash).toBe(prev);
      prev = t.hash;
    }
    expect(await ledger.balance({ kind: 'clearing', channel: 'bank' })).toBe(keys.reduce((sum, _k, i) => sum + 100 + i, 0));
  });
});
