import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { openDatabase } from '../../src/db/client.js';
import { checkLedgerNow } from '../helpers/ledger.js';
import { REPO_ROOT } from '../helpers/child-server.js';
import { httpBrowser, loopbackAgents, type HttpBrowser } from '../helpers/http-browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { testConfig } from '../helpers/test-app.js';
import { scale, SEED, seededRandom } from './scale.js';

/**
 * `npm run backup -- <target>` while the shop is busy: buyers keep placing orders and the coordinator
 * keeps confirming bank transfers on a live server using the same database file. Each copy opens,
 * passes integrity_check and `scripts/ledger-check.ts`, agrees with itself (stock and orders), and a
 * server started on it serves every order that was committed before its backup began.
 */

const { orders: ORDERS, backups: BACKUPS } = scale.backup;
const IN_FLIGHT = 8;
const random = seededRandom(SEED);

let server: LiveServer;
let agent: Agent;
/** Buyers arrive from many loopback addresses (holds on stock are limited per address). */
let buyerAgents: ReturnType<typeof loopbackAgents>;
let dir: string;

beforeAll(async () => {
  server = await startLiveServer();
  agent = new Agent({ connections: IN_FLIGHT * 2 });
  buyerAgents = loopbackAgents(200);
  dir = mkdtempSync(join(tmpdir(), 'xiangyi-backup-'));
});
afterAll(async () => {
  await agent?.close();
  await buyerAgents?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs a script of the project as `npm run backup -- <target>` does (`npx tsx <script>`), with DATABASE_PATH set. */
function runScript(script: string, args: string[], databasePath: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'tsx', script, ...args], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        TMPDIR: process.env.TMPDIR ?? '/tmp',
        DATABASE_PATH: databasePath,
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

interface Placed {
  number: string;
  token: string;
  /** performance.now() when the 303 arrived: the order was committed by then. */
  committedAt: number;
}

describe(`backups while orders are being placed (${scale.name} scale: ${ORDERS} orders, ${BACKUPS} backup(s))`, () => {
  it(
    'makes copies that open, pass integrity and ledger checks, and serve every order committed before the backup',
    async () => {
      const db = server.db.sqlite;
      const dbPath = db.name;
      const products = db.prepare(`SELECT id FROM products WHERE published = 1 AND min_order_qty = 1 AND stock >= 10`).pluck().all() as number[];
      db.prepare(`UPDATE products SET stock = stock + ? WHERE published = 1`).run(ORDERS * 2);
      const initialStock = new Map((db.prepare(`SELECT id, stock FROM products`).all() as { id: number; stock: number }[]).map((p) => [p.id, p.stock]));

      const coordinator = httpBrowser(server.url, agent);
      expect((await coordinator.post('/login', { email: 'coordinator@xiangyi.test', password: 'xiangyi-demo' }, '/login')).status).toBe(303);
      const coordinatorToken = await coordinator.token('/coordinator');

      // The shop at work: IN_FLIGHT buyers at a time add to their cart and check out; every other order is marked paid.
      // It keeps going until every backup is done (and at least ORDERS orders are placed), so each copy is taken under writes.
      const placed: Placed[] = [];
      let started = 0;
      let backupsDone = false;
      const buyerLoop = async () => {
        while (started < ORDERS || !backupsDone) {
          const i = started++;
          // Each buyer a different person: their own address and phone number.
          const buyer: HttpBrowser = httpBrowser(server.url, buyerAgents.of(i));
          const product = products[Math.floor(random() * products.length)]!;
          expect((await buyer.post('/cart/items', { productId: String(product), quantity: '1' }, '/login')).status).toBe(303);
          const contact = {
            name: `备份${i}`,
            phone: `138${String(i).padStart(8, '0')}`,
            province: '广东省',
            city: '深圳市',
            district: '福田区',
            address: '深南大道 1 号',
            paymentMethod: 'offline',
          };
          const answer = await buyer.post('/checkout', contact, '/checkout');
          expect(answer.status).toBe(303);
          const [, number, token] = /^\/orders\/(XY-[0-9-]+)\?token=(.+)$/.exec(answer.location ?? '') ?? [];
          placed.push({ number: number!, token: decodeURIComponent(token!), committedAt: performance.now() });
          if (i % 2 === 0)
            expect((await coordinator.postWith(`/coordinator/orders/${number}/mark-paid`, { reference: `BK-${i}` }, coordinatorToken)).status).toBe(303);
        }
      };
      const shop = Promise.all(Array.from({ length: IN_FLIGHT }, buyerLoop));

      // Backups start at moments spread over the stream of orders.
      const backups: { target: string; startedAt: number; endedAt: number; code: number | null; output: string; ms: number }[] = [];
      for (let b = 0; b < BACKUPS; b++) {
        while (placed.length < Math.floor(((b + 1) * ORDERS) / (BACKUPS + 2))) await new Promise((r) => setTimeout(r, 5));
        const target = join(dir, `copy-${b}.db`);
        const startedAt = performance.now();
        const { code, output } = await runScript('scripts/backup.ts', [target], dbPath);
        const endedAt = performance.now();
        backups.push({ target, startedAt, endedAt, code, output, ms: Math.round(endedAt - startedAt) });
      }
      backupsDone = true;
      await shop;

      for (const [b, backup] of backups.entries()) {
        expect(backup.code, `backup ${b}: ${backup.output}`).toBe(0);
        expect(backup.output).toMatch(/^backup ok: /m);
        const check = await runScript('scripts/ledger-check.ts', [backup.target], dbPath);
        expect(check.code, `ledger-check of backup ${b}: ${check.output}`).toBe(0);

        const before = placed.filter((p) => p.committedAt < backup.startedAt);
        const during = placed.filter((p) => p.committedAt >= backup.startedAt && p.committedAt <= backup.endedAt).length;
        expect(during, `backup ${b}: orders committed while it ran`).toBeGreaterThan(0);
        const copy = openDatabase(backup.target);
        let inCopy: Set<string>;
        try {
          expect(copy.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
          expect(checkLedgerNow(copy).problems).toEqual([]);
          inCopy = new Set(copy.sqlite.prepare(`SELECT number FROM orders`).pluck().all() as string[]);
          expect(
            before.filter((p) => !inCopy.has(p.number)).map((p) => p.number),
            `backup ${b}: orders committed before it began but missing`,
          ).toEqual([]);
          // The copy is a moment of the shop: stock and orders agree in it.
          const held = new Map(
            (
              copy.sqlite
                .prepare(
                  `SELECT l.product_id AS id, sum(l.quantity) AS n FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.status <> 'cancelled' GROUP BY l.product_id`,
                )
                .all() as { id: number; n: number }[]
            ).map((r) => [r.id, r.n]),
          );
          for (const p of copy.sqlite.prepare(`SELECT id, stock FROM products`).all() as { id: number; stock: number }[]) {
            expect(p.stock + (held.get(p.id) ?? 0), `backup ${b}: product ${p.id}'s stock and orders`).toBe(initialStock.get(p.id));
          }
          expect(copy.sqlite.prepare(`SELECT count(*) FROM orders WHERE paid_at IS NOT NULL`).pluck().get()).toBe(
            copy.sqlite.prepare(`SELECT count(*) FROM ledger_transactions WHERE kind = 'order_payment'`).pluck().get(),
          );
        } finally {
          copy.close();
        }

        // Restoring: a server started on the copy shows each of those orders to its buyer.
        const restoredDb = openDatabase(backup.target);
        const restored = await buildApp(testConfig({}, backup.target), { db: restoredDb, logger: false });
        try {
          await restored.listen({ port: 0, host: '127.0.0.1' });
          const address = restored.server.address();
          const url = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : '';
          const visitor = httpBrowser(url, agent);
          for (const p of before) {
            const page = await visitor.get(`/orders/${p.number}?token=${encodeURIComponent(p.token)}`);
            expect(page.status, `order ${p.number} from backup ${b}`).toBe(200);
            expect(page.body).toContain(p.number);
          }
          expect((await visitor.get('/healthz')).status).toBe(200);
        } finally {
          await restored.close();
          restoredDb.close();
        }
        console.info(
          `[backup] copy ${b}: ${backup.ms} ms while the shop was busy; ${inCopy.size} orders in it, ${before.length} committed before it began (all served after restoring), ${during} committed while it ran`,
        );
      }
      console.info(`[backup] ${placed.length} orders placed during ${BACKUPS} backup(s); seed ${SEED}`);
    },
    scale.timeoutMs,
  );
});
