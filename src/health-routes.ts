import type { FastifyInstance } from 'fastify';
import type { BackupStatus } from './backups/backup-schedule.js';
import type { PeriodicStatus } from './cluster/index.js';
import { sql } from 'drizzle-orm';
import type { Database_ } from './db/client.js';
import { one } from './db/unit-of-work.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The scheduled backups as /healthz reports them: file names only, never the server's paths. */
function presentBackup(s: Readonly<BackupStatus>) {
  return {
    status: s.running ? 'running' : s.ok === null ? 'not_yet' : s.ok ? 'ok' : 'failed',
    lastAttemptAt: iso(s.lastAt),
    problem: s.ok === false ? s.problem : null,
    lastGood: s.lastGood ? { at: iso(s.lastGood.at), file: s.lastGood.file } : null,
    nextAt: iso(s.nextAt),
  };
}

/**
 * GET /healthz: 200 when the database answers, 503 when it does not; says which engine answers
 * (sqlite or postgresql), and whether this server runs the cluster's periodic work (leader),
 * another one does (standby), or it has not started it (off). With BACKUP_DIR it also
 * reports the scheduled backups (a failed backup is reported, not made a 503: the server still
 * serves; alerts watch the backup fields or the metrics).
 */
export default async function healthRoutes(
  app: FastifyInstance,
  opts: { db: Database_; backup: (() => Readonly<BackupStatus>) | null; periodicWork: () => PeriodicStatus['role'] },
) {
  const { db } = opts;
  // How many migrations are applied: drizzle keeps them in __drizzle_migrations (on PostgreSQL in its own schema).
  const migrations = sql<{
    n: number;
  }>`SELECT count(*) AS n FROM ${sql.raw(db.engine === 'postgresql' ? 'drizzle.__drizzle_migrations' : '__drizzle_migrations')}`;
  app.get('/healthz', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      const row = await db.uow.read(() => one<{ n: number }>(migrations));
      return {
        status: 'ok',
        database: 'ok',
        engine: db.engine,
        migrations: row?.n ?? 0,
        // Which of several servers runs the periodic work (expiry, housekeeping, the outbox, backups).
        periodicWork: opts.periodicWork(),
        ...(opts.backup ? { backup: presentBackup(opts.backup()) } : {}),
      };
    } catch (error) {
      request.log.error({ err: error }, 'health check failed');
      return reply.code(503).send({ status: 'unavailable', database: 'error', engine: db.engine });
    }
  });
}
