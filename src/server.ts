import { ConfigError, loadConfig, publicUrlWarning } from './config.js';

/** The only place that listens. Loads config, opens and migrates the database, seeds demo data, serves. */
async function main(): Promise<void> {
  const startedAt = process.hrtime.bigint();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  // The application is loaded only once the configuration is known to be good, so a bad one is
  // reported at once rather than after every module has been read.
  const [{ buildApp }, { migrateDatabase, openDatabase, optimizeDatabase }, { demoLoginLines }] = await Promise.all([
    import('./app.js'),
    import('./db/client.js'),
    import('./demo/demo-accounts.js'),
  ]);
  let db: import('./db/client.js').Database_;
  if (config.database.engine === 'postgresql') {
    // PostgreSQL (DATABASE_URL): created if missing and migrated; several servers take turns.
    const { migratePgDatabase, openPgDatabase } = await import('./db/pg-client.js');
    const pgDb = openPgDatabase(config.database.url);
    await migratePgDatabase(pgDb, config.database.url);
    db = pgDb;
  } else {
    db = openDatabase(config.databasePath);
    migrateDatabase(db);
    optimizeDatabase(db);
    // The data keeps growing: the planner's statistics are refreshed every few hours too.
    setInterval(() => optimizeDatabase(db), 6 * 3600_000).unref();
  }
  const app = await buildApp(config, { db });
  if (config.seedDemoData) {
    // Imported only when needed: the seed pulls in image rendering, which a production start never uses.
    const { seedDemoData } = await import('./demo/seed.js');
    const now = Date.now();
    const result = await seedDemoData(db, { log: (msg) => app.log.info(msg), now });
    if (result.seeded && config.seedDemoHistory) {
      // The demo's past: orders, payments, shipments, refunds, payouts and closed months, through the services.
      const { seedDemoHistory } = await import('./demo/history.js');
      const story = await seedDemoHistory(config, db, result.ids, { now });
      app.log.info(story, 'demo history: %d orders over %d days, months closed: %s', story.orders, story.days, story.closedMonths.join(', ') || 'none');
    }
    if (result.seeded) app.log.info('Demo data loaded into the empty database.');
  }
  if (config.seedDemoData) {
    // Printed on every start so the logins are at hand; they exist only in demo databases.
    console.log(['Demo logins (password xiangyi-demo):', ...demoLoginLines()].join('\n'));
  }

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => {
      app.log.error('graceful shutdown timed out');
      process.exit(1);
    }, 10_000);
    force.unref();
    app
      .close()
      .then(() => (db.engine === 'postgresql' ? (db as import('./db/pg-client.js').PgDatabase).end() : db.close()))
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        app.log.error({ err: error }, 'error while closing');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  const ms = Number((process.hrtime.bigint() - startedAt) / 1_000_000n);
  app.log.info(`Xiangyi 乡益 is serving ${config.publicUrl} (started in ${ms} ms)`);
  // The cluster's periodic work (expiry, housekeeping, the outbox, backups): this server runs it
  // when it holds the lease, else another server on the same database does (src/cluster/).
  await app.periodicWork.start();
  app.log.info(app.periodicWork.status(), app.periodicWork.leading() ? 'periodic work runs on this server' : 'periodic work runs on another server');
  // The outbox is delivered (or, without SMTP_URL, logged) from now on; messages written before a
  // restart are picked up where they were left.
  app.outboxWorker.start();
  app.log.info(
    { smtp: config.mail.smtpUrl !== null },
    config.mail.smtpUrl ? 'e-mail: delivering the outbox over SMTP' : 'e-mail: no SMTP_URL, messages stay in the outbox (/admin/outbox) and the log',
  );
  app.log.info(
    { sms: config.sms !== null },
    config.sms ? `text messages: delivering through ${new URL(config.sms.url).host}` : 'text messages: no SMS_API_URL, they stay in the outbox (/admin/outbox)',
  );
  const publicUrlAdvice = publicUrlWarning(config);
  if (publicUrlAdvice) app.log.warn(publicUrlAdvice);
  // Scheduled backups start once the shop serves (and any demo data is in): the first is due at once
  // when BACKUP_DIR has none, else one interval after the newest.
  if (app.backups && config.backups) {
    app.backups.start();
    app.log.info({ dir: config.backups.dir, everyMs: config.backups.everyMs, keep: config.backups.keep }, 'scheduled backups on');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
