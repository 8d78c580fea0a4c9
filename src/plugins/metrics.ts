import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackupStatus } from '../backups/backup-schedule.js';
import type { GroupCommitStats } from '../db/group-commit.js';
import { routeOf } from './request-log.js';

/** What the metrics read when they are scraped: shop-wide totals from the database, the write path's timings. */
export interface MetricsSources {
  /** Orders placed and paid, ledger transactions posted: totals from the database (the same on every server). */
  totals(): Promise<{ ordersPlaced: number; ordersPaid: number; ledgerPostings: number }>;
  /** The embedded engine's group commit; null on an engine without one (PostgreSQL). */
  groupCommit(): Readonly<GroupCommitStats> | null;
  backup(): Readonly<BackupStatus> | null;
  /** E-mail written to the outbox and not yet delivered (or given up on). */
  outbox(): Promise<{ pending: number; failed: number; oldestPendingAt: number | null }>;
}

/**
 * A counter whose value is a running total read at scrape time (from the database, awaited: the
 * scrape waits for every collect). A total read as null (nothing to count on this engine) stays 0.
 */
function totalCounter(registry: Registry, name: string, help: string, read: () => number | null | Promise<number | null>) {
  return new Counter({
    name,
    help,
    registers: [registry],
    async collect() {
      const value = await read();
      this.reset();
      if (value !== null && value > 0) this.inc(value);
    },
  });
}

/**
 * Prometheus metrics of one app instance (its own registry, so test apps never share series).
 * Request durations are observed here; page-cache lookups are reported by the page cache through
 * `pageCacheLookup`; everything else is read when /metrics is scraped.
 */
export function createMetrics(sources: MetricsSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requestDuration = new Histogram({
    name: 'xiangyi_http_request_duration_seconds',
    help: 'Time from request to response, by method, route (as registered) and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const pageCacheLookups = new Counter({
    name: 'xiangyi_page_cache_lookups_total',
    help: 'Anonymous catalogue requests answered from the page cache (result="hit") or rendered (result="miss")',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const hits = pageCacheLookups.labels('hit');
  const misses = pageCacheLookups.labels('miss');
  totalCounter(
    registry,
    'xiangyi_orders_placed_total',
    'Orders placed (all channels), read from the database',
    async () => (await sources.totals()).ordersPlaced,
  );
  totalCounter(
    registry,
    'xiangyi_orders_paid_total',
    'Orders that have been paid (including those refunded since), read from the database',
    async () => (await sources.totals()).ordersPaid,
  );
  totalCounter(
    registry,
    'xiangyi_ledger_postings_total',
    'Ledger transactions posted (payments, refunds, payouts), read from the database',
    async () => (await sources.totals()).ledgerPostings,
  );
  totalCounter(
    registry,
    'xiangyi_db_group_commit_seconds_total',
    'Time the event loop spent running and committing group-committed write transactions',
    () => sources.groupCommit()?.seconds ?? null,
  );
  totalCounter(
    registry,
    'xiangyi_db_group_commit_batches_total',
    'Group commits (shared transactions, one fsync each)',
    () => sources.groupCommit()?.batches ?? null,
  );
  totalCounter(
    registry,
    'xiangyi_db_group_commit_transactions_total',
    'Write transactions run inside group commits',
    () => sources.groupCommit()?.transactions ?? null,
  );
  new Gauge({
    name: 'xiangyi_backup_last_success_timestamp_seconds',
    help: 'When the newest verified backup in BACKUP_DIR was taken (0: none yet); absent without BACKUP_DIR',
    registers: [registry],
    collect() {
      const status = sources.backup();
      if (status) this.set(status.lastGood ? status.lastGood.at / 1000 : 0);
    },
  });
  new Gauge({
    name: 'xiangyi_backup_last_ok',
    help: '1 when the last scheduled backup passed verification, 0 when it failed; absent before the first one',
    registers: [registry],
    collect() {
      const status = sources.backup();
      if (status && status.ok !== null) this.set(status.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'xiangyi_outbox_backlog',
    help: 'E-mail in the outbox by state: pending (not yet delivered; all of it without SMTP_URL) and failed (given up after the last retry)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const backlog = await sources.outbox();
      this.set({ state: 'pending' }, backlog.pending);
      this.set({ state: 'failed' }, backlog.failed);
    },
  });
  new Gauge({
    name: 'xiangyi_outbox_oldest_pending_timestamp_seconds',
    help: 'When the oldest undelivered e-mail was written (absent when none waits)',
    registers: [registry],
    async collect() {
      this.reset();
      const { oldestPendingAt: oldest } = await sources.outbox();
      if (oldest !== null) this.set(oldest / 1000);
    },
  });

  return {
    registry,
    observeRequest(request: FastifyRequest, reply: FastifyReply): void {
      requestDuration.observe({ method: request.method, route: routeOf(request), status_code: reply.statusCode }, reply.elapsedTime / 1000);
    },
    /** Called by the page cache for each anonymous lookup of a cacheable page. */
    pageCacheLookup(hit: boolean): void {
      (hit ? hits : misses).inc();
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * GET /metrics in Prometheus's text format, for a scraper that sends `Authorization: Bearer
 * <METRICS_TOKEN>`; anyone else gets 401. Without METRICS_TOKEN the app registers no metrics at all.
 */
export default fp(
  async function metricsPlugin(app: FastifyInstance, opts: { metrics: Metrics; token: string }) {
    const expected = digest(`Bearer ${opts.token}`);
    app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      opts.metrics.observeRequest(request, reply);
      done();
    });
    app.get('/metrics', async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const given = request.headers.authorization;
      // Compared as digests of equal length, in constant time.
      if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').type('text/plain; charset=utf-8').send('A bearer token is required.\n');
      }
      return reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
    });
  },
  { name: 'metrics' },
);
