import type { FastifyInstance } from 'fastify';
import type { Database_ } from './db/client.js';

/** GET /healthz: 200 when the database answers, 503 when it does not. */
export default async function healthRoutes(app: FastifyInstance, opts: { db: Database_ }) {
  const ping = opts.db.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations');
  app.get('/healthz', async (_request, reply) => {
    try {
      const row = ping.get() as { n: number };
      reply.header('cache-control', 'no-store');
      return { status: 'ok', database: 'ok', migrations: row.n };
    } catch (error) {
      _request.log.error({ err: error }, 'health check failed');
      return reply.code(503).send({ status: 'unavailable', database: 'error' });
    }
  });
}
